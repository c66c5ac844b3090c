-- Conversations through the API (list, get, labels, notes, external user id), their
-- messages, and the conversation context the summary format renders.
-- :app_id scopes to one App's dedicated numbers (App keys); NULL for a tenant key.

-- name: list_conversations
-- Newest activity first; each filter is skipped when its parameter is NULL. The cursor is
-- the last row's (activity, id), compared as one row value: a range of
-- ix_conversations_tenant_activity (PostgreSQL planned the two-part OR as a scan of every
-- later row, then a sort). :label_pattern matches one element of the labels JSON list
-- (see convs_ops.label_pattern).
SELECT c.* FROM conversations c JOIN numbers n ON n.id = c.number_id
WHERE c.tenant_id = :tenant_id
  AND (CAST(:app_id AS TEXT) IS NULL OR n.app_id = :app_id)
  AND (CAST(:number_id AS TEXT) IS NULL OR c.number_id = :number_id)
  AND (CAST(:external_user_id AS TEXT) IS NULL OR c.external_user_id = :external_user_id)
  AND (CAST(:label_pattern AS TEXT) IS NULL
       OR (',' || substr(c.labels, 2, length(c.labels) - 2) || ',') LIKE :label_pattern
          ESCAPE '\')
  AND (CAST(:before_at AS DOUBLE PRECISION) IS NULL
       OR (COALESCE(c.last_message_at, c.created_at), c.id) < (:before_at, :before_id))
ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
LIMIT :limit;

-- name: list_contact_conversations
-- list_conversations of one contact (waId): found on ix_conversations_tenant_contact, a
-- few rows sorted then. The order's "+ 0" keeps SQLite from walking the activity index
-- instead (it would read every conversation of the tenant to find the contact's).
SELECT c.* FROM conversations c JOIN numbers n ON n.id = c.number_id
WHERE c.tenant_id = :tenant_id AND c.wa_id = :wa_id
  AND (CAST(:app_id AS TEXT) IS NULL OR n.app_id = :app_id)
  AND (CAST(:number_id AS TEXT) IS NULL OR c.number_id = :number_id)
  AND (CAST(:external_user_id AS TEXT) IS NULL OR c.external_user_id = :external_user_id)
  AND (CAST(:label_pattern AS TEXT) IS NULL
       OR (',' || substr(c.labels, 2, length(c.labels) - 2) || ',') LIKE :label_pattern
          ESCAPE '\')
  AND (CAST(:before_at AS DOUBLE PRECISION) IS NULL
       OR (COALESCE(c.last_message_at, c.created_at), c.id) < (:before_at, :before_id))
ORDER BY COALESCE(c.last_message_at, c.created_at) + 0 DESC, c.id DESC
LIMIT :limit;

-- name: scoped_conversation
SELECT c.* FROM conversations c JOIN numbers n ON n.id = c.number_id
WHERE c.id = :id AND c.tenant_id = :tenant_id
  AND (CAST(:app_id AS TEXT) IS NULL OR n.app_id = :app_id);

-- name: conversation_message_counts
SELECT direction, COUNT(*) AS n FROM messages WHERE conversation_id = :id GROUP BY direction;

-- name: notes_of_conversation
SELECT id, text, created_at FROM conversation_notes
WHERE conversation_id = :id ORDER BY created_at, id;

-- name: count_notes
SELECT COUNT(*) AS n FROM conversation_notes WHERE conversation_id = :id;

-- name: insert_note
INSERT INTO conversation_notes (id, conversation_id, text, created_at)
VALUES (:id, :conversation_id, :text, :now);

-- name: delete_note
DELETE FROM conversation_notes WHERE id = :id AND conversation_id = :conversation_id;

-- name: set_labels
-- Compare-and-set: only if nobody changed the labels since they were read.
UPDATE conversations SET labels = :labels WHERE id = :id AND labels = :previous;

-- name: set_external_user_id
UPDATE conversations SET external_user_id = :external_user_id WHERE id = :id;

-- name: conversation_messages
-- Newest first; :before_seq pages. Inbound files come with our stored copy.
SELECT m.seq, m.wamid, m.direction, m.type, m.timestamp, m.item, m.status, m.status_at,
       m.created_at, md.id AS media_id, md.state AS media_state,
       md.mime_type AS media_mime_type, md.byte_size AS media_byte_size,
       md.file_name AS media_file_name, md.expires_at AS media_expires_at,
       md.created_at AS media_created_at
FROM messages m LEFT JOIN media md ON md.message_seq = m.seq
WHERE m.conversation_id = :conversation_id
  AND (CAST(:before_seq AS BIGINT) IS NULL OR m.seq < :before_seq)
ORDER BY m.seq DESC
LIMIT :limit;

-- name: conversation_message_seq
SELECT seq FROM messages WHERE conversation_id = :conversation_id AND wamid = :wamid;

-- name: conversation_for_context
SELECT wa_id, contact_name, external_user_id, labels FROM conversations WHERE id = :id;

-- name: last_message_in_direction
-- The newest message of one direction up to :upto_seq (the summary's last user/system message).
SELECT m.seq, m.wamid, m.direction, m.type, m.timestamp, m.item, m.status, m.status_at,
       m.created_at, md.id AS media_id, md.state AS media_state,
       md.mime_type AS media_mime_type, md.byte_size AS media_byte_size,
       md.file_name AS media_file_name, md.expires_at AS media_expires_at,
       md.created_at AS media_created_at
FROM messages m LEFT JOIN media md ON md.message_seq = m.seq
WHERE m.conversation_id = :conversation_id AND m.direction = :direction
  AND m.seq <= :upto_seq
ORDER BY m.seq DESC
LIMIT 1;

-- name: recent_messages_upto
SELECT m.seq, m.wamid, m.direction, m.type, m.timestamp, m.item, m.status, m.status_at,
       m.created_at, md.id AS media_id, md.state AS media_state,
       md.mime_type AS media_mime_type, md.byte_size AS media_byte_size,
       md.file_name AS media_file_name, md.expires_at AS media_expires_at,
       md.created_at AS media_created_at
FROM messages m LEFT JOIN media md ON md.message_seq = m.seq
WHERE m.conversation_id = :conversation_id AND m.seq <= :upto_seq
ORDER BY m.seq DESC
LIMIT :limit;

-- name: conversation_of_inbound_message
-- The tenant's conversation an inbound wamid belongs to. Through the numbers, so each
-- lookup uses the (number_id, wamid) unique index; a pool number's messages belong to the
-- tenant of their conversation.
SELECT m.conversation_id FROM numbers n
JOIN messages m ON m.number_id = n.id AND m.wamid = :wamid AND m.direction = 'in'
JOIN conversations c ON c.id = m.conversation_id
WHERE c.tenant_id = :tenant_id
ORDER BY m.seq DESC
LIMIT 1;

-- A user's new ids (move_ops): their conversations follow them.

-- name: conversations_of_user_ids
-- The number's conversations (any tenant) addressed by, or recorded with, a user's id.
SELECT id, tenant_id, wa_id, user_id, labels, contact_name, external_user_id, activation_id,
       last_inbound_at, last_message_at, created_at
FROM conversations
WHERE number_id = :number_id AND NOT is_group AND (wa_id = :id OR user_id = :id);

-- name: tenant_conversations_of_user_ids
SELECT id, tenant_id, wa_id, user_id, labels, contact_name, external_user_id, activation_id,
       last_inbound_at, last_message_at, created_at
FROM conversations
WHERE tenant_id = :tenant_id AND number_id = :number_id AND NOT is_group
  AND (wa_id = :id OR user_id = :id);

-- name: fold_messages
UPDATE messages SET conversation_id = :id WHERE conversation_id = :other_id;

-- name: fold_notes
UPDATE conversation_notes SET conversation_id = :id WHERE conversation_id = :other_id;

-- name: fold_events
UPDATE events SET conversation_id = :id WHERE conversation_id = :other_id;

-- name: fold_deliveries
-- Pending ones included: the dispatcher keeps their order by seq in the conversation kept.
UPDATE deliveries SET conversation_id = :id WHERE conversation_id = :other_id;

-- name: recount_conversation_heads
-- After fold_deliveries two queues are one: which of its deliveries are heads again (the
-- head column: for an ordered destination, no earlier active delivery of the queue).
UPDATE deliveries SET head = NOT (
  (SELECT ordered FROM destinations t WHERE t.id = deliveries.destination_id) AND EXISTS (
    SELECT 1 FROM deliveries e
    WHERE e.destination_id = deliveries.destination_id
      AND e.conversation_id = deliveries.conversation_id
      AND e.seq < deliveries.seq AND e.state IN ('pending', 'leased')))
WHERE conversation_id = :id AND state IN ('pending', 'leased');

-- name: delete_folded_conversation
-- Nothing refers to it any more (fold_*): its history is the kept conversation's.
DELETE FROM conversations WHERE id = :id;

-- name: absorb_conversation
-- The kept conversation gains a folded one's labels (merged by the caller), the later of
-- the two times, and what it lacked.
UPDATE conversations SET
  labels = :labels,
  contact_name = COALESCE(contact_name, CAST(:contact_name AS TEXT)),
  external_user_id = COALESCE(external_user_id, CAST(:external_user_id AS TEXT)),
  activation_id = COALESCE(activation_id, CAST(:activation_id AS TEXT)),
  last_inbound_at = CASE
    WHEN last_inbound_at IS NULL
      OR CAST(:last_inbound_at AS DOUBLE PRECISION) > last_inbound_at
    THEN COALESCE(CAST(:last_inbound_at AS DOUBLE PRECISION), last_inbound_at)
    ELSE last_inbound_at END,
  last_message_at = CASE
    WHEN last_message_at IS NULL
      OR CAST(:last_message_at AS DOUBLE PRECISION) > last_message_at
    THEN COALESCE(CAST(:last_message_at AS DOUBLE PRECISION), last_message_at)
    ELSE last_message_at END
WHERE id = :id;

-- name: readdress_conversation
UPDATE conversations SET
  wa_id = :wa_id, user_id = COALESCE(CAST(:user_id AS TEXT), user_id)
WHERE id = :id;

-- name: chat_facts
-- The wassenger format's chat and device facts (convs_ops.chat_facts): one statement, read
-- at send time for that format only. Each subquery walks the conversation's messages by
-- ix_messages_conversation (conversation_id, seq).
SELECT c.tenant_id, c.wa_id, c.is_group, c.contact_name, c.external_user_id, c.labels,
  c.created_at,
  (SELECT m.wamid FROM messages m WHERE m.conversation_id = c.id
   ORDER BY m.seq LIMIT 1) AS first_wamid,
  (SELECT m.timestamp FROM messages m WHERE m.conversation_id = c.id
   ORDER BY m.seq LIMIT 1) AS first_message_at,
  (SELECT m.timestamp FROM messages m WHERE m.conversation_id = c.id
   ORDER BY m.seq DESC LIMIT 1) AS last_message_at,
  (SELECT m.timestamp FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'
   ORDER BY m.seq DESC LIMIT 1) AS last_inbound_at,
  (SELECT m.timestamp FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'out'
   ORDER BY m.seq DESC LIMIT 1) AS last_outbound_at,
  (SELECT m.timestamp FROM messages m WHERE m.conversation_id = c.id AND m.type = 'reaction'
   ORDER BY m.seq DESC LIMIT 1) AS last_reaction_at,
  (SELECT m.item FROM messages m WHERE m.conversation_id = c.id AND m.type = 'reaction'
   ORDER BY m.seq DESC LIMIT 1) AS last_reaction_item,
  (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in')
    AS inbound_messages,
  (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'out')
    AS outbound_messages,
  (SELECT COUNT(*) FROM conversation_notes t WHERE t.conversation_id = c.id) AS notes,
  n.created_at AS number_created_at, n.display_name AS number_display_name,
  n.health AS number_health, n.health_checked_at AS number_health_checked_at
FROM conversations c LEFT JOIN numbers n ON n.id = c.number_id
WHERE c.id = :id;

-- name: conversation_scope
-- Whose destinations an event about the conversation goes to (publish_for_conversation).
SELECT c.tenant_id, c.activation_id, n.id AS number_id, n.app_id, n.phone_number_id,
       n.display_phone_number, n.waba_id
FROM conversations c JOIN numbers n ON n.id = c.number_id
WHERE c.id = :id;
