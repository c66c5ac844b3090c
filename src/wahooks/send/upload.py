"""Upload a stored file to the Graph API: ``POST {graph base}/{phone-number-id}/media``.

Multipart, as Meta documents it (``messaging_product``, ``type``, ``file``), with the file
streamed from the blob store: never whole in memory, and with a Content-Length, since the
stored size is known. A transient failure re-opens the blob and uploads again.
"""

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp.payload import AsyncIterablePayload

from wahooks.media.blobs import BlobStream
from wahooks.models import Number
from wahooks.send.graph import GraphClient, GraphError

# An upload may take this long per byte on top of the usual Graph timeout: 100 MB at
# 256 KiB/s is about 6.5 minutes, beyond which the link is too slow to be worth waiting for.
MIN_UPLOAD_BYTES_PER_S = 256 * 1024


class _SizedStream(AsyncIterablePayload):
    """A streamed part of known length, so the whole request gets a Content-Length."""

    def __init__(self, chunks: AsyncIterable[bytes], size: int, **kwargs: Any) -> None:
        super().__init__(chunks, **kwargs)
        self._size = size


def _field(form: aiohttp.MultipartWriter, name: str, value: str) -> None:
    part = form.append(value)
    part.set_content_disposition("form-data", name=name)


async def upload_media(
    graph: GraphClient,
    number: Number,
    open_file: Callable[[], Awaitable[BlobStream]],
    *,
    size: int,
    mime_type: str,
    file_name: str,
) -> str:
    """Upload `size` bytes that ``open_file()`` streams; returns Meta's media id."""
    timeout = aiohttp.ClientTimeout(
        total=graph.timeout_s + size / MIN_UPLOAD_BYTES_PER_S, sock_connect=graph.timeout_s
    )

    async def attempt() -> dict[str, Any]:
        async with await open_file() as stream:
            with aiohttp.MultipartWriter("form-data") as form:
                _field(form, "messaging_product", "whatsapp")
                _field(form, "type", mime_type)
                part = form.append_payload(_SizedStream(stream, size, content_type=mime_type))
                part.set_content_disposition("form-data", name="file", filename=file_name)
            return await graph.post_once(
                number, f"{number.phone_number_id}/media", form, {}, timeout
            )

    answer = await graph.retrying(attempt)
    media_id = answer.get("id")
    if not isinstance(media_id, str) or not media_id:
        raise GraphError("Graph API answered the upload without a media id", 0, 200)
    return media_id
