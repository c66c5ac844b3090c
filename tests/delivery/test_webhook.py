"""One webhook attempt (WebhookSender) against a real aiohttp server that answers in ways the
sample receiver cannot: a body streamed in pieces."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from wahooks.delivery.webhook import PreparedRequest, WebhookSender, excerpt_text
from wahooks.models import AttemptResult, DeliveryId

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Serve = Callable[[Handler], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return f"http://127.0.0.1:{port}/hook"

    yield start
    for runner in runners:
        await runner.cleanup()


async def attempt(url: str, excerpt_bytes: int = 4096, timeout_s: float = 5) -> AttemptResult:
    async with aiohttp.ClientSession() as session:
        sender = WebhookSender(session, excerpt_bytes=excerpt_bytes)
        request = PreparedRequest(url, b"{}", {"Content-Type": "application/json"}, timeout_s)
        return await sender.send(DeliveryId("dlv_test"), request)


async def test_a_body_streamed_in_pieces_still_fills_the_excerpt(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(status=200)
        await response.prepare(request)
        await response.write(b"a" * 10)
        await asyncio.sleep(0.05)
        await response.write(b"b" * 300)
        await asyncio.sleep(0.05)
        await response.write(b"c" * 10_000)
        await response.write_eof()
        return response

    result = await attempt(await serve(handler))
    assert result.succeeded and result.status_code == 200
    assert result.response_excerpt == "a" * 10 + "b" * 300 + "c" * (4096 - 310)


async def test_a_short_body_is_kept_whole(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(status=201, body=b'{"received": true}')

    result = await attempt(await serve(handler))
    assert result.succeeded and result.status_code == 201
    assert result.response_excerpt == '{"received": true}'
    assert result.latency_ms > 0


async def test_excerpt_size_is_configurable(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(status=500, body=b"e" * 1000)

    url = await serve(handler)
    assert (await attempt(url, excerpt_bytes=16)).response_excerpt == "e" * 16
    result = await attempt(url, excerpt_bytes=0)
    assert result.response_excerpt == ""
    assert result.error == "status_5xx" and result.status_code == 500


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        (b"plain", 4096, "plain"),
        (b"nul\x00inside", 4096, "nul\ufffdinside"),
        (b"bad \xff\xfe utf8", 4096, "bad \ufffd\ufffd utf8"),
        ("€€".encode() + b"\xe2\x82", 4096, "€€\ufffd"),  # a body cut mid-character
        ("€€€".encode(), 7, "€€"),  # never over the limit in UTF-8 bytes
        (b"\xff" * 10, 7, "\ufffd\ufffd"),
    ],
)
def test_excerpt_text(raw: bytes, limit: int, expected: str) -> None:
    text = excerpt_text(raw, limit)
    assert text == expected
    assert len(text.encode()) <= limit
    assert "\x00" not in text
