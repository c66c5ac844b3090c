-- PostgreSQL-only SQL: several processes claim at once, so the claim skips locked rows.

-- name: lock_message
-- Serialises a sent message's recording with the ingest of its statuses (which may come
-- first: Meta's webhook can outrun the Graph API's answer): held to the transaction's end.
SELECT pg_advisory_xact_lock(hashtextextended(:key, 0));

-- name: take_probes
-- Destinations whose circuit's wait is over (delivery/circuit.py), not paused by pacing:
-- each is held open for a lease while its one probe is claimed and sent. The row lock makes
-- one process take each probe.
UPDATE destinations SET circuit_open_until = :lease_until
WHERE circuit_open_until <= :now AND enabled AND deleted_at IS NULL
  AND method IN ('webhook', 'nats', 'redis', 'amqp', 'sqs')
  AND NOT (id = ANY(CAST(:paused AS TEXT[])))
RETURNING id;

-- name: claim_due
-- Due and not held, of a destination that is enabled, its circuit closed (or :probe, one
-- whose probe this is) and not paused by this process's pacing (:paused, its ids); for an
-- ordered destination only the heads of its conversations' queues (the head column). The
-- methods the dispatcher sends: a webhook's POST, a message bus's publish (not socket).
-- Destinations first, then each one's due heads by index: what waits behind an open
-- circuit or behind a conversation's head is never read. The lease end becomes the due
-- time, so a lease abandoned by a crashed process simply falls due again.
WITH due AS (
  SELECT d.seq FROM destinations t JOIN deliveries d ON d.destination_id = t.id
  WHERE t.enabled AND t.method IN ('webhook', 'nats', 'redis', 'amqp', 'sqs')
    AND ((CAST(:probe AS TEXT) IS NULL AND t.circuit_open_until IS NULL) OR t.id = :probe)
    AND NOT (t.id = ANY(CAST(:paused AS TEXT[])))
    AND d.state IN ('pending', 'leased') AND d.head
    AND d.next_attempt_at <= :now AND d.hold IS NULL
  ORDER BY d.next_attempt_at, d.seq
  LIMIT :limit
  FOR UPDATE OF d SKIP LOCKED)
UPDATE deliveries SET state = 'leased', next_attempt_at = :lease_until, updated_at = :now
FROM due WHERE deliveries.seq = due.seq
RETURNING deliveries.seq;

-- name: claimed_seqs
-- Which deliveries claimed_details reads (part of it: see store/sql/core.sql). = ANY keeps
-- the primary-key lookup; IN (SELECT unnest(...)) let the planner scan the whole table.
d.seq = ANY(:seqs)

-- name: release_leases
-- Other processes may hold live leases: nothing to release at start.
SELECT 1 WHERE FALSE;

-- name: claim_for_socket
-- The tenant's socket deliveries (and webhook deliveries offered to the socket, or whose
-- destination the gateway disabled), oldest first, for connections of this hub (:owner).
-- Scope: :conversation_ids or NULL for all;
-- :since hides older ones (conversation-scoped connections do not drain). A conversation
-- waits only behind an earlier delivery held elsewhere: what this hub leased is already on
-- the wire, in order, on the same connections.
WITH due AS (
  SELECT d.seq FROM deliveries d JOIN destinations t ON t.id = d.destination_id
  WHERE d.tenant_id = :tenant_id AND d.state IN ('pending', 'leased', 'failed')
    AND d.hold IS NULL AND d.created_at >= :since
    -- An App's connections take only its destinations' deliveries; a tenant's, only the rest.
    AND t.app_id IS NOT DISTINCT FROM :app_id
    AND (CAST(:conversation_ids AS TEXT[]) IS NULL OR d.conversation_id = ANY(:conversation_ids))
    AND /*include:socket_claimable*/
    AND NOT EXISTS (
      SELECT 1 FROM deliveries e
      WHERE e.destination_id = d.destination_id AND e.conversation_id = d.conversation_id
        AND e.seq < d.seq AND e.state IN ('pending', 'leased')
        AND (e.hold IS NOT NULL OR (e.state = 'leased' AND e.next_attempt_at > :now
                                    AND e.lease_owner IS DISTINCT FROM :owner)))
  ORDER BY d.seq
  LIMIT :limit
  FOR UPDATE OF d SKIP LOCKED)
UPDATE deliveries SET state = 'leased', next_attempt_at = :lease_until, lease_owner = :owner,
  updated_at = :now
FROM due WHERE deliveries.seq = due.seq
RETURNING deliveries.seq;

-- name: claim_media
-- Fetch jobs that are due; the lease end becomes the due time (as deliveries).
WITH due AS (
  SELECT seq FROM media WHERE state = 'pending' AND next_attempt_at <= :now
    AND NOT (number_id = ANY(CAST(:busy AS TEXT[])))
  ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE media SET next_attempt_at = :lease_until, updated_at = :now
FROM due WHERE media.seq = due.seq
RETURNING media.seq;

-- name: claim_alerts
-- Alerts that are due; the lease end becomes the due time (as notices).
WITH due AS (
  SELECT seq FROM alerts WHERE state = 'pending' AND next_attempt_at <= :now
  ORDER BY next_attempt_at, seq LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE alerts SET next_attempt_at = :lease_until
FROM due WHERE alerts.seq = due.seq
RETURNING alerts.seq;

-- name: claim_notices
-- Pool-number notices that are due, none of the :busy numbers'; the lease end becomes the
-- due time (as deliveries).
WITH due AS (
  SELECT seq FROM notices WHERE state = 'pending' AND next_attempt_at <= :now
    AND NOT (number_id = ANY(CAST(:busy AS TEXT[])))
  ORDER BY next_attempt_at, seq LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE notices SET next_attempt_at = :lease_until, updated_at = :now
FROM due WHERE notices.seq = due.seq
RETURNING notices.seq;
-- name: lock_live_api_keys
-- A tenant's live keys, locked: two revocations at once cannot both take the last one.
SELECT id FROM api_keys WHERE tenant_id = :tenant_id AND revoked_at IS NULL ORDER BY id
FOR UPDATE;

-- name: lock_live_operator_keys
-- The live operator keys, locked: two revocations at once cannot both take the last one.
SELECT id FROM operator_keys WHERE revoked_at IS NULL ORDER BY id FOR UPDATE;

-- name: stats_bucket_created
-- A delivery's creation time as a bucket of :width seconds from :since (a cast to an
-- integer rounds here, so FLOOR first; see store/sql/stats.sql).
CAST(FLOOR((created_at - :since) / :width) AS BIGINT)

-- name: stats_bucket_updated
CAST(FLOOR((updated_at - :since) / :width) AS BIGINT)
