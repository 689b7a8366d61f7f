-- answers: What each NIC sent over time, for a plot: wire bits/s per $bucket_ns bucket per source MAC (all traffic it sent, any protocol), ranked by the bytes it sent (series_rank 1 is the biggest), busy buckets only.
-- reads: traffic, analysis_window (rows stamped outside it are left out)
-- params: bucket_ns
-- columns: series_rank, src_mac, bucket_start_ns, bps
WITH buckets AS (
    SELECT t.src_mac, t.bucket_start_ns // $bucket_ns * $bucket_ns AS bucket_start_ns,
           sum(t.wire_bytes) AS bytes
    FROM traffic t
    JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
    WHERE t.src_mac IS NOT NULL
    GROUP BY ALL
),
ranked AS (
    SELECT src_mac, row_number() OVER (ORDER BY sum(bytes) DESC, src_mac) AS series_rank
    FROM buckets GROUP BY src_mac
)
SELECT r.series_rank, b.src_mac, b.bucket_start_ns, b.bytes * 8 * 1e9 / $bucket_ns AS bps
FROM buckets b JOIN ranked r USING (src_mac)
ORDER BY r.series_rank, b.bucket_start_ns;
