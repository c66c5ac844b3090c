"""Caps for one download: bytes read and total time, whatever the server declares or does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from wahooks.errors import PayloadTooLarge

CHUNK_BYTES = 256 * 1024
# A host that accepts no connection within this long is not going to send a file.
CONNECT_TIMEOUT_S = 10.0


class DownloadTooLarge(PayloadTooLarge):
    """The body is (or says it will be) larger than the cap; reading stopped there."""

    code = "download_too_large"

    def __init__(self, limit: int, declared: int | None = None) -> None:
        said = f" (it declares {declared} bytes)" if declared is not None else ""
        super().__init__(f"download is larger than the {limit}-byte limit{said}")
        self.limit = limit
        self.declared = declared


class DownloadStalled(TimeoutError):
    """The body stopped coming, or trickles: less than ``STALL_MIN_BYTES`` in ``stall_s``."""


STALL_MIN_BYTES = 1024


@dataclass(frozen=True, slots=True)
class DownloadCaps:
    """The most one download may take: `max_bytes` of body within `total_s` seconds.

    Pass ``caps.timeout()`` as the request's ``timeout=``: aiohttp's total timeout covers
    connecting, every redirect hop and reading the body, so a slow-drip server is cut off.
    Read the body only through ``caps.chunks(response)``.
    """

    max_bytes: int
    total_s: float
    # None: only the total time bounds the body (the caller's own short caps).
    stall_s: float | None = None

    def timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.total_s,
            sock_connect=min(CONNECT_TIMEOUT_S, self.total_s),
            # Nothing at all for this long: stalled (a trickle is caught in chunks()).
            sock_read=self.stall_s,
        )

    async def chunks(
        self, response: aiohttp.ClientResponse, chunk_bytes: int = CHUNK_BYTES
    ) -> AsyncIterator[bytes]:
        """The body, chunk by chunk; DownloadTooLarge as soon as it exceeds `max_bytes`.

        A Content-Length over the cap is refused before any byte is read; a body longer than
        declared, or undeclared (chunked), is counted as it arrives.
        """
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise DownloadTooLarge(self.max_bytes, declared)
        seen = 0
        loop = asyncio.get_running_loop()
        window_start, window_bytes = loop.time(), 0
        async for chunk in response.content.iter_chunked(chunk_bytes):
            seen += len(chunk)
            if seen > self.max_bytes:
                raise DownloadTooLarge(self.max_bytes, declared)
            if self.stall_s is not None:
                window_bytes += len(chunk)
                now = loop.time()
                if now - window_start >= self.stall_s:
                    if window_bytes < STALL_MIN_BYTES:
                        raise DownloadStalled(
                            f"download stalled: {window_bytes} bytes in the last "
                            f"{now - window_start:.0f} s"
                        )
                    window_start, window_bytes = now, 0
            yield chunk
