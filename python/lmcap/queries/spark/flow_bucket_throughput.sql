-- answers: Per capture, flow and direction, the throughput of every time bucket of the traffic evidence (the capture's scan_settings.bucket_ns): wire and payload bytes and bits/s on the wire. The saw-tooth or the flat line of a live migration, over every capture of the dataset.
-- reads: traffic, flows, scan_settings (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, flow_id, class, direction, bucket_start_ns, frames, bytes, payload_bytes, bps
WITH directed AS (
    -- two equi-joins (one per direction) instead of one OR-join
    SELECT t.capture, f.flow_id, f.class, 'client_to_server' AS direction, t.bucket_start_ns,
           t.frames, t.wire_bytes, t.payload_bytes
    FROM traffic t
    JOIN flows f
      ON t.capture = f.capture
     AND t.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
     AND t.src_ip = f.client_ip AND t.src_port = f.client_port
     AND t.dst_ip = f.server_ip AND t.dst_port = f.server_port
    UNION ALL
    SELECT t.capture, f.flow_id, f.class, 'server_to_client', t.bucket_start_ns,
           t.frames, t.wire_bytes, t.payload_bytes
    FROM traffic t
    JOIN flows f
      ON t.capture = f.capture
     AND t.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
     AND t.src_ip = f.server_ip AND t.src_port = f.server_port
     AND t.dst_ip = f.client_ip AND t.dst_port = f.client_port
)
SELECT
    d.capture, d.flow_id, d.class, d.direction, d.bucket_start_ns,
    sum(d.frames)                                                   AS frames,
    sum(d.wire_bytes)                                               AS bytes,
    sum(d.payload_bytes)                                            AS payload_bytes,
    round(sum(d.wire_bytes) * 8 * 1e9 / max(s.bucket_ns))           AS bps
FROM directed d
JOIN scan_settings s ON s.capture = d.capture
GROUP BY d.capture, d.flow_id, d.class, d.direction, d.bucket_start_ns
ORDER BY d.capture, d.flow_id, d.direction, d.bucket_start_ns;
