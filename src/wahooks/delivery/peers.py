"""The processes sharing the database, and this one's share of what they must share.

Each gateway process records a heartbeat in ``gateway_processes`` every
``process_heartbeat_s``; one silent for three beats no longer counts. The live processes
that run a dispatcher (workers), oldest first, give this one a rank and their count N, and
each destination's limits are split between them so their sum holds across processes:

- ``maxRate`` r: each worker paces the destination at r / N.
- ``maxInFlight`` m: each worker takes m // N places, and m % N workers one more. Which
  ones take the extra place turns with the destination, so destinations with
  ``maxInFlight`` 1 are spread over the processes instead of all landing on the first.
  A worker whose share is 0 leaves the destination's deliveries to the others.

When a process starts or stops the shares change at each one's next heartbeat, so for up
to one beat the sum may exceed the limit (stopping processes leave the table at once;
killed ones count until their three beats have passed, when their leases have run out too).
"""

import logging
import os
import socket
import zlib

from wahooks import __version__
from wahooks.background import Loop
from wahooks.ids import new_id
from wahooks.models import Clock, GatewayProcess
from wahooks.store import Store

log = logging.getLogger(__name__)

LIVE_BEATS = 3
"""A process is counted while its last heartbeat is at most this many beats old."""


class Peers:
    def __init__(self, store: Store, *, worker: bool, heartbeat_s: float, clock: Clock) -> None:
        self._store = store
        self._heartbeat_s = heartbeat_s
        now = clock()
        self.me = GatewayProcess(
            id=new_id("proc"),
            host=socket.gethostname(),
            pid=os.getpid(),
            version=__version__,
            worker=worker,
            started_at=now,
            seen_at=now,
        )
        self.rank, self.count = 0, 1  # alone until the first heartbeat says otherwise
        self._loop = Loop("process-heartbeat")

    async def start(self) -> None:
        """The first heartbeat before anything is sent, so the first shares are right."""
        await self._beat()
        self._loop.start(self._run)

    async def stop(self) -> None:
        await self._loop.stop()
        try:
            await self._store.processes.leave(self.me.id)
        except Exception:  # it ages out after its beats
            log.exception("could not remove this process from the process table")

    def in_flight(self, destination_id: str, limit: int) -> int:
        """This process's places of a destination's ``limit`` (0: leave it to others)."""
        base, extra = divmod(limit, self.count)
        turn = (self.rank + zlib.crc32(destination_id.encode())) % self.count
        return base + (1 if turn < extra else 0)

    def rate(self, rate: float) -> float:
        """This process's part of a destination's ``rate`` (deliveries per second)."""
        return rate / self.count

    async def _run(self) -> None:
        while not self._loop.stopping:
            await self._loop.pause(self._heartbeat_s, wakeable=False)
            if not self._loop.stopping:
                await self._beat()

    async def _beat(self) -> None:
        try:
            live = await self._store.processes.heartbeat(
                self.me, live_after_s=LIVE_BEATS * self._heartbeat_s
            )
        except Exception:  # the database is away: keep the last shares until it is back
            log.exception("process heartbeat failed")
            return
        workers = [p.id for p in live if p.worker]
        if self.me.worker and self.me.id in workers:
            rank, count = workers.index(self.me.id), len(workers)
            if (rank, count) != (self.rank, self.count):
                log.info("this process is worker %d of %d sharing the database", rank + 1, count)
            self.rank, self.count = rank, count
