"""/v1/apps: a tenant's Apps; /v1/app: an App reading itself with its own key.

An App owns dedicated numbers (registered with ``appId``, or with the App's key, through
``POST /v1/numbers``); every sender's messages on them go to the App: to its destinations
(``POST /v1/destinations`` with the App's key or ``appId``) and to its WebSocket
connections (``/ws?apiKey=ak_live_…``), in parallel. Each App gets a socket destination when
it is created: its connections' queue, kept while none is open.

- The key (``ak_live_`` + 32 characters) is shown once, at creation and when regenerated;
  regenerating replaces it at once (the old key gets 401, its sockets here are closed).
- The slug (3-40 of ``a-z``, ``0-9``, ``-``; unique among live Apps) cannot be changed.
- Deleting an App is refused (409) while numbers are connected to it: disconnect them first
  (``DELETE /v1/numbers/{id}``), so no message of a live number ever goes nowhere. A deleted
  App's key stops working, its destinations are deleted (what they still had to deliver is
  failed with ``app_deleted``), and its slug is free again.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from wahooks.accounts import regenerate_app_key
from wahooks.api.auth import current_app, current_tenant
from wahooks.api.base import ApiModel, examples, iso
from wahooks.delivery.signing import new_secret
from wahooks.errors import Conflict, InvalidRequest, NotFound
from wahooks.formats import DEFAULT_FORMAT
from wahooks.gateway import Gateway, gateway_of
from wahooks.ids import new_id
from wahooks.keys import lookup_prefix, new_key
from wahooks.models import (
    DEFAULT_EVENTS,
    App,
    AppNumber,
    DeliveryMethod,
    Destination,
    KeyKind,
    Principal,
    Tenant,
)
from wahooks.send.messenger import SERVICE_WINDOW_S
from wahooks.store import Duplicate

router = APIRouter(prefix="/v1/apps", tags=["apps"])
AppId = Annotated[str, Path(alias="appId")]
own_router = APIRouter(prefix="/v1/app", tags=["apps"])

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"
Name = Annotated[str, Field(min_length=1, max_length=100, description="A name for people.")]
Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        description="URL-safe and unique: 3-40 lowercase letters, digits and hyphens, not "
        "starting or ending with a hyphen. Cannot be changed later.",
        examples=["support-bot"],
    ),
]


class AppIn(ApiModel):
    model_config = ApiModel.model_config | examples({"name": "Support bot", "slug": "support-bot"})

    name: Name
    slug: Slug


class AppPatch(ApiModel):
    model_config = ApiModel.model_config | examples({"name": "Support bot (EU)"})

    name: Name | None = None
    slug: str | None = Field(
        None, description="Immutable: only the App's current slug is accepted here."
    )


class AppNumberOut(ApiModel):
    id: str = Field(description="Our number id: the poolNumberId of app/send and passthrough.")
    phone_number_id: str
    display_phone_number: str
    display_name: str | None
    health: str = Field(description="healthy, degraded, down, or unknown (not checked yet).")
    health_detail: str | None
    connected_since: str | None
    active_conversations: int = Field(
        description="Conversations whose 24-hour window is open (a message in the last 24 h)."
    )


class AppOut(ApiModel):
    id: str
    name: str
    slug: str
    key_prefix: str | None = Field(description="The key's first characters, to recognise it.")
    health: str = Field(
        description="down if every number is down; degraded if any is degraded or down; "
        "healthy if any is healthy; else unknown (no numbers, or none checked yet)."
    )
    numbers: list[AppNumberOut]
    created_at: str | None
    updated_at: str | None


class AppCreated(AppOut):
    api_key: str = Field(description="The App's key (ak_live_…): shown only this once.")
    socket_destination_id: str = Field(
        description="The App's socket destination: the queue of its WebSocket connections."
    )


class AppKeyOut(ApiModel):
    id: str
    api_key: str = Field(description="The new key: shown only this once; the old one is dead.")
    key_prefix: str


def app_health(numbers: list[AppNumber]) -> str:
    states = [n.number.health for n in numbers]
    if states and all(s == "down" for s in states):
        return "down"
    if any(s in ("degraded", "down") for s in states):
        return "degraded"
    if any(s == "healthy" for s in states):
        return "healthy"
    return "unknown"


def _number_out(entry: AppNumber) -> AppNumberOut:
    n = entry.number
    return AppNumberOut(
        id=n.id,
        phone_number_id=n.phone_number_id,
        display_phone_number=n.display_phone_number,
        display_name=n.display_name,
        health=n.health,
        health_detail=n.health_detail,
        connected_since=iso(n.created_at),
        active_conversations=entry.active_conversations,
    )


def _out(app: App, numbers: list[AppNumber]) -> AppOut:
    return AppOut(
        id=app.id,
        name=app.name,
        slug=app.slug,
        key_prefix=app.key_prefix,
        health=app_health(numbers),
        numbers=[_number_out(n) for n in numbers],
        created_at=iso(app.created_at),
        updated_at=iso(app.updated_at),
    )


async def _numbers(gateway: Gateway, tenant_id: str, app_id: str | None) -> list[AppNumber]:
    return await gateway.store.apps.numbers(tenant_id, app_id, window_s=SERVICE_WINDOW_S)


async def _get(gateway: Gateway, tenant: Tenant, app_id: str) -> App:
    app = await gateway.store.apps.get(tenant.id, app_id)
    if app is None:
        raise NotFound(f"no app {app_id}")
    return app


TenantDep = Annotated[Tenant, Depends(current_tenant)]
AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, malformed, unknown or revoked key."},
    403: {"description": "Not a tenant key (pk_live_…)."},
}
NOT_FOUND: dict[int | str, dict[str, str]] = {
    404: {"description": "No such App of this tenant (another tenant's Apps are not found)."}
}


@router.post(
    "",
    operation_id="createApp",
    status_code=201,
    response_model=AppCreated,
    response_model_by_alias=True,
    summary="Create an App",
    responses={
        **AUTH_ERRORS,
        400: {"description": "Bad name or slug (3-40 of a-z, 0-9, -)."},
        409: {"description": "The slug is taken."},
    },
)
async def create_app(body: AppIn, request: Request, tenant: TenantDep) -> AppCreated:
    """Create an App and its key (shown once), with a socket destination for its
    WebSocket connections."""
    gateway = gateway_of(request)
    made = new_key(KeyKind.APP)
    now = gateway.clock()
    app = App(
        id=new_id("app"),
        tenant_id=tenant.id,
        name=body.name,
        slug=body.slug,
        key_prefix=made.prefix,
        created_at=now,
        updated_at=now,
    )
    socket = Destination(
        id=new_id("dst"),
        tenant_id=tenant.id,
        number_id=None,
        url="",
        secret=new_secret(),
        label=None,
        format=DEFAULT_FORMAT,
        timeout_s=gateway.settings.default_timeout_s,
        retry_schedule=tuple(gateway.settings.app_retry_schedule),
        enabled=True,
        disabled_reason=None,
        created_at=now,
        method=DeliveryMethod.SOCKET.value,
        events=DEFAULT_EVENTS,
        app_id=app.id,
    )
    try:
        await gateway.store.apps.create(app, made.key_hash, socket)
    except Duplicate as exc:
        raise Conflict(f"slug {body.slug} is already taken; choose another") from exc
    out = _out(app, [])
    return AppCreated(**out.model_dump(), api_key=made.key, socket_destination_id=socket.id)


@router.get(
    "",
    operation_id="listApps",
    response_model=list[AppOut],
    response_model_by_alias=True,
    summary="List the tenant's Apps",
    responses=AUTH_ERRORS,
)
async def list_apps(request: Request, tenant: TenantDep) -> list[AppOut]:
    """The tenant's live Apps, oldest first, each with its numbers and health."""
    gateway = gateway_of(request)
    numbers = await _numbers(gateway, tenant.id, None)
    return [
        _out(app, [n for n in numbers if n.number.app_id == app.id])
        for app in await gateway.store.apps.of_tenant(tenant.id)
    ]


