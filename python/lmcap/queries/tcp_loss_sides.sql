-- answers: For each direction of a TCP connection that retransmitted (flows with retrans_bytes), on which side of the capture point were its segments lost, as the capture shows it? A data segment that starts below the highest sequence number the direction had already sent is a retransmission (or a reordered segment); when an earlier segment seen here covered its first byte, the original passed the capture point and was lost after it (downstream, towards the receiver); when none did, the original never passed here: it was lost before the capture point (upstream, between the sender and here), or the capture dropped it. Sequence numbers are unwrapped per direction (connections beyond 4 GB keep their order).
-- reads: tcp_resends, flows (its specification over packets: queries/spec/tcp_loss_sides.sql)
-- columns: flow_id, src, dst, retransmitted_segments, downstream_segments, downstream_bytes, first_downstream_frame, upstream_segments, upstream_bytes, first_upstream_frame
WITH lossy AS (
    SELECT flow_id, client_ip AS s_ip, client_port AS s_port, server_ip AS d_ip,
           server_port AS d_port, client AS src, server AS dst
    FROM flows WHERE proto = 'tcp' AND retrans_bytes_c2s > 0
    UNION ALL
    SELECT flow_id, server_ip, server_port, client_ip, client_port, server, client
    FROM flows WHERE proto = 'tcp' AND retrans_bytes_s2c > 0
)
SELECT l.flow_id, l.src, any_value(l.dst) AS dst,
       count(*)                                                          AS retransmitted_segments,
       count(*) FILTER (WHERE r.original_seen)                           AS downstream_segments,
       coalesce(sum(r.payload_len) FILTER (WHERE r.original_seen), 0)::BIGINT AS downstream_bytes,
       min(r.frame_number) FILTER (WHERE r.original_seen)                AS first_downstream_frame,
       count(*) FILTER (WHERE NOT r.original_seen)                       AS upstream_segments,
       coalesce(sum(r.payload_len) FILTER (WHERE NOT r.original_seen), 0)::BIGINT AS upstream_bytes,
       min(r.frame_number) FILTER (WHERE NOT r.original_seen)            AS first_upstream_frame
FROM tcp_resends r
JOIN lossy l
  ON r.src_ip = l.s_ip AND r.src_port = l.s_port AND r.dst_ip = l.d_ip AND r.dst_port = l.d_port
GROUP BY l.flow_id, l.src
ORDER BY l.flow_id, l.src;
