"""A request that trickles in is answered 408 and closed: headers and body each get a limit."""

import asyncio
import time
from urllib.parse import urlsplit

from tests.conftest import running_gateway

LIMIT_S = 0.5


async def _open(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    return await asyncio.open_connection(parts.hostname, parts.port)


async def _answer_and_close(reader: asyncio.StreamReader, trickle: asyncio.StreamWriter) -> bytes:
    """Keep trickling a byte every 0.1 s until the server answers and closes."""
    chunks: list[bytes] = []
    async with asyncio.timeout(10):
        while True:
            try:
                data = await asyncio.wait_for(reader.read(4096), 0.1)
            except TimeoutError:
                trickle.write(b"x")
                continue
            if not data:
                return b"".join(chunks)
            chunks.append(data)


async def test_trickled_headers_and_bodies_are_cut_off(database_url: str) -> None:
    settings = {"http_header_timeout_s": LIMIT_S, "http_body_timeout_s": LIMIT_S}
    async with running_gateway(database_url, **settings) as gateway:
        # Headers that never end.
        reader, writer = await _open(gateway.url)
        writer.write(b"POST /ingress/meta HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        started = time.monotonic()
        answer = await _answer_and_close(reader, writer)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"request_timeout"' in answer and b"headers" in answer
        assert time.monotonic() - started < 5
        writer.close()
        # A body that never ends.
        reader, writer = await _open(gateway.url)
        writer.write(
            b"POST /ingress/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n{"
        )
        answer = await _answer_and_close(reader, writer)
        assert b"408" in answer.split(b"\r\n", 1)[0] and b"body" in answer, answer
        writer.close()
        # A request that comes in time is served.
        async with gateway.http.get(gateway.url + "/health") as response:
            assert response.status == 200