@router.get(
    "/{appId}",
    operation_id="getApp",
    response_model=AppOut,
    response_model_by_alias=True,
    summary="Get an App",
    responses={**AUTH_ERRORS, **NOT_FOUND},
)
async def get_app(app_id: AppId, request: Request, tenant: TenantDep) -> AppOut:
    """One App with its numbers (health, active conversations) and its overall health."""
    gateway = gateway_of(request)
    app = await _get(gateway, tenant, app_id)
    return _out(app, await _numbers(gateway, tenant.id, app.id))


@router.patch(
    "/{appId}",
    operation_id="updateApp",
    response_model=AppOut,
    response_model_by_alias=True,
    summary="Rename an App",
    responses={
        **AUTH_ERRORS,
        **NOT_FOUND,
        400: {"description": "A bad name, or a slug other than the App's own (immutable)."},
    },
)
async def update_app(app_id: AppId, body: AppPatch, request: Request, tenant: TenantDep) -> AppOut:
    """Change an App's name. Its slug cannot be changed."""
    gateway = gateway_of(request)
    app = await _get(gateway, tenant, app_id)
    if body.slug is not None and body.slug != app.slug:
        raise InvalidRequest(f"slug: an App's slug cannot be changed (it is {app.slug})")
    if "name" in body.model_fields_set and body.name is None:
        raise InvalidRequest("name: may not be null")
    if body.name is not None and body.name != app.name:
        renamed = await gateway.store.apps.rename(tenant.id, app_id, body.name)
        if renamed is None:
            raise NotFound(f"no app {app_id}")
        app = renamed
    return _out(app, await _numbers(gateway, tenant.id, app.id))


