-- Tenants, API keys, operator keys, number management and health, secrets at rest.

-- name: list_tenants
SELECT id, name, created_at, alert_email, alert_webhook_url FROM tenants
ORDER BY created_at, id;

-- name: insert_labeled_api_key
INSERT INTO api_keys (id, tenant_id, prefix, key_hash, label, created_at)
VALUES (:id, :tenant_id, :prefix, :key_hash, :label, :now);

-- name: api_keys_of_tenant
SELECT id, prefix, label, created_at, revoked_at FROM api_keys
WHERE tenant_id = :tenant_id ORDER BY created_at, id;

-- name: api_key_of_tenant
SELECT id, prefix, label, created_at, revoked_at FROM api_keys
WHERE id = :id AND tenant_id = :tenant_id;

-- name: revoke_api_key
UPDATE api_keys SET revoked_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND revoked_at IS NULL;

-- name: list_operator_keys
SELECT id, prefix, label, created_at, revoked_at FROM operator_keys ORDER BY created_at, id;

-- name: operator_key_by_id
SELECT id, prefix, label, created_at, revoked_at FROM operator_keys WHERE id = :id;

-- name: revoke_operator_key
UPDATE operator_keys SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL;

-- name: all_numbers
SELECT * FROM numbers WHERE deleted_at IS NULL ORDER BY created_at, id;

-- name: any_number_by_id
SELECT * FROM numbers WHERE id = :id AND deleted_at IS NULL;

-- name: update_number
-- NULL keeps a field as it is (display_name: only when :set_display_name); a new token or
-- Graph API URL makes the health unknown until the next check.
UPDATE numbers SET
  display_name = CASE WHEN :set_display_name THEN :display_name ELSE display_name END,
  access_token = COALESCE(:access_token, access_token),
  app_secret = COALESCE(:app_secret, app_secret),
  verify_token = COALESCE(:verify_token, verify_token),
  verify_token_hash = COALESCE(:verify_token_hash, verify_token_hash),
  graph_base_url = COALESCE(:graph_base_url, graph_base_url),
  health = CASE WHEN :reset_health THEN 'unknown' ELSE health END,
  health_detail = CASE WHEN :reset_health THEN NULL ELSE health_detail END,
  health_checked_at = CASE WHEN :reset_health THEN NULL ELSE health_checked_at END,
  updated_at = :now
WHERE id = :id AND deleted_at IS NULL;

-- name: delete_number
-- Disconnected: the ingress no longer knows it, and its phone-number id is free to be
-- registered again (the unique column keeps the old one inside a marker).
UPDATE numbers SET deleted_at = :now, updated_at = :now, phone_number_id = :freed_phone_number_id,
  verify_token_hash = NULL
WHERE id = :id AND deleted_at IS NULL;

-- name: numbers_due_for_health
SELECT id FROM numbers
WHERE deleted_at IS NULL AND (health_checked_at IS NULL OR health_checked_at < :before)
ORDER BY COALESCE(health_checked_at, 0), id
LIMIT :limit;

-- name: claim_health_check
-- One process checks a number per interval: the first to move its time takes it.
UPDATE numbers SET health_checked_at = :now
WHERE id = :id AND deleted_at IS NULL
  AND (health_checked_at IS NULL OR health_checked_at < :before);

-- name: number_health_before
SELECT health, tenant_id, display_phone_number FROM numbers WHERE id = :id;

-- name: record_health
-- Only if the token checked is still the number's (a PATCH meanwhile made it unknown).
UPDATE numbers SET health = :health, health_detail = :health_detail, health_checked_at = :now
WHERE id = :id AND deleted_at IS NULL AND access_token = :checked_access_token;

-- name: numbers_secrets
SELECT id, access_token, app_secret, verify_token, verify_token_hash FROM numbers ORDER BY id;

-- name: reseal_number
UPDATE numbers SET access_token = :access_token, app_secret = :app_secret,
  verify_token = :verify_token, verify_token_hash = :verify_token_hash
WHERE id = :id AND access_token = :old_access_token AND app_secret = :old_app_secret
  AND verify_token = :old_verify_token;

-- name: destinations_secrets
SELECT id, secret, previous_secret, broker FROM destinations ORDER BY id;

-- name: reseal_destination
UPDATE destinations SET secret = :secret, previous_secret = :previous_secret, broker = :broker
WHERE id = :id AND secret = :old_secret
  AND COALESCE(previous_secret, '') = COALESCE(CAST(:old_previous_secret AS TEXT), '')
  AND COALESCE(broker, '') = COALESCE(CAST(:old_broker AS TEXT), '');
