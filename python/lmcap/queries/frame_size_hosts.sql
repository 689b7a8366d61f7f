-- answers: Per sending MAC: which IPs it used (IP source or ARP sender), how many frames it sent, its largest frame, how many were jumbo, and the TCP MSS it advertised.
-- reads: packets, arp
-- columns: mac, ips, frames, max_wire_len, jumbo_frames, mss
WITH ips AS (
    SELECT src_mac AS mac, src_ip AS ip FROM packets WHERE src_mac IS NOT NULL AND src_ip IS NOT NULL
    UNION
    SELECT sender_mac, sender_ip FROM arp WHERE sender_ip <> '0.0.0.0'
),
sent AS (
    SELECT
        src_mac                                              AS mac,
        count(*)                                             AS frames,
        max(wire_len)                                        AS max_wire_len,
        count(*) FILTER (WHERE l3_len BETWEEN 1501 AND 9000) AS jumbo_frames,
        max(tcp_mss)                                         AS mss
    FROM packets
    WHERE src_mac IS NOT NULL
    GROUP BY src_mac
)
SELECT
    sent.mac,
    coalesce((SELECT list(ip ORDER BY ip) FROM ips WHERE ips.mac = sent.mac), []) AS ips,
    frames, max_wire_len, jumbo_frames, mss
FROM sent
ORDER BY frames DESC, mac;
