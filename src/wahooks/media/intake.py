"""Files a tenant gives us to send: into the blob store as media of their own, or looked up.

Every outbound file goes through the blob store first, whatever its source (an upload,
base64, a URL): the Graph API upload can then be retried from the stored copy, it has a
known length, and the tenant gets a media id it can send again within the TTL.
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
from collections.abc import AsyncIterable
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from wahooks.errors import (
    Conflict,
    Gone,
    InvalidRequest,
    NotFound,
    UpstreamError,
    WahooksError,
)
from wahooks.media.blobs import BlobStore, BlobTooLarge
from wahooks.media.capped import DownloadCaps, DownloadTooLarge
from wahooks.media.ids import is_media_id, new_media_id
from wahooks.media.kinds import base_mime, message_type
from wahooks.media.limits import MediaTooLarge, size_limit
from wahooks.media.sources import check_https_url
from wahooks.models import Clock, MediaRecord
from wahooks.store import Store

OCTET_STREAM = "application/octet-stream"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def guess_mime(name: str | None) -> str | None:
    """A MIME type from a file name's or URL path's extension, if it has a known one."""
    if not name:
        return None
    return mimetypes.guess_type(name, strict=False)[0]


def upload_limit(mime_type: str) -> int:
    """The most bytes worth taking in for a file of this type (stickers: the animated limit,
    since whether it is animated is only known from its bytes)."""
    kind = message_type(mime_type)
    return size_limit(kind, animated=kind == "sticker")


class MediaIntake:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        session: aiohttp.ClientSession,
        *,
        url_timeout_s: float,
        clock: Clock,
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._session = session
        self._url_timeout_s = url_timeout_s
        self._clock = clock

    async def save(
        self,
        tenant_id: str,
        chunks: AsyncIterable[bytes],
        *,
        mime_type: str,
        file_name: str | None,
        number_id: str | None = None,
    ) -> MediaRecord:
        """Stream `chunks` into the blob store as a new ready media object of the tenant.

        Refused with MediaTooLarge (413) past the size limit of the file's message type;
        nothing is kept then.
        """
        media_id = new_media_id()
        key = f"{tenant_id}/{media_id}"
        kind = message_type(mime_type)
        limit = upload_limit(mime_type)
        try:
            written = await self._blobs.write(key, chunks, content_type=mime_type, max_bytes=limit)
        except (BlobTooLarge, DownloadTooLarge) as exc:
            declared = exc.declared if isinstance(exc, DownloadTooLarge) else None
            raise MediaTooLarge(kind, declared, limit, animated=kind == "sticker") from None
        now = self._clock()
        record = MediaRecord(
            id=media_id,
            tenant_id=tenant_id,
            kind=kind,
            state="ready",
            reason=None,
            blob_key=key,
            mime_type=mime_type,
            file_name=file_name,
            byte_size=written.size,
            expires_at=now + self._store.media_ttl_s,
            created_at=now,
        )
        sha256 = base64.b64encode(bytes.fromhex(written.sha256)).decode()
        try:
            await self._store.media.add(record, sha256=sha256, number_id=number_id)
        except BaseException:
            await asyncio.shield(self._blobs.delete(key))
            raise
        return record

    async def discard(self, record: MediaRecord) -> None:
        """Remove a file just saved that is not wanted after all (its row says purged)."""
        if record.blob_key is not None:
            await self._blobs.delete(record.blob_key)
        await self._store.media.mark_purged(record.id)

    async def stored(self, tenant_id: str, media_id: str) -> MediaRecord:
        """The tenant's ready file `media_id`: 404 if not theirs (or no such id), 409 while
        it is still being fetched from WhatsApp, 410 once expired or unavailable."""
        record = await self._store.media.get(tenant_id, media_id) if is_media_id(media_id) else None
        if record is None:
            raise NotFound(f"no media {media_id}")
        if record.state == "pending":
            raise Conflict(f"media {media_id} is still being fetched from WhatsApp")
        if record.state == "unavailable":
            raise Gone(f"media {media_id} could not be fetched from WhatsApp: {record.reason}")
        if record.state != "ready" or record.blob_key is None or record.expires_at <= self._clock():
            raise Gone(f"media {media_id} has expired")
        return record

    async def fetch_url(
        self,
        tenant_id: str,
        url: str,
        *,
        mime_type: str | None,
        file_name: str | None,
        number_id: str | None = None,
    ) -> MediaRecord:
        """Download an https URL into a new media object, through the SSRF-guarded session.

        Redirects are followed by hand, at most 5, each to https only (the guard vets
        every connection's address). The whole fetch, body included, must finish within
        ``url_timeout_s``; the body is capped at the type's size limit.
        """
        caps = DownloadCaps(upload_limit(mime_type or OCTET_STREAM), self._url_timeout_s)
        current = check_https_url(url)
        try:
            async with asyncio.timeout(self._url_timeout_s):
                for _ in range(MAX_REDIRECTS + 1):
                    async with self._session.get(
                        current, allow_redirects=False, timeout=caps.timeout()
                    ) as response:
                        if response.status in _REDIRECTS:
                            current = self._next_hop(response)
                            continue
                        if response.status != 200:
                            raise InvalidRequest(
                                f"media: {url} answered HTTP {response.status}",
                                code="media_url_failed",
                            )
                        mime = mime_type or self._served_type(response, current)
                        caps = DownloadCaps(upload_limit(mime), self._url_timeout_s)
                        return await self.save(
                            tenant_id,
                            caps.chunks(response),
                            mime_type=mime,
                            file_name=file_name or _url_file_name(current),
                            number_id=number_id,
                        )
        except WahooksError:  # ours, and the guard's ForbiddenAddress: as they are
            raise
        except TimeoutError:
            raise UpstreamError(
                f"media: {url} did not send the file within {self._url_timeout_s:g} s",
                code="media_url_failed",
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(
                f"media: could not fetch {url}: {type(exc).__name__}: {exc}".rstrip(": "),
                code="media_url_failed",
            ) from None
        raise InvalidRequest(
            f"media: {url} redirected more than {MAX_REDIRECTS} times", code="media_url_failed"
        )

    @staticmethod
    def _next_hop(response: aiohttp.ClientResponse) -> str:
        location = response.headers.get("Location")
        if not location:
            raise InvalidRequest(
                f"media: {response.url} redirected without a Location", code="media_url_failed"
            )
        return check_https_url(str(response.url.join(URL(location))))

    @staticmethod
    def _served_type(response: aiohttp.ClientResponse, url: str) -> str:
        """The server's Content-Type, unless it is missing or generic: then the path's."""
        served = response.headers.get("Content-Type", "")
        if served and base_mime(served) != OCTET_STREAM:
            return served.strip()
        return guess_mime(urlsplit(url).path) or OCTET_STREAM


def _url_file_name(url: str) -> str | None:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name or None
