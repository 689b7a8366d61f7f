-- answers: Which live-migration and SMB transfers (class live-migration-tcp, smb, smb-direct-iwarp; at least $bulk_min_segments data segments and $bulk_min_bytes payload bytes in their data direction, the one that carried more payload) run with standard frames: the MSS both ends announced (where the handshake was seen) is at most $standard_mtu less 40 bytes of IP and TCP headers, no data segment is in the jumbo class (1501 to 9000 bytes), and, without a handshake, the largest segment is between $mtu_limited_min_l3_len and $standard_mtu (MTU-limited, not a chatty flow of small messages)? Oversize segments (above 9000 bytes) are segmentation offload at the capture point (capture-offload): on the wire they were cut at the MSS. Per flow, the largest network-layer packet and frame in the data direction, and whether either host used jumbo frames (jumbo-class frames sent or received) or announced a jumbo MSS anywhere in the capture.
-- reads: traffic, flows
-- params: bulk_min_segments, bulk_min_bytes, standard_mtu, mtu_limited_min_l3_len
-- columns: flow_id, class, vlan, src_ip, src_port, dst_ip, dst_port, payload_bytes, segments, sender_mss, receiver_mss, max_l3_len, max_wire_len, offload_segments, src_jumbo_frames, dst_jumbo_frames, src_max_mss, dst_max_mss
WITH ends AS (
    -- each transfer's two directions as equi-join keys (an OR-join would compare every row
    -- of traffic with every flow)
    SELECT flow_id, TRUE AS c2s, client_ip AS s_ip, client_port AS s_port,
           server_ip AS d_ip, server_port AS d_port
    FROM flows WHERE proto = 'tcp' AND class IN ('live-migration-tcp', 'smb', 'smb-direct-iwarp')
    UNION ALL
    SELECT flow_id, FALSE, server_ip, server_port, client_ip, client_port
    FROM flows WHERE proto = 'tcp' AND class IN ('live-migration-tcp', 'smb', 'smb-direct-iwarp')
),
dir AS (
    SELECT e.flow_id, e.c2s, t.*
    FROM traffic t
    JOIN ends e
      ON t.ip_proto = 6 AND t.src_ip = e.s_ip AND t.src_port = e.s_port
     AND t.dst_ip = e.d_ip AND t.dst_port = e.d_port
),
per_dir AS (
    SELECT flow_id, c2s,
           sum(payload_bytes)                                            AS payload_bytes,
           sum(payload_frames)                                           AS segments,
           sum(payload_frames) FILTER (WHERE size_class = 'jumbo')       AS jumbo_segments,
           sum(payload_frames) FILTER (WHERE size_class = 'oversize')    AS offload_segments,
           max(max_l3_len) FILTER (WHERE size_class <> 'oversize')       AS max_l3_len,
           max(max_wire_len) FILTER (WHERE size_class <> 'oversize')     AS max_wire_len
    FROM dir GROUP BY ALL
),
data_dir AS (
    SELECT * FROM per_dir
    QUALIFY row_number() OVER (PARTITION BY flow_id ORDER BY payload_bytes DESC, c2s DESC) = 1
),
host_jumbo AS (
    SELECT ip, sum(frames) AS jumbo_frames FROM (
        SELECT src_ip AS ip, frames FROM traffic WHERE size_class = 'jumbo' AND src_ip IS NOT NULL
        UNION ALL
        SELECT dst_ip, frames FROM traffic WHERE size_class = 'jumbo' AND dst_ip IS NOT NULL
    ) GROUP BY ip
),
host_mss AS (
    SELECT src_ip AS ip, max(max_tcp_mss) AS max_mss
    FROM traffic WHERE max_tcp_mss IS NOT NULL GROUP BY src_ip
)
SELECT
    f.flow_id, f.class, f.vlan,
    CASE WHEN d.c2s THEN f.client_ip ELSE f.server_ip END       AS src_ip,
    CASE WHEN d.c2s THEN f.client_port ELSE f.server_port END   AS src_port,
    CASE WHEN d.c2s THEN f.server_ip ELSE f.client_ip END       AS dst_ip,
    CASE WHEN d.c2s THEN f.server_port ELSE f.client_port END   AS dst_port,
    d.payload_bytes, d.segments,
    CASE WHEN d.c2s THEN f.client_mss ELSE f.server_mss END     AS sender_mss,
    CASE WHEN d.c2s THEN f.server_mss ELSE f.client_mss END     AS receiver_mss,
    d.max_l3_len, d.max_wire_len,
    coalesce(d.offload_segments, 0)                              AS offload_segments,
    coalesce(hs.jumbo_frames, 0)                                 AS src_jumbo_frames,
    coalesce(hd.jumbo_frames, 0)                                 AS dst_jumbo_frames,
    ms.max_mss                                                   AS src_max_mss,
    md.max_mss                                                   AS dst_max_mss
FROM data_dir d
JOIN flows f USING (flow_id)
LEFT JOIN host_jumbo hs ON hs.ip = CASE WHEN d.c2s THEN f.client_ip ELSE f.server_ip END
LEFT JOIN host_jumbo hd ON hd.ip = CASE WHEN d.c2s THEN f.server_ip ELSE f.client_ip END
LEFT JOIN host_mss ms ON ms.ip = CASE WHEN d.c2s THEN f.client_ip ELSE f.server_ip END
LEFT JOIN host_mss md ON md.ip = CASE WHEN d.c2s THEN f.server_ip ELSE f.client_ip END
WHERE d.segments >= $bulk_min_segments
  AND d.payload_bytes >= $bulk_min_bytes
  AND coalesce(d.jumbo_segments, 0) = 0
  AND coalesce(f.client_mss, 0) <= $standard_mtu - 40
  AND coalesce(f.server_mss, 0) <= $standard_mtu - 40
  AND (f.client_mss IS NOT NULL OR f.server_mss IS NOT NULL
       OR d.max_l3_len BETWEEN $mtu_limited_min_l3_len AND $standard_mtu)
ORDER BY d.payload_bytes DESC, flow_id;
