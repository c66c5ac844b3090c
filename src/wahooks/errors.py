"""The error tree. Each class carries its stable error code and HTTP status;
api/errors.py renders them as ``{"error": {"code", "message"}}``."""


class WahooksError(Exception):
    code = "internal_error"
    http_status = 500

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
    http_status = 400


class Unauthorized(WahooksError):
    code = "unauthorized"
    http_status = 401


class Forbidden(WahooksError):
    code = "forbidden"
    http_status = 403


class NotFound(WahooksError):
    code = "not_found"
    http_status = 404


class Conflict(WahooksError):
    code = "conflict"
    http_status = 409


class LastKey(Conflict):
    """Revoking this key would leave no live key (the owner would be locked out)."""


class TooManyPending(Conflict):
    """The tenant already holds the most unexpired activation codes allowed."""

    code = "too_many_pending"


class Gone(WahooksError):
    """It existed, and is no more (an expired file)."""

    code = "gone"
    http_status = 410


class ServiceWindowExpired(WahooksError):
    """WhatsApp only takes free-form messages within 24 h of the user's last message."""

    code = "SERVICE_WINDOW_EXPIRED"
    http_status = 422


class PayloadTooLarge(WahooksError):
    code = "payload_too_large"
    http_status = 413


class UpstreamError(WahooksError):
    code = "upstream_error"
    http_status = 502


class ConfigError(WahooksError):
    """Configuration that cannot work; raised before anything starts."""

    code = "config_error"
