"""/v1/destinations: where a tenant's events go, how fast, signed with what; a test send.

Options: payload ``format``, ``events``, ``timeoutSeconds`` (1-30), ``retrySchedule``,
``maxRate`` (deliveries/s, per process; null: unlimited), ``maxInFlight`` (concurrent
requests, per process; null: the gateway's default), ``ordered`` (per-conversation order, on
by default), ``enabled``. Secrets rotate with a grace period during which both sign
(``POST /v1/destinations/{id}/rotate-secret``). The gateway disables a destination that
answers 410 or keeps failing (delivery/health.py); ``PATCH {"enabled": true}`` resumes it.
"""

from dataclasses import replace
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Request
from pydantic import Field, Strict, field_validator, model_validator
from pydantic.alias_generators import to_camel

from wahooks.api.apps import app_scope, destination_app, tenant_or_own_app
from wahooks.api.base import ApiModel, HttpUrl, iso
from wahooks.config import MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_S, validate_retry_schedule
from wahooks.delivery.signing import SIGNATURE_HEADERS, new_secret
from wahooks.delivery.webhook import prepare
from wahooks.errors import InvalidRequest, NotFound
from wahooks.formats import DEFAULT_FORMAT, FORMATS, SkipEvent
from wahooks.formats.samples import sample_event
from wahooks.gateway import Gateway, gateway_of
from wahooks.ids import new_id
from wahooks.models import (
    DEFAULT_EVENTS,
    DeliveryId,
    DeliveryMethod,
    Destination,
    EventType,
    Tenant,
)

router = APIRouter(prefix="/v1/destinations", tags=["destinations"])

Url = Annotated[HttpUrl, Field(max_length=2048)]
SecretField = Annotated[str, Field(min_length=16, max_length=256)]
Label = Annotated[str, Field(max_length=100)]
# Strict: a JSON number, as the document says; lax pydantic took false as 0 and "5" as 5.
Timeout = Annotated[float, Strict(), Field(ge=1, le=30, allow_inf_nan=False)]
MAX_RATE = 1000.0
MAX_IN_FLIGHT = 1000
MaxRate = Annotated[float, Field(gt=0, le=MAX_RATE, allow_inf_nan=False)]
MaxInFlight = Annotated[int, Field(ge=1, le=MAX_IN_FLIGHT)]
DEFAULT_GRACE_S = 86400.0
MAX_GRACE_S = 7 * 86400.0


