"""Tenants, their API keys and the operator's keys."""

from wahooks.models import (
    KeyRecord,
    Tenant,
)
from wahooks.store import keys_ops
from wahooks.store.area import Area
from wahooks.store.base import Operation


class Tenants(Area):
    async def create_tenant(self, tenant_id: str, name: str) -> Tenant:
        return await self.connector.transaction(
            keys_ops.create_tenant(tenant_id, name, self.clock())
        )

    async def find_api_key(self, prefix: str) -> tuple[Tenant, str] | None:
        return await self.connector.read(keys_ops.find_api_key(prefix))

    async def get(self, tenant_id: str) -> Tenant | None:
        return await self.connector.read(keys_ops.tenant_by_id(tenant_id))

    async def app_tenant(self, app_id: str) -> str | None:
        """The tenant of a live App, or None."""
        return await self.connector.read(keys_ops.app_tenant(app_id))

    async def create_operator_key(self, prefix: str, key_hash: str, label: str | None) -> str:
        return await self.connector.transaction(
            keys_ops.create_operator_key(prefix, key_hash, label, self.clock())
        )

    async def find_operator_key(self, prefix: str) -> str | None:
        return await self.connector.read(keys_ops.find_operator_key(prefix))

    async def find_app_key(self, prefix: str) -> tuple[Tenant, str, str] | None:
        return await self.connector.read(keys_ops.find_app_key(prefix))

    async def all(self) -> list[Tenant]:
        return await self.connector.read(keys_ops.list_tenants())

    async def create_tenant_with_key(
        self, tenant_id: str, name: str, prefix: str, key_hash: str, label: str | None
    ) -> tuple[Tenant, KeyRecord]:
        """A tenant and its first key, in one transaction."""
        now = self.clock()

        def op() -> Operation[tuple[Tenant, KeyRecord]]:
            tenant = yield from keys_ops.create_tenant(tenant_id, name, now)
            key = yield from keys_ops.add_api_key(tenant_id, prefix, key_hash, label, now)
            return tenant, key

        return await self.connector.transaction(op())

    async def add_api_key(
        self, tenant_id: str, prefix: str, key_hash: str, label: str | None
    ) -> KeyRecord:
        return await self.connector.transaction(
            keys_ops.add_api_key(tenant_id, prefix, key_hash, label, self.clock())
        )

    async def api_keys(self, tenant_id: str) -> list[KeyRecord]:
        return await self.connector.read(keys_ops.api_keys_of_tenant(tenant_id))

    async def revoke_api_key(
        self, tenant_id: str, key_id: str, *, keep_one: bool
    ) -> KeyRecord | None:
        """None: no such key of this tenant; LastKey: it is the last live one and
        ``keep_one`` was asked."""
        return await self.connector.transaction(
            keys_ops.revoke_api_key(tenant_id, key_id, self.clock(), keep_one=keep_one)
        )

    async def add_operator_key(self, prefix: str, key_hash: str, label: str | None) -> KeyRecord:
        key_id = await self.create_operator_key(prefix, key_hash, label)
        found = await self.connector.read(keys_ops.operator_key(key_id))
        assert found is not None
        return found

    async def operator_keys(self) -> list[KeyRecord]:
        return await self.connector.read(keys_ops.list_operator_keys())

    async def revoke_operator_key(self, key_id: str) -> KeyRecord | None:
        """None: no such key; LastKey: it is the last live operator key."""
        return await self.connector.transaction(keys_ops.revoke_operator_key(key_id, self.clock()))
