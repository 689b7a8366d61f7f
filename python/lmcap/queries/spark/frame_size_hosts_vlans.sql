-- answers: Per capture, sending MAC and outer VLAN (null = untagged): frames and wire bytes in each MTU size class of the network-layer packet (standard <= 1500, jumbo <= 9000, oversize), the largest such packet, and frames above the switch limit. Which hosts send jumbo frames on which VLAN?
-- reads: traffic (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, src_mac, vlan, size_class, frames, bytes, max_l3_len, over_switch_max
SELECT
    capture, src_mac, vlan_id AS vlan, size_class,
    sum(frames)                                                     AS frames,
    sum(wire_bytes)                                                 AS bytes,
    max(max_l3_len)                                                 AS max_l3_len,
    sum(over_switch_max)                                            AS over_switch_max
FROM traffic
WHERE size_class IS NOT NULL
GROUP BY capture, src_mac, vlan_id, size_class
ORDER BY capture, src_mac NULLS FIRST, vlan NULLS FIRST, size_class;
