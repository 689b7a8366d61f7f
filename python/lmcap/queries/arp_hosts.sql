-- answers: ARP per host (sender MAC, sender IP and VLAN): requests, replies, gratuitous ARP and probes it sent, and when.
-- reads: arp
-- columns: mac, ip, vlan, frames, requests, replies, gratuitous, probes, first_ns, last_ns, first_frame
SELECT
    sender_mac                                         AS mac,
    sender_ip                                          AS ip,
    vlan_id                                            AS vlan,
    count(*)                                           AS frames,
    count(*) FILTER (WHERE opcode = 1)                 AS requests,
    count(*) FILTER (WHERE opcode = 2)                 AS replies,
    count(*) FILTER (WHERE gratuitous)                 AS gratuitous,
    count(*) FILTER (WHERE probe)                      AS probes,
    min(epoch_ns("timestamp"))                         AS first_ns,
    max(epoch_ns("timestamp"))                         AS last_ns,
    min(frame_number)                                  AS first_frame
FROM arp
GROUP BY ALL
ORDER BY frames DESC, mac, ip, vlan NULLS FIRST;
