-- answers: How many live-migration flows (class live-migration-tcp, TCP 6600, or SMB 445) carried data in each $bucket_ns bucket: how many migrations ran at once?
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out) (its specification over packets: queries/spec/throughput_migrations_concurrent.sql)
-- params: bucket_ns
-- columns: bucket_start_ns, flows, bytes
WITH pk AS (
    SELECT f.flow_id, t.bucket_start_ns // $bucket_ns AS bucket, t.payload_wire_bytes
    FROM traffic t
    JOIN flows f
      ON t.ip_proto = 6 AND f.class IN ('live-migration-tcp', 'smb')
     AND t.src_ip = f.client_ip AND t.src_port = f.client_port
     AND t.dst_ip = f.server_ip AND t.dst_port = f.server_port
    JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
    WHERE t.payload_frames > 0
)
SELECT bucket * $bucket_ns AS bucket_start_ns, count(DISTINCT flow_id) AS flows,
       sum(payload_wire_bytes)::BIGINT AS bytes
FROM pk GROUP BY bucket ORDER BY bucket;
