"""A tenant's pump (or an App's): moves its socket deliveries from the database to its open
connections.

The database stays the queue. The pump leases a batch of the tenant's deliveries, writes
each to every connection whose scope takes it, and then finishes it: at once for clients
without ``ack=1`` (written counts as delivered, as Pipes.bot), or when one client
acknowledges it. What no client acknowledged before its connection closed is released and
due again at once; if this process dies instead, the lease runs out. Leases of frames
awaiting an ack are renewed while their connection lives.

With other gateway processes sharing the database (``fan_out``), the tenant's connections
may be spread over them, and each process's pump leases only some of the deliveries. So a
pump also copies, to its own connections, what the other processes' pumps wrote since it
started: read in the same transaction as its claim, in seq order with what it leased, so a
conversation's order holds on every connection. Copies are a live mirror, not a queue: they
are not acknowledged, not re-sent, and not kept for a connection that opens later.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.ids import new_id
from wahooks.media.links import MediaLinks
from wahooks.models import ClaimedDelivery, Clock, SocketClaim
from wahooks.socket.connection import Connection
from wahooks.socket.frames import delivery_frame
from wahooks.store import Store

log = logging.getLogger(__name__)

# (delivery id, started at, latency ms, note): one socket attempt, as the store records it.
SocketAttempt = tuple[str, float, float, str]

COPY_LIMIT = 500  # copies read per look
COPY_LAG_S = 2.0
"""Copies written in the last this many seconds are looked at again: another process's
write may commit after a later one was read (its clock, or its transaction, lagging)."""


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
        fan_out: Callable[[], bool] = lambda: False,
    ) -> None:
        """``fan_out``: whether other processes share the database (then their pumps'
        writes are copied here, and ours there)."""
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
        self._fan_out = fan_out
        # Copies of what is written from now on: the next look reads after this (written
        # at, seq); those it will read again are remembered (id → written at).
        self._copy_cursor: tuple[float, int] = (clock(), 0)
        self._copied: dict[str, float] = {}

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
                    looked_at = self._clock()
                    taken = await self._claim(room)
                    claimed = [d for d in taken.deliveries if d.id not in taken.copies]
                    fresh = self._new_copies(taken, looked_at)
                    await self._push(taken.deliveries, set(taken.copies), fresh)
                    await self._flush()
            except Exception:
                log.exception("socket pump of %s failed; retrying shortly", self.tenant_id)
                claimed = []
            if claimed and len(claimed) == room:
                continue  # more may be waiting
            await self._loop.pause(settings.dispatch_poll_interval_s)

    def _new_copies(self, taken: SocketClaim, looked_at: float) -> set[str]:
        """The copies not written here yet, and where the next look starts: after the last
        copy read when the look was full (so a busy tenant's copies always move on), else
        no later than ``COPY_LAG_S`` before the look (what commits late is still found)."""
        fresh = {i for i in taken.copies if i not in self._copied}
        self._copied.update(taken.copies)
        end = taken.copies_end
        if end is not None:
            lag_point = (looked_at - COPY_LAG_S, -1)
            if taken.copies_read >= COPY_LIMIT or end <= lag_point:
                self._copy_cursor = max(self._copy_cursor, end)
            else:
                self._copy_cursor = max(self._copy_cursor, lag_point)
        since = self._copy_cursor[0]
        self._copied = {i: at for i, at in self._copied.items() if at >= since}
        return fresh

    async def _claim(self, limit: int) -> SocketClaim:
        open_ = [c for c in self.connections if not c.closed]
        if any(c.conversation_id is None for c in open_):
            conversation_ids: list[str] | None = None
            since = 0.0
        else:
            conversation_ids = sorted({c.conversation_id for c in open_ if c.conversation_id})
            since = min((c.opened_at for c in open_), default=self._clock())
            if not conversation_ids:
                return SocketClaim([], {})
        return await self._store.socket_queue.claim(
            self.tenant_id,
            self.owner,
            conversation_ids=conversation_ids,
            since=since,
            lease_s=self._settings.socket_lease_s,
            limit=limit,
            app_id=self.app_id,
            copies_after=self._copy_cursor if self._fan_out() else None,
            copies_limit=COPY_LIMIT,
        )

    async def _push(
        self, deliveries: list[ClaimedDelivery], copies: set[str], fresh: set[str]
    ) -> None:
        """Write each (in order) to the connections it is for: what this pump leased, to be
        finished or acknowledged; ``copies``, written and forgotten (those not ``fresh``
        were written here already)."""
        for delivery in deliveries:
            copy = delivery.id in copies
            if copy and delivery.id not in fresh:
                continue
            if self._links is not None:
                event = self._links.on_event(delivery.event, self._clock())
                delivery = replace(delivery, event=event)
            text = delivery_frame(delivery)
            waiting = _Unacked(self._clock(), time.perf_counter(), set())
            for connection in list(self.connections):
                if connection.accepts(delivery.event.conversation_id, delivery.created_at):
                    if await connection.send(text):
                        waiting.recipients.add(connection)
            if copy:
                continue
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
            await self._store.socket_queue.finish(
                self.tenant_id, finished, self.owner, tell_others=self._fan_out()
            )
        if self._released:
            released, self._released = self._released, []
            await self._store.socket_queue.release(self.tenant_id, released, self.owner)
        renew_every = self._settings.socket_lease_s / 3
        if self._unacked and time.monotonic() - self._renewed_at >= renew_every:
            self._renewed_at = time.monotonic()
            await self._store.socket_queue.renew_leases(
                list(self._unacked), self.owner, self._settings.socket_lease_s
            )
