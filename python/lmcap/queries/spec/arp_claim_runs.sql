-- answers: Who claimed each IPv4 address over time, as runs: consecutive claims by the same MAC on the same VLAN. A claim is an ARP packet sent with that sender IP (probes from 0.0.0.0 excluded), or an IP packet sent from that address by a MAC that also claimed it in ARP. NLB cluster MACs (02:bf, 03:bf, 01:00:5e:7f) and the IPs they answer for are left out (reported under nlb).
-- reads: arp, packets, nlb_heartbeats
-- columns: ip, mac, vlan, run, start_ns, end_ns, claims, arp_claims, first_frame, last_frame, garp_frame, garp_ns, arp_frames
WITH nlb_ips AS (
    SELECT sender_ip AS ip FROM arp
    WHERE starts_with(sender_mac, '02:bf:') OR starts_with(sender_mac, '03:bf:')
       OR starts_with(sender_mac, '01:00:5e:7f:')
    UNION
    SELECT cluster_ip FROM nlb_heartbeats
),
arp_claims AS (
    SELECT
        sender_ip AS ip, sender_mac AS mac, vlan_id AS vlan,
        epoch_ns("timestamp") AS ns, frame_number, true AS is_arp, gratuitous
    FROM arp
    WHERE opcode IN (1, 2)
      AND sender_ip <> '0.0.0.0'
      AND sender_mac NOT IN ('00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff')
      AND NOT (starts_with(sender_mac, '02:bf:') OR starts_with(sender_mac, '03:bf:')
               OR starts_with(sender_mac, '01:00:5e:7f:'))
      AND sender_ip NOT IN (SELECT ip FROM nlb_ips WHERE ip IS NOT NULL)
      AND "timestamp" IS NOT NULL
),
claimants AS (
    SELECT DISTINCT ip, mac, vlan FROM arp_claims
),
ip_claims AS (
    SELECT
        p.src_ip AS ip, p.src_mac AS mac, p.vlan_id AS vlan,
        epoch_ns(p."timestamp") AS ns, p.frame_number, false AS is_arp, false AS gratuitous
    FROM packets p
    JOIN claimants c
      ON c.ip = p.src_ip AND c.mac = p.src_mac AND c.vlan IS NOT DISTINCT FROM p.vlan_id
    WHERE p.ip_version = 4 AND p."timestamp" IS NOT NULL
),
claims AS (
    SELECT * FROM arp_claims UNION ALL SELECT * FROM ip_claims
),
marked AS (
    SELECT
        *,
        CASE WHEN lag(mac) OVER w IS NOT DISTINCT FROM mac
              AND lag(vlan) OVER w IS NOT DISTINCT FROM vlan THEN 0 ELSE 1 END AS new_run
    FROM claims
    WINDOW w AS (PARTITION BY ip ORDER BY ns, frame_number)
),
runs AS (
    SELECT *, sum(new_run) OVER (PARTITION BY ip ORDER BY ns, frame_number) AS run FROM marked
)
SELECT
    ip, mac, vlan, run,
    min(ns)                                                   AS start_ns,
    max(ns)                                                   AS end_ns,
    count(*)                                                  AS claims,
    count(*) FILTER (WHERE is_arp)                            AS arp_claims,
    min(frame_number)                                         AS first_frame,
    max(frame_number)                                         AS last_frame,
    min(frame_number) FILTER (WHERE gratuitous)               AS garp_frame,
    min(ns) FILTER (WHERE gratuitous)                         AS garp_ns,
    coalesce(list(frame_number ORDER BY frame_number) FILTER (WHERE is_arp), [])[1:10] AS arp_frames
FROM runs
GROUP BY ip, mac, vlan, run
ORDER BY ip, run;
