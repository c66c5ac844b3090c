"""Download caps against real servers: declared and undeclared oversize bodies, slow drips."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from wahooks.api.errors import status_of
from wahooks.media.addresses import AddressPolicy
from wahooks.media.capped import DownloadCaps, DownloadTooLarge
from wahooks.media.guard import guarded_session

from .helpers import Handler, counting_server

POLICY = AddressPolicy.allowing(["127.0.0.1/32"])


async def declared(target: str, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n")
    writer.write(b"x" * 1000)


async def chunked(target: str, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    for _ in range(10):
        writer.write(b"64\r\n" + b"y" * 100 + b"\r\n")
    writer.write(b"0\r\n\r\n")


async def drip(target: str, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n")
    for _ in range(100):
        writer.write(b"z")
        await writer.drain()
        await asyncio.sleep(0.05)


async def read_all(url: str, caps: DownloadCaps) -> bytes:
    async with (
        guarded_session(POLICY) as session,
        session.get(url, timeout=caps.timeout()) as response,
    ):
        return b"".join([chunk async for chunk in caps.chunks(response, chunk_bytes=64)])


@pytest.mark.parametrize("handler", [declared, chunked])
async def test_body_within_the_cap_is_read(handler: Handler) -> None:
    async with counting_server("127.0.0.1", handler) as server:
        body = await read_all(server.url, DownloadCaps(max_bytes=1000, total_s=5))
    assert len(body) == 1000


async def test_declared_oversize_is_refused_before_reading() -> None:
    async with counting_server("127.0.0.1", declared) as server:
        with pytest.raises(DownloadTooLarge) as refused:
            await read_all(server.url, DownloadCaps(max_bytes=999, total_s=5))
    assert (refused.value.limit, refused.value.declared) == (999, 1000)
    assert status_of(refused.value) == 413


async def test_undeclared_oversize_is_cut_off_at_the_cap() -> None:
    got: list[bytes] = []
    caps = DownloadCaps(max_bytes=950, total_s=5)
    async with counting_server("127.0.0.1", chunked) as server:
        async with guarded_session(POLICY) as session, session.get(server.url) as response:
            with pytest.raises(DownloadTooLarge):
                async for chunk in caps.chunks(response, chunk_bytes=100):
                    got.append(chunk)
    assert sum(map(len, got)) <= 950


async def test_total_time_covers_the_body() -> None:
    # Headers arrive at once; the body would take 5 s. The cap is 0.5 s in all.
    started = time.monotonic()
    async with counting_server("127.0.0.1", drip) as server:
        with pytest.raises(TimeoutError):
            await read_all(server.url, DownloadCaps(max_bytes=1000, total_s=0.5))
    assert time.monotonic() - started < 2.5


async def test_timeout_has_a_connect_part() -> None:
    timeout = DownloadCaps(max_bytes=1, total_s=300).timeout()
    assert (timeout.total, timeout.sock_connect) == (300, 10)
    assert isinstance(timeout, aiohttp.ClientTimeout)
