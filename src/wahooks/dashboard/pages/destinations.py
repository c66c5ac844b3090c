"""Destinations: the list, creating one (webhook or socket), and one's page with its
options, health and actions (destination_actions.py).

Each handler calls the REST API's own route function in process (``api/destinations``),
with the request's tenant as the API scopes it, so the checks, the defaults and the answer
are those of ``/v1/destinations``; another tenant's destination is a 404 here as there.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.destinations.crud import create_destination, get_destination, list_destinations
from wahooks.api.destinations.models import SUBSCRIBABLE, DestinationIn, DestinationOut
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.render import render
from wahooks.dashboard.scope import tenant_of
from wahooks.dashboard.sessions import Session
from wahooks.errors import InvalidRequest
from wahooks.formats import DEFAULT_FORMAT, FORMATS
from wahooks.gateway import gateway_of
from wahooks.models import DEFAULT_EVENTS

PAGE = "destinations"
METHODS = ("webhook", "socket")  # message-bus destinations: through the API for now


async def destinations(request: Request) -> Response:
    session = await page_session(request, PAGE)
    found = await list_destinations(request, tenant_of(session))
    return render(request, "destinations.html", session=session, page=PAGE, destinations=found)


def _form_context(values: dict[str, Any] | None = None) -> dict[str, Any]:
    settings_defaults = {
        "method": "webhook", "format": DEFAULT_FORMAT, "events": list(DEFAULT_EVENTS),
        "ordered": True,
    }  # fmt: skip
    return {
        "formats": sorted(FORMATS),
        "events": SUBSCRIBABLE,
        "methods": METHODS,
        "values": settings_defaults | (values or {}),
    }


async def new_destination(request: Request) -> Response:
    session = await page_session(request, PAGE)
    return render(request, "destination_new.html", session=session, page=PAGE, **_form_context())


def destination_body(form: Any) -> DestinationIn:
    """The form as POST /v1/destinations' body."""
    method = forms.text(form, "method") or "webhook"
    if method not in METHODS:
        raise InvalidRequest("method: webhook or socket")
    return forms.build(
        DestinationIn,
        {
            "method": method,
            "url": forms.text(form, "url") if method == "webhook" else None,
            "secret": forms.text(form, "secret"),
            "label": forms.text(form, "label"),
            "format": forms.text(form, "format"),
            "events": forms.choices(form, "events") or None,
            "timeoutSeconds": forms.number(form, "timeout_seconds"),
            "retrySchedule": forms.numbers(form, "retry_schedule"),
            "maxRate": forms.number(form, "max_rate"),
            "maxInFlight": forms.whole(form, "max_in_flight"),
            "ordered": forms.checked(form, "ordered"),
        },
    )


async def create(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = destination_body(form)
        created = await create_destination(body, request, tenant_of(session))
    except InvalidRequest as refused:
        # The form again with what was typed (never the secret).
        values: dict[str, Any] = {
            k: forms.text(form, k) for k in form if k not in ("csrf", "secret", "events")
        }
        values |= {
            "events": forms.choices(form, "events"),
            "ordered": forms.checked(form, "ordered"),
        }
        return render(
            request, "destination_new.html", session=session, page=PAGE, status_code=400,
            error=refused.message, **_form_context(values),
        )  # fmt: skip
    return show(request, session, created, secret=created.secret, status_code=201)


def show(
    request: Request,
    session: Session,
    destination: DestinationOut,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A destination's page; ``extra``: a secret shown once, a test's result, a notice."""
    context = {"secret": None, "test": None, "notice": None, "error": None} | extra
    return render(
        request, "destination.html", session=session, page=PAGE, status_code=status_code,
        destination=destination, now=gateway_of(request).clock(), **context,
    )  # fmt: skip


async def destination(request: Request) -> Response:
    session = await page_session(request, PAGE)
    found = await get_destination(request.path_params["id"], request, tenant_of(session))
    return show(request, session, found)


routes = [
    Route("/destinations", destinations, methods=["GET"]),
    Route("/destinations", create, methods=["POST"]),
    Route("/destinations/new", new_destination, methods=["GET"]),
    Route("/destinations/{id}", destination, methods=["GET"]),
]
