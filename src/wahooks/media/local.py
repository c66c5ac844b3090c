"""Blob store in a local directory (the default, ``file://./data/media``).

Writes go to a partial file under ``.partial/`` in the root, are fsynced, then renamed onto
the key's path: a reader sees the old blob or the whole new one, and a crash leaves at most
a stray partial file (removed by ``remove_partials``), never a half-written blob. File I/O
runs in worker threads so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from wahooks.files import open_private, private_dir
from wahooks.media.blobs import (
    READ_CHUNK_BYTES,
    BlobNotFound,
    BlobStream,
    BlobTooLarge,
    WrittenBlob,
    check_key,
    check_range,
)

PARTIAL_DIR = ".partial"


def path_from_url(media_url: str) -> Path:
    """``file://./data/media`` -> ``./data/media``; ``file:///srv/media`` -> ``/srv/media``."""
    if not media_url.startswith("file://"):
        raise ValueError(f"not a file:// URL: {media_url!r}")
    rest = media_url.removeprefix("file://")
    if not rest:
        raise ValueError("file:// URL without a path")
    return Path(rest)


def _create_private(path: Path) -> BinaryIO:
    return os.fdopen(open_private(path), "wb")


class LocalBlobStore:
    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        # fsync=False only for throwaway stores (tests, benchmarks on tmpfs).
        self.root = root
        self._partials = root / PARTIAL_DIR
        self._fsync = fsync
        private_dir(self._partials)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def write(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> WrittenBlob:
        final = self.path(key)
        partial = self._partials / f"{secrets.token_hex(12)}"
        digest = hashlib.sha256()
        size = 0
        file: BinaryIO = await asyncio.to_thread(_create_private, partial)
        try:
            try:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(key, max_bytes)
                    digest.update(chunk)
                    await asyncio.to_thread(file.write, chunk)
                await asyncio.to_thread(self._finish, file)
            finally:
                await asyncio.to_thread(file.close)
            await asyncio.to_thread(self._publish, partial, final)
        except BaseException:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise
        return WrittenBlob(key=key, size=size, sha256=digest.hexdigest())

    def _finish(self, file: BinaryIO) -> None:
        file.flush()
        if self._fsync:
            os.fsync(file.fileno())

    def _publish(self, partial: Path, final: Path) -> None:
        private_dir(final.parent)
        os.replace(partial, final)
        if self._fsync:
            # The rename itself is durable only once its directory is synced.
            fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    async def open(self, key: str, start: int = 0, end: int | None = None) -> BlobStream:
        path = self.path(key)
        try:
            file: BinaryIO = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        try:
            size = os.fstat(file.fileno()).st_size
            first, stop = check_range(key, size, start, end)
            if first:
                file.seek(first)
        except BaseException:
            file.close()
            raise

        async def chunks() -> AsyncIterator[bytes]:
            left = stop - first
            while left > 0:
                chunk = await asyncio.to_thread(file.read, min(READ_CHUNK_BYTES, left))
                if not chunk:  # the file shrank under us; it cannot, but never spin
                    break
                left -= len(chunk)
                yield chunk

        async def close() -> None:
            file.close()

        return BlobStream(size=size, start=first, end=stop, chunks=chunks(), close=close)

    async def size(self, key: str) -> int:
        path = self.path(key)
        try:
            stat = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        if not path.is_file():
            raise BlobNotFound(key)
        return stat.st_size

    async def delete(self, key: str) -> None:
        path = self.path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            await asyncio.to_thread(path.unlink)

    async def presign(
        self,
        key: str,
        expires_s: int,
        *,
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str | None:
        check_key(key)
        return None  # the gateway serves local bytes itself

    async def remove_partials(self, older_than_s: float = 3600) -> int:
        """Delete partial files a crash left behind; how many. Fresh ones may be in use."""

        def sweep() -> int:
            cutoff = time.time() - older_than_s
            removed = 0
            for partial in self._partials.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if partial.stat().st_mtime < cutoff:
                        partial.unlink()
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    async def close(self) -> None:
        pass
