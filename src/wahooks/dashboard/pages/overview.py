"""The overview: how deliveries went in the last hour or day (charts drawn as SVG), each
destination's queue, and what needs attention now; live over SSE without a reload.

``?window=hour|day`` picks the span, ``?destination=dst_…`` one destination (one the key
sees: any other is a 404, as in the API).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.dashboard import charts
from wahooks.dashboard.attention import destination_concerns, number_concerns
from wahooks.dashboard.counts_cache import CountsCache
from wahooks.dashboard.figures import OUTCOMES, WINDOWS, Series, Window, series
from wahooks.dashboard.nav import page_session, require
from wahooks.dashboard.render import BASE, fragment, render
from wahooks.dashboard.scope import destinations_of, numbers_of
from wahooks.dashboard.sessions import Session, current_session
from wahooks.dashboard.sse import Fragments, fragment_stream, no_more, stream_session
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import Destination


@dataclass(frozen=True, slots=True)
class View:
    window: Window
    destination: Destination | None  # None: all the key sees


@dataclass(frozen=True, slots=True)
class QueueRow:
    destination: Destination
    depth: int
    oldest_age_s: float | None
    succeeded: int
    failed: int
    p50_s: float | None
    p99_s: float | None


def _view(request: Request, destinations: list[Destination]) -> View:
    name = request.query_params.get("window", "hour")
    if name not in WINDOWS:
        raise InvalidRequest("window: hour or day")
    wanted = request.query_params.get("destination") or None
    chosen = None
    if wanted is not None:
        chosen = next((d for d in destinations if d.id == wanted), None)
        if chosen is None:
            raise NotFound(f"no destination {wanted}")
    return View(WINDOWS[name], chosen)


async def _context(
    request: Request, session: Session, view: View, destinations: list[Destination]
) -> dict[str, Any]:
    gateway = gateway_of(request)
    cache: CountsCache = request.app.state.counts
    now = gateway.clock()
    since, until = view.window.bounds(now)
    counts, queues = [], []
    if session.tenant is not None:
        seen = {d.id for d in destinations}  # an App key: its App's only
        found = await cache.counts(
            gateway.store, session.tenant.id, since=since, until=until,
            width_s=view.window.width_s, now=now,
        )  # fmt: skip
        counts = [c for c in found if c.destination_id in seen]
        queues = [
            q for q in await gateway.store.stats.open_queues(session.tenant.id)
            if q.destination_id in seen
        ]  # fmt: skip
    chosen = view.destination.id if view.destination else None
    shown = series(counts, queues, view.window, since, chosen)
    labels = [
        datetime.fromtimestamp(since + i * view.window.width_s, tz=UTC).strftime("%H:%M")
        for i in range(view.window.buckets)
    ]
    rows = []
    for d in destinations:
        one = series(counts, queues, view.window, since, d.id)
        queue = next((q for q in queues if q.destination_id == d.id), None)
        rows.append(
            QueueRow(
                destination=d,
                depth=queue.depth if queue else 0,
                oldest_age_s=now - queue.oldest_created_at if queue else None,
                succeeded=one.count("succeeded"),
                failed=one.count("failed"),
                p50_s=one.percentile(0.5),
                p99_s=one.percentile(0.99),
            )
        )
    numbers = await numbers_of(gateway, session)
    return {
        "view": view,
        "charts": chart_list(shown, labels, view.window),
        "figures": shown,
        "rows": rows,
        "concerns": destination_concerns(destinations) + number_concerns(numbers),
        "duration": charts.duration,
        "updated": now,
    }


def chart_list(shown: Series, labels: list[str], window: Window) -> list[Any]:
    """The overview's charts of one series (the console draws the gateway's with them)."""
    per = "minute" if window.width_s == 60 else f"{window.width_s / 60:.0f} minutes"
    return [
        charts.stacked_bars(
            "chart-outcomes", f"Deliveries per {per}, by outcome", {
                name: shown.outcomes[name] for name in OUTCOMES
            }, labels,
        ),
        charts.lines(
            "chart-latency", "End-to-end latency (stored → acknowledged)",
            {"p50": shown.p50_s, "p99": shown.p99_s}, labels, seconds=True,
        ),
        charts.lines("chart-depth", "Queue depth", {"depth": shown.depth}, labels, seconds=False),
        charts.lines(
            "chart-age", "Oldest waiting delivery's age", {"age": shown.oldest_age_s}, labels,
            seconds=True,
        ),
    ]  # fmt: skip


async def overview(request: Request) -> Response:
    session = await page_session(request, "overview")
    gateway = gateway_of(request)
    destinations = await destinations_of(gateway, session)
    view = _view(request, destinations)
    context = await _context(request, session, view, destinations)
    query = {"window": view.window.name}
    if view.destination is not None:
        query["destination"] = view.destination.id
    return render(
        request, "overview.html", session=session, page="overview",
        destinations=destinations, stream=f"{BASE}/overview/stream?{urlencode(query)}",
        windows=list(WINDOWS), **context,
    )  # fmt: skip


async def overview_stream(request: Request) -> Response:
    session = await stream_session(request)
    if session is None:
        return no_more()
    require(session, "overview")
    gateway = gateway_of(request)
    view = _view(request, await destinations_of(gateway, session))

    async def produce() -> Fragments:
        # The key is checked again on every push: a revoked key's page stops updating.
        again = await current_session(request)
        destinations = await destinations_of(gateway, again)
        context = await _context(request, again, view, destinations)
        return {
            name: fragment(f"overview_{name}.html", base=BASE, **context)
            for name in ("charts", "queues", "attention")
        }

    return fragment_stream(request, produce)


routes = [
    Route("/overview", overview, methods=["GET"]),
    Route("/overview/stream", overview_stream, methods=["GET"]),
]
