"""Apps and keys, for a tenant key: the tenant's Apps (create one, regenerate its key) and
its own API keys (create, revoke). Every new key is shown once, on the page that made it,
and never again.

Each action is the REST API's own route function (``api/apps``, ``api/keys``) called with
the session's tenant: another tenant's App or key is a 404 here too, and the last live key
is kept (409) as in ``/v1/keys``. Revoking the key this session was made with signs it out
at the next click, as every request identifies the key again.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.apps import AppIn, create_app, list_apps, regenerate_key
from wahooks.api.keys import KeyIn, create_key, list_keys, revoke_key
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.render import render
from wahooks.dashboard.scope import tenant_of
from wahooks.dashboard.sessions import Session
from wahooks.errors import Conflict, InvalidRequest

PAGE = "apps"


async def show(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    """The page; ``extra``: a key shown once (``new_key``: what it is and the key), the
    last action's notice or error."""
    tenant = tenant_of(session)
    context = {"new_key": None, "notice": None, "error": None} | extra
    return render(
        request, "apps.html", session=session, page=PAGE, status_code=status_code,
        apps=await list_apps(request, tenant), keys=await list_keys(request, tenant),
        **context,
    )  # fmt: skip


async def apps(request: Request) -> Response:
    return await show(request, await page_session(request, PAGE))


async def new_app(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(
            AppIn, {"name": forms.text(form, "name"), "slug": forms.text(form, "slug")}
        )
        created = await create_app(body, request, tenant_of(session))
    except (InvalidRequest, Conflict) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        return await show(request, session, status_code=status, error=refused.message)
    new_key = {
        "what": f"App {created.name} ({created.id})",
        "key": created.api_key,
        "detail": f"Its socket destination: {created.socket_destination_id}.",
    }
    return await show(request, session, status_code=201, new_key=new_key)


async def new_app_key(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    done = await regenerate_key(request.path_params["id"], request, tenant_of(session))
    new_key = {
        "what": f"App {done.id}",
        "key": done.api_key,
        "detail": "The old key stopped working, and its sockets were closed.",
    }
    return await show(request, session, new_key=new_key)


async def new_key(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(KeyIn, {"label": forms.text(form, "label")})
    except InvalidRequest as refused:
        return await show(request, session, status_code=400, error=refused.message)
    created = await create_key(body, request, tenant_of(session))
    shown = {"what": f"Key {created.label or created.prefix}", "key": created.key, "detail": ""}
    return await show(request, session, status_code=201, new_key=shown)


async def revoke(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    try:
        done = await revoke_key(request.path_params["id"], request, tenant_of(session))
    except Conflict as refused:  # the last live key
        return await show(request, session, status_code=409, error=refused.message)
    return await show(request, session, notice=f"Key {done.prefix}… revoked.")


routes = [
    Route("/apps", apps, methods=["GET"]),
    Route("/apps", new_app, methods=["POST"]),
    Route("/apps/{id}/regenerate-key", new_app_key, methods=["POST"]),
    Route("/keys", new_key, methods=["POST"]),
    Route("/keys/{id}/revoke", revoke, methods=["POST"]),
]
