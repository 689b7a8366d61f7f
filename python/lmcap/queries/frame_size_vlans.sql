-- answers: Per outer VLAN (null = untagged): frames and wire bytes in each MTU size class, frames above the switch limit, and the largest network-layer packet.
-- reads: traffic (its specification over packets: queries/spec/frame_size_vlans.sql) (over_switch_max is counted in the scan against its switch_max_frame)
-- columns: vlan, standard_frames, jumbo_frames, oversize_frames, over_switch_max, max_l3_len, standard_bytes, jumbo_bytes, oversize_bytes
SELECT
    vlan_id                                                               AS vlan,
    coalesce(sum(frames) FILTER (WHERE size_class = 'standard'), 0)::BIGINT AS standard_frames,
    coalesce(sum(frames) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT    AS jumbo_frames,
    coalesce(sum(frames) FILTER (WHERE size_class = 'oversize'), 0)::BIGINT AS oversize_frames,
    sum(over_switch_max)::BIGINT                                            AS over_switch_max,
    max(max_l3_len)                                                         AS max_l3_len,
    coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'standard'), 0)::BIGINT AS standard_bytes,
    coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT    AS jumbo_bytes,
    coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'oversize'), 0)::BIGINT AS oversize_bytes
FROM traffic
WHERE size_class IS NOT NULL
GROUP BY ALL
ORDER BY vlan NULLS FIRST;
