-- Portable SQL run by both connectors. Parameters are :name.

-- name: insert_tenant
INSERT INTO tenants (id, name, created_at) VALUES (:id, :name, :now);

-- name: get_tenant
SELECT id, name, created_at, alert_email, alert_webhook_url FROM tenants WHERE id = :id;

-- name: find_api_key
-- The key's prefix is unique; the caller compares the hash in constant time.
SELECT k.tenant_id, k.key_hash, t.name AS tenant_name, t.created_at AS tenant_created_at
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
WHERE k.prefix = :prefix AND k.revoked_at IS NULL;

-- name: app_tenant
SELECT tenant_id FROM apps WHERE id = :id AND deleted_at IS NULL;

-- name: insert_operator_key
INSERT INTO operator_keys (id, prefix, key_hash, label, created_at)
VALUES (:id, :prefix, :key_hash, :label, :now);

-- name: find_operator_key
SELECT key_hash FROM operator_keys WHERE prefix = :prefix AND revoked_at IS NULL;

-- name: find_app_key
SELECT a.id AS app_id, a.key_hash, t.id AS tenant_id, t.name AS tenant_name,
       t.created_at AS tenant_created_at
FROM apps a JOIN tenants t ON t.id = a.tenant_id
WHERE a.key_prefix = :prefix AND a.deleted_at IS NULL;

-- name: insert_number
INSERT INTO numbers (id, tenant_id, kind, phone_number_id, waba_id, display_phone_number,
                     access_token, app_secret, verify_token, verify_token_hash, graph_base_url,
                     app_id, display_name, created_at, updated_at)
VALUES (:id, :tenant_id, :kind, :phone_number_id, :waba_id, :display_phone_number,
        :access_token, :app_secret, :verify_token, :verify_token_hash, :graph_base_url, :app_id,
        :display_name, :now, :now);

-- name: number_by_phone_number_id
-- A disconnected (deleted) number is unknown to the ingress.
SELECT * FROM numbers WHERE phone_number_id = :phone_number_id AND deleted_at IS NULL;

-- name: numbers_of_waba
-- The numbers a WABA-level notification (templates, account) is for.
SELECT * FROM numbers WHERE waba_id = :waba_id AND deleted_at IS NULL ORDER BY created_at, id;

-- name: number_by_id
-- A tenant sees its own numbers and the pool numbers (shared, to activate).
SELECT * FROM numbers
WHERE id = :id AND (tenant_id = :tenant_id OR kind = 'pool') AND deleted_at IS NULL;

-- name: numbers_of_tenant
SELECT * FROM numbers
WHERE (tenant_id = :tenant_id OR kind = 'pool') AND deleted_at IS NULL
ORDER BY created_at, id;

-- name: numbers_by_verify_token
-- By the token's SHA-256: the token itself is stored encrypted.
SELECT * FROM numbers WHERE verify_token_hash = :verify_token_hash AND deleted_at IS NULL;

-- name: insert_destination
INSERT INTO destinations (id, tenant_id, number_id, url, secret, label, format, method, events,
                          timeout_s, retry_schedule, enabled, activation_id, app_id, created_at,
                          updated_at, broker)
VALUES (:id, :tenant_id, :number_id, :url, :secret, :label, :format, :method, :events,
        :timeout_s, :retry_schedule, TRUE, :activation_id, :app_id, :now, :now, :broker);

-- name: destination_by_id
SELECT * FROM destinations WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: destinations_of_tenant
SELECT * FROM destinations WHERE tenant_id = :tenant_id AND deleted_at IS NULL
ORDER BY created_at, id;

-- name: destinations_for_number
-- Disabled destinations still get deliveries: they wait, and resume when re-enabled.
-- One scoped to an activation gets only the conversations that activation routed; an App's
-- destinations get only its own numbers' events (:app_id is the number's App). An App's
-- socket destination gets none until the App's first socket connection.
SELECT id, events, format FROM destinations
WHERE tenant_id = :tenant_id AND deleted_at IS NULL
  AND (number_id IS NULL OR number_id = :number_id)
  AND (activation_id IS NULL OR activation_id = CAST(:activation_id AS TEXT))
  AND (app_id IS NULL OR app_id = :app_id)
  AND NOT waiting_for_socket
