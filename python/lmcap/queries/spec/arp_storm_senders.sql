-- answers: Who sends the ARP in the busiest 1-second window (see arp_rate_peak): per Ethernet source, frames, requests, replies, gratuitous, how many distinct addresses it asked for (a sweep asks for many, a loop repeats one) and its sender IPs; the 10 biggest.
-- reads: arp
-- spec: the sliding-window version of arp_storm_senders (2.9 s on the 8 GiB bench capture); tests/test_evidence.py checks the shipped query against it
-- columns: src_mac, sender_ips, vlans, frames, requests, replies, gratuitous, distinct_targets, first_frame
WITH t AS (
    SELECT *, epoch_ns("timestamp") AS ns FROM arp WHERE "timestamp" IS NOT NULL
),
peak AS (
    SELECT ns AS w0 FROM (
        SELECT ns, count(*) OVER (ORDER BY ns RANGE BETWEEN CURRENT ROW AND 999999999 FOLLOWING) AS n
        FROM t
    )
    ORDER BY n DESC, ns
    LIMIT 1
)
SELECT
    coalesce(t.src_mac, t.sender_mac)                           AS src_mac,
    list(DISTINCT t.sender_ip ORDER BY t.sender_ip)             AS sender_ips,
    coalesce(list(DISTINCT t.vlan_id ORDER BY t.vlan_id) FILTER (WHERE t.vlan_id IS NOT NULL), []) AS vlans,
    count(*)                                                    AS frames,
    count(*) FILTER (WHERE t.opcode = 1)                        AS requests,
    count(*) FILTER (WHERE t.opcode = 2)                        AS replies,
    count(*) FILTER (WHERE t.gratuitous)                        AS gratuitous,
    count(DISTINCT t.target_ip)                                 AS distinct_targets,
    min(t.frame_number)                                         AS first_frame
FROM t, peak
WHERE t.ns >= peak.w0 AND t.ns < peak.w0 + 1000000000
GROUP BY 1
ORDER BY frames DESC, src_mac
LIMIT 10;
