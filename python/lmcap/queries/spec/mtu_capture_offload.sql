-- answers: Which hosts' TCP segments are larger than the wire could carry (above the largest jumbo frame, larger than the connection's MSS, or with IPv4 total length 0) — TSO/GSO/GRO super-segments seen by a capture taken on the host?
-- reads: packets
-- params: switch_max_frame
-- columns: src_ip, frames, max_l3_len, max_payload_len, mss, first_frame
WITH mss AS (
    -- MSS the receiver announced limits what the sender may put in one segment on the wire
    SELECT dst_ip AS sender, max(tcp_mss) AS mss
    FROM packets WHERE ip_proto = 6 AND (tcp_flags & 2) = 2 AND tcp_mss IS NOT NULL
    GROUP BY ALL
)
SELECT p.src_ip, count(*) AS frames, max(p.l3_len) AS max_l3_len,
       max(p.payload_len) AS max_payload_len, any_value(m.mss) AS mss,
       min(p.frame_number) AS first_frame
FROM packets p LEFT JOIN mss m ON m.sender = p.src_ip
WHERE p.ip_proto = 6 AND p.payload_len > 0
  AND (p.l3_len > $switch_max_frame
       OR (p.ip_version = 4 AND p.ip_len IS NULL)
       OR p.payload_len > m.mss)
GROUP BY ALL
ORDER BY frames DESC, first_frame;  -- ties in frame order: the same report every run
