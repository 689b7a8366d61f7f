-- answers: Where in each flow direction is the transfer, and how steady is it there? The transfer is the stretch of $bucket_ns buckets from the one where more than (1 - $transfer_share) / 2 of the direction's wire bytes had passed to the one where $transfer_share and that half again had (a session's set-up before and its idle tail after are left out, as are a stray keep-alive's bytes). Its spread: p5, p95 and coefficient of variation of the rates of its interior buckets (the partly covered first and last left out when it spans three or more), idle buckets included, computed from the busy buckets and the count of idle ones. Also its rate over time: wire bytes per point from its first to its last bucket, a point being one bucket or, for a direction spanning more than $series_max_points buckets, that many consecutive buckets summed (down-sampled), so that no series has more than $series_max_points points (series_bytes lists the points with traffic, by series_point; the others are idle). The flow-direction join and the quantiles are those of throughput_flow_stats.
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out)
-- params: bucket_ns, transfer_share, series_max_points
-- restricts: to the flows whose ids the list in the DuckDB variable lmcap_flow_ids holds, when it is set (lmcap.queries.variable), as throughput_flow_stats does; every flow otherwise
-- with: flow_direction_traffic
-- columns: flow_id, direction, bytes, transfer_bytes, transfer_start_ns, transfer_end_ns, transfer_buckets, spread_buckets, p5_bps, p95_bps, cov, series_start_ns, series_point_ns, series_points, series_point, series_bytes
WITH pk AS (
    SELECT flow_id, c2s, bucket_start_ns // $bucket_ns AS bucket, first_ns, last_ns,
           wire_bytes, payload_bytes
    FROM flow_direction_traffic
),
sums AS (
    SELECT flow_id, c2s, bucket, sum(wire_bytes) AS bytes, min(first_ns) AS first_ns,
           max(last_ns) AS last_ns
    FROM pk GROUP BY ALL
),
running AS (
    SELECT *, sum(bytes) OVER (PARTITION BY flow_id, c2s ORDER BY bucket) AS upto,
           sum(bytes) OVER (PARTITION BY flow_id, c2s) AS total
    FROM sums
),
ends AS (
    SELECT flow_id, c2s, any_value(total) AS total,
           min(bucket) FILTER (WHERE upto > total * (1 - $transfer_share) / 2) AS lo,
           min(bucket) FILTER (WHERE upto >= total * (1 + $transfer_share) / 2) AS hi
    FROM running GROUP BY ALL
),
transfer AS (
    SELECT s.*, e.lo, e.hi, e.total
    FROM sums s JOIN ends e USING (flow_id, c2s)
    WHERE s.bucket BETWEEN e.lo AND e.hi
),
shape AS (
    SELECT flow_id, c2s, any_value(total) AS total, sum(bytes) AS transfer_bytes,
           min(first_ns) AS transfer_start_ns, max(last_ns) AS transfer_end_ns,
           any_value(hi - lo + 1) AS transfer_buckets,
           CASE WHEN any_value(hi - lo) < 2 THEN any_value(hi - lo + 1)
                ELSE any_value(hi - lo - 1) END AS spread_buckets,
           coalesce(list(bytes * 8 * 1e9 / $bucket_ns ORDER BY bytes)
                        FILTER (WHERE hi - lo < 2 OR (bucket > lo AND bucket < hi)), [])
               AS busy
    FROM transfer GROUP BY ALL
),
moments AS (
    SELECT *, spread_buckets - len(busy) AS idle,
           coalesce(list_sum(busy), 0) / spread_buckets AS mean_bps
    FROM shape
),
series AS (
    -- the whole span, down-sampled to at most series_max_points points
    SELECT flow_id, c2s, any_value(b0) * $bucket_ns AS series_start_ns,
           any_value(k) * $bucket_ns AS series_point_ns, any_value((b1 - b0) // k + 1) AS series_points,
           list((bucket - b0) // k ORDER BY bucket) AS series_point,
           list(bytes ORDER BY bucket) AS series_bytes
    FROM (
        SELECT s.*, min(bucket) OVER w AS b0, max(bucket) OVER w AS b1,
               greatest(1, ceil((max(bucket) OVER w - min(bucket) OVER w + 1)
                                / $series_max_points))::BIGINT AS k
        FROM sums s
        WINDOW w AS (PARTITION BY flow_id, c2s)
    )
    GROUP BY ALL
),
quantiles AS (
    -- quantile_cont over the sorted rates, idle zeros first (as throughput_flow_stats)
    SELECT flow_id, c2s, q, h,
           list_transform([floor(h), ceil(h)],
                          lambda r: CASE WHEN r < idle THEN 0.0
                                         ELSE busy[(r - idle)::BIGINT + 1] END) AS xs
    FROM (SELECT *, (spread_buckets - 1) * q AS h FROM moments, (VALUES (0.05), (0.95)) v(q))
)
SELECT m.flow_id,
       CASE WHEN m.c2s THEN 'client_to_server' ELSE 'server_to_client' END AS direction,
       m.total::BIGINT AS bytes, m.transfer_bytes::BIGINT AS transfer_bytes,
       m.transfer_start_ns, m.transfer_end_ns, m.transfer_buckets, m.spread_buckets,
       round(any_value(x.xs[1] + (x.h - floor(x.h)) * (x.xs[2] - x.xs[1]))
             FILTER (WHERE x.q = 0.05)) AS p5_bps,
       round(any_value(x.xs[1] + (x.h - floor(x.h)) * (x.xs[2] - x.xs[1]))
             FILTER (WHERE x.q = 0.95)) AS p95_bps,
       -- population standard deviation, the idle buckets' share added in closed form
       round(CASE WHEN m.mean_bps > 0
                  THEN sqrt((coalesce(list_sum(list_transform(
                                m.busy, lambda v: (v - m.mean_bps) ** 2)), 0)
                             + m.idle * m.mean_bps ** 2) / m.spread_buckets) / m.mean_bps
             END, 4) AS cov,
       any_value(z.series_start_ns) AS series_start_ns,
       any_value(z.series_point_ns) AS series_point_ns,
       any_value(z.series_points) AS series_points,
       any_value(z.series_point) AS series_point, any_value(z.series_bytes) AS series_bytes
FROM moments m
JOIN quantiles x USING (flow_id, c2s)
JOIN series z USING (flow_id, c2s)
GROUP BY ALL
ORDER BY m.flow_id, direction;
