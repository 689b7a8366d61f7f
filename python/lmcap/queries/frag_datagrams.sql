-- answers: Which fragmented IP datagrams does the capture hold, and was each seen whole (first and last fragment, no gap), or with overlapping fragments?
-- reads: detail_frames (fragments are detail frames; rows with is_fragment; fragment data = IP length minus IP header; identical repeats of one fragment count once)
-- columns: ip_version, src_ip, dst_ip, ip_proto, ip_id, fragments, first_frame, last_frame, first_ns, last_ns, datagram_len, has_first, has_last, gaps, overlaps, complete, overlapping
WITH frags AS (
    SELECT DISTINCT ON (ip_version, src_ip, dst_ip, ip_proto, ip_id, frag_offset, ip_len)
        ip_version, src_ip, dst_ip, ip_proto, ip_id, frame_number, timestamp, frag_offset, mf,
        coalesce(ip_len, l3_len) - ip_header_len AS data_len,
        frag_offset + coalesce(ip_len, l3_len) - ip_header_len AS frag_end,
        ip_header_len - CASE WHEN ip_version = 6 THEN 8 ELSE 0 END AS base_header_len
    FROM detail_frames
    WHERE is_fragment
    ORDER BY frame_number
),
walked AS (
    SELECT *,
        max(frag_end) OVER (
            PARTITION BY ip_version, src_ip, dst_ip, ip_proto, ip_id
            ORDER BY frag_offset, frag_end
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_before
    FROM frags
)
SELECT
    ip_version, src_ip, dst_ip, ip_proto, ip_id,
    count(*)                                                    AS fragments,
    min(frame_number)                                           AS first_frame,
    max(frame_number)                                           AS last_frame,
    epoch_ns(min(timestamp))                                    AS first_ns,
    epoch_ns(max(timestamp))                                    AS last_ns,
    max(frag_end) FILTER (WHERE NOT mf) + min(base_header_len)  AS datagram_len,
    bool_or(frag_offset = 0)                                    AS has_first,
    bool_or(NOT mf)                                             AS has_last,
    count(*) FILTER (WHERE frag_offset > coalesce(covered_before, 0))  AS gaps,
    count(*) FILTER (WHERE frag_offset < covered_before)       AS overlaps,
    bool_or(frag_offset = 0) AND bool_or(NOT mf)
        AND count(*) FILTER (WHERE frag_offset > coalesce(covered_before, 0)) = 0
        AND max(frag_end) = max(frag_end) FILTER (WHERE NOT mf)  AS complete,
    count(*) FILTER (WHERE frag_offset < covered_before) > 0   AS overlapping
FROM walked
GROUP BY ALL
ORDER BY first_frame;
