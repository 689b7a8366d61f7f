-- answers: How big is the capture: frames, bytes on the wire and captured, first and last timestamp, time span, frames cut by the snaplen?
-- reads: packets
-- columns: packets, wire_bytes, captured_bytes, start_ns, end_ns, duration_s, truncated_frames
SELECT
    count(*)                                             AS packets,
    coalesce(sum(wire_len), 0)::BIGINT                   AS wire_bytes,
    coalesce(sum(cap_len), 0)::BIGINT                    AS captured_bytes,
    epoch_ns(min(timestamp))                             AS start_ns,
    epoch_ns(max(timestamp))                             AS end_ns,
    coalesce((epoch_ns(max(timestamp)) - epoch_ns(min(timestamp))) / 1e9, 0.0) AS duration_s,
    count(*) FILTER (WHERE truncated)                    AS truncated_frames
FROM packets;
