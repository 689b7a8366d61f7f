-- answers: For each direction of a TCP connection that retransmitted (flows with retrans_bytes), on which side of the capture point were its segments lost, as the capture shows it? A data segment that starts below the highest sequence number the direction had already sent is a retransmission (or a reordered segment); when an earlier segment seen here covered its first byte, the original passed the capture point and was lost after it (downstream, towards the receiver); when none did, the original never passed here: it was lost before the capture point (upstream, between the sender and here), or the capture dropped it. Sequence numbers are unwrapped per direction (connections beyond 4 GB keep their order).
-- reads: packets, flows
-- columns: flow_id, src, dst, retransmitted_segments, downstream_segments, downstream_bytes, first_downstream_frame, upstream_segments, upstream_bytes, first_upstream_frame
WITH lossy AS (
    SELECT flow_id, client_ip AS s_ip, client_port AS s_port, server_ip AS d_ip,
           server_port AS d_port, client AS src, server AS dst
    FROM flows WHERE proto = 'tcp' AND retrans_bytes_c2s > 0
    UNION ALL
    SELECT flow_id, server_ip, server_port, client_ip, client_port, server, client
    FROM flows WHERE proto = 'tcp' AND retrans_bytes_s2c > 0
),
seg AS (
    SELECT l.flow_id, l.src, l.dst, p.frame_number, p.tcp_seq::BIGINT AS seq,
           p.payload_len::BIGINT AS len
    FROM packets p
    JOIN lossy l
      ON p.ip_proto = 6 AND p.src_ip = l.s_ip AND p.src_port = l.s_port
     AND p.dst_ip = l.d_ip AND p.dst_port = l.d_port
    WHERE p.payload_len > 0 AND p.tcp_seq IS NOT NULL AND NOT coalesce(p.is_fragment, false)
),
stepped AS (
    -- the signed distance from the previous segment's sequence number, modulo 2^32
    SELECT *,
           (((seq - lag(seq) OVER w) % 4294967296 + 4294967296 + 2147483648) % 4294967296)
               - 2147483648 AS step
    FROM seg
    WINDOW w AS (PARTITION BY flow_id, src ORDER BY frame_number)
),
unwrapped AS (
    SELECT flow_id, src, dst, frame_number, len,
           sum(coalesce(step, 0)) OVER (PARTITION BY flow_id, src ORDER BY frame_number
                                        ROWS UNBOUNDED PRECEDING) AS rel
    FROM stepped
),
marked AS (
    SELECT *,
           max(rel + len) OVER (PARTITION BY flow_id, src ORDER BY frame_number
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS sent_end
    FROM unwrapped
),
resent AS (
    SELECT * FROM marked WHERE rel < sent_end
),
placed AS (
    SELECT r.flow_id, r.src, r.dst, r.frame_number, r.len,
           EXISTS (
               SELECT 1 FROM unwrapped e
               WHERE e.flow_id = r.flow_id AND e.src = r.src
                 AND e.frame_number < r.frame_number
                 AND e.rel <= r.rel AND r.rel < e.rel + e.len
           ) AS seen_here
    FROM resent r
)
SELECT flow_id, src, any_value(dst) AS dst,
       count(*)                                               AS retransmitted_segments,
       count(*) FILTER (WHERE seen_here)                      AS downstream_segments,
       coalesce(sum(len) FILTER (WHERE seen_here), 0)         AS downstream_bytes,
       min(frame_number) FILTER (WHERE seen_here)             AS first_downstream_frame,
       count(*) FILTER (WHERE NOT seen_here)                  AS upstream_segments,
       coalesce(sum(len) FILTER (WHERE NOT seen_here), 0)     AS upstream_bytes,
       min(frame_number) FILTER (WHERE NOT seen_here)         AS first_upstream_frame
FROM placed
GROUP BY flow_id, src
ORDER BY flow_id, src;
