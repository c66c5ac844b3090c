"""The CLI's bootstrap and housekeeping: a tenant with its first API key, operator keys (the
first one on a fresh database), and listing and revoking keys, straight on the database
(accounts.py and the store do the work; this opens and closes the store around it)."""

from wahooks import accounts
from wahooks.config import Settings
from wahooks.models import KeyRecord, Tenant
from wahooks.store import open_store


async def create_tenant_with_key(settings: Settings, name: str) -> tuple[str, str]:
    store = await open_store(settings)
    try:
        tenant, issued = await accounts.create_tenant_with_key(store, name)
        return tenant.id, issued.key
    finally:
        await store.close()


async def create_operator_key(settings: Settings, label: str | None) -> str:
    """A new operator key (op_live_…), shown once; the database is migrated if new."""
    store = await open_store(settings)
    try:
        return (await accounts.issue_operator_key(store, label)).key
    finally:
        await store.close()


async def list_tenants(settings: Settings) -> list[Tenant]:
    store = await open_store(settings)
    try:
        return await store.tenants.all()
    finally:
        await store.close()


async def list_keys(settings: Settings, tenant_id: str | None) -> list[KeyRecord] | None:
    """A tenant's API keys (None: no such tenant), or with no tenant the operator's keys:
    prefixes and labels only, never a key."""
    store = await open_store(settings)
    try:
        if tenant_id is None:
            return await store.tenants.operator_keys()
        if await store.tenants.get(tenant_id) is None:
            return None
        return await store.tenants.api_keys(tenant_id)
    finally:
        await store.close()


async def revoke_key(settings: Settings, tenant_id: str | None, key_id: str) -> KeyRecord | None:
    """Revoke a tenant's key (the operator may revoke its last one), or with no tenant an
    operator key (never the last one: LastKey). None: no such key."""
    store = await open_store(settings)
    try:
        if tenant_id is None:
            return await store.tenants.revoke_operator_key(key_id)
        return await store.tenants.revoke_api_key(tenant_id, key_id, keep_one=False)
    finally:
        await store.close()
