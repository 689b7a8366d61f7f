-- answers: Who sends the ARP in the busiest 1-second window (see arp_rate_peak): per Ethernet source, frames, requests, replies, gratuitous, how many distinct addresses it asked for (a sweep asks for many, a loop repeats one) and its sender IPs; the 10 biggest.
-- reads: arp
-- columns: src_mac, sender_ips, vlans, frames, requests, replies, gratuitous, distinct_targets, first_frame
WITH t AS (
    SELECT *, epoch_ns("timestamp") AS ns FROM arp WHERE "timestamp" IS NOT NULL
),
ranked AS (
    SELECT ns, rank() OVER (ORDER BY ns) - 1 AS frames_before, count(*) OVER (ORDER BY ns) AS frames_up_to
    FROM t
),
running AS (SELECT DISTINCT ns, frames_up_to FROM ranked),
-- the window of arp_rate_peak, found the same way (a running count and an ASOF join)
peak AS (
    SELECT r.ns AS w0
    FROM ranked r ASOF JOIN running e ON r.ns + 999999999 >= e.ns
    ORDER BY e.frames_up_to - r.frames_before DESC, r.ns
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
