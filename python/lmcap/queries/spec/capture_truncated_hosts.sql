-- answers: Which hosts and flows have frames cut by the snaplen, how many, and how much of them was kept?
-- reads: packets
-- columns: src_ip, dst_ip, ip_proto, frames, max_wire_len, max_cap_len, first_frame
SELECT
    coalesce(src_ip, src_mac) AS src_ip, dst_ip, ip_proto,
    count(*)          AS frames,
    max(wire_len)     AS max_wire_len,
    max(cap_len)      AS max_cap_len,
    min(frame_number) AS first_frame
FROM packets
WHERE truncated
GROUP BY ALL
ORDER BY frames DESC, first_frame;  -- ties in frame order: the same report every run