ORDER BY created_at, id;

-- name: update_destination
UPDATE destinations SET url = :url, secret = :secret, label = :label, format = :format,
  method = :method, events = :events, timeout_s = :timeout_s, retry_schedule = :retry_schedule, enabled = :enabled,
  disabled_reason = :disabled_reason, number_id = :number_id, activation_id = :activation_id,
  broker = :broker, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: delete_destination
UPDATE destinations SET deleted_at = :now, enabled = FALSE, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: fail_deliveries_of_destination
UPDATE deliveries SET state = 'failed', last_error = :reason, updated_at = :now
WHERE destination_id = :destination_id AND state IN ('pending', 'leased');

-- name: upsert_conversation
INSERT INTO conversations (id, tenant_id, number_id, wa_id, user_id, is_group, contact_name,
                           last_inbound_at, activation_id, last_message_at, created_at)
VALUES (:id, :tenant_id, :number_id, :wa_id, :user_id, :is_group, :contact_name,
        :last_inbound_at, :activation_id, :now, :now)
ON CONFLICT (tenant_id, number_id, wa_id) DO UPDATE SET
  user_id = COALESCE(excluded.user_id, conversations.user_id),
  last_inbound_at = CASE
    WHEN conversations.last_inbound_at IS NULL
      OR excluded.last_inbound_at > conversations.last_inbound_at
    THEN excluded.last_inbound_at ELSE conversations.last_inbound_at END,
  contact_name = COALESCE(excluded.contact_name, conversations.contact_name),
  activation_id = COALESCE(excluded.activation_id, conversations.activation_id),
  last_message_at = excluded.last_message_at
RETURNING id, activation_id, created_at;

-- name: conversation_of_user
-- The conversation with a user known by BSUID, whatever address it was started by (but
-- :id, one just made).
SELECT id FROM conversations
WHERE tenant_id = :tenant_id AND number_id = :number_id AND user_id = :user_id
  AND id <> :id
ORDER BY created_at LIMIT 1;

-- name: delete_new_conversation
-- A conversation made a moment ago in this transaction, before the older one of the same
-- person was found: nothing refers to it yet.
DELETE FROM conversations WHERE id = :id;

-- name: touch_inbound_conversation
-- An inbound message in a conversation found by BSUID: brought up to date like an upsert;
-- a conversation known only by BSUID takes the phone number when Meta sends one (replies
-- go to it), unless another conversation of the number already has it.
UPDATE conversations SET
  wa_id = CASE
    WHEN CAST(:phone AS TEXT) IS NOT NULL AND wa_id = user_id AND NOT EXISTS (
      SELECT 1 FROM conversations o
      WHERE o.tenant_id = conversations.tenant_id AND o.number_id = conversations.number_id
        AND o.wa_id = CAST(:phone AS TEXT))
    THEN CAST(:phone AS TEXT) ELSE wa_id END,
  last_inbound_at = CASE
    WHEN last_inbound_at IS NULL OR :last_inbound_at > last_inbound_at
    THEN :last_inbound_at ELSE last_inbound_at END,
  contact_name = COALESCE(CAST(:contact_name AS TEXT), contact_name),
  activation_id = COALESCE(CAST(:activation_id AS TEXT), activation_id),
  last_message_at = :now
WHERE id = :id
RETURNING id, activation_id;

-- name: active_activation
-- By phone number, or by BSUID for a user bound by one (a username user may write without
-- the number that activated them).
SELECT id, tenant_id FROM activations
WHERE number_id = :number_id AND state = 'active'
  AND (wa_id = :wa_id OR user_id = CAST(:user_id AS TEXT))
