"""/v1/messages: the Pipes.bot-compatible send endpoint, for text and media."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import ConfigDict, Field, StrictBool, model_validator

from wahooks.api.auth import tenant_or_app
from wahooks.api.base import ApiModel
from wahooks.api.errors import error_responses
from wahooks.errors import InvalidRequest
from wahooks.gateway import gateway_of
from wahooks.media.kinds import MAX_CAPTION_CHARS
from wahooks.models import Principal
from wahooks.send.media import MediaRequest
from wahooks.send.messenger import MAX_TEXT_CHARS

router = APIRouter(prefix="/v1/messages", tags=["messages"])


class SendIn(ApiModel):
    # What _text_or_media and send_message check across fields, in the document too: text
    # or media is needed; caption, mimeType and fileName only go with media.
    model_config = ApiModel.model_config | ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}},
                {"required": ["media"], "properties": {"media": {"type": "string"}}},
            ],
            "dependentRequired": {name: ["media"] for name in ("caption", "mimeType", "fileName")},
            "examples": [
                {"conversationId": "conv_5fK2pQ8wLm3Xv7Rb1Nz4T", "text": "Thanks, we are on it!"},
                {
                    "conversationId": "conv_5fK2pQ8wLm3Xv7Rb1Nz4T",
                    "media": "https://files.example.com/invoices/1042.pdf",
                    "fileName": "invoice-1042.pdf",
                    "caption": "Your invoice",
                },
            ],
        }
    )

    conversation_id: str = Field(min_length=1, max_length=100, description="conv_… to reply in.")
    text: str | None = Field(
        None,
        max_length=MAX_TEXT_CHARS,
        description="Message text, 1-4096 characters; with `media`, the caption when "
        "`caption` is absent.",
    )
    media: str | None = Field(
        None,
        min_length=1,
        description="A 21-character media id (received or uploaded), an https:// URL, or "
        "base64 (a data: URL too); detected from the value.",
    )
    mime_type: str | None = Field(
        None, max_length=200, description="Required with base64 media; overrides the others'."
    )
    file_name: str | None = Field(None, max_length=240, description="Shown for documents.")
    caption: str | None = Field(
        None, max_length=MAX_CAPTION_CHARS, description="Media caption, at most 1024 characters."
    )

    @model_validator(mode="after")
    def _text_or_media(self) -> "SendIn":
        if self.media is None and not self.text:
            raise ValueError("text: required (1-4096 characters) unless media is sent")
        return self


class SendOut(ApiModel):
    success: bool
    message_id: str = Field(description="Meta's message id (wamid).")
    conversation_id: str
    media_id: str | None = Field(
        None, description="The file sent, as our media id: it can be sent again."
    )


@router.post(
    "/send", operation_id="sendMessage",
    response_model=SendOut,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    summary="Send a message",
    responses=error_responses({
        400: "Bad input: no text or media, bad base64, missing mimeType, an http:// URL "
             "(insecure_url), a URL to a private address (forbidden_address), a caption on "
             "audio or a sticker, or a URL that failed (media_url_failed).",
        404: "No such conversation, or no such media id, for this tenant (for an App key: no "
             "such conversation on the App's numbers).",
        409: "activation_inactive: a pool-number conversation whose activation was "
             "deactivated.",
        410: "The media id's file has expired.",
        413: "Over WhatsApp's size limit for the type, or the inline limit.",
        422: "SERVICE_WINDOW_EXPIRED: the user's last message is over 24 h old.",
        502: "graph_error: Meta refused (its code is included); or a media URL could not be "
             "reached (media_url_failed).",
    }),
)  # fmt: skip
async def send_message(
    body: SendIn, request: Request, who: Annotated[Principal, Depends(tenant_or_app)]
) -> SendOut:
    """Send a text, or a file (image, video, audio, document or sticker, from its MIME type)
    with an optional caption, to a conversation within WhatsApp's 24-hour window. An App
    key sends in its own numbers' conversations only."""
    gateway = gateway_of(request)
    assert who.tenant is not None
    tenant = who.tenant
    if who.app_id is not None:  # another App's (or the tenant's own) conversation: not found
        await gateway.app_messenger.conversation(tenant.id, who.app_id, body.conversation_id)
    if body.media is None:
        if body.caption is not None or body.mime_type is not None or body.file_name is not None:
            raise InvalidRequest("caption, mimeType and fileName go with media")
        assert body.text is not None
        sent = await gateway.messenger.send_text(tenant.id, body.conversation_id, body.text)
        return SendOut(
            success=True, message_id=sent.message_id, conversation_id=sent.conversation_id
        )
    media = MediaRequest(
        media=body.media,
        mime_type=body.mime_type,
        file_name=body.file_name,
        caption=body.caption if body.caption is not None else body.text,
    )
    done = await gateway.media_sender.send(tenant.id, body.conversation_id, media)
    return SendOut(
        success=True,
        message_id=done.sent.message_id,
        conversation_id=done.sent.conversation_id,
        media_id=done.media_id,
    )


class ReadIn(ApiModel):
    model_config = ApiModel.model_config | ConfigDict(
        json_schema_extra={
            "examples": [
                {"messageId": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="},
                {
                    "messageId": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                    "conversationId": "conv_5fK2pQ8wLm3Xv7Rb1Nz4T",
                    "typing": True,
                },
            ]
        }
    )

    message_id: str = Field(
        min_length=1, max_length=200, description="The received message's wamid."
    )
    conversation_id: str | None = Field(
        None, min_length=1, max_length=100, description="Optional: the message must be in it."
    )
    typing: StrictBool = Field(
        False,
        description="Also show the typing indicator, until the next reply or 25 s. Needs "
        "the 24-hour window open, as a reply does.",
    )


class ReadOut(ApiModel):
    success: bool
    message_id: str
    conversation_id: str


@router.post(
    "/read", operation_id="markMessageRead",
    response_model=ReadOut,
    response_model_by_alias=True,
    summary="Mark a received message read, optionally showing the typing indicator",
    responses=error_responses({
        400: "Bad input: no messageId.",
        404: "No message with this id was received by this tenant (for an App key: on the "
             "App's numbers; with conversationId: in that conversation).",
        409: "typing on a pool-number conversation whose activation was deactivated.",
        422: "SERVICE_WINDOW_EXPIRED: typing asked for, and the user's last message is over "
             "24 h old.",
        502: "graph_error: Meta refused (its code is included).",
    }),
)  # fmt: skip
async def mark_read(
    body: ReadIn, request: Request, who: Annotated[Principal, Depends(tenant_or_app)]
) -> ReadOut:
    """The user sees the message (and the ones before it) as read, with blue ticks; with
    `typing`, also "typing…" until the reply is sent (Cloud API `status: read` with a
    `typing_indicator`)."""
    gateway = gateway_of(request)
    assert who.tenant is not None
    done = await gateway.messenger.mark_read(
        who.tenant.id,
        body.message_id,
        typing=body.typing,
        conversation_id=body.conversation_id,
        app_id=who.app_id,
    )
    return ReadOut(success=True, message_id=done.message_id, conversation_id=done.conversation_id)
