"""/v1/messages: the Pipes.bot-compatible send endpoint (text; media with the media step)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel
from wahooks.gateway import gateway_of
from wahooks.models import Tenant
from wahooks.send.messenger import MAX_TEXT_CHARS

router = APIRouter(prefix="/v1/messages", tags=["messages"])


class SendIn(ApiModel):
    conversation_id: str = Field(min_length=1, max_length=100, description="conv_… to reply in.")
    text: str = Field(
        min_length=1, max_length=MAX_TEXT_CHARS, description="Message text, 1-4096 characters."
    )


class SendOut(ApiModel):
    success: bool
    message_id: str = Field(description="Meta's message id (wamid).")
    conversation_id: str


@router.post(
    "/send",
    response_model=SendOut,
    response_model_by_alias=True,
    responses={
        404: {"description": "No such conversation for this tenant."},
        422: {"description": "SERVICE_WINDOW_EXPIRED: the user's last message is over 24 h old."},
        502: {"description": "graph_error: Meta refused the message (its code is included)."},
    },
)
async def send_message(
    body: SendIn, request: Request, tenant: Annotated[Tenant, Depends(current_tenant)]
) -> SendOut:
    """Send a text to a conversation through its number, within WhatsApp's 24-hour window."""
    sent = await gateway_of(request).messenger.send_text(tenant.id, body.conversation_id, body.text)
    return SendOut(success=True, message_id=sent.message_id, conversation_id=sent.conversation_id)