def _check_format(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        raise ValueError(f"unknown format {value!r}; known: {', '.join(sorted(FORMATS))}")
    return value


def _check_schedule(value: list[float] | None) -> list[float] | None:
    return None if value is None else list(validate_retry_schedule(value))


SUBSCRIBABLE = tuple(e.value for e in EventType if e is not EventType.TEST)
# The validators check these; the document lists them too (as enums), so the docs show the
# choices and generated clients can check them.
FormatName = Annotated[str, Field(json_schema_extra={"enum": sorted(FORMATS)})]
EventName = Annotated[str, Field(json_schema_extra={"enum": list(SUBSCRIBABLE)})]
Schedule = Annotated[
    list[
        Annotated[
            float, Strict(), Field(json_schema_extra={"minimum": 0, "maximum": MAX_RETRY_DELAY_S})
        ]
    ],
    Field(json_schema_extra={"minItems": 1, "maxItems": MAX_RETRY_ATTEMPTS}),
]


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [e for e in value if e not in SUBSCRIBABLE]
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {', '.join(SUBSCRIBABLE)}")
    if not value:
        raise ValueError("must name at least one event type")
    return list(dict.fromkeys(value))


Method = Literal["webhook", "socket"]


class DestinationIn(ApiModel):
    method: Method = Field(
        "webhook",
        description="webhook: POST to url. socket: the tenant's WebSocket connections, "
        "queued while none is open.",
    )
    url: Url | None = Field(None, description="http(s) URL that receives the POSTs (webhook).")
    events: list[EventName] | None = Field(
        None,
        min_length=1,
        description=f"Event types to receive; default {', '.join(DEFAULT_EVENTS)}.",
    )
    secret: SecretField | None = Field(
        None, description="Signing secret, 16-256 characters; generated when absent."
    )
    label: Label | None = Field(None, description="Sent as pipes.label.")
    number_id: str | None = Field(None, description="Only this number's messages; all if absent.")
    activation_id: str | None = Field(
        None, description="Only this pool activation's conversations (act_…); all if absent."
    )
    app_id: str | None = Field(
        None,
        description="Only this App's events (its numbers'), retried 10 s, 60 s, 5 min by "
        "default; an App key's destinations are always its own App's.",
    )
    format: FormatName = Field(DEFAULT_FORMAT, description="Payload format.")
    timeout_seconds: Timeout | None = Field(None, description="Request timeout, 1-30 s.")
    retry_schedule: Schedule | None = Field(
        None, description="Delays in seconds before attempt 1, 2, ...; first is usually 0."
    )
    max_rate: MaxRate | None = Field(
        None,
        description=f"Most deliveries started per second (0 < maxRate <= {MAX_RATE:g}), in "
        "each gateway process; null: unlimited.",
    )
    max_in_flight: MaxInFlight | None = Field(
        None,
        description=f"Most requests at once (1-{MAX_IN_FLIGHT}), in each gateway process; "
        "null: the gateway's default (WAHOOKS_DEFAULT_MAX_IN_FLIGHT).",
    )
    ordered: bool = Field(
        True,
        description="Deliver a conversation's events one at a time, oldest first; false lets "
        "them go concurrently (a failing one does not hold up the next).",
    )

    _format = field_validator("format")(_check_format)
    _schedule = field_validator("retry_schedule")(_check_schedule)
    _events = field_validator("events")(_check_events)

    @model_validator(mode="after")
    def _webhook_has_url(self) -> "DestinationIn":
        if self.method == "webhook" and self.url is None:
            raise ValueError("url: required for a webhook destination")
        return self


class DestinationPatch(ApiModel):
    """Only the fields given change. ``secret`` replaces the secret at once (no grace
    period: see rotate-secret); ``maxRate``/``maxInFlight`` null go back to the default."""

    method: Method | None = None
    events: list[EventName] | None = Field(None, min_length=1)
    url: Url | None = None
    secret: SecretField | None = None
    label: Label | None = None
    number_id: str | None = None
    activation_id: str | None = None
    format: FormatName | None = None
    timeout_seconds: Timeout | None = None
    retry_schedule: Schedule | None = None
    max_rate: MaxRate | None = None
    max_in_flight: MaxInFlight | None = None
    ordered: bool | None = None
    enabled: bool | None = Field(
        None,
        description="false: no more POSTs (deliveries wait). true: resumes a disabled "
        "destination; what is still pending is due at once.",
    )

    _format = field_validator("format")(_check_format)
    _schedule = field_validator("retry_schedule")(_check_schedule)
    _events = field_validator("events")(_check_events)


class RotateIn(ApiModel):
    secret: SecretField | None = Field(
        None, description="The new secret, 16-256 characters; generated when absent."
    )
    grace_seconds: float = Field(
        DEFAULT_GRACE_S,
        ge=0,
        le=MAX_GRACE_S,
        allow_inf_nan=False,
        description="How long the old secret keeps signing too (default 24 h, at most 7 "
        "days; 0: not at all).",
    )


class DestinationOut(ApiModel):
    id: str
    method: str
    events: list[str]
    url: str | None
    label: str | None
    number_id: str | None
    activation_id: str | None
    format: str
    timeout_seconds: float
    retry_schedule: list[float]
    max_rate: float | None = Field(description="Deliveries per second; null: unlimited.")
    max_in_flight: int | None = Field(description="Requests at once; null: the default.")
    ordered: bool
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None = Field(
        description="When the gateway disabled it (410, or failing too long); null otherwise."
    )
    consecutive_failures: int = Field(description="Failed attempts since the last success.")
    failing_since: str | None = Field(description="When the current run of failures began.")
    previous_secret_expires_at: str | None = Field(
        description="Until then the previous secret signs every delivery too (rotation)."
    )
    created_at: str | None
    app_id: str | None = None
    secret: str | None = Field(None, description="Only in the answer that created or set it.")


class TestResult(ApiModel):
    success: bool
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None
    webhook_id: str
    format: str = Field(description="The payload format the test was rendered in.")
    payload: Any = Field(description="The JSON body that was POSTed (test: true in it).")
    signature_headers: dict[str, str] = Field(
        description="The signing headers sent: webhook-id, webhook-timestamp, "
        "webhook-signature, X-Pipes-Signature, X-Hub-Signature-256 (and the -Previous ones "
        "during a secret rotation)."
    )


def _out(d: Destination, now: float, *, with_secret: bool = False) -> DestinationOut:
    _, previous = d.signing_secrets(now)
    return DestinationOut(
        id=d.id,
        method=d.method,
        events=list(d.events),
        url=d.url or None,
        label=d.label,
        number_id=d.number_id,
        activation_id=d.activation_id,
        format=d.format,
        timeout_seconds=d.timeout_s,
        retry_schedule=list(d.retry_schedule),
        max_rate=d.max_rate,
        max_in_flight=d.max_in_flight,
        ordered=d.ordered,
        enabled=d.enabled,
        disabled_reason=d.disabled_reason,
        disabled_at=iso(d.disabled_at),
        consecutive_failures=d.consecutive_failures,
        failing_since=iso(d.failing_since),
        previous_secret_expires_at=iso(d.previous_secret_until) if previous else None,
        created_at=iso(d.created_at),
        app_id=d.app_id,
        secret=d.secret if with_secret else None,
    )


async def _check_number(gateway: Gateway, tenant: Tenant, number_id: str | None) -> None:
    if number_id is not None and await gateway.store.number(tenant.id, number_id) is None:
        raise InvalidRequest(f"numberId: no number {number_id}")


async def _check_activation(gateway: Gateway, tenant: Tenant, activation_id: str | None) -> None:
    if (
        activation_id is not None
        and await gateway.store.activation(tenant.id, activation_id) is None
    ):
        raise InvalidRequest(f"activationId: no activation {activation_id}")


async def _get(gateway: Gateway, tenant: Tenant, destination_id: str) -> Destination:
    destination = await gateway.store.destination(tenant.id, destination_id)
    if destination is None or app_scope(tenant) not in (None, destination.app_id):
        raise NotFound(f"no destination {destination_id}")
    return destination


# A tenant key, or an App key (which sees only its App's destinations).
TenantDep = Annotated[Tenant, Depends(tenant_or_own_app)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "not_found: no such destination for this tenant."}
}
INVALID = "invalid_request: a field is missing or not valid; the message names it."


