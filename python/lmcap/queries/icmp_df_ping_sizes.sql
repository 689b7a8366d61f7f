-- answers: For echo requests that may not be fragmented (IPv4 with DF; every IPv6 echo), per host pair: how many sizes were tried, the largest size answered and the smallest left unanswered (the `ping -f -l` / `ping -M do -s` sweep)?
-- reads: detail_frames (ICMP messages are detail frames; request and reply matched on addresses, identifier and sequence; size = IP packet length of the request)
-- columns: src_ip, dst_ip, ip_version, requests, answered, largest_answered, smallest_unanswered, largest_unanswered, first_unanswered_frame, first_ns, last_ns
WITH req AS (
    SELECT frame_number, timestamp, src_ip, dst_ip, ip_version, icmp_id, icmp_seq,
           coalesce(ip_len, l3_len) AS size
    FROM detail_frames
    WHERE ((ip_proto = 1 AND icmp_type = 8 AND df) OR (ip_proto = 58 AND icmp_type = 128))
),
rep AS (
    SELECT DISTINCT src_ip, dst_ip, icmp_id, icmp_seq
    FROM detail_frames
    WHERE (ip_proto = 1 AND icmp_type = 0) OR (ip_proto = 58 AND icmp_type = 129)
),
matched AS (
    SELECT req.*, rep.src_ip IS NOT NULL AS answered
    FROM req LEFT JOIN rep
      ON rep.src_ip = req.dst_ip AND rep.dst_ip = req.src_ip
     AND rep.icmp_id = req.icmp_id AND rep.icmp_seq = req.icmp_seq
)
SELECT
    src_ip, dst_ip, ip_version,
    count(*)                                              AS requests,
    count(*) FILTER (WHERE answered)                      AS answered,
    max(size) FILTER (WHERE answered)                     AS largest_answered,
    min(size) FILTER (WHERE NOT answered)                 AS smallest_unanswered,
    max(size) FILTER (WHERE NOT answered)                 AS largest_unanswered,
    min(frame_number) FILTER (WHERE NOT answered)         AS first_unanswered_frame,
    epoch_ns(min(timestamp))                              AS first_ns,
    epoch_ns(max(timestamp))                              AS last_ns
FROM matched
GROUP BY ALL
ORDER BY src_ip, dst_ip;
