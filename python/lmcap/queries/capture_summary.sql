-- answers: How big is the capture: frames, bytes on the wire and captured, first and last timestamp, time span, frames cut by the snaplen?
-- reads: traffic (its specification over packets: queries/spec/capture_summary.sql)
-- columns: packets, wire_bytes, captured_bytes, start_ns, end_ns, duration_s, truncated_frames
SELECT
    coalesce(sum(frames), 0)::BIGINT                     AS packets,
    coalesce(sum(wire_bytes), 0)::BIGINT                 AS wire_bytes,
    coalesce(sum(captured_bytes), 0)::BIGINT             AS captured_bytes,
    min(first_ns)                                        AS start_ns,
    max(last_ns)                                         AS end_ns,
    coalesce((max(last_ns) - min(first_ns)) / 1e9, 0.0)  AS duration_s,
    coalesce(sum(truncated_frames), 0)::BIGINT           AS truncated_frames
FROM traffic;
