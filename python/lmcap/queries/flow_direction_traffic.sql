-- answers: Which rows of traffic belong to which flow, and in which direction (c2s: client to server)? The traffic of each flow's two directions, inside the analysis window. The join the throughput statistics share (throughput_flow_stats, throughput_transfer_shape name it in their `with` line and read it as a CTE of that name).
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out)
-- restricts: to the flows whose ids the list in the DuckDB variable lmcap_flow_ids holds, when it is set (lmcap.queries.variable); every flow otherwise
-- columns: flow_id, c2s, bucket_start_ns, first_ns, last_ns, wire_bytes, payload_bytes
WITH restricted_flows AS (
    SELECT * FROM flows
    WHERE getvariable('lmcap_flow_ids') IS NULL
       OR list_contains(getvariable('lmcap_flow_ids'), flow_id)
)
-- two equi-joins (one per direction) instead of one OR-join, which would compare every row
-- with every flow
SELECT f.flow_id, TRUE AS c2s, t.bucket_start_ns, t.first_ns, t.last_ns, t.wire_bytes,
       t.payload_bytes
FROM traffic t
JOIN restricted_flows f
  ON t.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
 AND t.src_ip = f.client_ip AND t.src_port = f.client_port
 AND t.dst_ip = f.server_ip AND t.dst_port = f.server_port
JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
UNION ALL
SELECT f.flow_id, FALSE, t.bucket_start_ns, t.first_ns, t.last_ns, t.wire_bytes,
       t.payload_bytes
FROM traffic t
JOIN restricted_flows f
  ON t.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
 AND t.src_ip = f.server_ip AND t.src_port = f.server_port
 AND t.dst_ip = f.client_ip AND t.dst_port = f.client_port
JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
