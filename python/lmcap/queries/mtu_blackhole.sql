-- answers: Which TCP segments were sent again and again, never acknowledged, although they are larger than anything else in their flow that got through? (How an MTU black hole looks from the sender: small packets pass, big ones vanish.)
-- reads: tcp_unacked_resends (its specification over packets: queries/spec/mtu_blackhole.sql)
-- params: blackhole_min_sends
-- columns: src_ip, src_port, dst_ip, dst_port, vlan, segment_l3_len, sends, series, first_frame, last_frame, first_ns, last_ns, largest_passed_l3_len, rst_by, rst_frame, ended
WITH suspects AS (
    SELECT *, coalesce(largest_passed_l3_len, 0) AS largest_passed
    FROM tcp_unacked_resends
    WHERE sends >= $blackhole_min_sends AND l3_len > coalesce(largest_passed_l3_len, 0)
),
grouped AS (
    SELECT src_ip, src_port, dst_ip, dst_port, vlan_id AS vlan, l3_len AS segment_l3_len,
           sum(sends)::BIGINT AS sends, count(*) AS series,
           min(first_frame) AS first_frame, max(last_frame) AS last_frame,
           min(first_ns) AS first_ns, max(last_ns) AS last_ns,
           max(largest_passed) AS largest_passed_l3_len,
           -- the first reset after the first series began
           arg_min(rst_by, first_ns) AS rst_by, arg_min(rst_frame, first_ns) AS rst_frame
    FROM suspects
    GROUP BY src_ip, src_port, dst_ip, dst_port, vlan_id, l3_len
)
SELECT src_ip, src_port, dst_ip, dst_port, vlan, segment_l3_len, sends, series,
       first_frame, last_frame, first_ns, last_ns, largest_passed_l3_len, rst_by, rst_frame,
       CASE WHEN rst_frame IS NOT NULL THEN 'reset' ELSE 'silence' END AS ended
FROM grouped
ORDER BY first_frame;
