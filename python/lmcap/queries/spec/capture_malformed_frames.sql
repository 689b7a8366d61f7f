-- answers: Which frames break their protocol's rules (an IPv4 header length below 20 bytes, a TCP data offset below 5, a length field that claims more than the frame holds, an IGMPv3 report announcing more records than it holds...), and who sent them? Per such decode_status: its frames, the first 20 frame numbers, and the 10 senders with the most of them (source MAC, source IP where the IP header was read, frames, first frame).
-- reads: packets
-- columns: decode_status, frames, first_frames, senders
WITH kept AS (
    SELECT decode_status::VARCHAR AS decode_status, frame_number, src_mac, src_ip
    FROM packets
    WHERE decode_status::VARCHAR IN ('bad_ip_version', 'bad_ipv4_header_length',
                                     'bad_ip_total_length', 'bad_ipv6_ext_header_length',
                                     'bad_tcp_header_length', 'bad_udp_length',
                                     'bad_igmp_record_count', 'grh_not_bth', 'bad_bth_version',
                                     'bad_roce_payload_length')
),
by_sender AS (
    SELECT decode_status, src_mac, src_ip, count(*)::BIGINT AS frames,
           min(frame_number) AS first_frame
    FROM kept
    GROUP BY ALL
)
SELECT k.decode_status, k.frames, k.first_frames, s.senders
FROM (SELECT decode_status, count(*)::BIGINT AS frames,
             list(frame_number ORDER BY frame_number)[1:20] AS first_frames
      FROM kept GROUP BY ALL) k
JOIN (SELECT decode_status,
             list({'src_mac': src_mac, 'src_ip': src_ip, 'frames': frames,
                   'first_frame': first_frame} ORDER BY frames DESC, first_frame)[1:10] AS senders
      FROM by_sender GROUP BY ALL) s USING (decode_status)
ORDER BY frames DESC, decode_status;