ORDER BY activated_at LIMIT 1;

-- name: insert_message
-- RETURNING nothing means Meta sent this wamid before: a redelivery, stored once.
INSERT INTO messages (number_id, conversation_id, wamid, direction, type, timestamp, item,
                      contact, status, status_rank, created_at)
VALUES (:number_id, :conversation_id, :wamid, :direction, :type, :timestamp, :item, :contact,
        :status, :status_rank, :now)
ON CONFLICT (number_id, wamid) DO NOTHING
RETURNING seq;

-- name: insert_event
INSERT INTO events (id, tenant_id, type, conversation_id, message_seq, data, entry_id,
                    created_at)
VALUES (:id, :tenant_id, :type, :conversation_id, :message_seq, :data, :entry_id, :now)
RETURNING seq;

-- name: insert_delivery
INSERT INTO deliveries (id, tenant_id, destination_id, event_seq, conversation_id, state,
                        next_attempt_at, attempts, total_attempts, hold, created_at, updated_at)
VALUES (:id, :tenant_id, :destination_id, :event_seq, :conversation_id, 'pending', :now, 0, 0,
        :hold, :now, :now);

-- name: insert_status
INSERT INTO message_statuses (number_id, wamid, status, timestamp, recipient_id, item,
                              created_at)
VALUES (:number_id, :wamid, :status, :timestamp, :recipient_id, :item, :now)
ON CONFLICT (number_id, wamid, status) DO NOTHING;

-- name: hold_unmatched_status
-- A status of no message of ours waits to be published as sent elsewhere (change_ops).
UPDATE message_statuses SET external_state = 'waiting'
WHERE number_id = :number_id AND wamid = :wamid AND status = :status
  AND external_state IS NULL
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.number_id = :number_id AND m.wamid = :wamid);

-- name: match_waiting_statuses
-- Our send's answer came after its statuses: they are ours, not sent elsewhere.
UPDATE message_statuses SET external_state = 'matched'
WHERE number_id = :number_id AND wamid = :wamid AND external_state = 'waiting';

-- name: claim_unmatched_statuses
-- Statuses that waited long enough with no message of ours appearing, oldest first; the
-- second condition makes a concurrent claim of the same row (PostgreSQL) take nothing.
UPDATE message_statuses SET external_state = 'published'
WHERE seq IN (SELECT seq FROM message_statuses
              WHERE external_state = 'waiting' AND created_at <= :cutoff
              ORDER BY seq LIMIT :limit)
  AND external_state = 'waiting'
RETURNING seq, number_id, wamid, status, recipient_id, item;

-- name: statuses_of_message
SELECT status, timestamp, item FROM message_statuses
WHERE number_id = :number_id AND wamid = :wamid ORDER BY seq;

-- name: apply_status
-- Statuses arrive out of order: only ever move an outbound message forward. A row back
-- means it moved, and its event is due.
UPDATE messages SET status = :status, status_rank = :status_rank, status_at = :timestamp
WHERE number_id = :number_id AND wamid = :wamid AND direction = 'out'
  AND status_rank < :status_rank
RETURNING seq, conversation_id;

-- name: conversation_by_id
SELECT c.*, n.tenant_id AS number_tenant_id, a.state AS activation_state FROM conversations c
JOIN numbers n ON n.id = c.number_id
LEFT JOIN activations a ON a.id = c.activation_id
WHERE c.id = :id AND c.tenant_id = :tenant_id;

-- name: conversation_tenant
SELECT tenant_id, activation_id FROM conversations WHERE id = :id;

-- name: insert_unhandled
INSERT INTO unhandled_updates (number_id, field, value, created_at)
VALUES (:number_id, :field, :value, :now);

-- name: insert_attempt
INSERT INTO attempts (delivery_seq, attempt, started_at, status_code, latency_ms,
                      response_excerpt, error, error_detail, channel)
