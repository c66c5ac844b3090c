-- The dashboard's charts: deliveries counted per time bucket, and the queues now. Each
-- connector's queries.sql says how a time falls into a bucket (stats_bucket_created,
-- stats_bucket_updated: integer division that PostgreSQL and SQLite spell differently).

-- name: delivery_counts
-- A tenant's deliveries created in [:since, :until), by destination, bucket of :width
-- seconds, state, latency bin (succeeded: stored → acknowledged, bins of
-- models.stats.LATENCY_BOUNDS_S) and bucket finished in; from ix_deliveries_tenant_stats
-- alone (it carries every column read here).
SELECT destination_id, /*include:stats_bucket_created*/ AS bucket, state,
       CASE WHEN state <> 'succeeded' THEN NULL
         WHEN updated_at - created_at < 0.01 THEN 0
         WHEN updated_at - created_at < 0.025 THEN 1
         WHEN updated_at - created_at < 0.05 THEN 2
         WHEN updated_at - created_at < 0.1 THEN 3
         WHEN updated_at - created_at < 0.25 THEN 4
         WHEN updated_at - created_at < 0.5 THEN 5
         WHEN updated_at - created_at < 1 THEN 6
         WHEN updated_at - created_at < 2.5 THEN 7
         WHEN updated_at - created_at < 5 THEN 8
         WHEN updated_at - created_at < 10 THEN 9
         WHEN updated_at - created_at < 30 THEN 10
         WHEN updated_at - created_at < 60 THEN 11
         WHEN updated_at - created_at < 300 THEN 12
         WHEN updated_at - created_at < 1800 THEN 13
         ELSE 14 END AS latency_bin,
       CASE WHEN state IN ('succeeded', 'failed', 'dropped')
         THEN /*include:stats_bucket_updated*/ END AS done_bucket,
       COUNT(*) AS n
FROM deliveries
WHERE tenant_id = :tenant_id AND created_at >= :since AND created_at < :until
GROUP BY destination_id, bucket, state, latency_bin, done_bucket;

-- name: open_queues
-- Each of a tenant's destinations' waiting deliveries and the oldest one's creation time
-- (the lowest seq: seqs grow with creation). Counted on ix_deliveries_order, whose partial
-- predicate this is, without reading the rows; then one row read per destination.
SELECT q.destination_id, q.depth, d.created_at AS oldest
FROM (
  SELECT destination_id, COUNT(*) AS depth, MIN(seq) AS first_seq
  FROM deliveries
  WHERE destination_id IN (SELECT id FROM destinations WHERE tenant_id = :tenant_id)
    AND state IN ('pending', 'leased')
  GROUP BY destination_id) q
JOIN deliveries d ON d.seq = q.first_seq;
