-- The dense throughput_flow_stats.sql as shipped before the sparse rewrite (commit d630f76):
-- one row per bucket of each flow's span, idle ones filled with zeros, and DuckDB's own
-- avg / stddev_pop / quantile_cont over them. Test-only reference: on captures without
-- outlying timestamps the shipped sparse query must give exactly these rows
-- (tests/test_timestamps.py). Never run it on a capture whose flows span years.
WITH pk AS (
    -- two equi-joins (one per direction) instead of one OR-join, which would compare every
    -- packet with every flow
    SELECT f.flow_id, TRUE AS c2s, epoch_ns(p.timestamp) AS ts_ns,
           epoch_ns(p.timestamp) // $bucket_ns AS bucket,
           p.wire_len, coalesce(p.payload_len, 0) AS payload_len
    FROM packets p
    JOIN flows f
      ON p.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
     AND p.src_ip = f.client_ip AND p.src_port = f.client_port
     AND p.dst_ip = f.server_ip AND p.dst_port = f.server_port
    WHERE p.timestamp IS NOT NULL
    UNION ALL
    SELECT f.flow_id, FALSE, epoch_ns(p.timestamp), epoch_ns(p.timestamp) // $bucket_ns,
           p.wire_len, coalesce(p.payload_len, 0)
    FROM packets p
    JOIN flows f
      ON p.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
     AND p.src_ip = f.server_ip AND p.src_port = f.server_port
     AND p.dst_ip = f.client_ip AND p.dst_port = f.client_port
    WHERE p.timestamp IS NOT NULL
),
sums AS (
    SELECT flow_id, c2s, bucket, sum(wire_len) AS bytes, sum(payload_len) AS payload
    FROM pk GROUP BY ALL
),
spans AS (
    SELECT s.flow_id, s.c2s, min(s.bucket) AS b0, max(s.bucket) AS b1, count(*) AS active,
           sum(s.bytes) AS bytes, sum(s.payload) AS payload, any_value(t.span_ns) AS span_ns,
           max(s.bytes) AS peak_bucket_bytes
    FROM sums s
    JOIN (SELECT flow_id, c2s, max(ts_ns) - min(ts_ns) AS span_ns FROM pk GROUP BY ALL) t
      USING (flow_id, c2s)
    GROUP BY ALL
),
grid AS (
    SELECT flow_id, c2s, unnest(range(b0, b1 + 1)) AS bucket FROM spans
),
filled AS (
    -- the first and last bucket are only partly covered by the transfer; with three or more
    -- buckets they are left out of the shape statistics so a flat line reads as flat
    SELECT g.flow_id, g.c2s, coalesce(s.bytes, 0) * 8 * 1e9 / $bucket_ns AS bps
    FROM grid g
    JOIN spans sp USING (flow_id, c2s)
    LEFT JOIN sums s USING (flow_id, c2s, bucket)
    WHERE sp.b1 - sp.b0 < 2 OR (g.bucket > sp.b0 AND g.bucket < sp.b1)
),
stats AS (
    SELECT flow_id, c2s, count(*) AS buckets, avg(bps) AS bucket_mean_bps,
           quantile_cont(bps, 0.05) AS p5_bps, quantile_cont(bps, 0.95) AS p95_bps,
           CASE WHEN avg(bps) > 0 THEN stddev_pop(bps) / avg(bps) END AS cov
    FROM filled GROUP BY ALL
)
SELECT f.flow_id, f.class,
       CASE WHEN s.c2s THEN 'client_to_server' ELSE 'server_to_client' END AS direction,
       CASE WHEN s.c2s THEN f.client ELSE f.server END AS src,
       CASE WHEN s.c2s THEN f.server ELSE f.client END AS dst,
       f.vlan, sp.bytes::BIGINT AS bytes, sp.payload::BIGINT AS payload_bytes,
       s.buckets, sp.active AS active_buckets,
       -- the mean over the transfer's own span: a 10 ms transfer is not averaged over a 1 s bucket
       round(CASE WHEN sp.span_ns > 0 THEN sp.bytes * 8 * 1e9 / sp.span_ns ELSE s.bucket_mean_bps END)
           AS mean_bps,
       -- never below the mean: a transfer shorter than one bucket has no higher bucket rate
       round(greatest(sp.peak_bucket_bytes * 8 * 1e9 / $bucket_ns,
                      CASE WHEN sp.span_ns > 0 THEN sp.bytes * 8 * 1e9 / sp.span_ns ELSE 0 END))
           AS peak_bps,
       round(s.p5_bps) AS p5_bps, round(s.p95_bps) AS p95_bps, round(s.cov, 4) AS cov,
       CASE WHEN $link_speed_bps > 0
            THEN round(CASE WHEN sp.span_ns > 0 THEN sp.bytes * 8 * 1e9 / sp.span_ns
                            ELSE s.bucket_mean_bps END / $link_speed_bps, 4) END AS utilization
FROM stats s
JOIN spans sp USING (flow_id, c2s)
JOIN flows f USING (flow_id)
ORDER BY sp.bytes DESC, f.flow_id, direction;
