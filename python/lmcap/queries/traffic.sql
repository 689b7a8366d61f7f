-- answers: The `traffic` evidence table computed from `packets`: frames and bytes summed per time bucket ($bucket_ns), outer VLAN, MAC pair, IP direction (addresses, protocol, ports), MTU size class of the network-layer packet and link type. The scan builds the same table while the frames pass; this query is its specification (a test proves the two equal on every capture) and runs only when `packets` is loaded.
-- reads: packets
-- params: bucket_ns, switch_max_frame
-- columns: bucket_start_ns, vlan_id, src_mac, dst_mac, src_ip, dst_ip, ip_proto, src_port, dst_port, size_class, frames, wire_bytes, captured_bytes, truncated_frames, payload_bytes, payload_frames, payload_wire_bytes, over_switch_max, max_wire_len, max_l3_len, max_tcp_mss, first_ns, last_ns, first_frame, link_type, fit_payload_frames, fit_payload_wire_bytes, fit_payload_max_l3_len, truncated_max_wire_len, truncated_max_cap_len, truncated_first_frame
WITH p AS (
    SELECT *, epoch_ns("timestamp") AS ns FROM packets
)
SELECT
    -- floored to a multiple of the bucket, also before 1970 (DuckDB's // truncates toward 0)
    ns - (((ns % $bucket_ns) + $bucket_ns) % $bucket_ns)      AS bucket_start_ns,
    vlan_id, src_mac, dst_mac, src_ip, dst_ip, ip_proto, src_port, dst_port,
    CASE WHEN l3_len <= 1500 THEN 'standard'
         WHEN l3_len <= 9000 THEN 'jumbo'
         WHEN l3_len IS NOT NULL THEN 'oversize' END           AS size_class,
    count(*)                                                    AS frames,
    sum(wire_len)::BIGINT                                       AS wire_bytes,
    sum(cap_len)::BIGINT                                        AS captured_bytes,
    count(*) FILTER (WHERE truncated)                           AS truncated_frames,
    coalesce(sum(payload_len), 0)::BIGINT                       AS payload_bytes,
    count(*) FILTER (WHERE payload_len > 0)                     AS payload_frames,
    coalesce(sum(wire_len) FILTER (WHERE payload_len > 0), 0)::BIGINT AS payload_wire_bytes,
    count(*) FILTER (WHERE wire_len > $switch_max_frame)        AS over_switch_max,
    max(wire_len)                                               AS max_wire_len,
    max(l3_len)                                                 AS max_l3_len,
    max(tcp_mss)                                                AS max_tcp_mss,
    min(ns)                                                     AS first_ns,
    max(ns)                                                     AS last_ns,
    min(frame_number)                                           AS first_frame,
    link_type,
    count(*) FILTER (WHERE payload_len > 0 AND l3_len <= $switch_max_frame) AS fit_payload_frames,
    coalesce(sum(wire_len) FILTER (WHERE payload_len > 0 AND l3_len <= $switch_max_frame), 0)::BIGINT
                                                                AS fit_payload_wire_bytes,
    max(l3_len) FILTER (WHERE payload_len > 0 AND l3_len <= $switch_max_frame) AS fit_payload_max_l3_len,
    max(wire_len) FILTER (WHERE truncated)                      AS truncated_max_wire_len,
    max(cap_len) FILTER (WHERE truncated)                       AS truncated_max_cap_len,
    min(frame_number) FILTER (WHERE truncated)                  AS truncated_first_frame
FROM p
GROUP BY ALL
ORDER BY first_frame;
