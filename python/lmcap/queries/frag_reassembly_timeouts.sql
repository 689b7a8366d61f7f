-- answers: Which ICMP "fragment reassembly time exceeded" messages (ICMP 11/1, ICMPv6 3/1) were sent, by whom, about which datagram?
-- reads: detail_frames (ICMP messages are detail frames)
-- columns: frame_number, at_ns, reporter, ip_version, src_ip, dst_ip, ip_proto, ip_id
SELECT
    frame_number,
    epoch_ns(timestamp)  AS at_ns,
    src_ip               AS reporter,
    ip_version,
    icmp_quoted_src_ip   AS src_ip,
    icmp_quoted_dst_ip   AS dst_ip,
    icmp_quoted_proto    AS ip_proto,
    icmp_quoted_ip_id    AS ip_id
FROM detail_frames
WHERE icmp_code = 1
  AND ((ip_proto = 1 AND icmp_type = 11) OR (ip_proto = 58 AND icmp_type = 3))
ORDER BY frame_number;
