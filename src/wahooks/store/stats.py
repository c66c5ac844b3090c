"""Figures for the dashboard's charts: deliveries per time bucket, the queues now."""

from wahooks.models import DeliveryCount, OpenQueue
from wahooks.store import stats_ops
from wahooks.store.area import Area


class Stats(Area):
    async def delivery_counts(
        self, tenant_id: str, *, since: float, until: float, width_s: float
    ) -> list[DeliveryCount]:
        """The tenant's deliveries created in [since, until), counted per ``width_s``
        bucket, destination, state, latency bin and bucket finished in."""
        return await self.connector.read(
            stats_ops.delivery_counts(tenant_id, since, until, width_s)
        )

    async def open_queues(self, tenant_id: str) -> list[OpenQueue]:
        return await self.connector.read(stats_ops.open_queues(tenant_id))
