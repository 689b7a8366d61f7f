-- answers: ARP packets that map an IP to a Windows NLB cluster MAC (sender hardware address 02:bf:*, 03:bf:* or 01:00:5e:7f:*): the cluster's virtual IP as the hosts announce it, with the Ethernet sources that answered and the frames.
-- reads: arp
-- columns: vip, cluster_mac, vlan, frames, replies, hosts, first_ns, last_ns, first_frame
SELECT
    sender_ip                                            AS vip,
    sender_mac                                           AS cluster_mac,
    vlan_id                                              AS vlan,
    count(*)                                             AS frames,
    count(*) FILTER (WHERE opcode = 2)                   AS replies,
    coalesce(list(DISTINCT src_mac ORDER BY src_mac) FILTER (WHERE src_mac IS NOT NULL), []) AS hosts,
    min(epoch_ns("timestamp"))                           AS first_ns,
    max(epoch_ns("timestamp"))                           AS last_ns,
    min(frame_number)                                    AS first_frame
FROM arp
WHERE sender_ip <> '0.0.0.0'
  AND (starts_with(sender_mac, '02:bf:') OR starts_with(sender_mac, '03:bf:')
       OR starts_with(sender_mac, '01:00:5e:7f:'))
GROUP BY ALL
ORDER BY vip, cluster_mac, vlan NULLS FIRST;
