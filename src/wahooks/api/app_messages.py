"""Pipes.bot's App sends: ``POST /v1/messages/app/send`` (text from one of an App's
numbers) and ``POST /v1/messages/passthrough`` (any Meta message object, forwarded as
given). Both answer in Meta's own format."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from wahooks.api.auth import current_app, tenant_or_app
from wahooks.api.base import ApiModel, examples
from wahooks.errors import InvalidRequest
from wahooks.gateway import gateway_of
from wahooks.models import KeyKind, Principal
from wahooks.send.messenger import MAX_TEXT_CHARS

router = APIRouter(prefix="/v1/messages", tags=["messages"])

ID_CHARS = 100


class AppSendIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {
            "poolNumberId": "num_8Jd2kQ4xLp7Vz1mN3bR5t",
            "toNumber": "+4915123456789",
            "text": "Your order 1042 has shipped.",
        }
    )

    pool_number_id: str = Field(
        min_length=1, max_length=ID_CHARS, description="Our id of one of the App's numbers."
    )
    to_number: str = Field(
        min_length=1,
        max_length=32,
        description="The recipient's phone number, international form (a + is optional).",
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="1-4096 characters.")


class GraphContact(BaseModel):
    model_config = ConfigDict(extra="allow")
    input: str | None = None
    wa_id: str | None = None


class GraphMessageRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="Meta's message id (wamid).")


class GraphSendOut(BaseModel):
    """Meta's answer to a send, as Meta gave it."""

    model_config = ConfigDict(extra="allow")
    messaging_product: str = "whatsapp"
    contacts: list[GraphContact] = []
    messages: list[GraphMessageRef]


SEND_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, malformed, unknown or revoked key."},
    404: {"description": "No such number of this App, or no such conversation of the caller."},
    422: {
        "description": "SERVICE_WINDOW_EXPIRED: the user's last message is over 24 h old (or "
        "there was none): only a template can be sent."
    },
    502: {"description": "graph_error: Meta refused the message; its code is included."},
}


@router.post(
    "/app/send",
    operation_id="sendAppMessage",
    response_model=GraphSendOut,
    summary="Send a text from one of an App's numbers",
    responses={
        **SEND_ERRORS,
        400: {"description": "A missing field, empty or too long text, a bad phone number."},
        403: {"description": "Not an App key (ak_live_…)."},
    },
)
async def app_send(
    body: AppSendIn, request: Request, who: Annotated[Principal, Depends(current_app)]
) -> dict[str, Any]:
    """Send ``text`` from the App's number ``poolNumberId`` to ``toNumber``, within the
    24-hour window of that user's last message; Meta's answer, as Meta gives it."""
    assert who.tenant is not None and who.app_id is not None
    return await gateway_of(request).app_messenger.send_text(
        who.tenant.id, who.app_id, body.pool_number_id, body.to_number, body.text
    )


PASSTHROUGH_EXAMPLE = {
    "poolNumberId": "num_…",
    "to": "15551234567",
    "type": "template",
    "messaging_product": "whatsapp",
    "template": {"name": "order_confirmation", "language": {"code": "en_US"}},
}


@router.post(
    "/passthrough",
    operation_id="sendPassthroughMessage",
    response_model=GraphSendOut,
    summary="Forward a Meta Cloud API message as given",
    responses={
        **SEND_ERRORS,
        400: {
            "description": "Not a JSON object, or a missing/invalid routing field: App key: "
            "poolNumberId, to, type, messaging_product; tenant key: conversationId, type; "
            "or no object for its type."
        },
        403: {"description": "A template with a tenant key (templates need an App key)."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "Meta's message object plus routing fields. App key "
                        "(ak_live_): poolNumberId, to, type, messaging_product required. "
                        "Tenant key (pk_live_): conversationId and type required; the "
                        "conversation's number and contact are used. The older form "
                        "{poolNumberId, message: {…}} is accepted too.",
                    },
                    "example": PASSTHROUGH_EXAMPLE,
                }
            },
        }
    },
)
async def passthrough(
    request: Request, who: Annotated[Principal, Depends(tenant_or_app)]
) -> dict[str, Any]:
    """Send any Meta message type (template, interactive, location, contacts, reaction…):
    the routing fields (poolNumberId, conversationId) are taken out and the rest goes to
    Meta's ``POST /{phone-number-id}/messages`` unchanged. Templates need an App key; any
    other type needs the user's 24-hour window open. Recorded as message:out:new."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidRequest("request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    nested = body.get("message")
    if isinstance(nested, dict) and "type" not in body:
        # The older form: {poolNumberId | conversationId, message: {Meta's object}}.
        body = {**nested, **{k: v for k, v in body.items() if k != "message"}}
    elif who.kind is KeyKind.APP and "conversationId" not in body:
        for required in ("poolNumberId", "to", "type", "messaging_product"):
            if required not in body:
                raise InvalidRequest(f"{required}: required with an App key")
    assert who.tenant is not None
    return await gateway_of(request).app_messenger.passthrough(who.tenant.id, who.app_id, body)
