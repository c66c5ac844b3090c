"""Recovery jobs: re-queueing a time range of deliveries in leased chunks, resumably (SQL in
sql/recovery.sql; generators of named queries, see base.py). A job's cursor moves in the
transaction that re-queues its chunk, so a crashed job resumes where it stopped and nothing is
re-queued twice.
"""

from dataclasses import replace

from wahooks.ids import new_id
from wahooks.models import (
    RecoveryJob,
    RecoveryState,
)
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row


def _job(row: Row) -> RecoveryJob:
    return RecoveryJob(
        id=row["id"],
        tenant_id=row["tenant_id"],
        destination_id=row["destination_id"],
        since=row["since"],
        until=row["until"],
        state=row["state"],
        total=row["total"],
        recovered=row["recovered"],
        cursor_seq=row["cursor_seq"],
        lease_until=row["lease_until"],
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
    )


def create_recovery_job(
    tenant_id: str, destination_id: str | None, since: float, until: float, now: float
) -> Operation[RecoveryJob]:
    job_id = new_id("rcv")
    yield Execute(
        "insert_recovery_job",
        {
            "id": job_id,
            "tenant_id": tenant_id,
            "destination_id": destination_id,
            "since": since,
            "until": until,
            "now": now,
        },
    )
    row = yield FetchOne("recovery_job_by_id", {"id": job_id, "tenant_id": tenant_id})
    return _job(row)


def recovery_job(tenant_id: str, job_id: str) -> Operation[RecoveryJob | None]:
    row = yield FetchOne("recovery_job_by_id", {"id": job_id, "tenant_id": tenant_id})
    return None if row is None else _job(row)


def recovery_jobs(
    tenant_id: str, before_seq: int | None, limit: int
) -> Operation[list[tuple[int, RecoveryJob]]]:
    rows = yield FetchAll(
        "recovery_jobs_of_tenant",
        {"tenant_id": tenant_id, "before_seq": before_seq, "limit": limit},
    )
    return [(r["seq"], _job(r)) for r in rows]


def _range(job: RecoveryJob) -> dict[str, object]:
    return {
        "tenant_id": job.tenant_id,
        "since": job.since,
        "until": job.until,
        "destination_id": job.destination_id,
    }


def claim_recovery_job(now: float, lease_until: float) -> Operation[RecoveryJob | None]:
    """Lease the oldest job due; a new one first counts what it will recover."""
    row = yield FetchOne("claim_recovery_job", {"now": now, "lease_until": lease_until})
    if row is None:
        return None
    job = _job(row)
    if job.total is None:
        counted = yield FetchOne("count_failed_in_range", _range(job))
        total = int(counted["n"])
        yield Execute(
            "set_recovery_total", {"id": job.id, "total": total, "lease": lease_until, "now": now}
        )
        job = replace(job, total=total)
    return job


class LeaseLost(Exception):
    """Another process holds the recovery job now: this one's step is rolled back."""


def recovery_step(
    job: RecoveryJob, chunk: int, now: float, lease_until: float
) -> Operation[RecoveryJob]:
    """Re-queue the next ``chunk`` failed deliveries after the cursor and renew the lease
    until ``lease_until``, or finish the job when none are left. Raises LeaseLost (and
    nothing is written) if the job's lease is no longer ``job.lease_until``."""
    after = job.cursor_seq or 0
    found = yield FetchOne("failed_chunk_end", {**_range(job), "after_seq": after, "chunk": chunk})
    upto = None if found is None else found["upto"]
    if upto is None:
        finished = yield Execute(
            "finish_recovery_job",
            {"id": job.id, "state": RecoveryState.DONE.value, "error": None,
             "lease": job.lease_until, "now": now},
        )  # fmt: skip
        if not finished:
            raise LeaseLost(job.id)
    else:
        requeued = yield Execute(
            "requeue_failed_range",
            {**_range(job), "after_seq": after, "upto_seq": int(upto), "now": now},
        )
        kept = yield Execute(
            "advance_recovery_job",
            {"id": job.id, "lease": job.lease_until, "lease_until": lease_until, "now": now,
             "recovered": requeued, "cursor_seq": int(upto)},
        )  # fmt: skip
        if not kept:
            raise LeaseLost(job.id)  # rolls the re-queue back with it
    row = yield FetchOne("recovery_job_by_id", {"id": job.id, "tenant_id": job.tenant_id})
    return _job(row)


def fail_recovery_job(job: RecoveryJob, error: str, now: float) -> Operation[bool]:
    failed = yield Execute(
        "finish_recovery_job",
        {"id": job.id, "state": RecoveryState.FAILED.value, "error": error,
         "lease": job.lease_until, "now": now},
    )  # fmt: skip
    return bool(failed)


def release_recovery_job(job: RecoveryJob, now: float) -> Operation[bool]:
    released = yield Execute(
        "release_recovery_job", {"id": job.id, "lease": job.lease_until, "now": now}
    )
    return bool(released)
