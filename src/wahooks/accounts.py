"""Tenants and their keys: the operations the REST API, the CLI and the demo share.

Below the web layer (the API maps their results and errors to HTTP; the CLI prints them), so
"a tenant with its first key" is the same one transaction whoever asks for it, and a key is
made, hashed and stored the same way everywhere. Each function returns the key itself: it is
shown once and never stored.
"""

from typing import NamedTuple

from wahooks.ids import new_id
from wahooks.keys import new_key
from wahooks.models import App, KeyKind, KeyRecord, Tenant
from wahooks.store import Store


class IssuedKey(NamedTuple):
    key: str  # shown this once
    record: KeyRecord  # what is stored and listed


async def create_tenant_with_key(
    store: Store, name: str, key_label: str | None = None
) -> tuple[Tenant, IssuedKey]:
    """A new tenant and its first ``pk_live_`` key, in one transaction."""
    made = new_key(KeyKind.TENANT)
    tenant, record = await store.tenants.create_tenant_with_key(
        new_id("ten"), name, made.prefix, made.key_hash, key_label
    )
    return tenant, IssuedKey(made.key, record)


async def issue_tenant_key(store: Store, tenant_id: str, label: str | None = None) -> IssuedKey:
    """Another ``pk_live_`` key for the tenant."""
    made = new_key(KeyKind.TENANT)
    record = await store.tenants.add_api_key(tenant_id, made.prefix, made.key_hash, label)
    return IssuedKey(made.key, record)


async def issue_operator_key(store: Store, label: str | None = None) -> IssuedKey:
    """A new ``op_live_`` key (on a fresh database, the operator's first)."""
    made = new_key(KeyKind.OPERATOR)
    record = await store.tenants.add_operator_key(made.prefix, made.key_hash, label)
    return IssuedKey(made.key, record)


async def regenerate_app_key(store: Store, tenant_id: str, app_id: str) -> tuple[App, str] | None:
    """A new ``ak_live_`` key for the tenant's App, replacing its old one at once; None when
    the tenant has no such App."""
    made = new_key(KeyKind.APP)
    app = await store.apps.set_key(tenant_id, app_id, made.prefix, made.key_hash)
    return None if app is None else (app, made.key)
