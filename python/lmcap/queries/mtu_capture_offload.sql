-- answers: Which hosts' TCP segments are larger than the wire could carry (above the largest jumbo frame, larger than the highest MSS any peer announced to the host, or with IPv4 total length 0) — TSO/GSO/GRO super-segments seen by a capture taken on the host?
-- reads: tcp_oversize_segments (the switch frame limit is the scan's `switch_max_frame`; its specification over packets: queries/spec/mtu_capture_offload.sql)
-- columns: src_ip, frames, max_l3_len, max_payload_len, mss, first_frame
SELECT src_ip, sum(segments)::BIGINT AS frames, max(max_l3_len) AS max_l3_len,
       max(max_payload_len) AS max_payload_len, max(peer_mss) AS mss,
       min(first_frame) AS first_frame
FROM tcp_oversize_segments
GROUP BY ALL
ORDER BY frames DESC, first_frame;  -- ties in frame order: the same report every run
