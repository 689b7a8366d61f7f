-- answers: For TCP bulk transfers (at least $bulk_min_segments data segments), what MTU does each path actually use: the MSS it negotiated and the largest segment it sent?
-- reads: traffic (whose fit_payload_* columns count the data segments that fit the scan's switch_max_frame), detail_frames (handshakes are detail frames) (its specification over packets: queries/spec/mtu_bulk_flows.sql)
-- params: bulk_min_segments, standard_mtu
-- columns: vlan, src_ip, src_port, dst_ip, dst_port, segments, bytes, peer_mss, max_l3_len, path_mtu_class
WITH bulk AS (
    -- data segments that fit the switch ($switch_max_frame, the scan's limit): summed in the scan
    SELECT vlan_id AS vlan, src_ip, src_port, dst_ip, dst_port,
           sum(fit_payload_frames)::BIGINT AS segments,
           sum(fit_payload_wire_bytes)::BIGINT AS bytes,
           max(fit_payload_max_l3_len) AS max_l3_len
    FROM traffic
    WHERE ip_proto = 6
    GROUP BY ALL HAVING sum(fit_payload_frames) >= $bulk_min_segments
),
mss AS (
    -- the MSS the receiver announced caps the sender's segments
    SELECT src_ip, src_port, dst_ip, dst_port, max(tcp_mss) AS mss
    FROM detail_frames WHERE ip_proto = 6 AND (tcp_flags & 2) = 2 AND tcp_mss IS NOT NULL
    GROUP BY ALL
)
SELECT b.vlan, b.src_ip, b.src_port, b.dst_ip, b.dst_port, b.segments, b.bytes,
       m.mss AS peer_mss, b.max_l3_len,
       CASE WHEN greatest(coalesce(m.mss + 40, 0), b.max_l3_len) > $standard_mtu THEN 'jumbo' ELSE 'standard' END
           AS path_mtu_class
FROM bulk b
LEFT JOIN mss m
  ON m.src_ip = b.dst_ip AND m.src_port = b.dst_port AND m.dst_ip = b.src_ip AND m.dst_port = b.src_port
ORDER BY b.bytes DESC, b.src_ip, b.src_port, b.dst_ip, b.dst_port, b.vlan NULLS FIRST;  -- ties broken: the same report every run
