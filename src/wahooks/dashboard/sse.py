"""Live updates over server-sent events: a stream of HTML fragments the page swaps in.

A page marks a live region with ``data-stream="<url>"`` on an element holding children with
ids; ``static/dashboard.js`` opens an EventSource on the URL and, for every ``fragments``
event, replaces the inner HTML of each element whose id the event names. The server renders
the HTML (escaped by the templates), so the script stays a few lines and no JSON shapes
are shared between Python and JavaScript.

A stream ends after ``WAHOOKS_DASHBOARD_STREAM_S`` and the browser reopens it (``retry``):
an open page never holds up a shutdown for long. A producer checks the session again on
every push; when it is gone (the key revoked, the session expired) the stream ends, and
reopening it answers 204, which tells the browser not to try again: the script then
reloads the page, which leads to the sign-in form.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from wahooks.dashboard.sessions import Session, SignInRequired, current_session
from wahooks.errors import WahooksError
from wahooks.gateway import gateway_of

EVENT = "fragments"
RETRY_MS = 1000  # how soon the browser reopens an ended stream

Fragments = dict[str, str]  # element id -> its new inner HTML


def encode(fragments: Fragments) -> bytes:
    """One SSE message (JSON has no raw newlines, so it is one ``data:`` line)."""
    return b"event: " + EVENT.encode() + b"\ndata: " + orjson.dumps(fragments) + b"\n\n"


async def stream_session(request: Request) -> Session | None:
    """The session of a stream's request; None (answer ``no_more()``) when signed out."""
    try:
        return await current_session(request)
    except SignInRequired:
        return None


def no_more() -> Response:
    """What a stream answers once its session is gone: 204 stops the browser's reconnecting."""
    return Response(status_code=204)


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
            try:
                fragments = await produce()
            except WahooksError:  # signed out meanwhile, or what it shows is gone
                return
            yield encode(fragments)
            if loop.time() + settings.dashboard_refresh_s >= ends:
                return
            await asyncio.sleep(settings.dashboard_refresh_s)

    # Starlette stops the generator when the browser goes away (it listens for disconnect).
    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
