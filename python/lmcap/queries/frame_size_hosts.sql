-- answers: Per sending MAC: which IPs it used (IP source or ARP sender; the first section_list_max in text order), how many frames it sent, its largest frame, how many were jumbo, the TCP MSS it advertised, and frames and wire bytes per size class.
-- reads: traffic, arp (its specification over packets: queries/spec/frame_size_hosts.sql)
-- params: section_list_max
-- columns: mac, ips, frames, max_wire_len, jumbo_frames, mss, standard_frames, standard_bytes, jumbo_bytes, oversize_frames, oversize_bytes
WITH all_ips AS (
    SELECT src_mac AS mac, src_ip AS ip FROM traffic WHERE src_mac IS NOT NULL AND src_ip IS NOT NULL
    UNION
    SELECT sender_mac, sender_ip FROM arp WHERE sender_ip <> '0.0.0.0'
),
-- the first section_list_max addresses of each MAC: a MAC sending from millions of addresses
-- (a spoofed flood) must not make a list of millions (a window sort spills to disk, a list
-- aggregate does not)
ips AS (
    SELECT mac, ip FROM all_ips
    QUALIFY row_number() OVER (PARTITION BY mac ORDER BY ip) <= $section_list_max
),
sent AS (
    SELECT
        src_mac                                                                  AS mac,
        sum(frames)::BIGINT                                                      AS frames,
        max(max_wire_len)                                                        AS max_wire_len,
        coalesce(sum(frames) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT     AS jumbo_frames,
        max(max_tcp_mss)                                                         AS mss,
        coalesce(sum(frames) FILTER (WHERE size_class = 'standard'), 0)::BIGINT  AS standard_frames,
        coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'standard'), 0)::BIGINT AS standard_bytes,
        coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'jumbo'), 0)::BIGINT    AS jumbo_bytes,
        coalesce(sum(frames) FILTER (WHERE size_class = 'oversize'), 0)::BIGINT  AS oversize_frames,
        coalesce(sum(wire_bytes) FILTER (WHERE size_class = 'oversize'), 0)::BIGINT AS oversize_bytes
    FROM traffic
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
