-- Recovery jobs: "re-queue every failed delivery in a time range", run in the background in
-- chunks, leased (like media jobs) so a crashed process's job is resumed from cursor_seq.

-- name: insert_recovery_job
INSERT INTO recovery_jobs (id, tenant_id, destination_id, since, until, state, recovered,
                           created_at, updated_at)
VALUES (:id, :tenant_id, :destination_id, :since, :until, 'pending', 0, :now, :now);

-- name: recovery_job_by_id
SELECT * FROM recovery_jobs WHERE id = :id AND tenant_id = :tenant_id;

-- name: recovery_jobs_of_tenant
-- Newest first; :before_seq pages.
SELECT * FROM recovery_jobs
WHERE tenant_id = :tenant_id AND (CAST(:before_seq AS BIGINT) IS NULL OR seq < :before_seq)
ORDER BY seq DESC
LIMIT :limit;

-- name: claim_recovery_job
-- The oldest job waiting, or running under a lease that ran out (its process died). The
-- outer condition is checked again on the row itself: PostgreSQL re-reads a row another
-- transaction just claimed and finds it taken, so two processes never hold one job.
UPDATE recovery_jobs SET state = 'running', lease_until = :lease_until, updated_at = :now
WHERE seq = (
  SELECT seq FROM recovery_jobs
  WHERE state = 'pending' OR (state = 'running' AND lease_until < :now)
  ORDER BY seq LIMIT 1)
  AND (state = 'pending' OR (state = 'running' AND lease_until < :now))
RETURNING *;

-- name: count_failed_in_range
SELECT COUNT(*) AS n FROM deliveries
WHERE tenant_id = :tenant_id AND state = 'failed'
  AND created_at >= :since AND created_at < :until
  AND (CAST(:destination_id AS TEXT) IS NULL OR destination_id = :destination_id);

-- name: set_recovery_total
UPDATE recovery_jobs SET total = :total, updated_at = :now
WHERE id = :id AND lease_until = :lease;

-- name: failed_chunk_end
-- The seq that ends the next chunk: the :chunk-th failed delivery in range after the cursor
-- (or the last one, when fewer remain). NULL: none left.
SELECT MAX(seq) AS upto FROM (
  SELECT seq FROM deliveries
  WHERE tenant_id = :tenant_id AND state = 'failed'
    AND created_at >= :since AND created_at < :until
    AND (CAST(:destination_id AS TEXT) IS NULL OR destination_id = :destination_id)
    AND seq > :after_seq
  ORDER BY seq
  LIMIT :chunk) chunk;

-- name: requeue_failed_range
-- As a re-send: pending at once, a fresh retry schedule, the same webhook-id.
UPDATE deliveries SET state = 'pending', attempts = 0, retries_in_place = 0, next_attempt_at = :now,
  last_error = NULL, offered_to_socket_at = NULL, updated_at = :now
WHERE tenant_id = :tenant_id AND state = 'failed'
  AND created_at >= :since AND created_at < :until
  AND (CAST(:destination_id AS TEXT) IS NULL OR destination_id = :destination_id)
  AND seq > :after_seq AND seq <= :upto_seq;

-- name: advance_recovery_job
-- Only under this process's lease (:lease is the lease end it was given).
UPDATE recovery_jobs SET recovered = recovered + :recovered, cursor_seq = :cursor_seq,
  lease_until = :lease_until, updated_at = :now
WHERE id = :id AND state = 'running' AND lease_until = :lease;

-- name: finish_recovery_job
UPDATE recovery_jobs SET state = :state, error = :error, lease_until = NULL,
  finished_at = :now, updated_at = :now
WHERE id = :id AND state = 'running' AND lease_until = :lease;

-- name: release_recovery_job
-- A graceful stop mid-job: the lease ends now, so the next worker resumes it at once.
UPDATE recovery_jobs SET lease_until = :now, updated_at = :now
WHERE id = :id AND state = 'running' AND lease_until = :lease;