@router.post(
    "",
    status_code=201,
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Create a destination",
    responses={400: {"description": INVALID + " (numberId: no such number)"}},
)
async def create_destination(
    body: DestinationIn, request: Request, tenant: TenantDep
) -> DestinationOut:
    """A webhook URL (or the tenant's sockets) that receives the chosen event types, in the
    chosen format, signed with the secret (shown only in this answer)."""
    gateway = gateway_of(request)
    await _check_number(gateway, tenant, body.number_id)
    await _check_activation(gateway, tenant, body.activation_id)
    app_id = await destination_app(gateway, tenant, body.app_id, body.number_id)
    settings = gateway.settings
    schedule = settings.app_retry_schedule if app_id else settings.default_retry_schedule
    destination = Destination(
        id=new_id("dst"),
        tenant_id=tenant.id,
        number_id=body.number_id,
        url=body.url or "",
        secret=body.secret or new_secret(),
        label=body.label,
        format=body.format,
        timeout_s=body.timeout_seconds or settings.default_timeout_s,
        retry_schedule=tuple(body.retry_schedule or schedule),
        enabled=True,
        disabled_reason=None,
        created_at=gateway.clock(),
        method=body.method,
        events=tuple(body.events or DEFAULT_EVENTS),
        activation_id=body.activation_id,
        app_id=app_id,
        max_rate=body.max_rate,
        max_in_flight=body.max_in_flight,
        ordered=body.ordered,
    )
    await gateway.store.create_destination(destination)
    return _out(destination, gateway.clock(), with_secret=True)


