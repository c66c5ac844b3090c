"""Graph API answers: the error envelope Meta uses, its common errors, and JSON responses."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from aiohttp import web

from wahooks.sim.messages import Json


def fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def graph_error(
    http_status: int,
    message: str,
    *,
    code: int,
    type_: str = "OAuthException",
    subcode: int | None = None,
    details: str | None = None,
) -> web.Response:
    """A Graph-style error response."""
    error: Json = {"message": message, "type": type_, "code": code}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = fbtrace_id()
    return json_response({"error": error}, status=http_status)


def invalid(details: str) -> web.Response:
    return graph_error(400, "(#100) Invalid parameter", code=100, details=details)


def no_such_object(method: str, node: str, http_status: int = 400) -> web.Response:
    return graph_error(
        http_status,
        f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        code=100,
        type_="GraphMethodException",
        subcode=33,
    )


def transient_failure(http_status: int) -> web.Response:
    """An injected failure: Graph's code 2 is its "service temporarily unavailable"; 4 (for
    429) is its rate limit."""
    if http_status == 429:
        return graph_error(429, "(#4) Application request limit reached", code=4)
    return graph_error(
        http_status,
        "An unexpected error has occurred. Please retry your request later.",
        code=2,
    )
