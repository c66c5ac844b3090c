"""The OpenAPI document at /openapi.json: FastAPI's, corrected where our error layer differs.

FastAPI documents a 422 ``HTTPValidationError`` on every operation with parameters; our
handlers answer such input with 400 and the ``ErrorBody`` shape (api/errors.py), so that
response is replaced. The errors the shared layers give on any operation are added here,
once, rather than in every route: 400 for invalid input (api/errors.py, api/nul.py), 401
and 403 where a bearer key is required (api/auth.py: each operation takes some kinds of
key), 413 where a body is read (api/limits.py). Routes declare only their own errors (404,
409, ...), and an error declared with a description alone gets the error body's schema.
"""

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI

from wahooks.api.errors import ErrorBody

ERROR_SCHEMA_REF = "#/components/schemas/ErrorBody"
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

DESCRIPTION = """\
Self-hosted WhatsApp gateway: Meta Cloud API webhooks in, durable signed deliveries out.

**Authentication.** Every `/v1` operation takes an API key as a bearer token:
`Authorization: Bearer pk_live_…` (in /docs: the *Authorize* button). Tenants' keys are
`pk_live_…`, an App's `ak_live_…`, the operator's `op_live_…`; an operation answers 403 to
a kind of key it does not take. A key is shown once, when issued.

**Errors.** Every 4xx and 5xx answer is JSON `{"error": {"code": "…", "message": "…"}}`:
`code` is stable (`invalid_request`, `unauthorized`, `not_found`, `conflict`, …), `message`
names the field or thing at fault. Invalid input is a 400, never a 422 (except WhatsApp's
`SERVICE_WINDOW_EXPIRED`); request bodies over the size limit are a 413.

**Not described as operations here**, because OpenAPI cannot describe them:

- `GET /ws?apiKey=pk_live_…[&conversationId=conv_…]` — the WebSocket: events arrive as
  `connected`, `whatsapp_message` and `reply_status` frames, each acknowledged by the client;
  a `whatsapp_reply` frame sends a message. Compatible with Pipes.bot's socket.
- `GET /ingress/meta` and `POST /ingress/meta` — Meta's webhook (subscription handshake with
  `hub.mode`, `hub.verify_token`, `hub.challenge`; notifications signed with
  `X-Hub-Signature-256` by the number's app secret). Called by Meta, not by tenants.
"""


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
    }


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == _VALIDATION_REF)


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "422" in responses and _is_fastapi_validation(responses["422"]):
        del responses["422"]
    # Any operation: a NUL character in the path or query is refused (api/nul.py).
    responses.setdefault(
        "400", _error("invalid_request: a parameter or the body is not valid (the message "
                      "names which), or the path or query holds a NUL character.")
    )  # fmt: skip
    if operation.get("security"):
        responses.setdefault(
            "401", _error("unauthorized: the API key is missing, malformed, unknown or revoked.")
        )
        responses.setdefault(
            "403", _error("forbidden: this kind of key (tenant, App, operator) may not do this.")
        )
    if "requestBody" in operation and path.startswith("/v1"):
        responses.setdefault("413", _error("payload_too_large: the body is over the size limit."))
    # Every error of this API has the error body (api/errors.py renders them all): a route
    # that declared only a description gets its schema.
    for status, response in responses.items():
        if status[0] in "45" and not response.get("content"):
            response["content"] = _error("")["content"]


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """Apply the corrections above to FastAPI's document, in place; return it."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                _complete_operation(path, operation)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas.setdefault("ErrorBody", error_schema)
    return document


def tag_descriptions(modules: Iterable[ModuleType]) -> list[dict[str, str]]:
    """The document's tags, in order: each router module's tags, described by the first
    paragraph of its docstring (joined when two modules share a tag)."""
    described: dict[str, list[str]] = {}
    for module in modules:
        router: APIRouter = module.router
        summary = (module.__doc__ or "").strip().split("\n\n")[0]
        for tag in router.tags:
            described.setdefault(str(tag), []).append(" ".join(summary.split()))
    return [{"name": tag, "description": " ".join(texts)} for tag, texts in described.items()]


class WahooksApi(FastAPI):
    """FastAPI whose ``openapi()`` returns the corrected document (built once, then cached)."""

    _completed = False

    def openapi(self) -> dict[str, Any]:
        document = super().openapi()
        if not self._completed:
            complete_document(document)
            self._completed = True
        return document
