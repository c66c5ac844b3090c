"""The App scope of resources tenants and Apps share (destinations): an App key sees and
creates only its own App's."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from wahooks.api.auth import tenant_or_app
from wahooks.errors import Forbidden, InvalidRequest
from wahooks.gateway import Gateway
from wahooks.models import (
    KeyKind,
    Principal,
    Tenant,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppTenant(Tenant):
    """The tenant of a request made with an App's key, and that App: it sees only the App's
    own resources."""

    app_id: str


async def tenant_or_own_app(who: Annotated[Principal, Depends(tenant_or_app)]) -> Tenant:
    """FastAPI dependency: the tenant of a pk_live_ key, or an AppTenant for an ak_live_ key."""
    assert who.tenant is not None
    if who.kind is KeyKind.APP:
        assert who.app_id is not None
        t = who.tenant
        return AppTenant(id=t.id, name=t.name, created_at=t.created_at, app_id=who.app_id)
    return who.tenant


def app_scope(tenant: Tenant) -> str | None:
    """The App a request is limited to, or None for the tenant itself."""
    return tenant.app_id if isinstance(tenant, AppTenant) else None


async def destination_app(
    gateway: Gateway, tenant: Tenant, app_id: str | None, number_id: str | None
) -> str | None:
    """The App a new destination is scoped to (an App key: its own; a tenant key: ``appId``,
    one of its Apps), checking that ``numberId``, if any, is that App's."""
    own = app_scope(tenant)
    if own is not None:
        if app_id is not None and app_id != own:
            raise Forbidden("appId: an App key creates destinations for its own App only")
        app_id = own
    elif app_id is not None and await gateway.store.apps.get(tenant.id, app_id) is None:
        raise InvalidRequest(f"appId: no app {app_id}")
    if app_id is not None and number_id is not None:
        if await gateway.store.apps.number(app_id, number_id) is None:
            raise InvalidRequest(f"numberId: no number {number_id} of app {app_id}")
    return app_id
