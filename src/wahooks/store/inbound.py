"""What Meta sends, stored in one transaction; what we sent, recorded."""

from collections.abc import Collection

from wahooks.models import (
    IngestBatch,
    IngestOutcome,
    JsonObject,
    Number,
)
from wahooks.store import change_ops, ingest_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class Inbound(Area):
    async def ingest(self, numbers: dict[str, Number], batch: IngestBatch) -> IngestOutcome:
        outcome = await self.connector.transaction(
            ingest_ops.ingest(numbers, batch, self.clock(), self.media_ttl_s)
        )
        news: list[tuple[Topic, Collection[str] | None]] = []
        if outcome.notices:
            news.append((Topic.NOTICES, None))
        if outcome.media_jobs:
            news.append((Topic.MEDIA, outcome.tenants))
        if outcome.deliveries:
            news.append((Topic.DELIVERIES, outcome.tenants))
        if news:
            await self.notifier.announce(*news)
        return outcome

    async def record_outbound(
        self,
        number: Number,
        to_wa_id: str,
        wamid: str,
        message_type: str,
        item: JsonObject,
        *,
        tenant_id: str | None = None,
    ) -> str:
        """Store a message we sent (and its message:out:new event); returns its conversation.
        ``tenant_id``: whose conversation it is (a pool number has no tenant of its own)."""
        tenant_id = tenant_id or number.tenant_id
        if tenant_id is None:
            raise ValueError(f"a message sent from pool number {number.id} needs its tenant")
        conversation_id, deliveries = await self.connector.transaction(
            ingest_ops.record_outbound(
                number, tenant_id, to_wa_id, wamid, message_type, item, self.clock()
            )
        )
        if deliveries:
            await self.notifier.deliveries_ready([tenant_id])
        return conversation_id

    async def publish_external_statuses(self, grace_s: float, limit: int = 100) -> int:
        """Publish statuses of messages sent elsewhere that waited ``grace_s`` for a send of
        ours to match them; returns how many rows were claimed (the caller loops while
        that is ``limit``)."""
        now = self.clock()
        claimed, tenants = await self.connector.transaction(
            change_ops.publish_external(now - grace_s, limit, now, self.keyring)
        )
        if tenants:
            await self.notifier.deliveries_ready(tenants)
        return claimed

    async def outbound_status(self, number_id: str, wamid: str) -> str | None:
        return await self.connector.read(ingest_ops.outbound_status(number_id, wamid))
