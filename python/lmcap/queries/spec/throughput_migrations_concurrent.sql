-- answers: How many live-migration flows (class live-migration-tcp, TCP 6600, or SMB 445) carried data in each $bucket_ns bucket: how many migrations ran at once?
-- reads: packets, flows, analysis_window (frames stamped outside it are left out)
-- params: bucket_ns
-- columns: bucket_start_ns, flows, bytes
WITH pk AS (
    SELECT f.flow_id, epoch_ns(p.timestamp) // $bucket_ns AS bucket, p.wire_len
    FROM packets p
    JOIN flows f
      ON p.ip_proto = 6 AND f.class IN ('live-migration-tcp', 'smb')
     AND p.src_ip = f.client_ip AND p.src_port = f.client_port
     AND p.dst_ip = f.server_ip AND p.dst_port = f.server_port
    JOIN analysis_window w ON epoch_ns(p.timestamp) BETWEEN w.start_ns AND w.end_ns
    WHERE coalesce(p.payload_len, 0) > 0
)
SELECT bucket * $bucket_ns AS bucket_start_ns, count(DISTINCT flow_id) AS flows,
       sum(wire_len)::BIGINT AS bytes
FROM pk GROUP BY bucket ORDER BY bucket;
