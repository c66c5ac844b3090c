"""Media bytes over HTTP: downloads (whole, or cut off halfway as an injected failure) and
the gateway's multipart uploads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from wahooks.sim.graph_errors import invalid
from wahooks.sim.media import MediaObject, MediaStore

# Meta refuses media over 100 MB.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """A file the gateway uploaded through `POST /{phone_number_id}/media`."""

    media_id: str
    mime_type: str
    filename: str | None
    size: int
    # The request's Content-Length: None when the body came chunked (length unknown).
    content_length: int | None


async def stream_download(request: web.Request, media: MediaObject) -> web.StreamResponse:
    """The whole file, chunk by chunk, under its Content-Length."""
    response = web.StreamResponse(
        headers={"Content-Type": media.mime_type, "Content-Length": str(media.file_size)}
    )
    await response.prepare(request)
    for chunk in media.chunks():
        await response.write(chunk)
    await response.write_eof()
    return response


async def trickle_download(
    request: web.Request, media: MediaObject, bytes_per_s: float
) -> web.StreamResponse:
    """The file one byte at a time at ``bytes_per_s``: a CDN that all but stalls."""
    response = web.StreamResponse(
        headers={"Content-Type": media.mime_type, "Content-Length": str(media.file_size)}
    )
    await response.prepare(request)
    for chunk in media.chunks():
        for i in range(len(chunk)):
            await response.write(chunk[i : i + 1])
            await asyncio.sleep(1 / bytes_per_s)
    await response.write_eof()
    return response


async def cut_download(request: web.Request, media: MediaObject) -> web.StreamResponse:
    """Half of the bytes under the full Content-Length, then the connection is dropped."""
    response = web.StreamResponse(
        headers={"Content-Type": media.mime_type, "Content-Length": str(media.file_size)}
    )
    await response.prepare(request)
    left = media.file_size // 2
    for chunk in media.chunks():
        if left <= 0:
            break
        await response.write(chunk[:left])
        left -= len(chunk)
    if request.transport is not None:
        request.transport.close()
    return response


async def read_upload(request: web.Request, store: MediaStore) -> UploadRecord | web.Response:
    """A multipart upload as Graph takes it (``messaging_product``, ``type``, ``file``), kept
    in ``store``; or the Graph error answering an invalid one."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return invalid("The upload must be multipart/form-data.")
    form: dict[str, str] = {}
    data: bytes | None = None
    part_type: str | None = None
    filename: str | None = None
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            buf = bytearray()
            while chunk := await part.read_chunk():
                buf += chunk
                if len(buf) > MAX_UPLOAD_BYTES:
                    return invalid("The file is larger than 100 MB.")
            data = bytes(buf)
            part_type = part.headers.get("Content-Type")
            filename = part.filename
        elif part.name:
            # curl's documented `-F 'type="image/jpeg"'` can leave the quotes in.
            form[part.name] = (await part.text()).strip().strip('"')
    if form.get("messaging_product") != "whatsapp":
        return invalid("The parameter messaging_product is required.")
    if data is None:
        return invalid("The parameter file is required.")
    mime_type = form.get("type") or part_type
    if not mime_type:
        return invalid("The parameter type is required.")
    media = store.add_bytes(data, mime_type, filename=filename)
    return UploadRecord(media.id, mime_type, filename, len(data), request.content_length)
