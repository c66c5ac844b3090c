"""Tenants' activations of pool numbers."""

from wahooks.store import activation_ops
from wahooks.store.area import Area


class Activations(Area):
    async def create(
        self,
        activation_id: str,
        tenant_id: str,
        number_id: str,
        hashed_code: str,
        label: str | None,
        *,
        ttl_s: float,
        max_pending: int,
    ) -> activation_ops.Activation:
        """A pending activation; Duplicate if the number had this code before,
        TooManyPending if the tenant holds ``max_pending`` unexpired codes already."""
        return await self.connector.transaction(
            activation_ops.create_activation(
                activation_id,
                tenant_id,
                number_id,
                hashed_code,
                label,
                now=self.clock(),
                ttl_s=ttl_s,
                max_pending=max_pending,
            )
        )

    async def get(self, tenant_id: str, activation_id: str) -> activation_ops.Activation | None:
        return await self.connector.read(
            activation_ops.activation_by_id(tenant_id, activation_id, self.clock())
        )

    async def of_tenant(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        number_id: str | None = None,
        limit: int = 100,
    ) -> list[activation_ops.Activation]:
        return await self.connector.read(
            activation_ops.list_activations(
                tenant_id, state=state, number_id=number_id, limit=limit, now=self.clock()
            )
        )

    async def label(
        self, tenant_id: str, activation_id: str, label: str | None
    ) -> activation_ops.Activation | None:
        return await self.connector.transaction(
            activation_ops.set_activation_label(tenant_id, activation_id, label, self.clock())
        )

    async def deactivate(
        self, tenant_id: str, activation_id: str
    ) -> activation_ops.Activation | None:
        return await self.connector.transaction(
            activation_ops.deactivate_activation(tenant_id, activation_id, self.clock())
        )
