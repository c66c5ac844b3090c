"""Download one inbound file from the Graph API into the blob store, streamed and verified.

As Meta documents it: ``GET {graph base}/{media-id}`` with the number's Bearer token gives
``{url, mime_type, sha256, file_size}``; ``GET url`` with the same token gives the bytes
(the URL lives about 5 minutes). The bytes go straight into the blob store while their
sha256 is computed; the hash must match Meta's and the size the announced one, or the blob
is deleted and the file reported unavailable. Transient failures (network, timeouts, 5xx,
429) are retried with exponential backoff, each try starting over with fresh metadata (the
old URL may have expired meanwhile); a 4xx is final at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from wahooks.config import Settings
from wahooks.media.blobs import BlobStore
from wahooks.media.capped import DownloadCaps, DownloadTooLarge
from wahooks.media.durations import Ends, duration_s
from wahooks.media.guard import ForbiddenAddress
from wahooks.media.limits import MAX_MEDIA_BYTES
from wahooks.retry import Rand, exponential, honour_retry_after, parse_retry_after, spread

log = logging.getLogger(__name__)

# Graph media ids are numeric; allow a little more, never a path.
_GRAPH_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
# The metadata answer is a few hundred bytes; more is not Graph.
_METADATA_MAX_BYTES = 64 * 1024
_METADATA_TIMEOUT_S = 30.0
_RETRY_AFTER_MAX_S = 60.0


@dataclass(frozen=True, slots=True)
class GraphMedia:
    """A media object as the webhook names it (image, audio, video, document or sticker)."""

    media_id: str
    mime_type: str | None = None
    # As the webhook gives it: base64 of the digest (hex is accepted too).
    sha256: str | None = None
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """The file is in the blob store under `key`: exactly `byte_size` bytes, sha256 checked."""

    key: str
    sha256: str  # lowercase hex
    byte_size: int
    mime_type: str
    file_name: str | None
    duration_s: int | None = None  # an audio's or video's length, when it could be read


@dataclass(frozen=True, slots=True)
class UnavailableMedia:
    """The file could not be had; nothing is stored. `code` is stable, `reason` for people.

    Codes: not_found, url_expired, graph_refused, sha256_mismatch, size_mismatch,
    too_large, forbidden_address, invalid_media_id, invalid_metadata, unreachable.
    """

    code: str
    reason: str


FetchResult = FetchedMedia | UnavailableMedia


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    # Per try, for the download: connecting, redirects and the whole body.
    timeout_s: float = 300.0
    max_bytes: int = MAX_MEDIA_BYTES
    stall_s: float = 15.0  # less than 1 KiB in this long: the try is abandoned

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            attempts=settings.media_fetch_attempts,
            backoff_s=settings.media_fetch_backoff_s,
            timeout_s=settings.media_fetch_timeout_s,
            stall_s=settings.media_stall_timeout_s,
        )

    def delay(
        self, attempt: int, retry_after: float | None = None, rand: Rand = random.random
    ) -> float:
        """Seconds before try `attempt + 1` (attempt counts from 1), +/-20% jitter."""
        base = exponential(self.backoff_s, attempt, self.max_backoff_s)
        return spread(honour_retry_after(base, retry_after, _RETRY_AFTER_MAX_S), 0.2, rand)


class _Unavailable(Exception):
    """Final: stop trying and report `result`."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.result = UnavailableMedia(code, reason)


class _Transient(Exception):
    """Worth another try, after `retry_after` seconds if the server said so."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def decode_sha256(text: str) -> bytes | None:
    """The 32-byte digest from Meta's base64 (webhooks, Graph) or hex form, else None."""
    text = text.strip()
    if _HEX_SHA256.fullmatch(text):
        return bytes.fromhex(text)
    try:
        digest = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:
            digest = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
    return digest if len(digest) == 32 else None


def _graph_message(body: bytes) -> str:
    try:
        error = orjson.loads(body).get("error", {})
        return f"{error.get('message', '')} (code {error.get('code')})".strip()
    except (orjson.JSONDecodeError, AttributeError):
        return body[:200].decode("utf-8", "replace")


