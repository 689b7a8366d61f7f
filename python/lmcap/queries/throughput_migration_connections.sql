-- answers: The connections a live migration may use (TCP class live-migration-tcp, port 6600; smb, 445; smb-direct-iwarp, 5445), each with the time its payload ran (first to last frame carrying payload, either direction) and its payload per direction: what the throughput diagnostic groups into migrations (a source -> destination host pair moving bulk data over an interval).
-- reads: traffic, flows, analysis_window (rows stamped outside it are left out)
-- columns: flow_id, class, vlan, client, server, client_ip, server_ip, payload_bytes_c2s, payload_bytes_s2c, data_start_ns, data_end_ns
WITH ends AS (
    -- each connection's two directions as equi-join keys (an OR-join would compare every row
    -- of traffic with every flow)
    SELECT flow_id, client_ip AS s_ip, client_port AS s_port, server_ip AS d_ip,
           server_port AS d_port
    FROM flows WHERE proto = 'tcp' AND class IN ('live-migration-tcp', 'smb', 'smb-direct-iwarp')
    UNION ALL
    SELECT flow_id, server_ip, server_port, client_ip, client_port
    FROM flows WHERE proto = 'tcp' AND class IN ('live-migration-tcp', 'smb', 'smb-direct-iwarp')
),
data AS (
    SELECT e.flow_id, min(t.first_ns) AS data_start_ns, max(t.last_ns) AS data_end_ns
    FROM traffic t
    JOIN ends e
      ON t.ip_proto = 6 AND t.src_ip = e.s_ip AND t.src_port = e.s_port
     AND t.dst_ip = e.d_ip AND t.dst_port = e.d_port
    JOIN analysis_window w ON t.first_ns BETWEEN w.start_ns AND w.end_ns
    WHERE t.payload_frames > 0
    GROUP BY e.flow_id
)
SELECT f.flow_id, f.class, f.vlan, f.client, f.server, f.client_ip, f.server_ip,
       f.payload_bytes_c2s, f.payload_bytes_s2c, d.data_start_ns, d.data_end_ns
FROM flows f
JOIN data d USING (flow_id)
ORDER BY d.data_start_ns, f.flow_id;
