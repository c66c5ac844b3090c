"""Where a tenant's or an App's events go."""

from wahooks.models import (
    Destination,
)
from wahooks.store import destination_ops
from wahooks.store import destination_ops as dest_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class Destinations(Area):
    async def create(self, destination: Destination) -> Destination:
        """With its options (rate, in-flight, ordering)."""
        return await self.connector.transaction(
            dest_ops.create_destination(destination, self.keyring)
        )

    async def get(self, tenant_id: str, destination_id: str) -> Destination | None:
        return await self.connector.read(
            destination_ops.destination_by_id(tenant_id, destination_id, self.keyring)
        )

    async def of_tenant(self, tenant_id: str) -> list[Destination]:
        return await self.connector.read(
            destination_ops.destinations_of_tenant(tenant_id, self.keyring)
        )

    async def update(self, destination: Destination, *, reenabled: bool = False) -> bool:
        """Every field of the destination; ``reenabled``: it was disabled and is enabled now
        (health reset, pending deliveries due at once). False: no such destination."""
        changed = await self.connector.transaction(
            dest_ops.update_destination(
                destination, self.clock(), self.keyring, reenabled=reenabled
            )
        )
        # Re-enabling, or a new delivery method: claimable now.
        self.notifier.publish(Topic.DELIVERIES, [destination.tenant_id])
        if changed and reenabled:
            await self.notifier.notify_others((Topic.DELIVERIES, [destination.tenant_id]))
        return changed

    async def delete(self, tenant_id: str, destination_id: str) -> bool:
        return await self.connector.transaction(
            destination_ops.delete_destination(tenant_id, destination_id, self.clock())
        )
