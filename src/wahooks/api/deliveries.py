"""/v1/deliveries: every event sent to a destination, its attempts, re-sending one, and
recovering every failed one of a time range (a background job whose progress is shown).

Times in queries and bodies (``since``, ``until``) are ISO 8601 with a timezone, e.g.
``2025-06-01T00:00:00Z`` or ``2025-06-01T02:00:00+02:00``; a range is [since, until) over
the time each delivery was created.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, field_validator

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel, examples, iso, seq_cursor
from wahooks.api.conversations import Text
from wahooks.api.error_docs import errors
from wahooks.errors import Conflict, InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import AttemptRecord, DeliveryRecord, RecoveryJob, Tenant
from wahooks.times import TIME_FORMAT, parse_time

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])
DeliveryId = Annotated[Text, Path(alias="deliveryId")]
RecoveryId = Annotated[Text, Path(alias="recoveryId")]
TenantDep = Annotated[Tenant, Depends(current_tenant)]


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


# parse_time checks it; the document says it too (date-time: RFC 3339, which it takes).
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def time_range(since: str | None, until: str | None) -> tuple[float | None, float | None]:
    """[since, until) as Unix seconds; InvalidRequest names the bad one."""
    bounds: list[float | None] = []
    for name, value in (("since", since), ("until", until)):
        try:
            bounds.append(None if value is None else parse_time(value))
        except ValueError as exc:
            raise InvalidRequest(f"{name}: {exc}") from None
    start, end = bounds
    if start is not None and end is not None and start >= end:
        raise InvalidRequest("since: must be earlier than until")
    return start, end


class RecoverIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {
            "since": "2025-06-01T00:00:00Z",
            "until": "2025-06-02T00:00:00Z",
            "destinationId": "dst_2x7k9QmV4bN8cR1tY6wZ3",
        }
    )

    since: Time = Field(description=f"Start of the range (inclusive), {TIME_FORMAT}.")
    until: Time = Field(
        description=f"End of the range (exclusive), {TIME_FORMAT}; capped at the time of the "
        "request."
    )
    destination_id: Text | None = Field(None, description="Only this destination's deliveries.")

    @field_validator("since", "until")
    @classmethod
    def _iso(cls, value: str) -> str:
        parse_time(value)
        return value


class RecoveryOut(ApiModel):
    id: str
    state: str = Field(description="pending → running → done, or failed (see error).")
    total: int | None = Field(
        description="Failed deliveries in the range when the job started; null until then."
    )
    recovered: int = Field(description="Deliveries re-queued so far.")
    since: str | None
    until: str | None
    destination_id: str | None
    error: str | None
    created_at: str | None
    updated_at: str | None
    finished_at: str | None


class RecoveryPage(ApiModel):
    data: list[RecoveryOut]
    next_cursor: str | None


def _recovery(job: RecoveryJob) -> RecoveryOut:
    return RecoveryOut(
        id=job.id,
        state=job.state,
        total=job.total,
        recovered=job.recovered,
        since=iso(job.since),
        until=iso(job.until),
        destination_id=job.destination_id,
        error=job.error,
        created_at=iso(job.created_at),
        updated_at=iso(job.updated_at),
        finished_at=iso(job.finished_at),
    )


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
    operation_id="listDeliveries",
    response_model=DeliveryPage,
    response_model_by_alias=True,
    summary="List deliveries",
    responses=errors(400),
)
async def list_deliveries(
    request: Request,
    tenant: TenantDep,
    status: Literal["pending", "leased", "succeeded", "failed", "dropped"] | None = None,
    destination_id: Annotated[Text | None, Query(alias="destinationId")] = None,
    conversation_id: Annotated[Text | None, Query(alias="conversationId")] = None,
    since: Annotated[
        Time | None, Query(description=f"Created at or after this time, {TIME_FORMAT}.")
    ] = None,
    until: Annotated[
        Time | None, Query(description=f"Created before this time, {TIME_FORMAT}.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    """Newest first, filtered by status, destination, conversation and creation time.
    Pass ``nextCursor`` back as ``cursor`` for the next page."""
    start, end = time_range(since, until)
    rows = await gateway_of(request).store.deliveries.page(
        tenant.id,
        state=status,
        destination_id=destination_id,
        conversation_id=conversation_id,
        before_seq=seq_cursor(cursor),
        limit=limit,
        since=start,
        until=end,
    )
    next_cursor = str(rows[-1][0]) if len(rows) == limit else None
    return DeliveryPage(data=[DeliveryOut(**_out(d)) for _, d in rows], next_cursor=next_cursor)


# Before /{deliveryId}: "recoveries" must not be taken for a delivery id.
@router.post(
    "/recover",
    operation_id="recoverDeliveries",
    status_code=202,
    response_model=RecoveryOut,
    response_model_by_alias=True,
    summary="Recover failed deliveries of a time range",
    responses=errors(400),
)
async def recover(body: RecoverIn, request: Request, tenant: TenantDep) -> RecoveryOut:
    """Start a background job that re-queues every failed delivery created in
    [since, until) (of one destination, if given), as a re-send does: pending at once, a
    fresh retry schedule, the same webhook-id. Follow it at ``/v1/deliveries/recoveries/{id}``."""
    gateway = gateway_of(request)
    start, end = time_range(body.since, body.until)
    assert start is not None and end is not None
    end = min(end, gateway.clock())
    if start >= end:
        raise InvalidRequest("since: must be in the past")
    if body.destination_id is not None:
        if await gateway.store.destinations.get(tenant.id, body.destination_id) is None:
            raise InvalidRequest(f"destinationId: no destination {body.destination_id}")
    # The store announces the job: the recovery workers here and elsewhere look at once.
    job = await gateway.store.recoveries.create(tenant.id, body.destination_id, start, end)
    return _recovery(job)


@router.get(
    "/recoveries",
    operation_id="listRecoveries",
    response_model=RecoveryPage,
    response_model_by_alias=True,
    summary="List recovery jobs",
    responses=errors(400),
)
async def list_recoveries(
    request: Request,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> RecoveryPage:
    """The tenant's recovery jobs, newest first, with their progress."""
    rows = await gateway_of(request).store.recoveries.of_tenant(
        tenant.id, before_seq=seq_cursor(cursor), limit=limit
    )
    next_cursor = str(rows[-1][0]) if len(rows) == limit else None
    return RecoveryPage(data=[_recovery(j) for _, j in rows], next_cursor=next_cursor)