@router.post(
    "/{appId}/key",
    operation_id="regenerateAppKey",
    response_model=AppKeyOut,
    response_model_by_alias=True,
    summary="Regenerate an App's key",
    responses={**AUTH_ERRORS, **NOT_FOUND},
)
async def regenerate_key(app_id: AppId, request: Request, tenant: TenantDep) -> AppKeyOut:
    """A new key for the App, shown once. The old key stops working at once (401), and the
    App's sockets opened with it on this process are closed (code 4401)."""
    gateway = gateway_of(request)
    regenerated = await regenerate_app_key(gateway.store, tenant.id, app_id)
    if regenerated is None:
        raise NotFound(f"no app {app_id}")
    app, key = regenerated
    await gateway.hub.close_app(tenant.id, app_id, "key regenerated")
    return AppKeyOut(id=app.id, api_key=key, key_prefix=lookup_prefix(key))


@router.delete(
    "/{appId}",
    operation_id="deleteApp",
    status_code=204,
    summary="Delete an App",
    responses={
        **AUTH_ERRORS,
        **NOT_FOUND,
        409: {"description": "Numbers are still connected to it: disconnect them first."},
    },
)
async def delete_app(app_id: AppId, request: Request, tenant: TenantDep) -> None:
    """Delete an App that has no numbers left: its key stops working, its destinations go
    (undelivered events fail with app_deleted), its slug is free again."""
    gateway = gateway_of(request)
    await _get(gateway, tenant, app_id)
    if not await gateway.store.apps.delete(tenant.id, app_id):
        numbers = await _numbers(gateway, tenant.id, app_id)
        if not numbers:  # deleted meanwhile by another request
            raise NotFound(f"no app {app_id}")
        ids = ", ".join(n.number.id for n in numbers)
        raise Conflict(
            f"app {app_id} still has {len(numbers)} number(s) ({ids}): disconnect them "
            "first (DELETE /v1/numbers/{id})",
        )
    await gateway.hub.close_app(tenant.id, app_id, "app deleted")


@own_router.get(
    "",
    operation_id="getOwnApp",
    response_model=AppOut,
    response_model_by_alias=True,
    summary="The calling App",
    responses={
        401: AUTH_ERRORS[401],
        403: {"description": "Not an App key (ak_live_…)."},
    },
)
async def get_own_app(request: Request, who: Annotated[Principal, Depends(current_app)]) -> AppOut:
    """The App whose key made the request, with its numbers and health."""
    gateway = gateway_of(request)
    assert who.tenant is not None and who.app_id is not None
    app = await gateway.store.apps.get(who.tenant.id, who.app_id)
    if app is None:  # deleted between the key check and now
        raise NotFound(f"no app {who.app_id}")
    return _out(app, await _numbers(gateway, who.tenant.id, app.id))
