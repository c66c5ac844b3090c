"""Signing in with a key, and out: the session cookie set (sessions.py) or cleared."""

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wahooks.api.auth import identify
from wahooks.dashboard.csrf import (
    checked_form,
    checked_sign_in_form,
    set_sign_in_cookie,
    sign_in_token,
)
from wahooks.dashboard.render import BASE, render
from wahooks.dashboard.sessions import (
    SignInRequired,
    clear_session_cookie,
    codec_of,
    current_session,
    set_session_cookie,
)
from wahooks.errors import Unauthorized
from wahooks.gateway import gateway_of

HOME = BASE + "/overview"
MAX_KEY_CHARS = 200


def safe_next(value: object) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if not isinstance(value, str) or not value.startswith(BASE + "/") or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return HOME
    return value


def _sign_in_page(request: Request, message: str | None, next_path: str, status: int) -> Response:
    token = sign_in_token(request)
    response = render(
        request, "sign_in.html", session=None, page="sign-in", csrf=token,
        message=message, next=next_path, status_code=status,
    )  # fmt: skip
    set_sign_in_cookie(response, request, token)
    return response


async def sign_in_form(request: Request) -> Response:
    try:
        await current_session(request)
    except SignInRequired:
        return _sign_in_page(request, None, safe_next(request.query_params.get("next")), 200)
    return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)


async def sign_in(request: Request) -> Response:
    form = await checked_sign_in_form(request)
    key, next_path = form.get("key"), safe_next(form.get("next"))
    gateway = gateway_of(request)
    try:
        if not isinstance(key, str) or len(key) > MAX_KEY_CHARS:
            raise Unauthorized("malformed API key")
        await identify(gateway.store, key.strip())
    except Unauthorized as refused:
        return _sign_in_page(request, refused.message, next_path, 401)
    value, _ = codec_of(request).seal(key.strip(), gateway.clock())
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, value)
    return response


async def sign_out(request: Request) -> Response:
    session = await current_session(request)
    await checked_form(request, session)
    response = RedirectResponse(BASE + "/sign-in", status_code=303)
    clear_session_cookie(response, request)
    return response


async def home(request: Request) -> Response:
    return RedirectResponse(HOME, status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/sign-in", sign_in_form, methods=["GET"]),
    Route("/sign-in", sign_in, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
]