@router.get("", response_model=list[DestinationOut], response_model_by_alias=True,
            response_model_exclude_none=False, summary="List destinations")  # fmt: skip
async def list_destinations(request: Request, tenant: TenantDep) -> list[DestinationOut]:
    """Every destination of the tenant (an App key: of its App), oldest first, without
    secrets."""
    gateway = gateway_of(request)
    now = gateway.clock()
    scope = app_scope(tenant)
    destinations = await gateway.store.destinations(tenant.id)
    return [_out(d, now) for d in destinations if scope in (None, d.app_id)]


@router.get(
    "/{destination_id}",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Get a destination",
    responses=NOT_FOUND,
)
async def get_destination(
    destination_id: str, request: Request, tenant: TenantDep
) -> DestinationOut:
    """One destination with its options and health, without its secret."""
    gateway = gateway_of(request)
    return _out(await _get(gateway, tenant, destination_id), gateway.clock())


@router.patch(
    "/{destination_id}",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Change a destination",
    responses={
        400: {"description": INVALID + " A required field may not be null."},
        **NOT_FOUND,
    },
)
async def update_destination(
    destination_id: str, body: DestinationPatch, request: Request, tenant: TenantDep
) -> DestinationOut:
    """Change some fields. ``{"enabled": true}`` on a disabled destination resets its
    failure count and makes its pending deliveries due at once."""
    gateway = gateway_of(request)
    current = await _get(gateway, tenant, destination_id)
    changes = body.model_dump(exclude_unset=True)
    if "number_id" in changes:
        await _check_number(gateway, tenant, body.number_id)
        await destination_app(gateway, tenant, current.app_id, body.number_id)
    if "activation_id" in changes:
        await _check_activation(gateway, tenant, body.activation_id)
    for required in (
        "url", "format", "timeout_seconds", "retry_schedule", "enabled", "secret", "method",
        "events", "ordered",
    ):  # fmt: skip
        if required in changes and changes[required] is None:
            raise InvalidRequest(f"{to_camel(required)}: may not be null")
    method = changes.get("method", current.method)
    url = changes.get("url", current.url)
    if method == DeliveryMethod.WEBHOOK and not url:
        raise InvalidRequest("url: required to switch to method webhook")
    enabled = changes.get("enabled", current.enabled)
    reenabled = enabled and not current.enabled
    new_secret_given = "secret" in changes
    updated = replace(
        current,
        number_id=changes.get("number_id", current.number_id),
        url=url,
        secret=changes.get("secret", current.secret),
        label=changes.get("label", current.label),
        format=changes.get("format", current.format),
        timeout_s=changes.get("timeout_seconds", current.timeout_s),
        retry_schedule=tuple(changes.get("retry_schedule", current.retry_schedule)),
        enabled=enabled,
        disabled_reason=None
        if enabled
        else (current.disabled_reason or "disabled through the API"),
        method=method,
        events=tuple(changes.get("events", current.events)),
        activation_id=changes.get("activation_id", current.activation_id),
        app_id=current.app_id,
        max_rate=changes.get("max_rate", current.max_rate),
        max_in_flight=changes.get("max_in_flight", current.max_in_flight),
        ordered=changes.get("ordered", current.ordered),
        # A secret set here replaces the old one at once: it stops signing.
        previous_secret=None if new_secret_given else current.previous_secret,
        previous_secret_until=None if new_secret_given else current.previous_secret_until,
    )
    if reenabled:
        updated = replace(updated, consecutive_failures=0, failing_since=None, disabled_at=None)
    if not await gateway.store.update_destination(updated, reenabled=reenabled):
        raise NotFound(f"no destination {destination_id}")
    return _out(updated, gateway.clock(), with_secret=new_secret_given)