SELECT seq, total_attempts + 1, :started_at, :status_code, :latency_ms, :response_excerpt,
       :error, :error_detail, :channel
FROM deliveries WHERE id = :delivery_id;

-- name: insert_reply_attempt
-- What became of a reply in a webhook's answer (delivery/replies.py), numbered as the
-- attempt whose answer carried it; the delivery itself is not changed (it succeeded).
INSERT INTO attempts (delivery_seq, attempt, started_at, status_code, latency_ms,
                      response_excerpt, error, error_detail, channel)
SELECT seq, :attempt, :started_at, NULL, :latency_ms, '', :error, :error_detail, 'reply'
FROM deliveries WHERE id = :delivery_id;

-- name: finish_attempt
-- Only while still leased: if the socket was acknowledged meanwhile, the delivery is done.
UPDATE deliveries SET state = :state, next_attempt_at = :next_attempt_at,
  attempts = attempts + :advance, total_attempts = total_attempts + 1,
  retries_in_place = retries_in_place + :in_place,
  last_status_code = :status_code, last_error = :error, updated_at = :now,
  offered_to_socket_at = COALESCE(offered_to_socket_at, :offer_at)
WHERE id = :delivery_id AND state = 'leased';

-- name: socket_claimable
-- Part of each connector's claim_for_socket: what a socket may take. The socket
-- destination's own deliveries; a tenant webhook's deliveries offered to its socket (after
-- the fast retries, or a 410); and those of a tenant webhook the gateway disabled or whose
-- circuit is open (delivery/circuit.py).
((t.method = 'socket' AND t.deleted_at IS NULL AND d.state <> 'failed'
          AND d.next_attempt_at <= :now)
      OR (d.offered_to_socket_at IS NOT NULL AND t.app_id IS NULL
          AND (d.state <> 'leased' OR d.next_attempt_at <= :now))
      OR (t.method = 'webhook'
          AND ((NOT t.enabled AND t.disabled_at IS NOT NULL) OR t.circuit_open_until IS NOT NULL)
          AND t.app_id IS NULL AND t.deleted_at IS NULL AND d.state <> 'failed'
          AND (d.state <> 'leased' OR d.next_attempt_at <= :now)))

-- name: finish_socket
-- A socket wrote or acknowledged it: done, whichever channel held it; other processes'
-- pumps copy it to their connections (socket_copies).
UPDATE deliveries SET state = 'succeeded', lease_owner = NULL, total_attempts = total_attempts + 1,
  last_status_code = NULL, last_error = NULL, updated_at = :now,
  socket_sent_at = :now, socket_sent_by = :owner
WHERE id = :delivery_id AND state IN ('pending', 'leased', 'failed');

-- name: socket_copies
-- What other pumps (other processes) of this tenant's scope wrote to their sockets after
-- the cursor (:after, :after_seq), for this pump to copy to its own connections. :app_id as
-- in claim_for_socket.
SELECT d.seq, d.socket_sent_at FROM deliveries d JOIN destinations t ON t.id = d.destination_id
WHERE d.tenant_id = :tenant_id AND d.socket_sent_at >= :after
  AND (d.socket_sent_at > :after OR d.seq > :after_seq)
  AND d.socket_sent_by <> :owner AND t.app_id IS NOT DISTINCT FROM :app_id
ORDER BY d.socket_sent_at, d.seq
LIMIT :limit;

-- name: release_socket
-- The connection closed before acknowledging: due again at once, on whichever channel.
UPDATE deliveries SET state = 'pending', next_attempt_at = :now, lease_owner = NULL,
  total_attempts = total_attempts + 1, last_error = 'unacknowledged', updated_at = :now
WHERE id = :delivery_id AND state = 'leased' AND lease_owner = :owner;

-- name: renew_socket_lease
UPDATE deliveries SET next_attempt_at = :lease_until, updated_at = :now
WHERE id = :delivery_id AND state = 'leased' AND lease_owner = :owner;

