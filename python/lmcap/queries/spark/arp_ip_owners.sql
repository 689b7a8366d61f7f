-- answers: ARP duplicates and moves per capture, IPv4 address and VLAN, from the claim runs: how many MACs claimed the address, how often the owner changed, and whether two MACs claimed it at the same time (their first-to-last claim intervals overlap). verdict: conflict (overlapping claimants: a duplicate IP, unless lmcap analyze recognises clean GARP-announced hand-overs back and forth, see docs/findings.md duplicate-ip), moved (the owner changed, never two at once: ip-moved), single (one owner).
-- reads: arp_claim_runs (the dataset query of that name, a view over arp, packets and nlb_heartbeats)
-- columns: capture, ip, vlan, claimants, owner_changes, overlapping_pairs, first_ns, last_ns, verdict
WITH changes AS (
    -- a change of owner: a run on the same VLAN by another MAC than the one before it
    SELECT capture, ip, vlan, mac, start_ns, end_ns,
           CASE WHEN lag(mac) OVER (PARTITION BY capture, ip, vlan ORDER BY run) <> mac
                THEN 1 ELSE 0 END AS changed
    FROM arp_claim_runs
),
spans AS (
    SELECT capture, ip, vlan, mac, min(start_ns) AS first_ns, max(end_ns) AS last_ns
    FROM arp_claim_runs GROUP BY capture, ip, vlan, mac
),
overlapping AS (
    SELECT a.capture, a.ip, a.vlan, count(*) AS pairs
    FROM spans a
    JOIN spans b
      ON a.capture = b.capture AND a.ip = b.ip AND a.vlan IS NOT DISTINCT FROM b.vlan
     AND a.mac < b.mac AND a.first_ns <= b.last_ns AND b.first_ns <= a.last_ns
    GROUP BY a.capture, a.ip, a.vlan
),
per_ip AS (
    SELECT capture, ip, vlan, count(DISTINCT mac) AS claimants, sum(changed) AS owner_changes,
           min(start_ns) AS first_ns, max(end_ns) AS last_ns
    FROM changes GROUP BY capture, ip, vlan
)
SELECT
    i.capture, i.ip, i.vlan, i.claimants, i.owner_changes,
    coalesce(o.pairs, 0)                                            AS overlapping_pairs,
    i.first_ns, i.last_ns,
    CASE WHEN o.pairs > 0 THEN 'conflict'
         WHEN i.owner_changes > 0 THEN 'moved'
         ELSE 'single' END                                          AS verdict
FROM per_ip i
LEFT JOIN overlapping o
  ON o.capture = i.capture AND o.ip = i.ip AND o.vlan IS NOT DISTINCT FROM i.vlan
ORDER BY i.capture, i.ip, i.vlan NULLS FIRST;
