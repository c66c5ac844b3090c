"""Frames a client sends: acknowledgements, and replies answered by ``reply_status``.

Replies of one connection are sent one after another, in the order they came, while acks
keep flowing (they never wait behind a Graph API call).
"""

import asyncio
import logging
from typing import Any

import orjson

from wahooks.errors import Forbidden, InvalidRequest, WahooksError
from wahooks.send.apps import AppMessenger
from wahooks.send.media import MediaRequest, MediaSender
from wahooks.send.messenger import Messenger, Sent
from wahooks.socket.connection import Connection
from wahooks.socket.frames import frame
from wahooks.socket.pump import TenantPump

log = logging.getLogger(__name__)

REPLY_TYPES = ("whatsapp_reply", "whatsapp_reaction", "whatsapp_media_reply", "whatsapp_read")


class ClientFrames:
    def __init__(
        self,
        connection: Connection,
        pump: TenantPump,
        messenger: Messenger,
        media_sender: MediaSender,
        app_messenger: AppMessenger,
    ) -> None:
        self._connection = connection
        self._pump = pump
        self._messenger = messenger
        self._media_sender = media_sender
        self._app_messenger = app_messenger
        self._replies: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._worker = asyncio.create_task(self._reply_loop(), name="socket-replies")

    def handle(self, raw: str | bytes) -> None:
        """One frame from the client. Non-JSON and unknown types are ignored, as the
        reference client ignores what it does not understand."""
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        data: dict[str, Any] = message["data"] if isinstance(message.get("data"), dict) else {}
        if kind == "ack":
            delivery_id = message.get("deliveryId") or data.get("deliveryId")
            if isinstance(delivery_id, str):
                self._pump.ack(self._connection, delivery_id)
        elif isinstance(kind, str) and kind in REPLY_TYPES:
            self._replies.put_nowait((kind, data))

    async def close(self) -> None:
        """The connection is gone: replies already asked for are still sent, then we stop."""
        await self._replies.join()
        self._worker.cancel()

    async def _reply_loop(self) -> None:
        while True:
            kind, data = await self._replies.get()
            try:
                status = await self._reply(kind, data)
                await self._connection.send(frame("reply_status", status))
            except Exception:
                log.exception("socket reply failed")
            finally:
                self._replies.task_done()

    async def _reply(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        conversation_id = data.get("conversationId")
        try:
            sent = await self._send(kind, conversation_id, data)
        except WahooksError as exc:
            return {
                "conversationId": conversation_id,
                "success": False,
                "error": exc.message,
                "code": exc.code.upper(),
                **(exc.details or {}),
            }
        return {
            "conversationId": sent.conversation_id,
            "success": True,
            "messageId": sent.message_id,
        }

    async def _send(self, kind: str, conversation_id: Any, data: dict[str, Any]) -> Sent:
        scope = self._connection.conversation_id
        if kind == "whatsapp_read":
            return await self._read(conversation_id or scope, data)
        if not isinstance(conversation_id, str) or not conversation_id:
            raise InvalidRequest("conversationId: required")
        if scope is not None and conversation_id != scope:
            raise Forbidden(
                f"this connection is scoped to conversation {scope} and may only reply there",
                code="conversation_scope",
            )
        tenant_id = self._connection.tenant_id
        if self._connection.app_id is not None:  # an App replies on its own numbers only
            await self._app_messenger.conversation(
                tenant_id, self._connection.app_id, conversation_id
            )
        if kind == "whatsapp_reply":
            text = data.get("text")
            if not isinstance(text, str):
                raise InvalidRequest("text: required, a string")
            return await self._messenger.send_text(tenant_id, conversation_id, text)
        if kind == "whatsapp_reaction":
            message_id, emoji = data.get("messageId"), data.get("emoji", "")
            if not isinstance(message_id, str) or not isinstance(emoji, str):
                raise InvalidRequest("messageId and emoji: required, strings")
            return await self._messenger.send_reaction(
                tenant_id, conversation_id, message_id, emoji
            )
        done = await self._media_sender.send(tenant_id, conversation_id, media_request(data))
        return done.sent

    async def _read(self, conversation_id: Any, data: dict[str, Any]) -> Sent:
        """``{messageId, conversationId?, typing?}``: mark a received message read."""
        message_id, typing = data.get("messageId"), data.get("typing", False)
        if not isinstance(message_id, str) or not isinstance(typing, bool):
            raise InvalidRequest("messageId: required, a string; typing: true or false")
        if conversation_id is not None and not isinstance(conversation_id, str):
            raise InvalidRequest("conversationId: must be a string")
        scope = self._connection.conversation_id
        if scope is not None and conversation_id != scope:
            raise Forbidden(
                f"this connection is scoped to conversation {scope}",
                code="conversation_scope",
            )
        return await self._messenger.mark_read(
            self._connection.tenant_id,
            message_id,
            typing=typing,
            conversation_id=conversation_id,
            app_id=self._connection.app_id,
        )


def _text_or_none(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{key}: must be a string")
    return value


def media_request(data: dict[str, Any]) -> MediaRequest:
    """``whatsapp_media_reply`` data: ``media`` is ``{data: base64, mimeType, fileName}`` as
    the reference plugin sends it (``url`` or ``mediaId`` instead of ``data`` work too), or
    a string as REST's ``media``; ``caption``, else ``text``, is the caption."""
    media = data.get("media")
    if isinstance(media, dict):
        value = media.get("data") or media.get("url") or media.get("mediaId")
        mime_type, file_name = _text_or_none(media, "mimeType"), _text_or_none(media, "fileName")
    else:
        value = media
        mime_type, file_name = _text_or_none(data, "mimeType"), _text_or_none(data, "fileName")
    if not isinstance(value, str) or not value:
        raise InvalidRequest("media: required, {data: base64, mimeType, fileName}")
    caption = _text_or_none(data, "caption")
    return MediaRequest(
        media=value,
        mime_type=mime_type,
        file_name=file_name,
        caption=caption if caption is not None else _text_or_none(data, "text"),
    )
