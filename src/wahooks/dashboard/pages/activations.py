"""Activations of pool numbers: start one (its code, the instructions, the wa.me link and a
QR code of it, shown once), see it turn from pending to active live as the user sends the
code (SSE), relabel and deactivate it. Listed on the numbers page.

For tenant keys only, as ``/v1/activations``: each action is that API's own route function
called with the session's tenant, so another tenant's activation is a 404 here too.
"""

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.activations import (
    ActivationIn,
    ActivationOut,
    ActivationPatch,
    create_activation,
    deactivate_activation,
    get_activation,
    update_activation,
)
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.pages.numbers import PAGE
from wahooks.dashboard.pages.numbers import show as show_numbers
from wahooks.dashboard.qr import qr_svg
from wahooks.dashboard.render import BASE, fragment, render
from wahooks.dashboard.sessions import Session, current_session
from wahooks.dashboard.sse import Fragments, fragment_stream
from wahooks.errors import Conflict, Forbidden, InvalidRequest
from wahooks.models import KeyKind, Tenant


def tenant_key(session: Session) -> Tenant:
    """The session's tenant; Forbidden unless it is a tenant key (an App's or the
    operator's has no activations, as in the API)."""
    if session.kind is not KeyKind.TENANT or session.tenant is None:
        raise Forbidden("activations take a tenant key (pk_live_…)")
    return session.tenant


def show(
    request: Request,
    session: Session,
    activation: ActivationOut,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """An activation's page; ``extra``: the code (with its instructions, link and QR code)
    right after it was started, or the last action's notice or error."""
    context = {"code": None, "notice": None, "error": None} | extra
    return render(
        request, "activation.html", session=session, page=PAGE, status_code=status_code,
        activation=activation, stream=f"{BASE}/activations/{activation.id}/stream", **context,
    )  # fmt: skip


async def start(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    tenant = tenant_key(session)
    try:
        body = forms.build(
            ActivationIn,
            {"numberId": forms.text(form, "number_id"), "label": forms.text(form, "label")},
        )
        created = await create_activation(body, request, tenant)
    except (InvalidRequest, Conflict) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        return await show_numbers(request, session, status_code=status, error=refused.message)
    code = {
        "code": created.code,
        "instructions": created.instructions,
        "link": created.link,
        "qr": qr_svg(created.link, title=f"Open WhatsApp with {created.code} typed in"),
    }
    return show(request, session, created, status_code=201, code=code)


async def activation(request: Request) -> Response:
    session = await page_session(request, PAGE)
    found = await get_activation(request.path_params["id"], request, tenant_key(session))
    return show(request, session, found)


async def activation_stream(request: Request) -> Response:
    session = await page_session(request, PAGE)
    activation_id = request.path_params["id"]
    await get_activation(activation_id, request, tenant_key(session))  # 404 before streaming

    async def produce() -> Fragments:
        again = await current_session(request)  # a revoked key's page stops updating
        found = await get_activation(activation_id, request, tenant_key(again))
        return {"state": fragment("activation_state.html", base=BASE, activation=found)}

    return fragment_stream(request, produce)


async def relabel(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    tenant, activation_id = tenant_key(session), request.path_params["id"]
    try:
        try:  # an empty label removes it: null, which forms.build would leave out
            patch = ActivationPatch.model_validate({"label": forms.text(form, "label")})
        except ValidationError as exc:
            raise InvalidRequest(forms.describe(exc)) from None
        changed = await update_activation(activation_id, patch, request, tenant)
    except InvalidRequest as refused:
        found = await get_activation(activation_id, request, tenant)
        return show(request, session, found, status_code=400, error=refused.message)
    notice = f"Label set to {changed.label}." if changed.label else "Label removed."
    return show(request, session, changed, notice=notice)


async def deactivate(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    done = await deactivate_activation(request.path_params["id"], request, tenant_key(session))
    return show(request, session, done, notice=f"Deactivated: {done.state}.")


routes = [
    Route("/activations", start, methods=["POST"]),
    Route("/activations/{id}", activation, methods=["GET"]),
    Route("/activations/{id}/stream", activation_stream, methods=["GET"]),
    Route("/activations/{id}/label", relabel, methods=["POST"]),
    Route("/activations/{id}/deactivate", deactivate, methods=["POST"]),
]