-- name: drop_expired_socket_queue
-- Retention: a socket delivery nobody collected in time is dropped, visibly. Counted from
-- its last change, so a delivery re-sent through the API gets a fresh period.
UPDATE deliveries SET state = 'dropped', last_error = 'queue_retention_expired',
  lease_owner = NULL, updated_at = :now
WHERE state = 'pending' AND updated_at < :oldest
  AND destination_id IN (SELECT id FROM destinations WHERE method = 'socket');

-- name: drop_over_sender_cap
-- Per-sender cap (when set): the oldest beyond the newest :cap of a conversation go.
UPDATE deliveries SET state = 'dropped', last_error = 'queue_sender_cap', updated_at = :now
WHERE seq IN (
  SELECT seq FROM (
    SELECT d.seq, ROW_NUMBER() OVER (
      PARTITION BY d.destination_id, d.conversation_id ORDER BY d.seq DESC) AS n
    FROM deliveries d JOIN destinations t ON t.id = d.destination_id
    WHERE d.state = 'pending' AND t.method = 'socket') ranked
  WHERE n > :cap);

-- name: delivery_by_id
-- event_conversation_id: a delivery outside its conversation's order has none of its own.
SELECT d.*, e.id AS event_id, e.type AS event_type, m.wamid, t.method,
       e.conversation_id AS event_conversation_id
FROM deliveries d JOIN events e ON e.seq = d.event_seq
JOIN destinations t ON t.id = d.destination_id
LEFT JOIN messages m ON m.seq = e.message_seq
WHERE d.id = :id AND d.tenant_id = :tenant_id;

-- name: attempts_of_delivery
SELECT a.* FROM attempts a WHERE a.delivery_seq = :delivery_seq ORDER BY a.attempt, a.seq;

-- name: resend_delivery
UPDATE deliveries SET state = 'pending', attempts = 0, retries_in_place = 0, next_attempt_at = :now,
  last_error = NULL, offered_to_socket_at = NULL, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND state IN ('failed', 'succeeded', 'dropped');

-- name: schema_version
SELECT version_num FROM alembic_version;

-- name: deliveries_by_state
-- For /metrics: the queue by state (finished ones included: they are kept for the API).
SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state;

-- name: oldest_pending_delivery
SELECT MIN(created_at) AS oldest FROM deliveries WHERE state IN ('pending', 'leased');

-- name: destination_health_counts
SELECT SUM(CASE WHEN disabled_at IS NOT NULL THEN 1 ELSE 0 END) AS disabled,
       SUM(CASE WHEN consecutive_failures > 0 AND disabled_at IS NULL THEN 1 ELSE 0 END)
         AS failing
FROM destinations WHERE deleted_at IS NULL;

-- name: media_by_state
SELECT state, COUNT(*) AS n FROM media GROUP BY state;

-- name: count_active_deliveries
SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'leased');

-- name: list_deliveries
-- Newest first; each filter is skipped when its parameter is NULL. :before_seq pages. A
-- delivery outside its conversation's order (UNORDERED_EVENTS) has the event's conversation.
SELECT d.*, e.id AS event_id, e.type AS event_type, m.wamid, t.method,
       e.conversation_id AS event_conversation_id
FROM deliveries d JOIN events e ON e.seq = d.event_seq
JOIN destinations t ON t.id = d.destination_id
LEFT JOIN messages m ON m.seq = e.message_seq
WHERE d.tenant_id = :tenant_id
  AND (CAST(:state AS TEXT) IS NULL OR d.state = :state)
  AND (CAST(:destination_id AS TEXT) IS NULL OR d.destination_id = :destination_id)
  AND (CAST(:conversation_id AS TEXT) IS NULL OR d.conversation_id = :conversation_id
       OR (d.conversation_id IS NULL AND e.conversation_id = :conversation_id))
  AND (CAST(:since AS DOUBLE PRECISION) IS NULL OR d.created_at >= :since)
  AND (CAST(:until AS DOUBLE PRECISION) IS NULL OR d.created_at < :until)
  AND (CAST(:before_seq AS BIGINT) IS NULL OR d.seq < :before_seq)
