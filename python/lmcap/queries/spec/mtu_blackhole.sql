-- answers: Which TCP segments were sent again and again, never acknowledged, although they are larger than anything else in their flow that got through? (How an MTU black hole looks from the sender: small packets pass, big ones vanish.)
-- reads: packets
-- params: blackhole_min_sends
-- columns: src_ip, src_port, dst_ip, dst_port, vlan, segment_l3_len, sends, series, first_frame, last_frame, first_ns, last_ns, largest_passed_l3_len, rst_by, rst_frame, ended
WITH data AS (
    SELECT frame_number, timestamp, vlan_id, src_ip, src_port, dst_ip, dst_port, tcp_seq,
           payload_len, l3_len
    FROM packets
    WHERE ip_proto = 6 AND payload_len > 0 AND tcp_seq IS NOT NULL
),
series AS (
    SELECT src_ip, src_port, dst_ip, dst_port, tcp_seq,
           any_value(vlan_id) AS vlan, max(payload_len) AS payload_len, max(l3_len) AS l3_len,
           count(*) AS sends, min(frame_number) AS first_frame, max(frame_number) AS last_frame,
           min(timestamp) AS first_ts, max(timestamp) AS last_ts
    FROM data
    GROUP BY ALL
    HAVING count(*) >= $blackhole_min_sends
),
dirs AS (
    -- sequence numbers relative to each direction's first one, so "acknowledged" is a plain
    -- comparison (a direction carrying more than 2 GiB wraps; then nothing counts as passed
    -- past the wrap and the check only gets more conservative)
    -- (only the directions with a retransmission series: nothing else is reported, and it
    -- spares the two joins below a pass over every connection)
    SELECT src_ip, src_port, dst_ip, dst_port, arg_min(tcp_seq, frame_number) AS isn
    FROM packets
    WHERE ip_proto = 6 AND tcp_seq IS NOT NULL
      AND (src_ip, src_port, dst_ip, dst_port) IN
          (SELECT (src_ip, src_port, dst_ip, dst_port) FROM series)
    GROUP BY ALL
),
acked_upto AS (
    -- highest relative sequence the receiver acknowledged, per data direction
    SELECT d.src_ip, d.src_port, d.dst_ip, d.dst_port,
           max(((a.tcp_ack::BIGINT - d.isn::BIGINT) % 4294967296 + 4294967296) % 4294967296) AS upto
    FROM dirs d JOIN packets a
      ON a.ip_proto = 6 AND (a.tcp_flags & 16) = 16
     AND a.src_ip = d.dst_ip AND a.src_port = d.dst_port
     AND a.dst_ip = d.src_ip AND a.dst_port = d.src_port
    GROUP BY ALL
),
passed AS (
    -- the largest frame of the direction that demonstrably got through: control frames the
    -- peer answered (any frame without data once the peer sent something) and acknowledged data
    SELECT p.src_ip, p.src_port, p.dst_ip, p.dst_port, max(p.l3_len) AS largest_passed
    FROM packets p
    JOIN dirs d USING (src_ip, src_port, dst_ip, dst_port)
    LEFT JOIN acked_upto u USING (src_ip, src_port, dst_ip, dst_port)
    WHERE p.ip_proto = 6
      AND (p.payload_len = 0
           OR ((p.tcp_seq::BIGINT - d.isn::BIGINT) % 4294967296 + 4294967296) % 4294967296
              + p.payload_len <= u.upto)
    GROUP BY ALL
),
suspects AS (
    SELECT s.*, coalesce(p.largest_passed, 0) AS largest_passed
    FROM series s
    LEFT JOIN passed p USING (src_ip, src_port, dst_ip, dst_port)
    WHERE s.l3_len > coalesce(p.largest_passed, 0)
),
unacked AS (
    SELECT s.* FROM suspects s
    WHERE NOT EXISTS (
        SELECT 1 FROM packets a
        WHERE a.ip_proto = 6 AND (a.tcp_flags & 16) = 16
          AND a.src_ip = s.dst_ip AND a.src_port = s.dst_port
          AND a.dst_ip = s.src_ip AND a.dst_port = s.src_port
          AND a.timestamp >= s.first_ts
          AND ((a.tcp_ack::BIGINT - s.tcp_seq::BIGINT + 4294967296) % 4294967296)
              BETWEEN s.payload_len AND 2147483647
    )
),
rst AS (
    SELECT src_ip, src_port, dst_ip, dst_port, frame_number, timestamp
    FROM packets WHERE ip_proto = 6 AND (tcp_flags & 4) = 4
),
grouped AS (
    SELECT
        u.src_ip, u.src_port, u.dst_ip, u.dst_port, u.vlan,
        u.l3_len AS segment_l3_len,
        sum(u.sends) AS sends, count(*) AS series,
        min(u.first_frame) AS first_frame, max(u.last_frame) AS last_frame,
        min(u.first_ts) AS first_ts, max(u.last_ts) AS last_ts,
        max(u.largest_passed) AS largest_passed_l3_len
    FROM unacked u
    GROUP BY u.src_ip, u.src_port, u.dst_ip, u.dst_port, u.vlan, u.l3_len
),
first_rst AS (
    -- the first reset in either direction of the connection after the series began
    SELECT g.src_ip, g.src_port, g.dst_ip, g.dst_port, g.segment_l3_len,
           arg_min(r.src_ip, r.frame_number) AS rst_by, min(r.frame_number) AS rst_frame
    FROM grouped g JOIN rst r
      ON ((r.src_ip = g.src_ip AND r.src_port = g.src_port AND r.dst_ip = g.dst_ip AND r.dst_port = g.dst_port)
       OR (r.src_ip = g.dst_ip AND r.src_port = g.dst_port AND r.dst_ip = g.src_ip AND r.dst_port = g.src_port))
     AND r.timestamp >= g.first_ts
    GROUP BY ALL
)
SELECT
    g.src_ip, g.src_port, g.dst_ip, g.dst_port, g.vlan, g.segment_l3_len, g.sends, g.series,
    g.first_frame, g.last_frame, epoch_ns(g.first_ts) AS first_ns, epoch_ns(g.last_ts) AS last_ns,
    g.largest_passed_l3_len, f.rst_by, f.rst_frame,
    CASE WHEN f.rst_frame IS NOT NULL THEN 'reset' ELSE 'silence' END AS ended
FROM grouped g
LEFT JOIN first_rst f USING (src_ip, src_port, dst_ip, dst_port, segment_l3_len)
ORDER BY g.first_frame;
