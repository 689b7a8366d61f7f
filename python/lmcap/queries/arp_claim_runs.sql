-- answers: Who claimed each IPv4 address over time, as runs: consecutive claims by the same MAC on the same VLAN. A claim is an ARP packet sent with that sender IP (probes from 0.0.0.0 excluded), or an IP packet sent from that address by a MAC that also claimed it in ARP. NLB cluster MACs (02:bf, 03:bf, 01:00:5e:7f) and the IPs they answer for are left out (reported under nlb).
-- reads: ipv4_claim_runs, arp, nlb_heartbeats (its specification over packets: queries/spec/arp_claim_runs.sql)
-- columns: ip, mac, vlan, run, start_ns, end_ns, claims, arp_claims, first_frame, last_frame, garp_frame, garp_ns, arp_frames
WITH nlb_ips AS (
    SELECT sender_ip AS ip FROM arp
    WHERE starts_with(sender_mac, '02:bf:') OR starts_with(sender_mac, '03:bf:')
       OR starts_with(sender_mac, '01:00:5e:7f:')
    UNION
    SELECT cluster_ip FROM nlb_heartbeats
),
claimants AS (
    -- a MAC claims an address by ARP; its IP frames count only then
    SELECT DISTINCT ip, mac, vlan FROM ipv4_claim_runs WHERE arp_claims > 0
),
kept AS (
    -- the scan's runs of claimants, NLB cluster MACs and the addresses they answer for left out
    SELECT r.*
    FROM ipv4_claim_runs r
    JOIN claimants c ON c.ip = r.ip AND c.mac = r.mac AND c.vlan IS NOT DISTINCT FROM r.vlan
    WHERE NOT (starts_with(r.mac, '02:bf:') OR starts_with(r.mac, '03:bf:')
               OR starts_with(r.mac, '01:00:5e:7f:'))
      AND r.ip NOT IN (SELECT ip FROM nlb_ips WHERE ip IS NOT NULL)
),
marked AS (
    -- runs the dropped ones separated join up again
    SELECT *,
        CASE WHEN lag(mac) OVER w IS NOT DISTINCT FROM mac
              AND lag(vlan) OVER w IS NOT DISTINCT FROM vlan THEN 0 ELSE 1 END AS new_run
    FROM kept
    WINDOW w AS (PARTITION BY ip ORDER BY run)
),
runs AS (
    SELECT * EXCLUDE (run), sum(new_run) OVER (PARTITION BY ip ORDER BY run) AS run FROM marked
)
SELECT
    ip, mac, vlan, run,
    min(start_ns)                                             AS start_ns,
    max(end_ns)                                               AS end_ns,
    sum(claims)::BIGINT                                       AS claims,
    sum(arp_claims)::BIGINT                                   AS arp_claims,
    min(first_frame)                                          AS first_frame,
    max(last_frame)                                           AS last_frame,
    min(garp_frame)                                           AS garp_frame,
    min(garp_ns)                                              AS garp_ns,
    list_sort(flatten(list(arp_frames)))[1:10]                AS arp_frames
FROM runs
GROUP BY ip, mac, vlan, run
ORDER BY ip, run;
