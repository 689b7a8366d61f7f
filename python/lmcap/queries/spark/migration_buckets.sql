-- answers: Per capture, how many live-migration flows (class live-migration-tcp, TCP 6600, or smb, 445) carried data in each bucket of the traffic evidence, and their bytes on the wire: how many migrations ran at once? Frames outside the capture's analysis window (outlying timestamps) are left out, as throughput_migrations_concurrent.sql does for one capture.
-- reads: traffic, flows, analysis_window (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, bucket_start_ns, flows, bytes
SELECT
    t.capture, t.bucket_start_ns,
    count(DISTINCT f.flow_id)                                       AS flows,
    sum(t.payload_wire_bytes)                                       AS bytes
FROM traffic t
JOIN flows f
  ON t.capture = f.capture
 AND t.ip_proto = 6 AND f.class IN ('live-migration-tcp', 'smb')
 AND t.src_ip = f.client_ip AND t.src_port = f.client_port
 AND t.dst_ip = f.server_ip AND t.dst_port = f.server_port
JOIN analysis_window w
  ON w.capture = t.capture AND t.first_ns BETWEEN w.start_ns AND w.end_ns
WHERE t.payload_frames > 0
GROUP BY t.capture, t.bucket_start_ns
ORDER BY t.capture, t.bucket_start_ns;
