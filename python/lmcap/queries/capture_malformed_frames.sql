-- answers: Which frames break their protocol's rules (an IPv4 header length below 20 bytes, a TCP data offset below 5, a length field that claims more than the frame holds, an IGMPv3 report announcing more records than it holds...), and who sent them? Per such decode_status: its frames, the first 20 frame numbers, and the 10 senders with the most of them (source MAC, source IP where the IP header was read, frames, first frame).
-- reads: scan_settings (every frame counted per decode_status in the scan), detail_frames (every frame a decoder stopped on is a detail frame; of those with neither a link-layer address nor an IP header, as on a raw-IP link, only a sample) (its specification over packets: queries/spec/capture_malformed_frames.sql)
-- columns: decode_status, frames, first_frames, senders
WITH counts AS (
    SELECT c.decode_status, c.frames
    FROM (SELECT unnest(decode_status_frames) AS c FROM scan_settings)
    -- the statuses of a header that breaks its protocol's rules: declared here only (and in
    -- the specification). Not truncated_<layer> (the snap length cut the frame),
    -- unsupported_arp_format (a legal ARP of another hardware type), too_many_vlan_tags nor
    -- ipv6_ext_chain_too_long (lmcap's own bounds on a walk: legal, if absurd, frames).
    WHERE c.decode_status IN ('bad_ip_version', 'bad_ipv4_header_length', 'bad_ip_total_length',
                              'bad_ipv6_ext_header_length', 'bad_tcp_header_length',
                              'bad_udp_length', 'bad_igmp_record_count', 'grh_not_bth',
                              'bad_bth_version', 'bad_roce_payload_length')
),
kept AS (
    SELECT decode_status::VARCHAR AS decode_status, frame_number, src_mac, src_ip
    FROM detail_frames
    WHERE decode_status::VARCHAR IN (SELECT decode_status FROM counts)
),
firsts AS (
    SELECT decode_status, list(frame_number ORDER BY frame_number)[1:20] AS first_frames
    FROM kept
    GROUP BY ALL
),
by_sender AS (
    SELECT decode_status, src_mac, src_ip, count(*)::BIGINT AS frames,
           min(frame_number) AS first_frame
    FROM kept
    GROUP BY ALL
),
senders AS (
    SELECT decode_status,
           list({'src_mac': src_mac, 'src_ip': src_ip, 'frames': frames,
                 'first_frame': first_frame} ORDER BY frames DESC, first_frame)[1:10] AS senders
    FROM by_sender
    GROUP BY ALL
)
SELECT c.decode_status, c.frames::BIGINT AS frames, coalesce(f.first_frames, []) AS first_frames,
       coalesce(s.senders, []) AS senders
FROM counts c LEFT JOIN firsts f USING (decode_status) LEFT JOIN senders s USING (decode_status)
ORDER BY frames DESC, decode_status;
