"""Creating, listing, reading, changing and deleting destinations.

A change that re-enables a disabled destination starts its health afresh and makes what
is still pending due at once (the store does both in the transaction that saves it).
"""

from dataclasses import replace

from fastapi import APIRouter, Request
from pydantic.alias_generators import to_camel

from wahooks.api.app_scope import app_scope, destination_app
from wahooks.api.destinations.access import (
    INVALID,
    NOT_FOUND,
    DestinationId,
    TenantDep,
    _check_activation,
    _check_number,
    _get,
)
from wahooks.api.destinations.brokers import changed_broker, new_broker
from wahooks.api.destinations.models import DestinationIn, DestinationOut, DestinationPatch, _out
from wahooks.delivery.signing import new_secret
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.ids import new_id
from wahooks.models import (
    DEFAULT_EVENTS,
    DeliveryMethod,
    Destination,
)

router = APIRouter(prefix="/v1/destinations")


@router.post(
    "",
    operation_id="createDestination",
    status_code=201,
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Create a destination",
    responses={400: {"description": INVALID + " (numberId: no such number)"}},
)
async def create_destination(
    body: DestinationIn, request: Request, tenant: TenantDep
) -> DestinationOut:
    """A webhook URL (or the tenant's sockets, or a message bus: NATS JetStream, Redis
    Streams, RabbitMQ) that receives the chosen event types, in the chosen format, signed
    with the secret (shown only in this answer)."""
    gateway = gateway_of(request)
    broker = new_broker(body.method, body.broker)
    if broker is not None and body.url is not None:
        raise InvalidRequest("url: a message bus destination's address is broker.url")
    await _check_number(gateway, tenant, body.number_id)
    app_id = await destination_app(gateway, tenant, body.app_id, body.number_id)
    await _check_activation(gateway, tenant, body.activation_id, app_id)
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
        broker=broker,
    )
    await gateway.store.destinations.create(destination)
    return _out(destination, gateway.clock(), with_secret=True)


@router.get(
    "",
    operation_id="listDestinations",
    response_model=list[DestinationOut],
    response_model_by_alias=True,
    response_model_exclude_none=False,
    summary="List destinations",
)
async def list_destinations(request: Request, tenant: TenantDep) -> list[DestinationOut]:
    """Every destination of the tenant (an App key: of its App), oldest first, without
    secrets."""
    gateway = gateway_of(request)
    now = gateway.clock()
    scope = app_scope(tenant)
    destinations = await gateway.store.destinations.of_tenant(tenant.id)
    return [_out(d, now) for d in destinations if scope in (None, d.app_id)]


@router.get(
    "/{destinationId}",
    operation_id="getDestination",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Get a destination",
    responses=NOT_FOUND,
)
async def get_destination(
    destination_id: DestinationId, request: Request, tenant: TenantDep
) -> DestinationOut:
    """One destination with its options and health, without its secret."""
    gateway = gateway_of(request)
    return _out(await _get(gateway, tenant, destination_id), gateway.clock())


@router.patch(
    "/{destinationId}",
    operation_id="updateDestination",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Change a destination",
    responses={
        400: {"description": INVALID + " A required field may not be null."},
        **NOT_FOUND,
    },
)
async def update_destination(
    destination_id: DestinationId, body: DestinationPatch, request: Request, tenant: TenantDep
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
        await _check_activation(gateway, tenant, body.activation_id, current.app_id)
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
    broker = changed_broker(method, current.broker, changes.get("broker"), "broker" in changes)
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
        broker=broker,
        # A secret set here replaces the old one at once: it stops signing.
        previous_secret=None if new_secret_given else current.previous_secret,
        previous_secret_until=None if new_secret_given else current.previous_secret_until,
    )
    if reenabled:
        updated = replace(updated, consecutive_failures=0, failing_since=None, disabled_at=None)
    if not await gateway.store.destinations.update(updated, reenabled=reenabled):
        raise NotFound(f"no destination {destination_id}")
    return _out(updated, gateway.clock(), with_secret=new_secret_given)


@router.delete(
    "/{destinationId}",
    operation_id="deleteDestination",
    status_code=204,
    summary="Delete a destination",
    responses=NOT_FOUND,
)
async def delete_destination(
    destination_id: DestinationId, request: Request, tenant: TenantDep
) -> None:
    """Delete it; its deliveries still pending are marked failed (destination_deleted)."""
    gateway = gateway_of(request)
    await _get(gateway, tenant, destination_id)  # an App: only its own
    if not await gateway.store.destinations.delete(tenant.id, destination_id):
        raise NotFound(f"no destination {destination_id}")
    # Its broker connection in this process; other processes' close once idle (pool.py).
    await gateway.senders.forget(destination_id)
