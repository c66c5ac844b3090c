"""The socket hub of one process: its tenants' (and Apps') pumps, and the queue's retention job.

Connections live in this process; everything they are owed lives in the database. A pump
runs while its tenant has a connection here, and is woken when the store announces new
deliveries for that tenant (or, from other processes, for anyone).
"""

import logging
from collections import Counter
from collections.abc import Callable, Collection

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.media.links import MediaLinks
from wahooks.models import Clock
from wahooks.socket.connection import Connection
from wahooks.socket.pump import TenantPump
from wahooks.store import Store
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)

# Close code for connections whose key stopped working (4000-4999: the application's own).
KEY_REVOKED_CLOSE_CODE = 4401


class Hub:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Clock,
        links: MediaLinks | None = None,
        fan_out: Callable[[], bool] = lambda: False,
    ) -> None:
        """``fan_out``: whether other processes share the database (pump.py copies what
        their pumps write)."""
        self._store = store
        self._fan_out = fan_out
        self._links = links
        self._settings = settings
        self._clock = clock
        # Per tenant: its pump (key None) and one per App of it with connections here.
        self._pumps: dict[str, dict[str | None, TenantPump]] = {}
        self._maintenance = Loop("socket-retention")
        # Open sockets per key (its lookup prefix), for WAHOOKS_SOCKET_MAX_PER_KEY.
        self._per_key: Counter[str] = Counter()

    def start(self) -> None:
        self._store.notifier.subscribe(Topic.DELIVERIES, self._on_new_deliveries)
        self._maintenance.start(self._maintain)

    async def close(self) -> None:
        await self._maintenance.stop()  # between queries: a cancel can spoil a connection
        pumps = [pump for of_tenant in self._pumps.values() for pump in of_tenant.values()]
        self._pumps.clear()
        for pump in pumps:
            for connection in list(pump.connections):
                connection.closed = True
                try:
                    await connection.websocket.close(1001)  # going away
                except Exception:  # already gone
                    log.debug("socket %s was already closed", connection.id)
            await pump.stop()

    def reserve(self, key_id: str) -> bool:
        """Room for one more socket of this key in this process; call ``release`` after."""
        if self._per_key[key_id] >= self._settings.socket_max_per_key:
            return False
        self._per_key[key_id] += 1
        return True

    def release(self, key_id: str) -> None:
        self._per_key[key_id] -= 1
        if self._per_key[key_id] <= 0:
            del self._per_key[key_id]

    def connect(self, connection: Connection) -> TenantPump:
        of_tenant = self._pumps.setdefault(connection.tenant_id, {})
        pump = of_tenant.get(connection.app_id)
        if pump is None:
            pump = TenantPump(
                connection.tenant_id,
                self._store,
                self._settings,
                self._clock,
                app_id=connection.app_id,
                links=self._links,
                fan_out=self._fan_out,
            )
            of_tenant[connection.app_id] = pump
            pump.start()
        pump.add(connection)
        return pump

    async def disconnect(self, connection: Connection) -> None:
        of_tenant = self._pumps.get(connection.tenant_id, {})
        pump = of_tenant.get(connection.app_id)
        if pump is None:
            return
        pump.remove(connection)
        if not pump.connections:
            del of_tenant[connection.app_id]
            if not of_tenant:
                del self._pumps[connection.tenant_id]
            await pump.stop()

    def total_connections(self) -> int:
        return sum(len(p.connections) for pumps in self._pumps.values() for p in pumps.values())

    def connection_count(self, tenant_id: str, app_id: str | None = None) -> int:
        pump = self._pumps.get(tenant_id, {}).get(app_id)
        return 0 if pump is None else len(pump.connections)

    async def close_app(self, tenant_id: str, app_id: str, reason: str) -> int:
        """Close the App's connections in this process (its key was regenerated, or it was
        deleted); how many. Their unacknowledged frames are released as on any close."""
        pump = self._pumps.get(tenant_id, {}).get(app_id)
        if pump is None:
            return 0
        connections = list(pump.connections)
        for connection in connections:
            try:
                await connection.websocket.close(KEY_REVOKED_CLOSE_CODE, reason)
            except Exception:  # already gone
                log.debug("socket %s was already closed", connection.id)
            await self.disconnect(connection)
        return len(connections)

    def _on_new_deliveries(self, tenant_ids: Collection[str] | None) -> None:
        if tenant_ids is None:
            groups = list(self._pumps.values())
        else:
            groups = [g for t in tenant_ids if (g := self._pumps.get(t)) is not None]
        for group in groups:
            for pump in group.values():
                pump.wake()

    async def _maintain(self) -> None:
        settings = self._settings
        while not self._maintenance.stopping:
            try:
                dropped = await self._store.socket_queue.drop_old(
                    settings.socket_queue_retention_s, settings.socket_queue_max_per_sender
                )
                if dropped:
                    log.warning("dropped %d socket deliveries past the queue's limits", dropped)
            except Exception:
                log.exception("applying the socket queue's limits failed")
            await self._maintenance.pause(settings.maintenance_interval_s, wakeable=False)
