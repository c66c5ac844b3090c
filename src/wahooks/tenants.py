"""Creating a tenant with its first API key (the CLI's bootstrap)."""

from wahooks.api.auth import issue_tenant_key
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
