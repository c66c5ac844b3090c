"""Options of alert e-mails: when a destination is disabled, the operator and the tenant
(its alert address, set through the API) are told by e-mail, at most once per interval."""

from pydantic import Field, SecretStr, field_validator

from wahooks.config.base import Options


class AlertOptions(Options):
    """Alert e-mails (SMTP): who is told when a destination is disabled, and how often."""

    alert_smtp_host: str = Field(
        "", description="SMTP server for alert e-mails; empty: no alert e-mails are sent."
    )
    alert_smtp_port: int = Field(25, ge=1, le=65535, description="Its port.")
    alert_smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    alert_smtp_username: str = Field("", description="SMTP login, if the server wants one.")
    alert_smtp_password: SecretStr = Field(
        SecretStr(""), description="Its password (never shown or logged)."
    )
    alert_from: str = Field(
        "wahooks@localhost", min_length=3, description="The alert e-mails' From address."
    )
    alert_operator_emails: tuple[str, ...] = Field(
        (), description="Addresses of the operator, told of every tenant's alerts."
    )
    alert_interval_s: float = Field(
        3600,
        ge=0,
        le=30 * 86400,
        description="At most one alert per condition (one destination disabled) in this "
        "long; later ones are recorded as suppressed (s).",
    )

    @field_validator("alert_operator_emails")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c in address for c in "\r\n ,;<>"):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value
