-- answers: What each SMB channel (a TCP connection to port 445 or 139, both directions summed) carried over time, for a plot: wire bits/s per $bucket_ns bucket, ranked by the bytes it carried (series_rank 1 is the biggest), busy buckets only. Several channels of one session should share the load: flat lines of equal height.
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out)
-- params: bucket_ns
-- columns: series_rank, flow_id, client, server, bucket_start_ns, bps
WITH smb AS (
    SELECT flow_id, client, server,
           least(client_ip || '|' || client_port, server_ip || '|' || server_port) AS end_a,
           greatest(client_ip || '|' || client_port, server_ip || '|' || server_port) AS end_b
    FROM flows
    WHERE proto = 'tcp' AND server_port IN (445, 139)
),
pk AS (
    -- both directions of the connection: its endpoints in a fixed order
    SELECT s.flow_id, t.bucket_start_ns, t.wire_bytes
    FROM traffic t
    JOIN smb s
      ON t.ip_proto = 6
     AND least(t.src_ip || '|' || t.src_port, t.dst_ip || '|' || t.dst_port) = s.end_a
     AND greatest(t.src_ip || '|' || t.src_port, t.dst_ip || '|' || t.dst_port) = s.end_b
    JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
),
buckets AS (
    SELECT flow_id, bucket_start_ns // $bucket_ns * $bucket_ns AS bucket_start_ns,
           sum(wire_bytes) AS bytes
    FROM pk GROUP BY ALL
),
ranked AS (
    SELECT flow_id, row_number() OVER (ORDER BY sum(bytes) DESC, flow_id) AS series_rank
    FROM buckets GROUP BY flow_id
)
SELECT r.series_rank, b.flow_id, s.client, s.server, b.bucket_start_ns,
       b.bytes * 8 * 1e9 / $bucket_ns AS bps
FROM buckets b JOIN ranked r USING (flow_id) JOIN smb s USING (flow_id)
ORDER BY r.series_rank, b.bucket_start_ns;
