-- PostgreSQL-only SQL: several processes claim at once, so the claim skips locked rows.

-- name: lock_message
-- Serialises a sent message's recording with the ingest of its statuses (which may come
-- first: Meta's webhook can outrun the Graph API's answer): held to the transaction's end.
SELECT pg_advisory_xact_lock(hashtextextended(:key, 0));

-- name: claim_due
-- Due, not held, destination enabled and not paused by this process's pacing (:paused, its
-- ids), and, for an ordered destination, no earlier delivery of the same conversation to
-- the same destination still active (per-conversation order). The lease end becomes the
-- due time, so a lease abandoned by a crashed process simply falls due again.
WITH due AS (
  SELECT d.seq FROM deliveries d JOIN destinations t ON t.id = d.destination_id
  WHERE d.state IN ('pending', 'leased') AND d.next_attempt_at <= :now
    AND d.hold IS NULL AND t.enabled AND t.method = 'webhook'
    AND NOT (t.id = ANY(CAST(:paused AS TEXT[])))
    AND (NOT t.ordered OR NOT EXISTS (
      SELECT 1 FROM deliveries e
      WHERE e.destination_id = d.destination_id AND e.conversation_id = d.conversation_id
        AND e.seq < d.seq AND e.state IN ('pending', 'leased')))
  ORDER BY d.next_attempt_at, d.seq
  LIMIT :limit
  FOR UPDATE OF d SKIP LOCKED)
UPDATE deliveries SET state = 'leased', next_attempt_at = :lease_until, updated_at = :now
FROM due WHERE deliveries.seq = due.seq
RETURNING deliveries.seq;

-- name: claimed_details
-- Everything needed to render and send the deliveries just claimed.
SELECT d.id, d.seq, d.attempts,
       t.id AS dst_id, t.tenant_id AS dst_tenant_id, t.number_id AS dst_number_id,
       t.url AS dst_url, t.secret AS dst_secret, t.label AS dst_label, t.format AS dst_format,
       t.timeout_s AS dst_timeout_s, t.retry_schedule AS dst_retry_schedule,
       t.enabled AS dst_enabled, t.disabled_reason AS dst_disabled_reason,
       t.created_at AS dst_created_at, t.method AS dst_method, t.events AS dst_events,
       t.activation_id AS dst_activation_id, COALESCE(a.label, t.label) AS event_label,
       t.app_id AS dst_app_id,
       t.max_rate AS dst_max_rate, t.max_in_flight AS dst_max_in_flight,
       t.ordered AS dst_ordered, t.previous_secret AS dst_previous_secret,
       t.previous_secret_until AS dst_previous_secret_until,
       t.consecutive_failures AS dst_consecutive_failures,
       t.failing_since AS dst_failing_since, t.disabled_at AS dst_disabled_at,
       d.created_at, e.type AS event_type, e.conversation_id, e.data AS event_data, c.wa_id,
       m.item,
       -- Meta sends no contact with a status, but bots built on Meta clients (pywa) need one:
       -- an outbound message takes the contact of the conversation's latest inbound message
       -- (Meta's object verbatim, user_id included), else one built from the conversation.
       CASE WHEN m.direction = 'out' THEN COALESCE(
         (SELECT i.contact FROM messages i
          WHERE i.conversation_id = e.conversation_id AND i.direction = 'in'
            AND i.contact IS NOT NULL
          ORDER BY i.seq DESC LIMIT 1),
         CASE WHEN c.contact_name IS NULL THEN json_build_object('wa_id', c.wa_id)::text
              ELSE json_build_object('profile', json_build_object('name', c.contact_name),
                           'wa_id', c.wa_id)::text END)
       ELSE m.contact END AS contact,
       n.id AS number_id, n.display_phone_number, n.phone_number_id, n.waba_id,
       md.id AS media_id, md.state AS media_state, md.mime_type AS media_mime_type,
       md.byte_size AS media_byte_size, md.file_name AS media_file_name
FROM deliveries d
JOIN destinations t ON t.id = d.destination_id
JOIN events e ON e.seq = d.event_seq
LEFT JOIN conversations c ON c.id = e.conversation_id
LEFT JOIN activations a ON a.id = c.activation_id
LEFT JOIN messages m ON m.seq = e.message_seq
LEFT JOIN numbers n ON n.id = m.number_id
LEFT JOIN media md ON md.message_seq = m.seq
WHERE d.seq = ANY(:seqs)
ORDER BY d.seq;

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
    AND ((t.method = 'socket' AND t.deleted_at IS NULL AND d.state <> 'failed'
          AND d.next_attempt_at <= :now)
      OR (d.offered_to_socket_at IS NOT NULL AND t.app_id IS NULL
          AND (d.state <> 'leased' OR d.next_attempt_at <= :now))
      OR (t.method = 'webhook' AND NOT t.enabled AND t.disabled_at IS NOT NULL
          AND t.app_id IS NULL AND t.deleted_at IS NULL AND d.state <> 'failed'
          AND (d.state <> 'leased' OR d.next_attempt_at <= :now)))
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
  ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE media SET next_attempt_at = :lease_until, updated_at = :now
FROM due WHERE media.seq = due.seq
RETURNING media.seq;

-- name: claim_notices
-- Pool-number notices that are due; the lease end becomes the due time (as deliveries).
WITH due AS (
  SELECT seq FROM notices WHERE state = 'pending' AND next_attempt_at <= :now
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
