"""Recovery jobs: re-queue every failed delivery of a tenant in a time range, in the background.

``POST /v1/deliveries/recover`` records a job (state pending); a worker in any process leases
it, counts what it will recover (``total``), then re-queues the failed deliveries in chunks,
oldest first, each chunk in one transaction that also moves the job's cursor and progress and
renews its lease. Re-queued means what a re-send does: pending at once, a fresh retry
schedule, the same webhook-id. If the process dies, the lease runs out and another worker
resumes after the cursor: nothing is re-queued twice, nothing is skipped. A short pause
between chunks leaves the database to ingest and to the dispatcher, which starts
delivering the first chunk while later ones are still being re-queued.
"""

import logging

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.models import RecoveryJob, RecoveryState
from wahooks.store import Store
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)

LEASE_S = 60.0  # renewed by every chunk; a dead worker's job is resumed after this
POLL_S = 1.0  # how often due jobs are looked for (a dead worker's, whose lease ran out)


class RecoveryJobs:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._chunk = settings.recovery_chunk_size
        self._pause_s = settings.recovery_chunk_pause_s
        self._loop = Loop("recovery-jobs")

    def wake(self) -> None:
        """A job was just recorded: look now rather than at the next poll."""
        self._loop.wake()

    async def start(self) -> None:
        # Jobs recorded here or in another process (the store announces them).
        self._store.notifier.subscribe(Topic.RECOVERIES, lambda _tenants: self.wake())
        self._loop.start(self._run)

    async def stop(self) -> None:
        """Finish the chunk in progress (its transaction is not cancelled mid-way), then
        stop; an unfinished job keeps its cursor and gives its lease up, so the next worker
        (here after a restart, or in another process) resumes it at once."""
        await self._loop.stop()

    async def _run(self) -> None:
        while not self._loop.stopping:
            try:
                while not self._loop.stopping and await self.run_one():
                    pass
            except Exception:
                log.exception("recovery jobs: claiming failed; retrying shortly")
            await self._loop.pause(POLL_S)

    async def run_one(self) -> bool:
        """Lease one due job and work it to its end (or until stopping). False: none due."""
        job = await self._store.recoveries.claim(lease_s=LEASE_S)
        if job is None:
            return False
        log.info("recovery %s: %s failed deliveries to re-queue", job.id, job.total)
        await self.work(job)
        return True

    async def work(self, job: RecoveryJob) -> RecoveryJob | None:
        """Chunk after chunk until done; None if the lease was lost or we are stopping."""
        current: RecoveryJob | None = job
        while current is not None and current.state == RecoveryState.RUNNING:
            if self._loop.stopping:
                await self._store.recoveries.release(current)
                log.info("recovery %s: paused at %d; resumed on start", job.id, current.recovered)
                return None
            before = current
            try:
                current = await self._store.recoveries.step(
                    before, chunk=self._chunk, lease_s=LEASE_S
                )
            except Exception as exc:
                log.exception("recovery %s failed", job.id)
                await self._store.recoveries.fail(before, f"{type(exc).__name__}: {exc}")
                return None
            if current is not None and current.state == RecoveryState.RUNNING and self._pause_s:
                await self._loop.pause(self._pause_s, wakeable=False)
        if current is None:
            log.warning("recovery %s: lease lost; another process continues it", job.id)
        else:
            log.info("recovery %s: %s: %d re-queued", job.id, current.state, current.recovered)
        return current
