"""Numbers: the numbers the key sees with their health (the last Graph API check of each
number's token), a check run now, and for the operator the registration of a number (pool
or a tenant's dedicated one). A tenant starts activations of the pool numbers here
(activations.py).

Each action is the REST API's own route function (``api/numbers``) called with the
session's key, so what is listed, who may check or register what, and the ownership proof
at registration are those of ``/v1/numbers``.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.activations import list_activations
from wahooks.api.errors import status_of
from wahooks.api.number_models import DEFAULT_GRAPH_BASE_URL, NumberIn
from wahooks.api.numbers import check_number_health, create_number, list_numbers
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.render import render
from wahooks.dashboard.sessions import Session
from wahooks.errors import WahooksError
from wahooks.models import KeyKind

PAGE = "numbers"
RECENT_ACTIVATIONS = 100
# Registration refusals shown beside the form (what was typed kept, secrets never).
SHOWN_STATUSES = (400, 403, 404, 409, 502)
SECRET_FIELDS = ("access_token", "app_secret", "verify_token")
# The registration form's other fields, typed again after a refusal.
TYPED_FIELDS = (
    "kind", "tenant_id", "display_name", "phone_number_id", "waba_id",
    "display_phone_number", "graph_api_base_url",
)  # fmt: skip


async def show(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    """The numbers page; ``extra``: the last action's notice or error, the typed form."""
    numbers = await list_numbers(request, session.principal)
    activations = []
    if session.kind is KeyKind.TENANT:  # activations are a tenant key's (as in /v1)
        assert session.tenant is not None
        activations = await list_activations(
            request, session.tenant, state=None, number_id=None, limit=RECENT_ACTIVATIONS
        )
    context = {
        "notice": None, "error": None, "typed": dict.fromkeys(TYPED_FIELDS, ""),
        "default_graph": DEFAULT_GRAPH_BASE_URL,
    } | extra  # fmt: skip
    return render(
        request, "numbers.html", session=session, page=PAGE, status_code=status_code,
        numbers=numbers, activations=activations, operator=session.kind is KeyKind.OPERATOR,
        tenant_key=session.kind is KeyKind.TENANT, **context,
    )  # fmt: skip


async def numbers(request: Request) -> Response:
    return await show(request, await page_session(request, PAGE))


def number_body(form: Any) -> NumberIn:
    """The registration form as POST /v1/numbers' body."""
    return forms.build(
        NumberIn,
        {
            "phoneNumberId": forms.text(form, "phone_number_id"),
            "wabaId": forms.text(form, "waba_id"),
            "displayPhoneNumber": forms.text(form, "display_phone_number"),
            "accessToken": forms.text(form, "access_token"),
            "appSecret": forms.text(form, "app_secret"),
            "verifyToken": forms.text(form, "verify_token"),
            "graphApiBaseUrl": forms.text(form, "graph_api_base_url"),
            "kind": forms.text(form, "kind"),
            "displayName": forms.text(form, "display_name"),
            "tenantId": forms.text(form, "tenant_id"),
        },
    )


async def register(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        created = await create_number(number_body(form), request, session.principal)
    except WahooksError as refused:
        status = status_of(refused)
        if status not in SHOWN_STATUSES:
            raise
        typed = {k: forms.text(form, k) or "" for k in TYPED_FIELDS}
        return await show(request, session, status_code=status, error=refused.message, typed=typed)
    name = created.display_name or created.display_phone_number
    return await show(
        request, session, status_code=201,
        notice=f"Registered {name} ({created.id}), a {created.kind} number.",
    )  # fmt: skip


async def health_check(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    checked = await check_number_health(request.path_params["id"], request, session.principal)
    detail = f": {checked.health_detail}" if checked.health_detail else ""
    return await show(request, session, notice=f"{checked.id} is {checked.health}{detail}.")


routes = [
    Route("/numbers", numbers, methods=["GET"]),
    Route("/numbers", register, methods=["POST"]),
    Route("/numbers/{id}/health-check", health_check, methods=["POST"]),
]
