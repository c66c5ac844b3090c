-- SQLite-only SQL: one writer (this process) claims under BEGIN IMMEDIATE, so no row locks.

-- name: lock_message
-- One writer at a time already serialises a send's recording with its statuses' ingest.
SELECT 1;

-- name: take_probes
-- Destinations whose circuit's wait is over (delivery/circuit.py), not paused by pacing:
-- each is held open for a lease while its one probe is claimed and sent.
UPDATE destinations SET circuit_open_until = :lease_until
WHERE circuit_open_until <= :now AND enabled AND deleted_at IS NULL
  AND method IN ('webhook', 'nats', 'redis', 'amqp', 'sqs')
  AND id NOT IN (SELECT value FROM json_each(:paused))
RETURNING id;

-- name: claim_due
-- Due and not held, of a destination that is enabled, its circuit closed (or :probe, one
-- whose probe this is) and not paused by this process's pacing (:paused, its ids); for an
-- ordered destination only the heads of its conversations' queues (the head column). The
-- methods the dispatcher sends: a webhook's POST, a message bus's publish (not socket).
-- Destinations first, then each one's due heads by index: what waits behind an open
-- circuit or behind a conversation's head is never read. The lease end becomes the due
-- time, so a lease abandoned by a crash simply falls due again.
UPDATE deliveries SET state = 'leased', next_attempt_at = :lease_until, updated_at = :now
WHERE seq IN (
  -- CROSS JOIN: SQLite's way of saying destinations are the outer loop.
  SELECT d.seq FROM destinations t
  CROSS JOIN deliveries d INDEXED BY ix_deliveries_heads_due ON d.destination_id = t.id
  WHERE t.enabled AND t.method IN ('webhook', 'nats', 'redis', 'amqp', 'sqs')
    AND ((:probe IS NULL AND t.circuit_open_until IS NULL) OR t.id = :probe)
    AND t.id NOT IN (SELECT value FROM json_each(:paused))
    AND d.state IN ('pending', 'leased') AND d.head
    AND d.next_attempt_at <= :now AND d.hold IS NULL
  ORDER BY d.next_attempt_at, d.seq
  LIMIT :limit)
RETURNING seq;

-- name: claimed_seqs
-- Which deliveries claimed_details reads (:seqs is a JSON array; see store/sql/core.sql).
d.seq IN (SELECT value FROM json_each(:seqs))

-- name: release_leases
-- Only this process opens the SQLite file, so at start no lease can belong to anyone alive.
UPDATE deliveries SET state = 'pending', next_attempt_at = :now, updated_at = :now
WHERE state = 'leased';

-- name: claim_for_socket
-- The tenant's socket deliveries (and webhook deliveries offered to the socket, or whose
-- destination the gateway disabled), oldest first, for connections of this hub (:owner).
-- Scope: :conversation_ids (a JSON array) or
-- NULL for all; :since hides older ones (conversation-scoped connections do not drain).
-- A conversation waits only behind an earlier delivery held elsewhere: what this hub
-- leased is already on the wire, in order, on the same connections.
UPDATE deliveries SET state = 'leased', next_attempt_at = :lease_until, lease_owner = :owner,
  updated_at = :now
WHERE seq IN (
  SELECT d.seq FROM deliveries d JOIN destinations t ON t.id = d.destination_id
  WHERE d.tenant_id = :tenant_id AND d.state IN ('pending', 'leased', 'failed')
    AND d.hold IS NULL AND d.created_at >= :since
    -- An App's connections take only its destinations' deliveries; a tenant's, only the rest.
    AND t.app_id IS :app_id
    AND (:conversation_ids IS NULL
         OR d.conversation_id IN (SELECT value FROM json_each(:conversation_ids)))
    AND /*include:socket_claimable*/
    AND NOT EXISTS (
      SELECT 1 FROM deliveries e
      WHERE e.destination_id = d.destination_id AND e.conversation_id = d.conversation_id
        AND e.seq < d.seq AND e.state IN ('pending', 'leased')
        AND (e.hold IS NOT NULL OR (e.state = 'leased' AND e.next_attempt_at > :now
                                    AND e.lease_owner IS NOT :owner)))
  ORDER BY d.seq
  LIMIT :limit)
RETURNING seq;

-- name: claim_media
-- Fetch jobs that are due; the lease end becomes the due time (as deliveries).
UPDATE media SET next_attempt_at = :lease_until, updated_at = :now
WHERE seq IN (SELECT seq FROM media WHERE state = 'pending' AND next_attempt_at <= :now
                AND number_id NOT IN (SELECT value FROM json_each(:busy))
              ORDER BY next_attempt_at LIMIT :limit)
RETURNING seq;

-- name: claim_alerts
-- Alerts that are due; the lease end becomes the due time (as notices).
UPDATE alerts SET next_attempt_at = :lease_until
WHERE seq IN (SELECT seq FROM alerts WHERE state = 'pending' AND next_attempt_at <= :now
              ORDER BY next_attempt_at, seq LIMIT :limit)
RETURNING seq;

-- name: claim_notices
-- Pool-number notices that are due, none of the :busy numbers' (a JSON list); the lease
-- end becomes the due time (as deliveries).
UPDATE notices SET next_attempt_at = :lease_until, updated_at = :now
WHERE seq IN (SELECT seq FROM notices WHERE state = 'pending' AND next_attempt_at <= :now
                AND number_id NOT IN (SELECT value FROM json_each(:busy))
              ORDER BY next_attempt_at, seq LIMIT :limit)
RETURNING seq;
-- name: lock_live_api_keys
-- One writer at a time (BEGIN IMMEDIATE): no lock needed.
SELECT id FROM api_keys WHERE tenant_id = :tenant_id AND revoked_at IS NULL ORDER BY id;

-- name: lock_live_operator_keys
SELECT id FROM operator_keys WHERE revoked_at IS NULL ORDER BY id;

-- name: stats_bucket_created
-- A delivery's creation time as a bucket of :width seconds from :since (both positive, so
-- the cast's truncation is the floor; see store/sql/stats.sql).
CAST((created_at - :since) / :width AS INTEGER)

-- name: stats_bucket_updated
CAST((updated_at - :since) / :width AS INTEGER)
