-- answers: Throughput on the wire per host pair, per NIC (source MAC) and per VLAN, bucketed at $bucket_ns: bytes, mean and peak bits/s, and utilization of the link; the report_list_max largest of each grouping by bytes, keys_total counting them all.
-- reads: packets, analysis_window (frames stamped outside it are left out)
-- params: bucket_ns, link_speed_bps, report_list_max
-- columns: grouping, key, bytes, buckets, mean_bps, peak_bps, utilization, keys_total
WITH pk AS (
    SELECT epoch_ns(timestamp) // $bucket_ns AS bucket, wire_len,
           src_ip || ' -> ' || dst_ip AS host_pair, src_mac, coalesce(vlan_id::VARCHAR, 'untagged') AS vlan
    FROM packets p
    JOIN analysis_window w ON epoch_ns(p.timestamp) BETWEEN w.start_ns AND w.end_ns
),
keyed AS (
    SELECT 'host_pair' AS grouping, host_pair AS key, bucket, wire_len FROM pk WHERE host_pair IS NOT NULL
    UNION ALL
    SELECT 'nic', src_mac, bucket, wire_len FROM pk WHERE src_mac IS NOT NULL
    UNION ALL
    SELECT 'vlan', vlan, bucket, wire_len FROM pk
),
sums AS (SELECT grouping, key, bucket, sum(wire_len) AS bytes FROM keyed GROUP BY ALL),
spans AS (
    SELECT grouping, key, sum(bytes) AS bytes, max(bucket) - min(bucket) + 1 AS buckets,
           max(bytes) AS peak_bucket_bytes
    FROM sums GROUP BY ALL
)
SELECT grouping, key, bytes::BIGINT AS bytes, buckets,
       round(bytes * 8 * 1e9 / $bucket_ns / buckets) AS mean_bps,
       round(peak_bucket_bytes * 8 * 1e9 / $bucket_ns) AS peak_bps,
       CASE WHEN $link_speed_bps > 0
            THEN round(bytes * 8 * 1e9 / $bucket_ns / buckets / $link_speed_bps, 4) END AS utilization,
       count(*) OVER (PARTITION BY grouping) AS keys_total
FROM spans
QUALIFY row_number() OVER (PARTITION BY grouping ORDER BY bytes DESC, key) <= $report_list_max
ORDER BY grouping, bytes DESC, key;
