"""The blob store interface: media bytes by key, streamed both ways, never whole in memory.

Backends: ``local.LocalBlobStore`` (a directory) and ``s3.S3BlobStore`` (S3-compatible object
storage); ``stores.open_blob_store`` picks one from ``WAHOOKS_MEDIA_URL``. The database keeps
what a blob is (type, name, owner, expiry); a store keeps only bytes under a key.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from wahooks.errors import NotFound, PayloadTooLarge, WahooksError

# Reads are served in pieces this large: big enough for few syscalls / round trips, small
# enough that many concurrent downloads stay cheap.
READ_CHUNK_BYTES = 256 * 1024
# Keys are paths of plain segments: no "." or ".." (no escaping the store's root), no
# leading dot (the local store keeps partial writes under dot-names), no empty segment.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 512


class BlobNotFound(NotFound):
    code = "blob_not_found"

    def __init__(self, key: str) -> None:
        super().__init__(f"no blob under key {key!r}")
        self.key = key


class BlobRangeError(WahooksError):
    """The requested byte range does not overlap the blob (the API answers 416)."""

    code = "range_not_satisfiable"

    def __init__(self, key: str, size: int, start: int, end: int | None) -> None:
        super().__init__(f"range [{start}, {end}) is not within the {size} bytes of {key!r}")
        self.key = key
        self.size = size


class BlobTooLarge(PayloadTooLarge):
    """A write went past its `max_bytes`; nothing was stored."""

    code = "blob_too_large"

    def __init__(self, key: str, limit: int) -> None:
        super().__init__(f"blob {key!r} is larger than the {limit}-byte limit")
        self.key = key
        self.limit = limit


class InvalidBlobKey(WahooksError):
    code = "invalid_blob_key"


def check_key(key: str) -> str:
    """`key` if it is a valid blob key, else InvalidBlobKey."""
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidBlobKey(f"invalid blob key {key!r}")
    return key


def check_range(key: str, size: int, start: int, end: int | None) -> tuple[int, int]:
    """The half-open range [start, end) to read from a blob of `size` bytes.

    `end` None or past the blob means "to the end" (as an HTTP range's last byte may be).
    The range must hold at least one byte, except the whole (start 0, end None) of an
    empty blob.
    """
    stop = size if end is None else min(end, size)
    whole = start == 0 and end is None
    if start < 0 or (end is not None and end <= start) or (start >= stop and not whole):
        raise BlobRangeError(key, size, start, end)
    return start, stop


@dataclass(frozen=True, slots=True)
class WrittenBlob:
    """What a write stored: byte count and the sha256 (lowercase hex) of exactly those bytes."""

    key: str
    size: int
    sha256: str


class BlobStream:
    """Bytes [start, end) of one blob of `size` bytes, as an async iterator of chunks.

    The blob was found and the range checked before this exists, so an API can answer
    404/416 first and stream after. Iterate it once; it closes itself at the end, on error
    or cancellation, or via ``aclose()`` / ``async with``.
    """

    def __init__(
        self,
        *,
        size: int,
        start: int,
        end: int,
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.size = size
        self.start = start
        self.end = end
        self._chunks = chunks
        self._close = close
        self._closed = False

    @property
    def length(self) -> int:
        return self.end - self.start

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """Everything at once: for tests and small blobs only."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class BlobStore(Protocol):
    """Bytes by key. Every method raises InvalidBlobKey for a malformed key."""

    async def write(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> WrittenBlob:
        """Store the stream under `key`, replacing any blob there, all or nothing.

        A failing or oversized stream (BlobTooLarge past `max_bytes`) leaves no blob behind
        (and an existing one untouched). `content_type` is a hint for stores that serve
        bytes themselves (S3 presigned URLs).
        """
        ...

    async def open(self, key: str, start: int = 0, end: int | None = None) -> BlobStream:
        """The bytes [start, end) (see check_range); BlobNotFound, BlobRangeError."""
        ...

    async def size(self, key: str) -> int:
        """The blob's size in bytes; BlobNotFound."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error (purges may run twice)."""
        ...

    async def presign(
        self,
        key: str,
        expires_s: int,
        *,
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str | None:
        """A URL anyone may GET the blob from for `expires_s` seconds, or None if this store
        cannot make one (then serve the bytes through ``open``). It does not check the key
        exists. `content_type` / `file_name` set the response's Content-Type and
        Content-Disposition where the store supports it."""
        ...

    async def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...
