-- answers: Where the SMB framer lost the message boundaries (frames missing where a header was due, headers cut by the snaplen, bytes that are not an SMB message, bytes skipped to resynchronise): per connection direction and kind, how often, how many bytes, first frame and time.
-- reads: stream_gaps
-- columns: src, dst, kind, events, bytes, first_frame, first_ns, last_ns
SELECT
    CASE WHEN contains(src_ip, ':') THEN '[' || src_ip || ']:' || src_port ELSE src_ip || ':' || src_port END AS src,
    CASE WHEN contains(dst_ip, ':') THEN '[' || dst_ip || ']:' || dst_port ELSE dst_ip || ':' || dst_port END AS dst,
    kind, count(*) AS events, sum(bytes)::BIGINT AS bytes, min(frame_number) AS first_frame,
    epoch_ns(min(timestamp)) AS first_ns, epoch_ns(max(timestamp)) AS last_ns
FROM stream_gaps
WHERE protocol = 'smb'
GROUP BY ALL
ORDER BY bytes DESC, first_frame;
