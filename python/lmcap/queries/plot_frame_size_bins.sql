-- answers: How big were the frames each host sent on each VLAN, at the sizes MTUs make: frames and wire bytes per source MAC and VLAN in wire-length bins up to 1514 (a 1500 MTU untagged), 1518 (1500 tagged), 9014 (a 9000 jumbo MTU untagged), 9018 (jumbo tagged), 9216 (the largest frame most switches forward) and above. Per frame, so it reads packets: traffic keeps only each row's largest frame.
-- reads: packets
-- columns: src_mac, vlan, bin, bin_order, frames, bytes
SELECT
    coalesce(src_mac, '(no MAC)')                       AS src_mac,
    vlan_id                                             AS vlan,
    CASE WHEN wire_len <= 1514 THEN '<= 1514'
         WHEN wire_len <= 1518 THEN '1515-1518'
         WHEN wire_len <= 9014 THEN '1519-9014'
         WHEN wire_len <= 9018 THEN '9015-9018'
         WHEN wire_len <= 9216 THEN '9019-9216'
         ELSE '> 9216' END                              AS bin,
    CASE WHEN wire_len <= 1514 THEN 1
         WHEN wire_len <= 1518 THEN 2
         WHEN wire_len <= 9014 THEN 3
         WHEN wire_len <= 9018 THEN 4
         WHEN wire_len <= 9216 THEN 5
         ELSE 6 END                                     AS bin_order,
    count(*)                                            AS frames,
    sum(wire_len)::BIGINT                               AS bytes
FROM packets
GROUP BY src_mac, vlan_id, bin, bin_order
ORDER BY sum(count(*)) OVER (PARTITION BY src_mac, vlan_id) DESC, src_mac, vlan NULLS FIRST, bin_order;