class MediaFetcher:
    """Fetches inbound media with one HTTP session (SSRF-guarded: base URLs are tenants')."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        store: BlobStore,
        policy: FetchPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._store = store
        self.policy = policy or FetchPolicy()
        self._sleep = sleep

    async def fetch(
        self, graph_base_url: str, access_token: str, media: GraphMedia, key: str
    ) -> FetchResult:
        """Store `media` under blob `key`, or say why it is unavailable.

        `graph_base_url` is the number's, version included (``https://graph.facebook.com/v21.0``).
        Whatever the network or Meta does ends in a result; only a failing blob store raises
        (the media job should then be retried later), and cancellation propagates.
        """
        if not _GRAPH_ID.fullmatch(media.media_id):
            return UnavailableMedia("invalid_media_id", f"not a Graph media id: {media.media_id!r}")
        expected = None
        if media.sha256 is not None:
            expected = decode_sha256(media.sha256)
            if expected is None:
                return UnavailableMedia(
                    "sha256_mismatch", f"the webhook's sha256 {media.sha256!r} is not a digest"
                )
        headers = {"Authorization": f"Bearer {access_token}"}
        last = "no attempt made"
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return await self._try(graph_base_url, headers, media, expected, key)
            except _Unavailable as final:
                log.warning("media %s unavailable: %s", media.media_id, final.result.reason)
                return final.result
            except _Transient as transient:
                last = transient.reason
                if attempt < self.policy.attempts:
                    delay = self.policy.delay(attempt, transient.retry_after)
                    log.info(
                        "media %s: try %d failed (%s); again in %.1f s",
                        media.media_id,
                        attempt,
                        last,
                        delay,
                    )
                    await self._sleep(delay)
        log.warning("media %s unavailable after %d tries: %s", media.media_id, attempt, last)
        return UnavailableMedia(
            "unreachable", f"gave up after {self.policy.attempts} tries: {last}"
        )

    async def _try(
        self,
        base_url: str,
        headers: dict[str, str],
        media: GraphMedia,
        expected: bytes | None,
        key: str,
    ) -> FetchedMedia:
        try:
            meta = await self._metadata(base_url, headers, media.media_id)
            return await self._download(meta, headers, media, expected, key)
        except ForbiddenAddress as exc:
            raise _Unavailable("forbidden_address", str(exc)) from exc
        except DownloadTooLarge as exc:
            raise _Unavailable("too_large", str(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc

    async def _metadata(
        self, base_url: str, headers: dict[str, str], media_id: str
    ) -> dict[str, Any]:
        url = URL(base_url.rstrip("/")) / media_id
        timeout = aiohttp.ClientTimeout(total=min(_METADATA_TIMEOUT_S, self.policy.timeout_s))
        caps = DownloadCaps(_METADATA_MAX_BYTES, _METADATA_TIMEOUT_S)
        async with self._session.get(url, headers=headers, timeout=timeout) as response:
            body = b"".join([chunk async for chunk in caps.chunks(response)])
            self._judge_status(response, body, "metadata", not_found="not_found")
        try:
            meta = orjson.loads(body)
        except orjson.JSONDecodeError:
            meta = None
        if not isinstance(meta, dict) or not isinstance(meta.get("url"), str):
            raise _Unavailable("invalid_metadata", "Graph's media metadata has no download URL")
        scheme = URL(meta["url"]).scheme
        if scheme not in ("http", "https"):
            raise _Unavailable("invalid_metadata", f"download URL scheme {scheme!r}")
        return meta

    @staticmethod
    def _judge_status(
        response: aiohttp.ClientResponse, body: bytes, what: str, *, not_found: str
    ) -> None:
        status = response.status
        if status == 200:
            return
        detail = f"{what}: HTTP {status} {_graph_message(body)}".rstrip()
        if status >= 500 or status in (408, 429):
            retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
            raise _Transient(detail, retry_after)
        if status in (404, 410) or (what == "download" and status == 403):
            raise _Unavailable(not_found, detail)
        raise _Unavailable("graph_refused", detail)

    async def _download(
        self,
        meta: dict[str, Any],
        headers: dict[str, str],
        media: GraphMedia,
        expected: bytes | None,
        key: str,
    ) -> FetchedMedia:
        announced = meta.get("file_size")
        size = announced if isinstance(announced, int) and announced >= 0 else None
        if size is not None and size > self.policy.max_bytes:
            raise DownloadTooLarge(self.policy.max_bytes, size)
        meta_sha = meta.get("sha256")
        meta_digest = decode_sha256(meta_sha) if isinstance(meta_sha, str) else None
        if isinstance(meta_sha, str) and meta_digest is None:
            raise _Unavailable("sha256_mismatch", f"Graph's sha256 {meta_sha!r} is not a digest")
        # The webhook's hash is what the customer's message said; Graph's must agree with it.
        if expected is not None and meta_digest is not None and expected != meta_digest:
            raise _Unavailable("sha256_mismatch", "the webhook's and Graph's sha256 differ")
        want = expected or meta_digest
        mime_type = media.mime_type or _text(meta.get("mime_type"))
        # A body longer than Graph announced is wrong already: stop reading at the first
        # byte past it instead of downloading up to the gateway's own limit.
        limit = self.policy.max_bytes if size is None else size
        caps = DownloadCaps(limit, self.policy.timeout_s, self.policy.stall_s)
        async with self._session.get(
            meta["url"], headers=headers, timeout=caps.timeout()
        ) as response:
            if response.status != 200:
                body = await response.content.read(4096)
                self._judge_status(response, body, "download", not_found="url_expired")
            mime_type = mime_type or response.content_type or "application/octet-stream"
            ends = Ends()  # the file's first and last bytes, where its length is written
            try:
                written = await self._store.write(
                    key, ends.through(caps.chunks(response)), content_type=mime_type
                )
            except DownloadTooLarge:
                if size is None:
                    raise
                raise _Unavailable(
                    "size_mismatch", f"more than the {size} bytes Graph announced"
                ) from None
        problem = None
        if size is not None and written.size != size:
            problem = ("size_mismatch", f"got {written.size} bytes; Graph announced {size}")
        elif want is not None and bytes.fromhex(written.sha256) != want:
            problem = ("sha256_mismatch", f"the file's sha256 is {written.sha256}, not Meta's")
        if problem is not None:
            await self._store.delete(key)
            raise _Unavailable(*problem)
        return FetchedMedia(
            key=key,
            sha256=written.sha256,
            byte_size=written.size,
            mime_type=mime_type,
            file_name=media.file_name,
            duration_s=duration_s(ends.head, ends.tail, mime_type),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
