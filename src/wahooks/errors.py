"""The error tree. Each class carries its stable error code and HTTP status;
api/errors.py renders them as ``{"error": {"code", "message"}}``."""


class WahooksError(Exception):
    code = "internal_error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
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


class PayloadTooLarge(WahooksError):
    code = "payload_too_large"
    http_status = 413


class UpstreamError(WahooksError):
    code = "upstream_error"
    http_status = 502


class ConfigError(WahooksError):
    """Configuration that cannot work; raised before anything starts."""

    code = "config_error"
