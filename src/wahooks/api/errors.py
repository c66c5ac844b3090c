"""Every API error as ``{"error": {"code", "message"}}``: WahooksError, validation, 404/405."""

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from wahooks.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServiceWindowExpired,
    Unauthorized,
    UpstreamError,
    WahooksError,
)
from wahooks.media.blobs import BlobRangeError, InvalidBlobKey
from wahooks.media.guard import ForbiddenAddress

# The HTTP status of each domain error (wahooks/errors.py and the media layer's own): the
# only place HTTP meets the error tree. A class not listed answers as its nearest listed
# base class does (MediaTooLarge is a PayloadTooLarge: 413), and one with none is a 500.
# A new error class either inherits its status from a base here or gets a line here.
STATUSES: dict[type[WahooksError], int] = {
    InvalidRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    PayloadTooLarge: 413,
    BlobRangeError: 416,
    ServiceWindowExpired: 422,
    UpstreamError: 502,
    InvalidBlobKey: 400,
    ForbiddenAddress: 400,
}
INTERNAL = 500


def status_of(error: WahooksError) -> int:
    """The HTTP status the API answers ``error`` with: its class's, or the nearest base
    class's along the MRO (so subclasses inherit), else 500."""
    for cls in type(error).__mro__:
        status = STATUSES.get(cls)
        if status is not None:
            return status
    return INTERNAL


class ErrorDetail(BaseModel):
    # Some errors carry more fields, e.g. Meta's own code in a graph_error.
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable, machine-readable: invalid_request, not_found, ...")
    message: str = Field(description="For people: names the field or thing at fault.")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorDetail


def error_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: each status with its meaning and the error body."""
    return {status: {"model": ErrorBody, "description": text} for status, text in described.items()}


def error_response(
    status: int, code: str, message: str, details: dict[str, object] | None = None
) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message, **(details or {})}})
    return Response(body, status_code=status, media_type="application/json")


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    if error.get("type") == "json_invalid":
        return "request body is not valid JSON"
    return f"{loc}: {error.get('msg')}" if loc else str(error.get("msg"))


async def _wahooks_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, WahooksError)
    response = error_response(status_of(exc), exc.code, exc.message, exc.details)
    if isinstance(exc, Unauthorized):  # a 401 must name the scheme it wants (RFC 9110)
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_describe(e) for e in exc.errors()) or "invalid request"
    return error_response(400, "invalid_request", problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {
        400: "invalid_request",  # e.g. FastAPI's "error parsing the body": not UTF-8
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        413: "payload_too_large",
    }
    code = codes.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        # RFC 9110 wants every method of the resource in Allow; Starlette names only those
        # of the first route with this path (POST /v1/numbers, not GET too).
        response.headers["Allow"] = ", ".join(_methods_of(request))
    return response


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _methods_of(request: Request) -> list[str]:
    """The methods some route takes on this request's path, asked of the routes themselves
    (included routers nest theirs)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WahooksError, _wahooks_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
