-- answers: Per sending MAC: which IPs it used (IP source or ARP sender), how many frames it sent, its largest frame, how many were jumbo, the TCP MSS it advertised, and frames and wire bytes per size class.
-- reads: packets, arp
-- columns: mac, ips, frames, max_wire_len, jumbo_frames, mss, standard_frames, standard_bytes, jumbo_bytes, oversize_frames, oversize_bytes
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
        max(tcp_mss)                                         AS mss,
        count(*) FILTER (WHERE l3_len <= 1500)               AS standard_frames,
        coalesce(sum(wire_len) FILTER (WHERE l3_len <= 1500), 0)::BIGINT AS standard_bytes,
        coalesce(sum(wire_len) FILTER (WHERE l3_len BETWEEN 1501 AND 9000), 0)::BIGINT AS jumbo_bytes,
        count(*) FILTER (WHERE l3_len > 9000)                AS oversize_frames,
        coalesce(sum(wire_len) FILTER (WHERE l3_len > 9000), 0)::BIGINT AS oversize_bytes
    FROM packets
    WHERE src_mac IS NOT NULL
    GROUP BY src_mac
)
SELECT
    sent.mac,
    coalesce((SELECT list(ip ORDER BY ip) FROM ips WHERE ips.mac = sent.mac), []) AS ips,
    frames, max_wire_len, jumbo_frames, mss,
    standard_frames, standard_bytes, jumbo_bytes, oversize_frames, oversize_bytes
FROM sent
ORDER BY frames DESC, mac;
