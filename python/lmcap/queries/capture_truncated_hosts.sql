-- answers: Which hosts and flows have frames cut by the snaplen, how many, and how much of them was kept?
-- reads: traffic (its specification over packets: queries/spec/capture_truncated_hosts.sql)
-- columns: src_ip, dst_ip, ip_proto, frames, max_wire_len, max_cap_len, first_frame
SELECT
    coalesce(src_ip, src_mac) AS src_ip, dst_ip, ip_proto,
    sum(truncated_frames)::BIGINT AS frames,
    max(truncated_max_wire_len)   AS max_wire_len,
    max(truncated_max_cap_len)    AS max_cap_len,
    min(truncated_first_frame)    AS first_frame
FROM traffic
WHERE truncated_frames > 0
GROUP BY ALL
ORDER BY frames DESC, first_frame;  -- ties in frame order: the same report every run