@router.get("/recoveries/{recoveryId}", operation_id="getRecovery", response_model=RecoveryOut,
            response_model_by_alias=True, summary="Get a recovery job",
            responses=errors(404))  # fmt: skip
async def get_recovery(recovery_id: RecoveryId, request: Request, tenant: TenantDep) -> RecoveryOut:
    """A recovery job's state and progress (``recovered`` of ``total``)."""
    job = await gateway_of(request).store.recoveries.get(tenant.id, recovery_id)
    if job is None:
        raise NotFound(f"no recovery job {recovery_id}")
    return _recovery(job)


@router.get(
    "/{deliveryId}",
    operation_id="getDelivery",
    response_model=DeliveryDetail,
    response_model_by_alias=True,
    summary="Get a delivery and its attempts",
    responses=errors(404),
)
async def get_delivery(
    delivery_id: DeliveryId, request: Request, tenant: TenantDep
) -> DeliveryDetail:
    """The delivery with every attempt (time, status code, latency, response excerpt, error)."""
    found = await gateway_of(request).store.deliveries.get(tenant.id, delivery_id)
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    delivery, attempts = found
    return DeliveryDetail(**_out(delivery), attempt_log=[_attempt(a) for a in attempts])


@router.post(
    "/{deliveryId}/resend",
    operation_id="resendDelivery",
    status_code=202,
    response_model=DeliveryOut,
    response_model_by_alias=True,
    summary="Re-send a delivery",
    responses=errors(404, 409),
)
async def resend_delivery(
    delivery_id: DeliveryId, request: Request, tenant: TenantDep
) -> DeliveryOut:
    """Queue a finished (failed or succeeded) delivery again, with a fresh retry schedule
    and the same webhook-id."""
    store = gateway_of(request).store
    found = await store.deliveries.get(tenant.id, delivery_id)
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    if not await store.deliveries.resend(tenant.id, delivery_id):
        raise Conflict(f"delivery {delivery_id} is still {found[0].state}; nothing to re-send")
    again = await store.deliveries.get(tenant.id, delivery_id)
    assert again is not None
    return DeliveryOut(**_out(again[0]))
