-- Destination options, secret rotation and health (store/destination_ops.py).

-- name: set_destination_options
-- Written with insert_destination / update_destination, in the same transaction.
UPDATE destinations SET max_rate = :max_rate, max_in_flight = :max_in_flight,
  ordered = :ordered, previous_secret = :previous_secret,
  previous_secret_until = :previous_secret_until
WHERE id = :id AND tenant_id = :tenant_id;

-- name: destination_ordered
SELECT ordered FROM destinations WHERE id = :id AND tenant_id = :tenant_id;

-- name: recount_heads
-- The destination's ordering changed: which of its deliveries a claim may take (the head
-- column; for an unordered destination every active one).
UPDATE deliveries SET head = NOT (CAST(:ordered AS BOOLEAN) AND EXISTS (
  SELECT 1 FROM deliveries e
  WHERE e.destination_id = deliveries.destination_id
    AND e.conversation_id = deliveries.conversation_id
    AND e.seq < deliveries.seq AND e.state IN ('pending', 'leased')))
WHERE destination_id = :destination_id AND state IN ('pending', 'leased');

-- name: add_destination_failures
-- A run of failed attempts goes on (or begins at :since).
UPDATE destinations SET consecutive_failures = consecutive_failures + :failures,
  failing_since = COALESCE(failing_since, :since)
WHERE id = :id
RETURNING consecutive_failures, failing_since;

-- name: reset_destination_failures
-- An attempt succeeded: the run is over; :failures came after it (since :since). A healthy
-- destination's row is not written (nor locked) at all.
UPDATE destinations SET consecutive_failures = :failures, failing_since = :since
WHERE id = :id
  AND (consecutive_failures <> :failures OR failing_since IS NOT NULL OR :failures > 0)
RETURNING consecutive_failures, failing_since;

-- name: count_circuit_failures
-- The destination's failures in a row (delivery/circuit.py): :reset when the receiver
-- answered in the batch, so only the :failures after that answer count.
UPDATE destinations SET circuit_failures =
  CASE WHEN :reset = 1 THEN :failures ELSE circuit_failures + :failures END
WHERE id = :id
RETURNING circuit_failures, circuit_open_until, circuit_probes;

-- name: move_circuit
-- Open it until :open_until (NULL: closed) with :probes failed probes, as circuit.py says.
UPDATE destinations SET circuit_open_until = :open_until, circuit_probes = :probes
WHERE id = :id;

-- name: idle_circuit
-- A probe was due but nothing is due to probe with: closed, the count kept, so the next
-- failure opens it again at the same step.
UPDATE destinations SET circuit_open_until = NULL WHERE id = :id;

-- name: auto_disable_destination
-- The gateway disables a destination (410, or failing too long). No row: it was already
-- disabled or deleted, and nothing more happens.
UPDATE destinations SET enabled = FALSE, disabled_reason = :reason, disabled_at = :now,
  updated_at = :now
WHERE id = :id AND enabled AND deleted_at IS NULL
RETURNING id, tenant_id, url, events, consecutive_failures, failing_since;

-- name: destinations_told_of_disabling
-- Who else hears that a destination was disabled: the tenant's other live destinations.
SELECT id, method, events FROM destinations
WHERE tenant_id = :tenant_id AND id <> :id AND deleted_at IS NULL
ORDER BY created_at, id;

-- name: reset_destination_health
UPDATE destinations SET consecutive_failures = 0, failing_since = NULL, disabled_at = NULL,
  circuit_failures = 0, circuit_open_until = NULL, circuit_probes = 0
WHERE id = :id AND tenant_id = :tenant_id;

-- name: resume_deliveries_of_destination
-- Re-enabled: what is still pending is due now, with a fresh round of the retry schedule.
UPDATE deliveries SET next_attempt_at = :now, attempts = 0, retries_in_place = 0, updated_at = :now
WHERE destination_id = :destination_id AND state = 'pending' AND hold IS NULL;

-- name: drop_own_disabled_notices
-- Re-enabled before any socket took the notice of its own disabling, and the destination
-- does not subscribe to destination:disabled: the notice is dropped (visibly), not POSTed.
UPDATE deliveries SET state = 'dropped', last_error = 'destination_re_enabled',
  updated_at = :now
WHERE destination_id = :destination_id AND state = 'pending' AND conversation_id IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.seq = deliveries.event_seq AND e.type = 'destination:disabled');

-- name: defer_delivery
-- Pacing had no room for it: back in the queue, due at :due, no attempt made.
UPDATE deliveries SET state = 'pending', next_attempt_at = :due, updated_at = :now
WHERE id = :delivery_id AND state = 'leased';
