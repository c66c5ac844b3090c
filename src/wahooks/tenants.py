"""The CLI's bootstrap: a tenant with its first API key, and operator keys (the first one
on a fresh database), written straight to the database (accounts.py does the work; this
opens and closes the store around it)."""

from wahooks import accounts
from wahooks.config import Settings
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
