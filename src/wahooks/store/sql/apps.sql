-- Apps: a tenant's applications owning dedicated numbers (their key, their numbers, their
-- destinations). Portable SQL run by both connectors.

-- name: insert_app
INSERT INTO apps (id, tenant_id, name, slug, key_prefix, key_hash, created_at, updated_at)
VALUES (:id, :tenant_id, :name, :slug, :key_prefix, :key_hash, :now, :now);

-- name: app_slug_taken
SELECT 1 AS taken FROM apps WHERE slug = :slug;

-- name: app_by_id
SELECT * FROM apps WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: apps_of_tenant
SELECT * FROM apps WHERE tenant_id = :tenant_id AND deleted_at IS NULL
ORDER BY created_at, id;

-- name: rename_app
UPDATE apps SET name = :name, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: set_app_key
-- Regenerating replaces the key in place: the old one matches nothing from now on.
UPDATE apps SET key_prefix = :key_prefix, key_hash = :key_hash, updated_at = :now
WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL;

-- name: delete_app
-- Only while no live number is connected to it. The key stops matching at once, and the
-- slug is freed for a new App ('~' cannot occur in a live slug).
UPDATE apps SET deleted_at = :now, updated_at = :now, key_prefix = NULL, key_hash = NULL,
  slug = slug || '~' || id
WHERE id = :id AND tenant_id = :tenant_id AND deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM numbers WHERE app_id = :id AND deleted_at IS NULL);

-- name: delete_app_destinations
UPDATE destinations SET deleted_at = :now, enabled = FALSE, updated_at = :now
WHERE app_id = :app_id AND deleted_at IS NULL;

-- name: fail_app_deliveries
UPDATE deliveries SET state = 'failed', last_error = 'app_deleted', lease_owner = NULL,
  updated_at = :now
WHERE state IN ('pending', 'leased')
  AND destination_id IN (SELECT id FROM destinations WHERE app_id = :app_id);

-- name: numbers_of_apps
-- The live numbers of a tenant's Apps (of one App when :app_id is set), each with how
-- many conversations have WhatsApp's 24-hour window open.
SELECT n.*,
  (SELECT COUNT(*) FROM conversations c
   WHERE c.number_id = n.id AND c.last_inbound_at >= :window_start) AS active_conversations
FROM numbers n
WHERE n.tenant_id = :tenant_id AND n.app_id IS NOT NULL AND n.deleted_at IS NULL
  AND (CAST(:app_id AS TEXT) IS NULL OR n.app_id = :app_id)
ORDER BY n.created_at, n.id;

-- name: number_of_app
SELECT * FROM numbers WHERE id = :id AND app_id = :app_id AND deleted_at IS NULL;

-- name: conversation_by_contact
SELECT id FROM conversations
WHERE tenant_id = :tenant_id AND number_id = :number_id AND wa_id = :wa_id;

-- name: media_of_app
-- A file that came in on one of the App's numbers.
SELECT 1 AS found FROM media md JOIN numbers n ON n.id = md.number_id
WHERE md.id = :id AND n.app_id = :app_id;

-- name: app_socket_waits
-- A new App's socket destination queues nothing until the App first connects a socket.
UPDATE destinations SET waiting_for_socket = TRUE WHERE id = :id;

-- name: app_socket_connected
UPDATE destinations SET waiting_for_socket = FALSE, updated_at = :now
WHERE app_id = :app_id AND method = 'socket' AND waiting_for_socket;
