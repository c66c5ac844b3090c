"""The error tree: what went wrong, in domain terms, each class with its stable ``code``.

Nothing here knows about HTTP, so the store, the workers and the CLI raise these without
depending on the web layer; api/errors.py maps each class to its HTTP status (``STATUSES``)
and renders it as ``{"error": {"code", "message"}}``."""


class WahooksError(Exception):
    code = "internal_error"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # extra fields of the error object, e.g. Meta's own code
        if code is not None:
            self.code = code


class InvalidRequest(WahooksError):
    code = "invalid_request"


class Unauthorized(WahooksError):
    code = "unauthorized"


class Forbidden(WahooksError):
    code = "forbidden"


class NotFound(WahooksError):
    code = "not_found"


class Conflict(WahooksError):
    code = "conflict"


class NumberNotVerified(Forbidden):
    """The access token could not prove the phone number belongs to the WABA (or the
    number is someone else's: the refusal does not say which)."""

    code = "number_not_verified"


class TokenRefused(InvalidRequest):
    """Meta refused the access token itself (invalid, expired)."""

    code = "token_refused"


class LastKey(Conflict):
    """Revoking this key would leave no live key (the owner would be locked out)."""


class TooManyPending(Conflict):
    """The tenant already holds the most unexpired activation codes allowed."""

    code = "too_many_pending"


class Gone(WahooksError):
    """It existed, and is no more (an expired file)."""

    code = "gone"


class ServiceWindowExpired(WahooksError):
    """WhatsApp only takes free-form messages within 24 h of the user's last message."""

    code = "SERVICE_WINDOW_EXPIRED"


class PayloadTooLarge(WahooksError):
    code = "payload_too_large"


class UpstreamError(WahooksError):
    code = "upstream_error"


class ConfigError(WahooksError):
    """Configuration that cannot work; raised before anything starts."""

    code = "config_error"
