"""The socket deliveries of connected tenants: leased, written, acknowledged."""

from collections.abc import Sequence

from wahooks.models import SocketClaim
from wahooks.store import socket_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class SocketQueue(Area):
    async def claim(
        self,
        tenant_id: str,
        owner: str,
        *,
        conversation_ids: Sequence[str] | None,
        since: float,
        lease_s: float,
        limit: int,
        app_id: str | None = None,
        copies_after: tuple[float, int] | None = None,
        copies_limit: int = 0,
    ) -> SocketClaim:
        """``app_id``: for an App's connections (only its destinations' deliveries); None
        for the tenant's (every delivery but its Apps'). ``copies_after``: also what other
        pumps wrote to their sockets since then (socket_ops.claim_for_socket)."""
        now = self.clock()
        return await self.connector.transaction(
            socket_ops.claim_for_socket(
                tenant_id,
                owner,
                conversation_ids=conversation_ids,
                since=since,
                now=now,
                lease_until=now + lease_s,
                limit=limit,
                app_id=app_id,
                keyring=self.keyring,
                copies_after=copies_after,
                copies_limit=copies_limit,
            )
        )

    async def finish(
        self,
        tenant_id: str,
        done: Sequence[tuple[str, float, float, str]],
        owner: str,
        *,
        tell_others: bool = False,
    ) -> None:
        """``tell_others``: wake other processes' pumps of the tenant too (they copy what
        was written)."""
        await self.connector.transaction(socket_ops.finish_socket(done, owner, self.clock()))
        # A conversation's next delivery may now be claimable; only this tenant's (waking
        # every pump here would cost each of them a claim query).
        if tell_others:
            await self.notifier.deliveries_ready([tenant_id])
        else:
            self.notifier.publish(Topic.DELIVERIES, [tenant_id])

    async def release(
        self, tenant_id: str, released: Sequence[tuple[str, float, float, str]], owner: str
    ) -> None:
        await self.connector.transaction(socket_ops.release_socket(released, owner, self.clock()))
        self.notifier.publish(Topic.DELIVERIES, [tenant_id])

    async def renew_leases(self, delivery_ids: Sequence[str], owner: str, lease_s: float) -> None:
        now = self.clock()
        await self.connector.transaction(
            socket_ops.renew_socket_leases(delivery_ids, owner, now + lease_s, now)
        )

    async def drop_old(self, retention_s: float, per_sender_cap: int) -> int:
        now = self.clock()
        return await self.connector.transaction(
            socket_ops.drop_from_socket_queue(now - retention_s, per_sender_cap, now)
        )
