-- Pool numbers: activations (a tenant's one-time code binds a sender on a pool number) and
-- notices (the replies the gateway itself sends to that sender). Parameters are :name.
-- A pending code past its expiry is shown as expired before anything marks it so.

-- name: insert_activation
INSERT INTO activations (id, tenant_id, number_id, code_hash, code_expires_at, state, label,
                         created_at, updated_at)
VALUES (:id, :tenant_id, :number_id, :code_hash, :code_expires_at, 'pending', :label, :now,
        :now);

-- name: count_pending_activations
SELECT COUNT(*) AS n FROM activations
WHERE tenant_id = :tenant_id AND state = 'pending' AND code_expires_at > :now;

-- name: activation_by_id
SELECT a.*, n.display_phone_number, c.id AS conversation_id,
       CASE WHEN a.state = 'pending' AND a.code_expires_at <= :now THEN 'expired'
            ELSE a.state END AS shown_state
FROM activations a JOIN numbers n ON n.id = a.number_id
LEFT JOIN conversations c
  ON c.tenant_id = a.tenant_id AND c.number_id = a.number_id AND c.wa_id = a.wa_id
WHERE a.id = :id AND a.tenant_id = :tenant_id;

-- name: list_activations
-- Newest first; each filter is skipped when its parameter is NULL.
SELECT a.*, n.display_phone_number, c.id AS conversation_id,
       CASE WHEN a.state = 'pending' AND a.code_expires_at <= :now THEN 'expired'
            ELSE a.state END AS shown_state
FROM activations a JOIN numbers n ON n.id = a.number_id
LEFT JOIN conversations c
  ON c.tenant_id = a.tenant_id AND c.number_id = a.number_id AND c.wa_id = a.wa_id
WHERE a.tenant_id = :tenant_id
  AND (CAST(:number_id AS TEXT) IS NULL OR a.number_id = :number_id)
  AND (CAST(:state AS TEXT) IS NULL OR
       (CASE WHEN a.state = 'pending' AND a.code_expires_at <= :now THEN 'expired'
             ELSE a.state END) = :state)
ORDER BY a.created_at DESC, a.id DESC
LIMIT :limit;

-- name: update_activation_label
UPDATE activations SET label = :label, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id;

-- name: deactivate_activation
-- Active: deactivated (the sender's messages stop). Pending: its code stops working now.
-- Already deactivated or expired: unchanged. SET sees the row as it was.
UPDATE activations SET
  state = CASE WHEN state = 'active' THEN 'deactivated'
               WHEN state = 'pending' THEN 'expired' ELSE state END,
  deactivated_at = CASE WHEN state = 'active' THEN :now ELSE deactivated_at END,
  code_expires_at = CASE WHEN state = 'pending' AND code_expires_at > :now THEN :now
                         ELSE code_expires_at END,
  updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id;

-- name: activation_by_code
SELECT id, tenant_id, state, wa_id, code_expires_at FROM activations
WHERE number_id = :number_id AND code_hash = :code_hash;

-- name: bind_activation
-- The sender's BSUID too, so a username user who later hides the number is still theirs.
UPDATE activations SET state = 'active', wa_id = :wa_id, user_id = CAST(:user_id AS TEXT),
  activated_at = :now, updated_at = :now
WHERE id = :id AND state = 'pending';

-- name: expire_activation
UPDATE activations SET state = 'expired', updated_at = :now
WHERE id = :id AND state = 'pending';

-- name: last_activation_of_sender
-- Whether this sender was ever activated on this number, and how that ended.
SELECT id, tenant_id, state FROM activations
WHERE number_id = :number_id AND wa_id = :wa_id
ORDER BY activated_at DESC
LIMIT 1;

-- name: message_on_number
SELECT seq FROM messages WHERE number_id = :number_id AND wamid = :wamid;

-- name: insert_notice
INSERT INTO notices (number_id, wa_id, kind, text, state, attempts, next_attempt_at,
                     created_at, updated_at)
VALUES (:number_id, :wa_id, :kind, :text, 'pending', 0, :now, :now, :now);

-- name: count_recent_notices
SELECT COUNT(*) AS n FROM notices
WHERE number_id = :number_id AND wa_id = :wa_id AND kind = :kind AND created_at > :since;

-- name: notice_by_seq
SELECT seq, number_id, wa_id, kind, text, attempts FROM notices WHERE seq = :seq;

-- name: number_of_notice
SELECT * FROM numbers WHERE id = :id;

-- name: finish_notice
-- A sent notice keeps the error of its last failed try, if any.
UPDATE notices SET state = :state, attempts = attempts + 1,
  last_error = COALESCE(:error, last_error),
  updated_at = :now
WHERE seq = :seq AND state = 'pending';

-- name: retry_notice
UPDATE notices SET attempts = attempts + 1, next_attempt_at = :next_attempt_at,
  last_error = :error, updated_at = :now
WHERE seq = :seq AND state = 'pending';

-- name: notices_to
-- What was sent to one sender on one number, oldest first (tests and support).
SELECT seq, kind, text, state, attempts, last_error, created_at FROM notices
WHERE number_id = :number_id AND wa_id = :wa_id
ORDER BY seq;

-- name: active_activation_of_user
-- A user's active activation on a pool number, by phone or BSUID (move_ops).
SELECT id, wa_id, user_id FROM activations
WHERE number_id = :number_id AND state = 'active' AND (wa_id = :id OR user_id = :id)
ORDER BY activated_at LIMIT 1;

-- name: active_activation_at
-- Another active activation holding an address (one sender per pool number).
SELECT id FROM activations
WHERE number_id = :number_id AND state = 'active' AND wa_id = :wa_id AND id <> :id;

-- name: readdress_activation
UPDATE activations SET
  wa_id = :wa_id, user_id = COALESCE(CAST(:user_id AS TEXT), user_id), updated_at = :now
WHERE id = :id AND state = 'active';
