"""The operator's console: the tenants (create one, with its first key shown once), the
gateway-wide charts (every tenant's deliveries, drawn by the overview's chart code) and the
processes sharing the database, the charts and processes live over SSE. A tenant's keys
are on its own page (tenants.py); every number, its registration and health check on the
numbers page.

The tenants and processes are the REST API's own route functions (``api/tenants``,
``api/processes``) called with the operator's key.
"""

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.processes import list_processes
from wahooks.api.tenants import TenantIn, create_tenant, list_tenants
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.figures import WINDOWS, Window, series
from wahooks.dashboard.nav import page_session, require
from wahooks.dashboard.pages.overview import chart_list
from wahooks.dashboard.render import BASE, fragment, render
from wahooks.dashboard.sessions import Session, current_session
from wahooks.dashboard.sse import Fragments, fragment_stream
from wahooks.errors import InvalidRequest
from wahooks.gateway import Gateway, gateway_of

PAGE = "console"


def _window(request: Request) -> Window:
    name = request.query_params.get("window", "hour")
    if name not in WINDOWS:
        raise InvalidRequest("window: hour or day")
    return WINDOWS[name]


async def gateway_charts(gateway: Gateway, window: Window) -> dict[str, Any]:
    """Every tenant's deliveries as one series. The store's aggregates are per tenant (on
    the tenant's index), so this asks once per tenant: fine for tens of tenants; a
    gateway-wide aggregate would be the next step for thousands."""
    now = gateway.clock()
    since, until = window.bounds(now)
    counts, queues = [], []
    for tenant in await gateway.store.tenants.all():
        counts += await gateway.store.stats.delivery_counts(
            tenant.id, since=since, until=until, width_s=window.width_s
        )
        queues += await gateway.store.stats.open_queues(tenant.id)
    shown = series(counts, queues, window, since, None)
    labels = [
        datetime.fromtimestamp(since + i * window.width_s, tz=UTC).strftime("%H:%M")
        for i in range(window.buckets)
    ]
    return {
        "charts": chart_list(shown, labels, window),
        "figures": shown,
        "view": {"window": window},  # what the overview's chart template reads
        "updated": now,
    }


async def _live(request: Request, session: Session, window: Window) -> dict[str, Any]:
    context = await gateway_charts(gateway_of(request), window)
    context["processes"] = await list_processes(request, session.principal)
    return context


async def show(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    window = _window(request)
    context = {"new_tenant": None, "error": None} | extra
    return render(
        request, "console.html", session=session, page=PAGE, status_code=status_code,
        tenants=await list_tenants(request, session.principal), window=window,
        windows=list(WINDOWS), stream=f"{BASE}/console/stream?window={window.name}",
        **(await _live(request, session, window)), **context,
    )  # fmt: skip


async def console(request: Request) -> Response:
    return await show(request, await page_session(request, PAGE))


async def console_stream(request: Request) -> Response:
    await page_session(request, PAGE)  # the operator's, before anything is streamed
    window = _window(request)

    async def produce() -> Fragments:
        again = await current_session(request)  # a revoked key's page stops updating
        require(again, PAGE)
        context = await _live(request, again, window)
        return {
            "charts": fragment("overview_charts.html", base=BASE, **context),
            "processes": fragment("console_processes.html", base=BASE, **context),
        }

    return fragment_stream(request, produce)


async def new_tenant(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(
            TenantIn, {"name": forms.text(form, "name"), "keyLabel": forms.text(form, "key_label")}
        )
    except InvalidRequest as refused:
        return await show(request, session, status_code=400, error=refused.message)
    created = await create_tenant(body, request, session.principal)
    return await show(request, session, status_code=201, new_tenant=created)


routes = [
    Route("/console", console, methods=["GET"]),
    Route("/console/stream", console_stream, methods=["GET"]),
    Route("/console/tenants", new_tenant, methods=["POST"]),
]
