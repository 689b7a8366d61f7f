-- answers: The fragmented datagrams a reassembly timeout (ICMP 11/1, ICMPv6 3/1) may name: those whose source, destination and IP id a timeout quotes, in the order of their first fragment (the diagnostic picks, per timeout, the latest one sent before it).
-- reads: frag_datagrams (lmcap.connect materialises query frag_datagrams as this table), detail_frames (ICMP messages are detail frames)
-- columns: ip_version, src_ip, dst_ip, ip_proto, ip_id, fragments, first_frame, last_frame, first_ns, last_ns, datagram_len, has_first, has_last, gaps, overlaps, complete, overlapping
SELECT d.*
FROM frag_datagrams d
WHERE EXISTS (
    SELECT 1
    FROM detail_frames t
    -- the timeouts of query frag_reassembly_timeouts
    WHERE t.icmp_code = 1
      AND ((t.ip_proto = 1 AND t.icmp_type = 11) OR (t.ip_proto = 58 AND t.icmp_type = 3))
      AND t.icmp_quoted_src_ip = d.src_ip
      AND t.icmp_quoted_dst_ip = d.dst_ip
      AND t.icmp_quoted_ip_id = d.ip_id
)
ORDER BY d.first_frame;
