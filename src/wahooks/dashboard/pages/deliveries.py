"""Deliveries: the list filtered by status, destination, conversation and time (newest
first, pages by keyset: the API's cursor), one delivery with its attempts, and re-sending it.

The handlers call the REST API's own route functions (``api/deliveries.py``) in process, so
filters, pages and scoping are those of ``/v1/deliveries``: a tenant key's, and another
tenant's delivery is a 404. Times in the filter are the browser's ``datetime-local``
(no zone), read as UTC.
"""

from typing import Literal, cast, get_args
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wahooks.api.deliveries import get_delivery, list_deliveries, resend_delivery
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.render import BASE, render
from wahooks.dashboard.scope import destinations_of, tenant_of
from wahooks.errors import Conflict, InvalidRequest
from wahooks.gateway import gateway_of

PAGE = "deliveries"
Status = Literal["pending", "leased", "succeeded", "failed", "dropped"]  # as the API takes
STATUSES: tuple[str, ...] = get_args(Status)
FILTERS = ("status", "destination", "conversation", "since", "until", "limit")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200  # the API's own limit


def utc(value: str | None) -> str | None:
    """A ``datetime-local`` value (no zone) as ISO 8601 in UTC; one with a zone as it is."""
    if not value:
        return None
    if value.endswith("Z") or "+" in value[10:] or "-" in value[10:]:
        return value
    return value + "Z"


async def deliveries(request: Request) -> Response:
    session = await page_session(request, PAGE)
    query = request.query_params
    filters = {name: (query.get(name) or "").strip() for name in FILTERS}
    status = filters["status"] or None
    if status is not None and status not in STATUSES:
        raise InvalidRequest(f"status: one of {', '.join(STATUSES)}")
    limit = int(filters["limit"]) if filters["limit"].isdigit() else PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"limit: 1 to {MAX_PAGE_SIZE}")
    gateway = gateway_of(request)
    found = await list_deliveries(
        request,
        tenant_of(session),
        status=cast(Status | None, status),  # checked against STATUSES above
        destination_id=filters["destination"] or None,
        conversation_id=filters["conversation"] or None,
        since=utc(filters["since"]),
        until=utc(filters["until"]),
        limit=limit,
        cursor=query.get("cursor") or None,
    )
    kept = {k: v for k, v in filters.items() if v}
    older = None
    if found.next_cursor is not None:
        older = "?" + urlencode(kept | {"cursor": found.next_cursor})
    destinations = await destinations_of(gateway, session)
    jobs = await gateway.store.recoveries.of_tenant(tenant_of(session).id, limit=5)
    return render(
        request, "deliveries.html", session=session, page=PAGE, deliveries=found.data,
        filters=filters, statuses=STATUSES, destinations=destinations, older=older,
        first_page="?" + urlencode(kept) if query.get("cursor") else None,
        jobs=[job for _, job in jobs], error=None,
    )  # fmt: skip


# What a re-send's redirect says (Post/Redirect/Get: reloading the page must not re-send).
OUTCOMES = {
    "resent": ("Queued again: same webhook-id, a fresh retry schedule.", None),
    "busy": (None, "It is still waiting or being delivered: nothing to re-send."),
}


async def delivery(request: Request) -> Response:
    session = await page_session(request, PAGE)
    found = await get_delivery(request.path_params["id"], request, tenant_of(session))
    notice, error = OUTCOMES.get(request.query_params.get("outcome", ""), (None, None))
    return render(
        request, "delivery.html", session=session, page=PAGE, delivery=found,
        notice=notice, error=error,
    )  # fmt: skip


async def resend(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    delivery_id = request.path_params["id"]
    try:
        await resend_delivery(delivery_id, request, tenant_of(session))
        outcome = "resent"
    except Conflict:
        outcome = "busy"
    return RedirectResponse(
        f"{BASE}/deliveries/{quote(delivery_id)}?outcome={outcome}", status_code=303
    )


routes = [
    Route("/deliveries", deliveries, methods=["GET"]),
    Route("/deliveries/{id}", delivery, methods=["GET"]),
    Route("/deliveries/{id}/resend", resend, methods=["POST"]),
]