@router.post(
    "/{destination_id}/rotate-secret",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Rotate a destination's secret",
    responses={400: {"description": INVALID}, **NOT_FOUND},
)
async def rotate_secret(
    destination_id: str,
    request: Request,
    tenant: TenantDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> DestinationOut:
    """Replace the signing secret (the new one is in this answer, and only here). For
    ``graceSeconds`` (default 24 h) the old secret signs every delivery too: a second
    ``v1,`` signature in ``webhook-signature``, and ``X-Pipes-Signature-Previous`` /
    ``X-Hub-Signature-256-Previous`` beside the new secret's ``X-Pipes-Signature`` /
    ``X-Hub-Signature-256``. Rotating again within the grace period drops the oldest."""
    gateway = gateway_of(request)
    body = body or RotateIn()
    current = await _get(gateway, tenant, destination_id)
    now = gateway.clock()
    grace = body.grace_seconds
    updated = replace(
        current,
        secret=body.secret or new_secret(),
        previous_secret=current.secret if grace > 0 else None,
        previous_secret_until=now + grace if grace > 0 else None,
    )
    if not await gateway.store.update_destination(updated, reenabled=False):
        raise NotFound(f"no destination {destination_id}")
    return _out(updated, now, with_secret=True)


@router.delete(
    "/{destination_id}", status_code=204, summary="Delete a destination", responses=NOT_FOUND
)
async def delete_destination(destination_id: str, request: Request, tenant: TenantDep) -> None:
    """Delete it; its deliveries still pending are marked failed (destination_deleted)."""
    await _get(gateway_of(request), tenant, destination_id)  # an App: only its own
    if not await gateway_of(request).store.delete_destination(tenant.id, destination_id):
        raise NotFound(f"no destination {destination_id}")


@router.post(
    "/{destination_id}/test",
    response_model=TestResult,
    response_model_by_alias=True,
    summary="Send a test delivery",
    responses={
        400: {"description": "invalid_request: a socket destination cannot be tested."},
        **NOT_FOUND,
    },
)
async def test_destination(destination_id: str, request: Request, tenant: TenantDep) -> TestResult:
    """POST a sample message in the destination's format, marked ``test: true`` and signed
    like any delivery, now (also while it is disabled), and report how the receiver
    answered: status, latency, the start of its response, and the signature headers sent.
    A test send is not a delivery: it is not stored, retried or counted in its health."""
    gateway = gateway_of(request)
    destination = await _get(gateway, tenant, destination_id)
    if destination.method != DeliveryMethod.WEBHOOK:
        raise InvalidRequest("only a webhook destination can be tested; connect to /ws instead")
    numbers = [  # an App's sample shows one of its own numbers
        n for n in await gateway.store.numbers(tenant.id) if destination.app_id in (None, n.app_id)
    ]
    number = next(
        (n for n in numbers if n.id == destination.number_id), numbers[0] if numbers else None
    )
    webhook_id = new_id("test")
    now = gateway.clock()
    try:
        prepared = prepare(destination, sample_event(destination, number, now), webhook_id, now)
    except SkipEvent as skip:  # a format with no shape for a test message: nothing sent
        return TestResult(
            success=False,
            status_code=None,
            latency_ms=0.0,
            response_excerpt="",
            error=f"skipped: {skip.reason}",
            webhook_id=webhook_id,
            format=destination.format,
            payload=None,
            signature_headers={},
        )
    prepared = prepared.capped(gateway.settings.max_timeout_s)
    result = await gateway.sender.send(DeliveryId(webhook_id), prepared)
    return TestResult(
        success=result.succeeded,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_excerpt=result.response_excerpt,
        error=result.error_detail,
        webhook_id=webhook_id,
        format=destination.format,
        payload=orjson.loads(prepared.body),
        signature_headers={k: v for k, v in prepared.headers.items() if k in SIGNATURE_HEADERS},
    )
