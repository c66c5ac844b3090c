"""Media replies: find or take in the file, check it against WhatsApp's rules, upload it to
the conversation's number, send it, store it.

The REST send endpoint and the socket's ``whatsapp_media_reply`` both come here. Cheap
checks (conversation, 24-hour window, caption length, MIME type) come before any byte is
fetched or uploaded.
"""

import mimetypes
from collections.abc import AsyncIterator
from dataclasses import dataclass

from wahooks.errors import InvalidRequest
from wahooks.media.blobs import READ_CHUNK_BYTES, BlobStore, BlobStream
from wahooks.media.intake import MediaIntake
from wahooks.media.kinds import (
    MAX_CAPTION_CHARS,
    base_mime,
    check_mime,
    check_sendable,
    is_animated_webp,
    message_type,
)
from wahooks.media.sources import InlineSource, StoredSource, parse_media
from wahooks.models import Conversation, JsonObject, MediaRecord
from wahooks.send.graph import GraphClient, GraphError
from wahooks.send.messenger import Messenger, Sent, graph_refused
from wahooks.send.upload import upload_media

_WEBP_HEAD_BYTES = 32


@dataclass(frozen=True, slots=True)
class MediaRequest:
    media: str  # a media id, an https URL, or base64
    mime_type: str | None = None
    file_name: str | None = None
    caption: str | None = None  # the caption, or else the text


@dataclass(frozen=True, slots=True)
class SentMedia:
    sent: Sent
    media_id: str  # ours: the file can be sent again with it


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), READ_CHUNK_BYTES):
        yield data[start : start + READ_CHUNK_BYTES]


class MediaSender:
    def __init__(
        self,
        messenger: Messenger,
        intake: MediaIntake,
        blobs: BlobStore,
        graph: GraphClient,
        *,
        max_inline_bytes: int,
    ) -> None:
        self._messenger = messenger
        self._intake = intake
        self._blobs = blobs
        self._graph = graph
        self._max_inline_bytes = max_inline_bytes

    async def send(self, tenant_id: str, conversation_id: str, request: MediaRequest) -> SentMedia:
        caption = request.caption or None
        if caption is not None and len(caption) > MAX_CAPTION_CHARS:
            raise InvalidRequest(
                f"caption: {len(caption)} characters; WhatsApp takes at most {MAX_CAPTION_CHARS}"
            )
        mime_type = check_mime(request.mime_type) if request.mime_type else None
        conversation = await self._messenger.open_conversation(tenant_id, conversation_id)
        record = await self._file(conversation, request, mime_type)
        mime_type = mime_type or record.mime_type
        kind = message_type(mime_type)
        animated = kind == "sticker" and is_animated_webp(await self._head(record))
        check_sendable(kind, record.byte_size, caption, animated=animated)
        file_name = request.file_name or record.file_name or _default_name(record.id, mime_type)
        assert record.blob_key is not None
        key = record.blob_key

        async def open_file() -> BlobStream:
            return await self._blobs.open(key)

        try:
            graph_id = await upload_media(
                self._graph,
                conversation.number,
                open_file,
                size=record.byte_size,
                mime_type=mime_type,
                file_name=file_name,
            )
        except GraphError as exc:
            raise graph_refused("the media upload", exc) from exc
        body: JsonObject = {"id": graph_id}
        if caption is not None:
            body["caption"] = caption
        if kind == "document":
            body["filename"] = file_name
        sent = await self._messenger.deliver(conversation, {"type": kind, kind: body})
        return SentMedia(sent=sent, media_id=record.id)

    async def _file(
        self, conversation: Conversation, request: MediaRequest, mime_type: str | None
    ) -> MediaRecord:
        tenant_id, number_id = conversation.tenant_id, conversation.number.id
        source = parse_media(request.media, max_inline_bytes=self._max_inline_bytes)
        if isinstance(source, StoredSource):
            return await self._intake.stored(tenant_id, source.media_id)
        if isinstance(source, InlineSource):
            mime_type = mime_type or (check_mime(source.mime_type) if source.mime_type else None)
            if mime_type is None:
                raise InvalidRequest("mimeType: required with base64 media (e.g. image/jpeg)")
            return await self._intake.save(
                tenant_id,
                _chunks(source.data),
                mime_type=mime_type,
                file_name=request.file_name,
                number_id=number_id,
            )
        return await self._intake.fetch_url(
            tenant_id,
            source.url,
            mime_type=mime_type,
            file_name=request.file_name,
            number_id=number_id,
        )

    async def _head(self, record: MediaRecord) -> bytes:
        assert record.blob_key is not None
        end = min(record.byte_size, _WEBP_HEAD_BYTES) or None
        async with await self._blobs.open(record.blob_key, 0, end) as stream:
            return await stream.read()


def _default_name(media_id: str, mime_type: str) -> str:
    """Meta wants a file name on every upload; documents show it to the user."""
    extension = mimetypes.guess_extension(base_mime(mime_type), strict=False) or ""
    return f"{media_id}{extension}"
