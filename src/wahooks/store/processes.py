"""The gateway processes sharing the database, each kept alive by its heartbeat."""

from wahooks.models import GatewayProcess
from wahooks.store.area import Area
from wahooks.store.base import Execute, FetchAll, Operation

FORGET_AFTER_S = 24 * 3600.0
"""A process silent this long is removed from the list."""


class Processes(Area):
    async def heartbeat(self, me: GatewayProcess, live_after_s: float) -> list[GatewayProcess]:
        """Record that ``me`` is alive; answer the processes seen in the last
        ``live_after_s`` seconds, oldest first (``me`` among them)."""
        return await self.connector.transaction(_heartbeat(me, self.clock(), live_after_s))

    async def live(self, live_after_s: float) -> list[GatewayProcess]:
        return await self.connector.read(_live(self.clock() - live_after_s))

    async def leave(self, process_id: str) -> None:
        """A process stopping: the others take its share at their next heartbeat."""
        await self.connector.transaction(_leave(process_id))


def _heartbeat(
    me: GatewayProcess, now: float, live_after_s: float
) -> Operation[list[GatewayProcess]]:
    yield Execute(
        "upsert_process",
        {
            "id": me.id,
            "host": me.host,
            "pid": me.pid,
            "version": me.version,
            "worker": me.worker,
            "started_at": me.started_at,
            "now": now,
        },
    )
    yield Execute("forget_processes", {"before": now - FORGET_AFTER_S})
    return (yield from _live(now - live_after_s))


def _live(since: float) -> Operation[list[GatewayProcess]]:
    rows = yield FetchAll("live_processes", {"since": since})
    return [
        GatewayProcess(
            id=row["id"],
            host=row["host"],
            pid=int(row["pid"]),
            version=row["version"],
            worker=bool(row["worker"]),
            started_at=float(row["started_at"]),
            seen_at=float(row["seen_at"]),
        )
        for row in rows
    ]


def _leave(process_id: str) -> Operation[None]:
    yield Execute("delete_process", {"id": process_id})
