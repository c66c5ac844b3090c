-- name: insert_alert
INSERT INTO alerts (id, tenant_id, kind, subject, data, state, attempts, next_attempt_at,
                    created_at, channel)
VALUES (:id, :tenant_id, :kind, :subject, :data, 'pending', 0, :now, :now, :channel);

-- name: alert_of_seq
SELECT a.id, a.tenant_id, a.kind, a.subject, a.data, a.attempts, a.created_at, a.channel,
       t.name AS tenant_name, t.alert_email, t.alert_webhook_url, t.alert_webhook_secret
FROM alerts a JOIN tenants t ON t.id = a.tenant_id
WHERE a.seq = :seq;

-- name: alert_sent_since
-- Whether this condition was already told of since :since (at most one per interval).
SELECT 1 AS sent FROM alerts
WHERE kind = :kind AND subject = :subject AND channel = :channel AND sent_at >= :since
  AND id <> :id
LIMIT 1;

-- name: finish_alert
UPDATE alerts SET state = :state, last_error = :error, attempts = attempts + 1,
  sent_at = CASE WHEN :state = 'sent' THEN :now ELSE sent_at END
WHERE id = :id;

-- name: retry_alert
UPDATE alerts SET attempts = attempts + 1, last_error = :error, next_attempt_at = :next_at
WHERE id = :id;

-- name: pending_of_destination
SELECT COUNT(*) AS n FROM deliveries
WHERE destination_id = :destination_id AND state IN ('pending', 'leased');

-- name: last_error_of_destination
SELECT last_error AS e FROM deliveries
WHERE destination_id = :destination_id AND last_error IS NOT NULL
ORDER BY updated_at DESC LIMIT 1;

-- name: set_tenant_alert_email
UPDATE tenants SET alert_email = :alert_email WHERE id = :id;

-- name: set_tenant_alert_webhook
UPDATE tenants SET alert_webhook_url = :url, alert_webhook_secret = :secret WHERE id = :id;

-- name: destination_of_alert
SELECT tenant_id, url FROM destinations WHERE id = :id;
