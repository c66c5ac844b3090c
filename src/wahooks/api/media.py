"""Stored files: /v1/media/download/{mediaId} for its owner's key, /v1/media/file/{mediaId}
for a signed link from a payload (media/links.py), with no key.

Both serve the same way: the bytes with their type, size and name, with HTTP range requests;
or, when the blob store can presign (S3), a 302 to a URL valid for 5 minutes. With a key,
another tenant's id is a 404, like an id that never existed; an expired file is a 410. A
link with no valid signature is a 403 (nothing about the file is told), a valid one past its
time a 410.
"""

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from wahooks.api.auth import tenant_or_app
from wahooks.api.errors import error_response, error_responses
from wahooks.errors import Conflict, Forbidden, Gone, NotFound
from wahooks.gateway import gateway_of
from wahooks.media.blobs import BlobRangeError, BlobStore
from wahooks.media.ids import is_media_id
from wahooks.media.links import LinkCheck
from wahooks.models import MediaRecord, Principal

router = APIRouter(prefix="/v1/media", tags=["media"])
MediaId = Annotated[str, Path(alias="mediaId")]
PRESIGNED_URL_S = 300
# A user's file is not ours to interpret: no MIME sniffing (an "image" that is HTML), and
# if a browser renders it anyway, it runs sandboxed, with no script and no requests.
USER_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
# A presigned URL is answered by the bucket, which sends no nosniff or CSP: a type that a
# browser would run (HTML, SVG, XML, script) is presigned as bytes instead. The download is
# an attachment either way.
_ACTIVE_TYPES = (
    "text/html", "application/xhtml", "image/svg", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/ecmascript", "text/xsl",
)  # fmt: skip


def presigned_type(mime_type: str | None) -> str | None:
    if mime_type is not None and mime_type.strip().lower().startswith(_ACTIVE_TYPES):
        return "application/octet-stream"
    return mime_type


# ASCII digits, and few enough for int() (at most 4300 digits) and for any file size.
_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=a-b`` (one range) as half-open [start, end); None: the whole file."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None  # not a range we serve: the whole file (RFC 9110 allows ignoring it)
    first, last = match.groups()
    if first == "":  # the last N bytes
        return max(0, size - int(last)), size
    end = size if last == "" else min(size, int(last) + 1)
    return int(first), end


def _disposition(record: MediaRecord) -> str:
    name = record.file_name or f"{record.id}"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'")
    # A name may hold CR or LF (a WhatsApp user's document, an upload): a header cannot.
    ascii_name = "".join(c if c.isprintable() else "_" for c in ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# The file's own type is the Content-Type: any type, bytes.
_FILE = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
# What both downloads answer when the file is there (they serve it the same way: _serve).
_SERVED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file, with its own Content-Type.", "content": _FILE},
    206: {"description": "The requested byte range (Range: bytes=…).", "content": _FILE},
    302: {"description": "Redirect to a presigned URL valid for 5 minutes (S3 store)."},
}


@router.get(
    "/download/{mediaId}", operation_id="downloadMedia",
    summary="Download a file",
    response_class=Response,
    responses={
        **_SERVED,
        **error_responses({
            404: "not_found: no such file for this tenant (for an App key: that came in on "
                 "one of the App's numbers).",
            409: "conflict: still being fetched from WhatsApp; try again shortly.",
            410: "gone: expired, or WhatsApp could not provide it.",
            416: "range_not_satisfiable: the range is outside the file; Content-Range "
                 "names its size.",
        }),
    },
)  # fmt: skip
async def download(
    media_id: MediaId, request: Request, who: Annotated[Principal, Depends(tenant_or_app)]
) -> Response:
    """A received or uploaded file (`mediaId` from a webhook payload or an upload), for its
    owner only: another tenant's id is a 404 like an unknown one."""
    gateway = gateway_of(request)
    assert who.tenant is not None
    record = (
        await gateway.store.media.get(who.tenant.id, media_id) if is_media_id(media_id) else None
    )
    if record is not None and who.app_id is not None:  # an App: only its numbers' files
        if not await gateway.store.media.of_app(who.app_id, media_id):
            record = None
    return await _serve(media_id, record, request, gateway.blobs)


_LINK_ERRORS = {
    403: "forbidden: the link's signature is missing, or does not match its id and expiry.",
    404: "not_found: the link is ours, but no such file exists (any more).",
    410: "gone: the link has expired; or the file has (or WhatsApp could not provide it).",
    416: "range_not_satisfiable: the range is outside the file; Content-Range names its size.",
}


@router.get(
    "/file/{mediaId}", operation_id="downloadLinkedMedia",
    summary="Download a file by its signed link",
    response_class=Response,
    responses={
        **_SERVED,
        **error_responses(_LINK_ERRORS),
    },
)  # fmt: skip
async def fetch_linked(
    media_id: MediaId,
    request: Request,
    expires: Annotated[str | None, Query(description="Unix time the link ends.")] = None,
    signature: Annotated[str | None, Query(description="HMAC of the id and expiry.")] = None,
) -> Response:
    """The file a payload's link (`pipes.media.url`, `file.url`, `data.media.url`,
    `media_url`) points to, without an API key: the link's signature is the permission,
    for this file and until `expires`. Take links from payloads, never build them."""
    gateway = gateway_of(request)
    verdict = gateway.links.check(media_id, expires, signature, gateway.clock())
    if verdict is LinkCheck.FORGED:
        raise Forbidden("the link's signature does not match; use the link as delivered")
    if verdict is LinkCheck.EXPIRED:
        raise Gone(f"the link to media {media_id} has expired")
    record = await gateway.store.media.get_linked(media_id) if is_media_id(media_id) else None
    return await _serve(media_id, record, request, gateway.blobs)


async def _serve(
    media_id: str, record: MediaRecord | None, request: Request, blobs: BlobStore
) -> Response:
    """A file found for the request, with the headers every download of a user's file has."""
    if record is None:
        raise NotFound(f"no media {media_id}")
    if record.state == "pending":
        raise Conflict(f"media {media_id} is still being fetched from WhatsApp")
    if record.state == "unavailable":
        raise Gone(f"media {media_id} could not be fetched from WhatsApp: {record.reason}")
    if record.state == "purged" or record.blob_key is None:
        raise Gone(f"media {media_id} has expired")
    presigned = await blobs.presign(
        record.blob_key,
        PRESIGNED_URL_S,
        content_type=presigned_type(record.mime_type),
        file_name=record.file_name or record.id,
    )
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302)
    wanted = _range(request.headers.get("range"), record.byte_size)
    try:
        stream = await blobs.open(record.blob_key, *(wanted or (0, None)))
    except BlobRangeError:
        outside = f"the range is outside the file ({record.byte_size} bytes)"
        refused = error_response(416, "range_not_satisfiable", outside)
        refused.headers["Content-Range"] = f"bytes */{record.byte_size}"
        return refused
    headers = {
        "Content-Length": str(stream.length),
        "Content-Disposition": _disposition(record),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        **USER_FILE_HEADERS,
    }
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {stream.start}-{stream.end - 1}/{stream.size}"
    return StreamingResponse(
        stream, status_code=status, media_type=record.mime_type, headers=headers
    )
