-- answers: Can the capture's timestamps be trusted? Frames without a timestamp (a value that does not fit, e.g. a pcapng interface's offset or resolution gone wrong), frames stamped earlier than the frame before them in the same file (out of order), and frames stamped outside the analysis window (outlying: see analysis_window.sql), each with the first such frame; plus the window itself.
-- reads: detail_frames (each hour's first frames are detail frames), scan_settings (frames without a timestamp and out of order, counted in the scan), traffic (the outlying count), analysis_window (its specification over packets: queries/spec/capture_timestamps.sql)
-- columns: missing, missing_first_frame, out_of_order, out_of_order_first_frame, outlying, outlying_first_frame, outlying_first_ns, outlying_frame_numbers, window_start_ns, window_end_ns, window_duration_s, window_frames, outlying_gap_s
WITH flagged AS (
    SELECT d.frame_number, epoch_ns(d."timestamp") AS ns,
           NOT coalesce(epoch_ns(d."timestamp") BETWEEN w.start_ns AND w.end_ns, TRUE) AS outlying
    FROM detail_frames d, analysis_window w
),
counts AS (
    SELECT
        min(frame_number) FILTER (WHERE outlying)                   AS outlying_first_frame,
        arg_min(ns, frame_number) FILTER (WHERE outlying)           AS outlying_first_ns,
        -- the first 20 by frame number: enough to find them in Wireshark, bounded for the report
        coalesce(list(frame_number ORDER BY frame_number) FILTER (WHERE outlying), [])[1:20]
                                                                    AS outlying_frame_numbers
    FROM flagged
),
outlying AS (
    -- a bucket of the scan is all in the window or all outside it (outlying frames are a day
    -- or more away from it)
    SELECT coalesce(sum(t.frames), 0)::BIGINT AS outlying
    FROM traffic t, analysis_window w
    WHERE NOT coalesce(t.first_ns BETWEEN w.start_ns AND w.end_ns, TRUE)
)
SELECT s.missing_timestamp_frames      AS missing,
       s.first_missing_timestamp_frame AS missing_first_frame,
       s.out_of_order_frames       AS out_of_order,
       s.first_out_of_order_frame  AS out_of_order_first_frame,
       o.outlying, c.outlying_first_frame, c.outlying_first_ns, c.outlying_frame_numbers,
       w.start_ns   AS window_start_ns,
       w.end_ns     AS window_end_ns,
       w.duration_s AS window_duration_s,
       w.frames     AS window_frames,
       w.outlying_gap_s
FROM counts c, outlying o, scan_settings s, analysis_window w;
