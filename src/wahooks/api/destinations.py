"""/v1/destinations: where a tenant's events go, and a test send to check one."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from wahooks.api.apps import app_scope, destination_app, tenant_or_own_app
from wahooks.api.base import ApiModel, check_http_url, iso
from wahooks.config import validate_retry_schedule
from wahooks.delivery.signing import new_secret
from wahooks.delivery.webhook import prepare
from wahooks.errors import InvalidRequest, NotFound
from wahooks.formats import DEFAULT_FORMAT, FORMATS
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

Url = Annotated[str, Field(max_length=2048), AfterValidator(check_http_url)]
SecretField = Annotated[str, Field(min_length=16, max_length=256)]
Label = Annotated[str, Field(max_length=100)]
Timeout = Annotated[float, Field(ge=1, le=30)]


def _check_format(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        raise ValueError(f"unknown format {value!r}; known: {', '.join(sorted(FORMATS))}")
    return value


def _check_schedule(value: list[float] | None) -> list[float] | None:
    return None if value is None else list(validate_retry_schedule(value))


SUBSCRIBABLE = tuple(e.value for e in EventType if e is not EventType.TEST)


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
    events: list[str] | None = Field(
        None, description=f"Event types to receive; default {', '.join(DEFAULT_EVENTS)}."
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
    format: str = Field(DEFAULT_FORMAT, description="Payload format.")
    timeout_seconds: Timeout | None = Field(None, description="Request timeout, 1-30 s.")
    retry_schedule: list[float] | None = Field(
        None, description="Delays in seconds before attempt 1, 2, ...; first is usually 0."
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
    method: Method | None = None
    events: list[str] | None = None
    url: Url | None = None
    secret: SecretField | None = None
    label: Label | None = None
    number_id: str | None = None
    activation_id: str | None = None
    format: str | None = None
    timeout_seconds: Timeout | None = None
    retry_schedule: list[float] | None = None
    enabled: bool | None = None

    _format = field_validator("format")(_check_format)
    _schedule = field_validator("retry_schedule")(_check_schedule)
    _events = field_validator("events")(_check_events)


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
    enabled: bool
    disabled_reason: str | None
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


def _out(d: Destination, *, with_secret: bool = False) -> DestinationOut:
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
        enabled=d.enabled,
        disabled_reason=d.disabled_reason,
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


@router.post("", status_code=201, response_model=DestinationOut, response_model_by_alias=True)
async def create_destination(
    body: DestinationIn, request: Request, tenant: TenantDep
) -> DestinationOut:
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
    )
    await gateway.store.create_destination(destination)
    return _out(destination, with_secret=True)


@router.get("", response_model=list[DestinationOut], response_model_by_alias=True,
            response_model_exclude_none=False)  # fmt: skip
async def list_destinations(request: Request, tenant: TenantDep) -> list[DestinationOut]:
    scope = app_scope(tenant)
    destinations = await gateway_of(request).store.destinations(tenant.id)
    return [_out(d) for d in destinations if scope in (None, d.app_id)]


@router.get("/{destination_id}", response_model=DestinationOut, response_model_by_alias=True)
async def get_destination(
    destination_id: str, request: Request, tenant: TenantDep
) -> DestinationOut:
    return _out(await _get(gateway_of(request), tenant, destination_id))


@router.patch("/{destination_id}", response_model=DestinationOut, response_model_by_alias=True)
async def update_destination(
    destination_id: str, body: DestinationPatch, request: Request, tenant: TenantDep
) -> DestinationOut:
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
        "events",
    ):  # fmt: skip
        if required in changes and changes[required] is None:
            raise InvalidRequest(f"{to_camel(required)}: may not be null")
    method = changes.get("method", current.method)
    url = changes.get("url", current.url)
    if method == DeliveryMethod.WEBHOOK and not url:
        raise InvalidRequest("url: required to switch to method webhook")
    enabled = changes.get("enabled", current.enabled)
    updated = Destination(
        id=current.id,
        tenant_id=current.tenant_id,
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
        created_at=current.created_at,
        method=method,
        events=tuple(changes.get("events", current.events)),
        activation_id=changes.get("activation_id", current.activation_id),
        app_id=current.app_id,
    )
    if not await gateway.store.update_destination(updated):
        raise NotFound(f"no destination {destination_id}")
    return _out(updated, with_secret="secret" in changes)


@router.delete("/{destination_id}", status_code=204)
async def delete_destination(destination_id: str, request: Request, tenant: TenantDep) -> None:
    await _get(gateway_of(request), tenant, destination_id)  # an App: only its own
    if not await gateway_of(request).store.delete_destination(tenant.id, destination_id):
        raise NotFound(f"no destination {destination_id}")


@router.post("/{destination_id}/test", response_model=TestResult, response_model_by_alias=True)
async def test_destination(destination_id: str, request: Request, tenant: TenantDep) -> TestResult:
    """Send a sample payload marked ``test: true`` now, and report how the receiver answered."""
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
    prepared = prepare(
        destination, sample_event(destination, number, gateway.clock()), webhook_id, gateway.clock()
    )
    result = await gateway.sender.send(DeliveryId(webhook_id), prepared)
    return TestResult(
        success=result.succeeded,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_excerpt=result.response_excerpt,
        error=result.error_detail,
        webhook_id=webhook_id,
    )
