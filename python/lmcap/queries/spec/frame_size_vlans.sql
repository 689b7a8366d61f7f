-- answers: Per outer VLAN (null = untagged): frames and wire bytes in each MTU size class, frames above the switch limit, and the largest network-layer packet.
-- reads: packets
-- params: switch_max_frame
-- columns: vlan, standard_frames, jumbo_frames, oversize_frames, over_switch_max, max_l3_len, standard_bytes, jumbo_bytes, oversize_bytes
SELECT
    vlan_id                                                AS vlan,
    count(*) FILTER (WHERE l3_len <= 1500)                 AS standard_frames,
    count(*) FILTER (WHERE l3_len BETWEEN 1501 AND 9000)   AS jumbo_frames,
    count(*) FILTER (WHERE l3_len > 9000)                  AS oversize_frames,
    count(*) FILTER (WHERE wire_len > $switch_max_frame)   AS over_switch_max,
    max(l3_len)                                            AS max_l3_len,
    coalesce(sum(wire_len) FILTER (WHERE l3_len <= 1500), 0)::BIGINT               AS standard_bytes,
    coalesce(sum(wire_len) FILTER (WHERE l3_len BETWEEN 1501 AND 9000), 0)::BIGINT AS jumbo_bytes,
    coalesce(sum(wire_len) FILTER (WHERE l3_len > 9000), 0)::BIGINT                AS oversize_bytes
FROM packets
WHERE l3_len IS NOT NULL
GROUP BY ALL
ORDER BY vlan NULLS FIRST;
