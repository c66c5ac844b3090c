"""Options of alerts: when a destination fails many times in a row or is disabled, or a
number goes down, the operator and the tenant (its alert address and webhook, set through
the API) are told by e-mail and by signed webhook, at most once per condition per interval."""

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from wahooks.config.base import Options


class AlertOptions(Options):
    """Alerts (e-mail over SMTP, signed webhooks): who is told when a destination keeps
    failing or is disabled or a number goes down, and how often."""

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
    alert_after_failures: int = Field(
        20,
        ge=0,
        description="A destination failing this many attempts in a row raises an alert, once "
        "per run of failures (a success ends the run); 0: only when it is disabled.",
    )
    alert_webhook_url: str = Field(
        "",
        max_length=2048,
        pattern=r"^(https?://[^\s]+)?$",
        description="The operator's alert webhook, told of every tenant's alerts by a signed "
        "JSON POST (as webhook deliveries are signed; the outbound-address guard applies); "
        "empty: none.",
    )
    alert_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description="Signs the operator's alert webhooks (16 characters or more, or a whsec_ "
        "secret); required with alert_webhook_url.",
    )
    alert_interval_s: float = Field(
        3600,
        ge=0,
        le=30 * 86400,
        description="At most one alert per condition (one destination failing or disabled, "
        "one number down) and channel in this long; later ones are recorded as suppressed (s).",
    )

    @model_validator(mode="after")
    def _webhook_secret(self) -> Self:
        secret = self.alert_webhook_secret.get_secret_value()
        if self.alert_webhook_url and len(secret) < 16:
            raise ValueError(
                "alert_webhook_url needs alert_webhook_secret (16 characters or more) to sign "
                "the alerts"
            )
        return self

    @field_validator("alert_operator_emails")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c in address for c in "\r\n ,;<>"):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value
