-- answers: Who claimed each IPv4 address over time, per capture, as runs: consecutive claims by the same MAC on the same VLAN (arp_claim_runs.sql of one capture, for a dataset, without its arp_frames list). A claim is an ARP packet sent with that sender IP (probes from 0.0.0.0 excluded), or an IP packet sent from that address by a MAC that also claimed it in ARP. NLB cluster MACs (02:bf, 03:bf, 01:00:5e:7f) and the IPs they answer for are left out.
-- reads: arp, packets, nlb_heartbeats (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, ip, mac, vlan, run, start_ns, end_ns, claims, arp_claims, first_frame, last_frame, garp_frame, garp_ns
WITH nlb_ips AS (
    SELECT capture, sender_ip AS ip FROM arp
    WHERE sender_mac LIKE '02:bf:%' OR sender_mac LIKE '03:bf:%' OR sender_mac LIKE '01:00:5e:7f:%'
    UNION
    SELECT capture, cluster_ip FROM nlb_heartbeats WHERE cluster_ip IS NOT NULL
),
arp_claims AS (
    SELECT a.capture, a.sender_ip AS ip, a.sender_mac AS mac, a.vlan_id AS vlan,
           a.timestamp_ns AS ns, a.frame_number, true AS is_arp, a.gratuitous
    FROM arp a
    LEFT JOIN nlb_ips n ON n.capture = a.capture AND n.ip = a.sender_ip
    WHERE a.opcode IN (1, 2)
      AND a.sender_ip <> '0.0.0.0'
      AND a.sender_mac NOT IN ('00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff')
      AND NOT (a.sender_mac LIKE '02:bf:%' OR a.sender_mac LIKE '03:bf:%'
               OR a.sender_mac LIKE '01:00:5e:7f:%')
      AND n.ip IS NULL
      AND a.timestamp_ns IS NOT NULL
),
claimants AS (
    SELECT DISTINCT capture, ip, mac, vlan FROM arp_claims
),
ip_claims AS (
    SELECT p.capture, p.src_ip AS ip, p.src_mac AS mac, p.vlan_id AS vlan,
           p.timestamp_ns AS ns, p.frame_number, false AS is_arp, false AS gratuitous
    FROM packets p
    JOIN claimants c
      ON c.capture = p.capture AND c.ip = p.src_ip AND c.mac = p.src_mac
     AND c.vlan IS NOT DISTINCT FROM p.vlan_id
    WHERE p.ip_version = 4 AND p.timestamp_ns IS NOT NULL
),
claims AS (
    SELECT * FROM arp_claims UNION ALL SELECT * FROM ip_claims
),
marked AS (
    SELECT *,
           CASE WHEN lag(mac) OVER (PARTITION BY capture, ip ORDER BY ns, frame_number)
                         IS NOT DISTINCT FROM mac
                 AND lag(vlan) OVER (PARTITION BY capture, ip ORDER BY ns, frame_number)
                         IS NOT DISTINCT FROM vlan
                THEN 0 ELSE 1 END AS new_run
    FROM claims
),
runs AS (
    SELECT *,
           sum(new_run) OVER (PARTITION BY capture, ip ORDER BY ns, frame_number
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
    FROM marked
)
SELECT
    capture, ip, mac, vlan, run,
    min(ns)                                                         AS start_ns,
    max(ns)                                                         AS end_ns,
    count(*)                                                        AS claims,
    count(*) FILTER (WHERE is_arp)                                  AS arp_claims,
    min(frame_number)                                               AS first_frame,
    max(frame_number)                                               AS last_frame,
    min(frame_number) FILTER (WHERE gratuitous)                     AS garp_frame,
    min(ns) FILTER (WHERE gratuitous)                               AS garp_ns
FROM runs
GROUP BY capture, ip, mac, vlan, run
ORDER BY capture, ip, run;
