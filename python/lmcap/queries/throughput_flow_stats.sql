-- answers: Per flow and direction: how fast did it go (mean bits/s on the wire from its first to its last packet, peak of the $bucket_ns buckets), how steady (p5, p95 and coefficient of variation of the bucket rates, idle buckets included, the partly covered first and last bucket left out; computed from the busy buckets and the count of idle ones, so nothing grows with the length of a flow's span), and how much of the link it used?
-- reads: flow_direction_traffic (traffic joined to flows, inside the analysis window), flows (its specification over packets: queries/spec/throughput_flow_stats.sql)
-- params: bucket_ns, link_speed_bps
-- restricts: to the flows whose ids the list in the DuckDB variable lmcap_flow_ids holds, when it is set (lmcap.queries.variable); every flow otherwise. The throughput diagnostic sets it to the flows it reports or judges: the statistics of a SYN flood's 10 M flows took 76 s, those of its 50 largest take 0.1 s (the CTEs below are each read more than once, so a filter on the result does not reach inside them)
-- with: flow_direction_traffic
-- columns: flow_id, class, direction, src, dst, vlan, bytes, payload_bytes, buckets, active_buckets, mean_bps, peak_bps, p5_bps, p95_bps, cov, utilization
WITH pk AS (
    SELECT flow_id, c2s, bucket_start_ns // $bucket_ns AS bucket, first_ns, last_ns,
           wire_bytes, payload_bytes
    FROM flow_direction_traffic
),
sums AS (
    SELECT flow_id, c2s, bucket, sum(wire_bytes) AS bytes, sum(payload_bytes) AS payload
    FROM pk GROUP BY ALL
),
spans AS (
    SELECT s.flow_id, s.c2s, min(s.bucket) AS b0, max(s.bucket) AS b1, count(*) AS active,
           sum(s.bytes) AS bytes, sum(s.payload) AS payload, any_value(t.span_ns) AS span_ns,
           max(s.bytes) AS peak_bucket_bytes
    FROM sums s
    JOIN (SELECT flow_id, c2s, max(last_ns) - min(first_ns) AS span_ns FROM pk GROUP BY ALL) t
      USING (flow_id, c2s)
    GROUP BY ALL
),
interior AS (
    -- the first and last bucket are only partly covered by the transfer; with three or more
    -- buckets they are left out of the shape statistics so a flat line reads as flat
    SELECT s.flow_id, s.c2s, s.bytes * 8 * 1e9 / $bucket_ns AS bps
    FROM sums s
    JOIN spans sp USING (flow_id, c2s)
    WHERE sp.b1 - sp.b0 < 2 OR (s.bucket > sp.b0 AND s.bucket < sp.b1)
),
shape AS (
    -- the covered buckets: `buckets` of them, the busy ones' rates sorted in `busy`, the rest
    -- idle (0 bit/s). Never a row per idle bucket: a frame stamped years away from the others
    -- would make billions of them.
    SELECT sp.flow_id, sp.c2s,
           CASE WHEN sp.b1 - sp.b0 < 2 THEN sp.b1 - sp.b0 + 1 ELSE sp.b1 - sp.b0 - 1 END
               AS buckets,
           coalesce(list(i.bps ORDER BY i.bps) FILTER (WHERE i.bps IS NOT NULL), [])
               AS busy
    FROM spans sp
    LEFT JOIN interior i USING (flow_id, c2s)
    GROUP BY ALL
),
moments AS (
    SELECT *, buckets - len(busy) AS idle,
           coalesce(list_sum(busy), 0) / buckets AS bucket_mean_bps
    FROM shape
),
quantiles AS (
    -- quantile_cont over the sorted rates, idle zeros first: position h = (n - 1) q between
    -- ranks floor(h) and ceil(h), linearly interpolated (what DuckDB's quantile_cont does)
    SELECT flow_id, c2s, q, h,
           list_transform([floor(h), ceil(h)],
                          lambda r: CASE WHEN r < idle THEN 0.0
                                         ELSE busy[(r - idle)::BIGINT + 1] END) AS xs
    FROM (SELECT *, (buckets - 1) * q AS h FROM moments, (VALUES (0.05), (0.95)) v(q))
),
stats AS (
    SELECT m.flow_id, m.c2s, m.buckets, m.bucket_mean_bps,
           any_value(x.xs[1] + (x.h - floor(x.h)) * (x.xs[2] - x.xs[1]))
               FILTER (WHERE x.q = 0.05) AS p5_bps,
           any_value(x.xs[1] + (x.h - floor(x.h)) * (x.xs[2] - x.xs[1]))
               FILTER (WHERE x.q = 0.95) AS p95_bps,
           -- population standard deviation, the idle buckets' share added in closed form
           CASE WHEN m.bucket_mean_bps > 0
                THEN sqrt((coalesce(list_sum(list_transform(
                              m.busy, lambda v: (v - m.bucket_mean_bps) ** 2)), 0)
                           + m.idle * m.bucket_mean_bps ** 2) / m.buckets)
                     / m.bucket_mean_bps END AS cov
    FROM moments m
    JOIN quantiles x USING (flow_id, c2s)
    GROUP BY ALL
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
