-- The gateway processes sharing the database (store/processes.py).

-- name: upsert_process
INSERT INTO gateway_processes (id, host, pid, version, worker, started_at, seen_at)
VALUES (:id, :host, :pid, :version, :worker, :started_at, :now)
ON CONFLICT (id) DO UPDATE SET seen_at = :now;

-- name: live_processes
SELECT id, host, pid, version, worker, started_at, seen_at FROM gateway_processes
WHERE seen_at >= :since ORDER BY started_at, id;

-- name: delete_process
DELETE FROM gateway_processes WHERE id = :id;

-- name: forget_processes
-- Gone long ago: kept a while so an operator sees what stopped answering.
DELETE FROM gateway_processes WHERE seen_at < :before;
