-- answers: Per IP flow (one direction: addresses, protocol, ports): frames, wire bytes, frames per size class, the share of bytes carried in jumbo frames, the largest packet; the report_list_max largest by bytes, flows_total counting them all.
-- reads: packets
-- params: report_list_max
-- columns: vlan, src_ip, dst_ip, ip_proto, src_port, dst_port, frames, bytes, jumbo_bytes, jumbo_share, max_l3_len, standard_frames, jumbo_frames, oversize_frames, flows_total
SELECT
    vlan_id AS vlan, src_ip, dst_ip, ip_proto, src_port, dst_port,
    count(*)                                                     AS frames,
    sum(wire_len)::BIGINT                                        AS bytes,
    coalesce(sum(wire_len) FILTER (WHERE l3_len BETWEEN 1501 AND 9000), 0)::BIGINT AS jumbo_bytes,
    round(coalesce(sum(wire_len) FILTER (WHERE l3_len BETWEEN 1501 AND 9000), 0) / sum(wire_len), 4) AS jumbo_share,
    max(l3_len)                                                  AS max_l3_len,
    count(*) FILTER (WHERE l3_len <= 1500)                       AS standard_frames,
    count(*) FILTER (WHERE l3_len BETWEEN 1501 AND 9000)         AS jumbo_frames,
    count(*) FILTER (WHERE l3_len > 9000)                        AS oversize_frames,
    count(*) OVER ()                                             AS flows_total
FROM packets
WHERE src_ip IS NOT NULL
GROUP BY ALL
-- a total order, so that the cut keeps the same flows every time
ORDER BY bytes DESC, src_ip, dst_ip, src_port, dst_port, ip_proto, vlan NULLS FIRST
LIMIT $report_list_max;
