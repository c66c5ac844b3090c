"""The outbox: deliveries claimed, attempted, recorded, listed."""

from collections.abc import Collection, Sequence

from wahooks.models import (
    AttemptDecision,
    AttemptRecord,
    ClaimedDelivery,
    DeliveryRecord,
    HealthUpdate,
    QueueFigures,
)
from wahooks.store import convs_ops, delivery_ops
from wahooks.store import destination_ops as dest_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class Deliveries(Area):
    async def release_leases(self) -> int:
        return await self.connector.transaction(delivery_ops.release_leases(self.clock()))

    async def claim_due(
        self, *, limit: int, lease_s: float, paused: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        now = self.clock()
        return await self.connector.transaction(
            delivery_ops.claim_due(now, now + lease_s, limit, self.keyring, sorted(paused))
        )

    async def record_attempts(
        self,
        decisions: Sequence[tuple[AttemptDecision, str]],
        health: HealthUpdate | None = None,
    ) -> None:
        """``health``: what the attempts do to their destinations' health (None: nothing)."""
        disabled = await self.connector.transaction(
            delivery_ops.record_attempts(decisions, self.clock(), health)
        )
        if disabled:  # their destination:disabled notices, and the socket queue
            await self.notifier.deliveries_ready(disabled)

    async def record_and_claim(
        self,
        decisions: Sequence[tuple[AttemptDecision, str]],
        health: HealthUpdate | None,
        *,
        limit: int,
        lease_s: float,
        paused: Collection[str] = (),
    ) -> list[ClaimedDelivery]:
        """``record_attempts``, then ``claim_due`` in the same transaction: a conversation's
        next delivery is claimed in the commit that finished the one before it (one commit
        per step of an ordered queue, not two, and no wake-up between them)."""
        now = self.clock()
        op = delivery_ops.record_and_claim(
            decisions, now, health, delivery_ops.claim_due(
                now, now + lease_s, limit, self.keyring, sorted(paused)
            ) if limit > 0 else None
        )  # fmt: skip
        disabled, claimed = await self.connector.transaction(op)
        if disabled:
            await self.notifier.deliveries_ready(disabled)
        return claimed

    async def queue_figures(self) -> QueueFigures:
        return await self.connector.read(delivery_ops.queue_figures(self.clock()))

    async def count_active(self) -> int:
        return await self.connector.read(convs_ops.count_active_deliveries())

    async def page(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        destination_id: str | None = None,
        conversation_id: str | None = None,
        before_seq: int | None = None,
        limit: int = 50,
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[int, DeliveryRecord]]:
        """Newest first; ``since``/``until``: created in [since, until)."""
        return await self.connector.read(
            delivery_ops.list_deliveries(
                tenant_id,
                state=state,
                destination_id=destination_id,
                conversation_id=conversation_id,
                before_seq=before_seq,
                limit=limit,
                since=since,
                until=until,
            )
        )

    async def get(
        self, tenant_id: str, delivery_id: str
    ) -> tuple[DeliveryRecord, list[AttemptRecord]] | None:
        return await self.connector.read(
            delivery_ops.delivery_with_attempts(tenant_id, delivery_id)
        )

    async def record_reply_failure(
        self, delivery_id: str, attempt: int, started_at: float, detail: str
    ) -> None:
        """A reply in the receiver's answer that was not sent: an attempt of channel
        ``reply``, error ``reply_failed``, numbered ``attempt`` (the one that carried it)."""
        latency_ms = max(0.0, (self.clock() - started_at) * 1000)
        await self.connector.transaction(
            delivery_ops.record_reply_failure(delivery_id, attempt, started_at, latency_ms, detail)
        )

    async def resend(self, tenant_id: str, delivery_id: str) -> bool:
        changed = await self.connector.transaction(
            delivery_ops.resend_delivery(tenant_id, delivery_id, self.clock())
        )
        if changed:
            self.notifier.publish(Topic.DELIVERIES, [tenant_id])
        return changed

    async def defer(self, deferred: Sequence[tuple[str, float]]) -> None:
        """Hand leased deliveries back without an attempt: (id, seconds until due)."""
        await self.connector.transaction(dest_ops.defer_deliveries(deferred, self.clock()))
