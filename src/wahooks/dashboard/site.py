"""The dashboard as one Starlette app, mounted at /dashboard by ``create_app``.

Its own app (not routes of the API's) so that it has its own error pages (HTML, and a
redirect to sign in), its own security headers on every answer, and no place in the OpenAPI
document. It shares the gateway's parts: ``attach`` hands it the Gateway and the session
codec once the lifespan built them, so ``gateway_of(request)`` works on its requests too.
"""

from importlib.resources import files
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from wahooks.api.errors import status_of
from wahooks.dashboard.counts_cache import CountsCache
from wahooks.dashboard.headers import SecurityHeaders
from wahooks.dashboard.pages import (
    activations,
    apps,
    console,
    conversation_actions,
    conversations,
    deliveries,
    destination_actions,
    destinations,
    numbers,
    overview,
    recoveries,
    signin,
    tenants,
)
from wahooks.dashboard.render import BASE, render
from wahooks.dashboard.sessions import Session, SessionCodec, SignInRequired, current_session
from wahooks.errors import WahooksError
from wahooks.gateway import Gateway

# recoveries before deliveries: "/deliveries/recover" is not a delivery id.
PAGES = (signin, overview, destinations, destination_actions, recoveries, deliveries)
# Conversations, numbers and activations, Apps and keys, the operator's console.
MORE_PAGES = (
    conversations, conversation_actions, numbers, activations, apps, console, tenants,
)  # fmt: skip
DASHBOARD_PATH = BASE


async def to_dashboard(request: Request) -> Response:
    """``/dashboard`` itself (the mount answers only below it)."""
    return RedirectResponse(BASE + "/", status_code=303)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{BASE}/sign-in?next={quote(target, safe='')}", status_code=303)


async def _error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, WahooksError):
        status, code, message = status_of(exc), exc.code, exc.message
    elif isinstance(exc, HTTPException):
        status, code, message = exc.status_code, "not_found", str(exc.detail)
        if status == 405:
            code = "method_not_allowed"
    else:  # pragma: no cover - Starlette routes only these here
        raise exc
    try:  # signed in: the page keeps its navigation and sign-out
        session: Session | None = await current_session(request)
    except WahooksError:
        session = None
    return render(
        request, "error.html", session=session, status_code=status,
        status=status, code=code, message=message,
    )  # fmt: skip


def create_dashboard() -> Starlette:
    static = StaticFiles(directory=str(files("wahooks.dashboard").joinpath("static")))
    routes = [route for page in PAGES + MORE_PAGES for route in page.routes]
    routes.append(Mount("/static", app=static, name="static"))
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            SignInRequired: _sign_in_first,
            WahooksError: _error_page,
            HTTPException: _error_page,
        },
    )


def attach(dashboard: Starlette, gateway: Gateway) -> None:
    """Give the dashboard the running gateway's parts (called from the lifespan)."""
    dashboard.state.gateway = gateway
    dashboard.state.sessions = SessionCodec(
        gateway.store.keyring, gateway.settings.dashboard_session_ttl_s
    )
    dashboard.state.counts = CountsCache()
