"""The CLI's bootstrap: a tenant with its first API key, and operator keys (the first one
on a fresh database), written straight to the database."""

from wahooks.api.auth import issue_operator_key, issue_tenant_key
from wahooks.config import Settings
from wahooks.ids import new_id
from wahooks.store import open_store


async def create_tenant_with_key(settings: Settings, name: str) -> tuple[str, str]:
    store = await open_store(settings)
    try:
        tenant = await store.create_tenant(new_id("ten"), name)
        return tenant.id, await issue_tenant_key(store, tenant.id)
    finally:
        await store.close()


async def create_operator_key(settings: Settings, label: str | None) -> str:
    """A new operator key (op_live_…), shown once; the database is migrated if new."""
    store = await open_store(settings)
    try:
        return await issue_operator_key(store, label)
    finally:
        await store.close()
