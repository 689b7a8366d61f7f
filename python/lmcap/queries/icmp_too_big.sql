-- answers: Which routers sent ICMP fragmentation-needed (type 3 code 4) or ICMPv6 Packet Too Big, with which next-hop MTU, how often, about which flows?
-- reads: detail_frames (ICMP messages are detail frames; the flow comes from the header the ICMP message quotes)
-- columns: kind, router, ip_version, next_hop_mtu, count, first_frame, first_ns, last_ns, flows
SELECT
    CASE WHEN ip_version = 4 THEN 'frag_needed' ELSE 'packet_too_big' END AS kind,
    src_ip                      AS router,
    ip_version,
    icmp_next_hop_mtu           AS next_hop_mtu,
    count(*)                    AS count,
    min(frame_number)           AS first_frame,
    epoch_ns(min(timestamp))    AS first_ns,
    epoch_ns(max(timestamp))    AS last_ns,
    -- sorted: the same report every run
    list_sort(list(DISTINCT {
        'src': icmp_quoted_src_ip, 'dst': icmp_quoted_dst_ip, 'proto': icmp_quoted_proto,
        'src_port': icmp_quoted_src_port, 'dst_port': icmp_quoted_dst_port,
        'size': icmp_quoted_ip_len
    }))                         AS flows
FROM detail_frames
WHERE (ip_proto = 1 AND icmp_type = 3 AND icmp_code = 4)
   OR (ip_proto = 58 AND icmp_type = 2)
GROUP BY ALL
ORDER BY first_frame;
