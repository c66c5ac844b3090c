"""Recovery jobs: re-queueing a time range of deliveries, resumably."""

from wahooks.models import (
    RecoveryJob,
)
from wahooks.store import recovery_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class Recoveries(Area):
    async def create(
        self, tenant_id: str, destination_id: str | None, since: float, until: float
    ) -> RecoveryJob:
        job = await self.connector.transaction(
            recovery_ops.create_recovery_job(tenant_id, destination_id, since, until, self.clock())
        )
        await self.notifier.announce((Topic.RECOVERIES, [tenant_id]))
        return job

    async def get(self, tenant_id: str, job_id: str) -> RecoveryJob | None:
        return await self.connector.read(recovery_ops.recovery_job(tenant_id, job_id))

    async def of_tenant(
        self, tenant_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[tuple[int, RecoveryJob]]:
        return await self.connector.read(recovery_ops.recovery_jobs(tenant_id, before_seq, limit))

    async def claim(self, *, lease_s: float) -> RecoveryJob | None:
        now = self.clock()
        return await self.connector.transaction(recovery_ops.claim_recovery_job(now, now + lease_s))

    async def step(self, job: RecoveryJob, *, chunk: int, lease_s: float) -> RecoveryJob | None:
        """One chunk re-queued (or the job finished); None if the job's lease was lost."""
        now = self.clock()
        try:
            after = await self.connector.transaction(
                recovery_ops.recovery_step(job, chunk, now, now + lease_s)
            )
        except recovery_ops.LeaseLost:
            return None
        if after.recovered > job.recovered:
            await self.notifier.deliveries_ready([job.tenant_id])
        return after

    async def release(self, job: RecoveryJob) -> bool:
        """Give the job's lease up (stopping mid-job): any worker resumes it at once."""
        return await self.connector.transaction(
            recovery_ops.release_recovery_job(job, self.clock())
        )

    async def fail(self, job: RecoveryJob, error: str) -> bool:
        return await self.connector.transaction(
            recovery_ops.fail_recovery_job(job, error, self.clock())
        )
