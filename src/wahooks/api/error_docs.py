"""The error body, for the OpenAPI document: ``responses=errors(400, 404)`` on a route."""

from typing import Any

from wahooks.api.errors import ErrorBody

_MEANING = {
    400: "Invalid request: the message names the field and the problem.",
    401: "Missing, malformed, unknown or revoked API key.",
    403: "A key of another kind than this endpoint takes.",
    404: "Not found, or not the caller's (another tenant's ids are never revealed).",
    409: "The resource is not in a state that allows this.",
    413: "Request body too large.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes (400, 401 and 403 are always added: any
    parameter may be refused)."""
    wanted = sorted({*codes, 400, 401, 403})
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in wanted}
