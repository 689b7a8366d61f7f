-- answers: Per IP flow (one direction: addresses, protocol, ports): frames, wire bytes, frames per size class, the share of bytes carried in jumbo frames, the largest packet; the report_list_max largest by bytes, flows_total counting them all.
-- reads: traffic (its specification over packets: queries/spec/frame_size_flows.sql)
-- params: report_list_max
-- columns: vlan, src_ip, dst_ip, ip_proto, src_port, dst_port, frames, bytes, jumbo_bytes, jumbo_share, max_l3_len, standard_frames, jumbo_frames, oversize_frames, flows_total
SELECT
    vlan_id AS vlan, src_ip, dst_ip, ip_proto, src_port, dst_port,
    sum(frames)::BIGINT                                                      AS frames,
    sum(wire_bytes)::BIGINT                                                  AS bytes,
    coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT AS jumbo_bytes,
    round(coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'jumbo'), 0) / sum(wire_bytes), 4)
                                                                             AS jumbo_share,
    max(max_l3_len)                                                          AS max_l3_len,
    coalesce(sum(frames) FILTER (WHERE size_class = 'standard'), 0)::BIGINT  AS standard_frames,
    coalesce(sum(frames) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT     AS jumbo_frames,
    coalesce(sum(frames) FILTER (WHERE size_class = 'oversize'), 0)::BIGINT  AS oversize_frames,
    count(*) OVER ()                                             AS flows_total
FROM traffic
WHERE src_ip IS NOT NULL
GROUP BY ALL
-- a total order, so that the cut keeps the same flows every time
ORDER BY bytes DESC, src_ip, dst_ip, src_port, dst_port, ip_proto, vlan NULLS FIRST
LIMIT $report_list_max;
