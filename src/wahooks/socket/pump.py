"""A tenant's pump (or an App's): moves its socket deliveries from the database to its open
connections.

The database stays the queue. The pump leases a batch of the tenant's deliveries, writes
each to every connection whose scope takes it, and then finishes it: at once for clients
without ``ack=1`` (written counts as delivered, as Pipes.bot), or when one client
acknowledges it. What no client acknowledged before its connection closed is released and
due again at once; if this process dies instead, the lease runs out. Leases of frames
awaiting an ack are renewed while their connection lives.
"""

import logging
import time
from dataclasses import dataclass, replace

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.ids import new_id
from wahooks.media.links import MediaLinks
from wahooks.models import ClaimedDelivery, Clock
from wahooks.socket.connection import Connection
from wahooks.socket.frames import delivery_frame
from wahooks.store import Store

log = logging.getLogger(__name__)

# (delivery id, started at, latency ms, note): one socket attempt, as the store records it.
SocketAttempt = tuple[str, float, float, str]


@dataclass(eq=False)
class _Unacked:
    started_at: float
    started: float  # perf_counter, for the latency
    recipients: set[Connection]


class TenantPump:
    def __init__(
        self,
        tenant_id: str,
        store: Store,
        settings: Settings,
        clock: Clock,
        app_id: str | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self._links = links  # signs the links of frames' files; None: frames carry none
        # An App's pump serves the App's connections with its destinations' deliveries only;
        # the tenant's pump (None) serves the tenant's connections with everything else.
        self.app_id = app_id
        # Per pump, not per process: a pump that replaces a closing one must wait for the
        # old one's releases, or a conversation's order could break.
        self.owner = new_id("pump")
        self.connections: set[Connection] = set()
        self._store = store
        self._settings = settings
        self._clock = clock
        self._unacked: dict[str, _Unacked] = {}
        self._finished: list[SocketAttempt] = []
        self._released: list[SocketAttempt] = []
        self._loop = Loop(f"socket-pump-{tenant_id}")
        self._renewed_at = time.monotonic()

    def start(self) -> None:
        self._loop.start(self._run)

    async def stop(self) -> None:
        """Release what awaits an ack, record what is finished, and end."""
        await self._loop.stop()

    def wake(self) -> None:
        self._loop.wake()

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        self._loop.wake()

    def remove(self, connection: Connection) -> None:
        connection.closed = True
        self.connections.discard(connection)
        for delivery_id, waiting in list(self._unacked.items()):
            waiting.recipients.discard(connection)
            if not waiting.recipients:
                del self._unacked[delivery_id]
                self._released.append(self._attempt(delivery_id, waiting, connection))
        self._loop.wake()

    def ack(self, connection: Connection, delivery_id: str) -> bool:
        waiting = self._unacked.get(delivery_id)
        if waiting is None or connection not in waiting.recipients:
            return False  # unknown, already acknowledged, or never sent to this connection
        del self._unacked[delivery_id]
        self._finished.append(self._attempt(delivery_id, waiting, connection))
        self._loop.wake()
        return True

    def _attempt(self, delivery_id: str, waiting: _Unacked, by: Connection) -> SocketAttempt:
        latency_ms = (time.perf_counter() - waiting.started) * 1000
        return (delivery_id, waiting.started_at, latency_ms, f"connection {by.id}")

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        settings = self._settings
        while True:
            if self._loop.stopping:
                for delivery_id, waiting in self._unacked.items():
                    note = next(iter(waiting.recipients))
                    self._released.append(self._attempt(delivery_id, waiting, note))
                self._unacked.clear()
                await self._flush()
                return
            claimed: list[ClaimedDelivery] = []
            try:
                await self._flush()
                room = min(settings.socket_batch, settings.socket_max_unacked - len(self._unacked))
                if self.connections and room > 0:
                    claimed = await self._claim(room)
                    await self._push(claimed)
                    await self._flush()
            except Exception:
                log.exception("socket pump of %s failed; retrying shortly", self.tenant_id)
                claimed = []
            if claimed and len(claimed) == room:
                continue  # more may be waiting
            await self._loop.pause(settings.dispatch_poll_interval_s)

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        open_ = [c for c in self.connections if not c.closed]
        if any(c.conversation_id is None for c in open_):
            conversation_ids: list[str] | None = None
            since = 0.0
        else:
            conversation_ids = sorted({c.conversation_id for c in open_ if c.conversation_id})
            since = min((c.opened_at for c in open_), default=self._clock())
            if not conversation_ids:
                return []
        return await self._store.socket_queue.claim(
            self.tenant_id,
            self.owner,
            conversation_ids=conversation_ids,
            since=since,
            lease_s=self._settings.socket_lease_s,
            limit=limit,
            app_id=self.app_id,
        )

    async def _push(self, claimed: list[ClaimedDelivery]) -> None:
        for delivery in claimed:
            if self._links is not None:
                event = self._links.on_event(delivery.event, self._clock())
                delivery = replace(delivery, event=event)
            text = delivery_frame(delivery)
            waiting = _Unacked(self._clock(), time.perf_counter(), set())
            for connection in list(self.connections):
                if connection.accepts(delivery.event.conversation_id, delivery.created_at):
                    if await connection.send(text):
                        waiting.recipients.add(connection)
            taken_by = next((c for c in waiting.recipients if not c.ack), None)
            if taken_by is not None:
                self._finished.append(self._attempt(delivery.id, waiting, taken_by))
            elif waiting.recipients:
                self._unacked[delivery.id] = waiting
            else:  # every connection closed meanwhile
                self._released.append((delivery.id, waiting.started_at, 0.0, "no open connection"))

    async def _flush(self) -> None:
        if self._finished:
            finished, self._finished = self._finished, []
            await self._store.socket_queue.finish(self.tenant_id, finished)
        if self._released:
            released, self._released = self._released, []
            await self._store.socket_queue.release(self.tenant_id, released, self.owner)
        renew_every = self._settings.socket_lease_s / 3
        if self._unacked and time.monotonic() - self._renewed_at >= renew_every:
            self._renewed_at = time.monotonic()
            await self._store.socket_queue.renew_leases(
                list(self._unacked), self.owner, self._settings.socket_lease_s
            )
