"""/v1/deliveries: every event sent to a destination, its attempts, and re-sending."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel, iso
from wahooks.api.errors import error_responses
from wahooks.errors import Conflict, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import AttemptRecord, DeliveryRecord, Tenant

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])
TenantDep = Annotated[Tenant, Depends(current_tenant)]
NO_SUCH_DELIVERY = {404: "not_found: no such delivery for this tenant."}
# A delivery's sequence number: ASCII digits (str.isdigit takes "²", int() does not) that
# fit the 64-bit column.
CURSOR_PATTERN = r"^[0-9]{1,18}$"


class AttemptOut(ApiModel):
    attempt: int
    started_at: str | None
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None
    error_detail: str | None
    channel: str


class DeliveryOut(ApiModel):
    id: str
    destination_id: str
    event_id: str
    event_type: str
    conversation_id: str | None
    wamid: str | None
    status: str
    method: str
    offered_to_socket: bool
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str | None
    updated_at: str | None


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class DeliveryPage(ApiModel):
    data: list[DeliveryOut]
    next_cursor: str | None


def _out(d: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": d.id,
        "destination_id": d.destination_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "conversation_id": d.conversation_id,
        "wamid": d.message_wamid,
        "status": d.state,
        "method": d.method,
        "offered_to_socket": d.offered_to_socket,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
    }


def _attempt(a: AttemptRecord) -> AttemptOut:
    return AttemptOut(
        attempt=a.attempt,
        started_at=iso(a.started_at),
        status_code=a.status_code,
        latency_ms=a.latency_ms,
        response_excerpt=a.response_excerpt,
        error=a.error,
        error_detail=a.error_detail,
        channel=a.channel,
    )


@router.get(
    "",
    response_model=DeliveryPage,
    response_model_by_alias=True,
    summary="List deliveries",
    responses=error_responses({400: "invalid_request: a bad filter, limit or cursor."}),
)
async def list_deliveries(
    request: Request,
    tenant: TenantDep,
    status: Literal["pending", "leased", "succeeded", "failed", "dropped"] | None = None,
    destination_id: Annotated[str | None, Query(alias="destinationId")] = None,
    conversation_id: Annotated[str | None, Query(alias="conversationId")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`nextCursor` of the page before.")
    ] = None,
) -> DeliveryPage:
    """Deliveries of this tenant's events, newest first, optionally filtered. Pass
    `nextCursor` back as `cursor` for the next page; it is null on the last one."""
    before = None if cursor is None else int(cursor)
    rows = await gateway_of(request).store.list_deliveries(
        tenant.id,
        state=status,
        destination_id=destination_id,
        conversation_id=conversation_id,
        before_seq=before,
        limit=limit,
    )
    next_cursor = str(rows[-1][0]) if len(rows) == limit else None
    return DeliveryPage(data=[DeliveryOut(**_out(d)) for _, d in rows], next_cursor=next_cursor)


@router.get(
    "/{delivery_id}",
    response_model=DeliveryDetail,
    response_model_by_alias=True,
    summary="Get a delivery",
    responses=error_responses(NO_SUCH_DELIVERY),
)
async def get_delivery(delivery_id: str, request: Request, tenant: TenantDep) -> DeliveryDetail:
    """One delivery with every attempt: time, status code, latency, response excerpt, error."""
    found = await gateway_of(request).store.delivery(tenant.id, delivery_id)
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    delivery, attempts = found
    return DeliveryDetail(**_out(delivery), attempt_log=[_attempt(a) for a in attempts])


@router.post(
    "/{delivery_id}/resend",
    status_code=202,
    response_model=DeliveryOut,
    response_model_by_alias=True,
    summary="Re-send a delivery",
    responses=error_responses({
        **NO_SUCH_DELIVERY,
        409: "conflict: the delivery is still pending or leased; nothing to re-send.",
    }),
)  # fmt: skip
async def resend_delivery(delivery_id: str, request: Request, tenant: TenantDep) -> DeliveryOut:
    """Queue a finished (failed or succeeded) delivery again, with a fresh retry schedule
    and the same webhook-id."""
    store = gateway_of(request).store
    found = await store.delivery(tenant.id, delivery_id)
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    if not await store.resend_delivery(tenant.id, delivery_id):
        raise Conflict(f"delivery {delivery_id} is still {found[0].state}; nothing to re-send")
    again = await store.delivery(tenant.id, delivery_id)
    assert again is not None
    return DeliveryOut(**_out(again[0]))
