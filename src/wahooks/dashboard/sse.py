"""Live updates over server-sent events: a stream of HTML fragments the page swaps in.

A page marks a live region with ``data-stream="<url>"`` on an element holding children with
ids; ``static/dashboard.js`` opens an EventSource on the URL and, for every ``fragments``
event, replaces the inner HTML of each element whose id the event names. The server renders
the HTML (escaped by the templates), so the script stays a few lines and no JSON shapes
are shared between Python and JavaScript.

A stream ends after ``WAHOOKS_DASHBOARD_STREAM_S`` and the browser reopens it (``retry``):
an open page never holds up a shutdown for long, and a revoked key's session is checked
again at each reopening.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import StreamingResponse

from wahooks.gateway import gateway_of

EVENT = "fragments"
RETRY_MS = 1000  # how soon the browser reopens an ended stream

Fragments = dict[str, str]  # element id -> its new inner HTML


def encode(fragments: Fragments) -> bytes:
    """One SSE message (JSON has no raw newlines, so it is one ``data:`` line)."""
    return b"event: " + EVENT.encode() + b"\ndata: " + orjson.dumps(fragments) + b"\n\n"


def fragment_stream(
    request: Request, produce: Callable[[], Awaitable[Fragments]]
) -> StreamingResponse:
    """Every ``WAHOOKS_DASHBOARD_REFRESH_S``, ``produce``'s fragments, while the page is open
    (up to ``WAHOOKS_DASHBOARD_STREAM_S``)."""
    settings = gateway_of(request).settings
    loop = asyncio.get_running_loop()

    async def events() -> AsyncIterator[bytes]:
        yield f"retry: {RETRY_MS}\n\n".encode()
        ends = loop.time() + settings.dashboard_stream_s
        while True:
            yield encode(await produce())
            if loop.time() + settings.dashboard_refresh_s >= ends:
                return
            await asyncio.sleep(settings.dashboard_refresh_s)

    # Starlette stops the generator when the browser goes away (it listens for disconnect).
    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
