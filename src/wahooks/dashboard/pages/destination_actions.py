"""What a destination's page does: Test Connection, switch webhook ↔ socket, rotate the
secret with a grace period, enable or disable. Each is the REST API's own route function
(``api/destinations``), called in process with the session's tenant."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.destinations.crud import get_destination, update_destination
from wahooks.api.destinations.models import DestinationPatch, RotateIn
from wahooks.api.destinations.rotation import rotate_secret
from wahooks.api.destinations.try_send import test_destination
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.pages.destinations import PAGE, show
from wahooks.dashboard.scope import tenant_of
from wahooks.errors import InvalidRequest


async def test_connection(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    tenant, destination_id = tenant_of(session), request.path_params["id"]
    try:
        result = await test_destination(destination_id, request, tenant)
    except InvalidRequest as refused:  # a socket destination: nothing to POST to
        found = await get_destination(destination_id, request, tenant)
        return show(request, session, found, error=refused.message, status_code=400)
    found = await get_destination(destination_id, request, tenant)
    return show(request, session, found, test=result)


async def switch_method(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    tenant, destination_id = tenant_of(session), request.path_params["id"]
    method = forms.text(form, "method")
    try:
        if method not in ("webhook", "socket"):
            raise InvalidRequest("method: webhook or socket")
        fields: dict[str, object] = {"method": method}
        if method == "webhook" and forms.text(form, "url"):
            fields["url"] = forms.text(form, "url")
        patch = forms.build(DestinationPatch, fields)
        changed = await update_destination(destination_id, patch, request, tenant)
    except InvalidRequest as refused:
        found = await get_destination(destination_id, request, tenant)
        return show(request, session, found, error=refused.message, status_code=400)
    return show(request, session, changed, notice=f"Now delivered by {changed.method}.")


async def rotate(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    tenant, destination_id = tenant_of(session), request.path_params["id"]
    try:
        body = forms.build(
            RotateIn,
            {
                "secret": forms.text(form, "secret"),
                "graceSeconds": forms.number(form, "grace_seconds"),
            },
        )
        rotated = await rotate_secret(destination_id, request, tenant, body)
    except InvalidRequest as refused:
        found = await get_destination(destination_id, request, tenant)
        return show(request, session, found, error=refused.message, status_code=400)
    return show(
        request, session, rotated, secret=rotated.secret,
        notice="Secret rotated: the previous one signs too until the grace period ends.",
    )  # fmt: skip


async def set_enabled(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    tenant, destination_id = tenant_of(session), request.path_params["id"]
    enabled = forms.text(form, "enabled") == "true"
    patch = DestinationPatch(enabled=enabled)
    changed = await update_destination(destination_id, patch, request, tenant)
    notice = "Enabled: what was waiting is due now." if enabled else "Disabled: deliveries wait."
    return show(request, session, changed, notice=notice)


routes = [
    Route("/destinations/{id}/test", test_connection, methods=["POST"]),
    Route("/destinations/{id}/method", switch_method, methods=["POST"]),
    Route("/destinations/{id}/rotate-secret", rotate, methods=["POST"]),
    Route("/destinations/{id}/enabled", set_enabled, methods=["POST"]),
]
