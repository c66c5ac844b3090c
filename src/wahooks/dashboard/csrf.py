"""Cross-site request forgery: every state-changing request of the dashboard is a form POST
that must come from the dashboard's own pages.

Two checks, both required:
- the browser says where the request comes from: ``Sec-Fetch-Site`` must be
  ``same-origin`` (or ``none``, typed by the user) and ``Origin``, when sent, must be this
  gateway's (the request's own host, or ``WAHOOKS_PUBLIC_URL``); a form on another site is
  refused even if it somehow carried a token;
- the form carries the token: the session's own (``Session.csrf``, sealed in the session
  cookie) once signed in; before that, on the sign-in form, a double-submit token (a random
  cookie, SameSite=Strict, repeated in the form), so a forged sign-in cannot plant another
  person's key.
Refusals are ``Forbidden`` (403).
"""

import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from wahooks.dashboard.sessions import Session
from wahooks.digests import same
from wahooks.errors import Forbidden
from wahooks.gateway import gateway_of

FIELD = "csrf"  # the hidden form field every form carries
SIGN_IN_COOKIE = "wahooks_csrf"
SAME_SITE = ("same-origin", "none")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(request: Request) -> None:
    """Forbidden unless the browser says this request comes from our own pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in SAME_SITE:
        raise Forbidden(f"cross-site request refused (Sec-Fetch-Site: {site})")
    origin = request.headers.get("origin")
    if origin is not None:
        ours = {_origin(str(request.base_url)), _origin(gateway_of(request).settings.public_url)}
        if origin.lower() not in ours:
            raise Forbidden("cross-site request refused (Origin is not this gateway)")


async def checked_form(request: Request, session: Session) -> FormData:
    """The posted form, once it passed both checks for ``session``."""
    check_same_origin(request)
    form = await request.form()
    token = form.get(FIELD)
    if not isinstance(token, str) or not same(token, session.csrf):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")
    return form


def sign_in_token(request: Request) -> str:
    """The sign-in form's token: the browser's existing one, or a new one to set."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)


def set_sign_in_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def checked_sign_in_form(request: Request) -> FormData:
    """The posted sign-in form, its double-submit token matching the cookie."""
    check_same_origin(request)
    form = await request.form()
    token, cookie = form.get(FIELD), request.cookies.get(SIGN_IN_COOKIE)
    if not isinstance(token, str) or not cookie or not same(token, cookie):
        raise Forbidden("missing or wrong CSRF token: reload the sign-in page and try again")
    return form
