-- answers: The throughput of each flow direction over time, for a plot: wire bits/s per $bucket_ns bucket of every TCP/UDP flow direction, ranked by the bytes it carried (series_rank 1 is the biggest), busy buckets only (a bucket absent between two present ones carried nothing).
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out)
-- params: bucket_ns
-- columns: series_rank, flow_id, class, direction, src, dst, bucket_start_ns, bps
WITH pk AS (
    -- one equi-join on the endpoints in a fixed order (either direction matches), not an
    -- OR-join, which would compare every row with every flow
    SELECT f.flow_id, t.bucket_start_ns, t.wire_bytes,
           CASE WHEN t.src_ip = f.client_ip AND t.src_port = f.client_port
                THEN 'c2s' ELSE 's2c' END AS direction
    FROM traffic t
    JOIN flows f
      ON t.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
     AND least(t.src_ip || '|' || t.src_port, t.dst_ip || '|' || t.dst_port)
         = least(f.client_ip || '|' || f.client_port, f.server_ip || '|' || f.server_port)
     AND greatest(t.src_ip || '|' || t.src_port, t.dst_ip || '|' || t.dst_port)
         = greatest(f.client_ip || '|' || f.client_port, f.server_ip || '|' || f.server_port)
    JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
),
buckets AS (
    SELECT flow_id, direction, bucket_start_ns // $bucket_ns * $bucket_ns AS bucket_start_ns,
           sum(wire_bytes) AS bytes
    FROM pk GROUP BY ALL
),
ranked AS (
    SELECT flow_id, direction,
           row_number() OVER (ORDER BY sum(bytes) DESC, flow_id, direction) AS series_rank
    FROM buckets GROUP BY flow_id, direction
)
SELECT
    r.series_rank, b.flow_id, f.class, b.direction,
    CASE b.direction WHEN 'c2s' THEN f.client ELSE f.server END AS src,
    CASE b.direction WHEN 'c2s' THEN f.server ELSE f.client END AS dst,
    b.bucket_start_ns,
    b.bytes * 8 * 1e9 / $bucket_ns                                AS bps
FROM buckets b
JOIN ranked r USING (flow_id, direction)
JOIN flows f USING (flow_id)
ORDER BY r.series_rank, b.bucket_start_ns;
