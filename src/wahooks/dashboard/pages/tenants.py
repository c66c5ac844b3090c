"""One tenant in the operator's console: its keys (create one, shown once; revoke one,
refused by the API at its next request). The REST API's own route functions
(``api/tenants``) called with the operator's key: an unknown tenant is a 404.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.keys import KeyIn
from wahooks.api.tenants import create_tenant_key, get_tenant, list_tenant_keys, revoke_tenant_key
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.pages.console import PAGE
from wahooks.dashboard.render import render
from wahooks.dashboard.sessions import Session
from wahooks.errors import InvalidRequest


async def show(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    tenant_id, who = request.path_params["id"], session.principal
    tenant = await get_tenant(tenant_id, request, who)
    context = {"new_key": None, "notice": None, "error": None} | extra
    return render(
        request, "tenant.html", session=session, page=PAGE, status_code=status_code,
        tenant=tenant, keys=await list_tenant_keys(tenant_id, request, who), **context,
    )  # fmt: skip


async def tenant(request: Request) -> Response:
    return await show(request, await page_session(request, PAGE))


async def new_key(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(KeyIn, {"label": forms.text(form, "label")})
    except InvalidRequest as refused:
        return await show(request, session, status_code=400, error=refused.message)
    created = await create_tenant_key(request.path_params["id"], body, request, session.principal)
    return await show(request, session, status_code=201, new_key=created)


async def revoke(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    params = request.path_params
    done = await revoke_tenant_key(params["id"], params["key_id"], request, session.principal)
    return await show(request, session, notice=f"Key {done.prefix}… revoked.")


routes = [
    Route("/console/tenants/{id}", tenant, methods=["GET"]),
    Route("/console/tenants/{id}/keys", new_key, methods=["POST"]),
    Route("/console/tenants/{id}/keys/{key_id}/revoke", revoke, methods=["POST"]),
]