ORDER BY d.seq DESC
LIMIT :limit;

-- name: list_deliveries_of_conversation
-- As list_deliveries, for one conversation, on ix_deliveries_conversation: a filter written
-- "IS NULL OR =" keeps a prepared plan off any index, so this one is written plainly. The
-- second part: deliveries outside their conversation's order (UNORDERED_EVENTS) have none
-- of their own, and are found by their event's (among the few with none, by the index).
SELECT * FROM (
SELECT d.*, e.id AS event_id, e.type AS event_type, m.wamid, t.method,
       e.conversation_id AS event_conversation_id
FROM deliveries d JOIN events e ON e.seq = d.event_seq
JOIN destinations t ON t.id = d.destination_id
LEFT JOIN messages m ON m.seq = e.message_seq
WHERE d.conversation_id = :conversation_id AND d.tenant_id = :tenant_id
  AND (CAST(:state AS TEXT) IS NULL OR d.state = :state)
  AND (CAST(:destination_id AS TEXT) IS NULL OR d.destination_id = :destination_id)
  AND (CAST(:since AS DOUBLE PRECISION) IS NULL OR d.created_at >= :since)
  AND (CAST(:until AS DOUBLE PRECISION) IS NULL OR d.created_at < :until)
  AND (CAST(:before_seq AS BIGINT) IS NULL OR d.seq < :before_seq)
UNION ALL
SELECT d.*, e.id AS event_id, e.type AS event_type, m.wamid, t.method,
       e.conversation_id AS event_conversation_id
FROM deliveries d JOIN events e ON e.seq = d.event_seq
JOIN destinations t ON t.id = d.destination_id
LEFT JOIN messages m ON m.seq = e.message_seq
WHERE d.conversation_id IS NULL AND e.conversation_id = :conversation_id
  AND d.tenant_id = :tenant_id
  AND (CAST(:state AS TEXT) IS NULL OR d.state = :state)
  AND (CAST(:destination_id AS TEXT) IS NULL OR d.destination_id = :destination_id)
  AND (CAST(:since AS DOUBLE PRECISION) IS NULL OR d.created_at >= :since)
  AND (CAST(:until AS DOUBLE PRECISION) IS NULL OR d.created_at < :until)
  AND (CAST(:before_seq AS BIGINT) IS NULL OR d.seq < :before_seq)
) AS found
ORDER BY seq DESC
LIMIT :limit;

-- name: outbound_status
SELECT status, status_at FROM messages
WHERE number_id = :number_id AND wamid = :wamid AND direction = 'out';

-- name: insert_media
INSERT INTO media (id, tenant_id, number_id, message_seq, graph_media_id, kind, state,
                   mime_type, file_name, byte_size, sha256, attempts, next_attempt_at,
                   expires_at, created_at, updated_at)
VALUES (:id, :tenant_id, :number_id, :message_seq, :graph_media_id, :kind, :state,
        :mime_type, :file_name, :byte_size, :sha256, 0, :now, :expires_at, :now, :now);

-- name: insert_ready_media
-- A file a tenant gave us to send (uploaded, inline or fetched from a URL): already stored.
INSERT INTO media (id, tenant_id, number_id, message_seq, graph_media_id, kind, state,
                   blob_key, mime_type, file_name, byte_size, sha256, attempts,
                   next_attempt_at, expires_at, created_at, updated_at)
VALUES (:id, :tenant_id, :number_id, NULL, NULL, :kind, 'ready', :blob_key, :mime_type,
        :file_name, :byte_size, :sha256, 0, :now, :expires_at, :now, :now);

-- name: media_job
SELECT md.*, n.graph_base_url, n.access_token FROM media md
JOIN numbers n ON n.id = md.number_id
WHERE md.seq = :seq;

