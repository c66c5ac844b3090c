"""Run an ASGI app with uvicorn inside the current event loop (demo, tests, benchmarks)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from starlette.types import ASGIApp


@contextlib.asynccontextmanager
async def serve_in_background(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ws_ping_interval: float = 20.0,
    ws_ping_timeout: float = 20.0,
    ws_per_message_deflate: bool = False,
    ws_max_size: int = 16 * 1024 * 1024,
    http_protocol: type[asyncio.Protocol] | None = None,
) -> AsyncIterator[str]:
    """Start ``app`` on ``host:port`` (0 = a free port), yield its base URL, stop on exit."""
    config = uvicorn.Config(
        app, host=host, port=port, lifespan="on", log_level="warning", access_log=False,
        log_config=None, ws_ping_interval=ws_ping_interval, ws_ping_timeout=ws_ping_timeout,
        ws_per_message_deflate=ws_per_message_deflate, ws_max_size=ws_max_size,
        http=http_protocol or "auto",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise why it could not start
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task