-- name: finish_media
UPDATE media SET state = :state, reason = :reason, blob_key = :blob_key,
  byte_size = :byte_size, duration_s = :duration_s, mime_type = COALESCE(:mime_type, mime_type),
  file_name = COALESCE(:file_name, file_name), attempts = attempts + 1, updated_at = :now
WHERE id = :id AND state = 'pending';

-- name: retry_media
UPDATE media SET attempts = attempts + 1, next_attempt_at = :next_attempt_at,
  reason = :reason, updated_at = :now
WHERE id = :id AND state = 'pending';

-- name: release_hold
-- The media step is done: the message's deliveries may go, at once.
UPDATE deliveries SET hold = NULL, next_attempt_at = :now, updated_at = :now
WHERE hold = :hold;

-- name: media_by_id
SELECT * FROM media WHERE id = :id AND tenant_id = :tenant_id;

-- name: media_by_link
-- A signed link names no tenant: the signature is what authorises it.
SELECT * FROM media WHERE id = :id;

-- name: expired_media
-- Past its TTL, and no delivery of its message still pending, leased, failed (it may be
-- re-sent) or finished within the grace period; or past the longest retention at all.
SELECT md.id, md.blob_key FROM media md
WHERE md.state IN ('ready', 'unavailable')
  AND (md.created_at < :hard_limit
    OR (md.expires_at < :now AND NOT EXISTS (
      SELECT 1 FROM events e JOIN deliveries d ON d.event_seq = e.seq
      WHERE e.message_seq = md.message_seq
        AND (d.state IN ('pending', 'leased', 'failed') OR d.updated_at > :grace_limit))))
ORDER BY md.expires_at
LIMIT :limit;

-- name: mark_media_purged
UPDATE media SET state = 'purged', blob_key = NULL, updated_at = :now WHERE id = :id;

-- name: claimed_details
-- Everything needed to render and send the deliveries just claimed.
SELECT d.id, d.seq, d.attempts, d.total_attempts, d.retries_in_place,
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
       t.circuit_failures AS dst_circuit_failures,
       t.circuit_open_until AS dst_circuit_open_until, t.circuit_probes AS dst_circuit_probes,
       t.broker AS dst_broker,
       d.created_at, e.type AS event_type, e.conversation_id, e.data AS event_data, c.wa_id,
       e.entry_id AS event_entry_id,
       m.item,
       -- Meta sends no contact with a status, but bots built on Meta clients (pywa) need one:
       -- an outbound message takes the contact of the conversation's latest inbound message
       -- (Meta's object verbatim, user_id included), else the store builds one from the
       -- conversation (message_direction, conversation_contact_name).
       CASE WHEN m.direction = 'out' THEN
         (SELECT i.contact FROM messages i
          WHERE i.conversation_id = e.conversation_id AND i.direction = 'in'
            AND i.contact IS NOT NULL
          ORDER BY i.seq DESC LIMIT 1)
       ELSE m.contact END AS contact, m.direction AS message_direction,
       c.contact_name AS conversation_contact_name,
       n.id AS number_id, n.display_phone_number, n.phone_number_id, n.waba_id,
       md.id AS media_id, md.state AS media_state, md.mime_type AS media_mime_type,
       md.byte_size AS media_byte_size, md.file_name AS media_file_name,
       md.expires_at AS media_expires_at, md.created_at AS media_created_at,
       md.duration_s AS media_duration_s
FROM deliveries d
JOIN destinations t ON t.id = d.destination_id
JOIN events e ON e.seq = d.event_seq
LEFT JOIN conversations c ON c.id = e.conversation_id
LEFT JOIN activations a ON a.id = c.activation_id
LEFT JOIN messages m ON m.seq = e.message_seq
LEFT JOIN numbers n ON n.id = m.number_id
LEFT JOIN media md ON md.message_seq = m.seq
WHERE /*include:claimed_seqs*/
ORDER BY d.seq;
