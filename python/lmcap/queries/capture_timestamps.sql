-- answers: Can the capture's timestamps be trusted? Frames without a timestamp (a value that does not fit, e.g. a pcapng interface's offset or resolution gone wrong), frames stamped earlier than the frame before them in the same file (out of order), and frames stamped outside the analysis window (outlying: see analysis_window.sql), each with the first such frame; plus the window itself.
-- reads: packets, analysis_window
-- columns: missing, missing_first_frame, out_of_order, out_of_order_first_frame, outlying, outlying_first_frame, outlying_first_ns, outlying_frame_numbers, window_start_ns, window_end_ns, window_duration_s, window_frames, outlying_gap_s
WITH stamped AS (
    SELECT frame_number, epoch_ns("timestamp") AS ns,
           epoch_ns("timestamp") < lag(epoch_ns("timestamp"))
               OVER (PARTITION BY file_index ORDER BY frame_number) AS backwards
    FROM packets WHERE "timestamp" IS NOT NULL
),
outlying AS (
    SELECT s.frame_number, s.ns
    FROM stamped s, analysis_window w
    WHERE NOT (s.ns BETWEEN w.start_ns AND w.end_ns)
)
SELECT
    (SELECT count(*) FROM packets WHERE "timestamp" IS NULL)                AS missing,
    (SELECT min(frame_number) FROM packets WHERE "timestamp" IS NULL)       AS missing_first_frame,
    (SELECT count(*) FILTER (WHERE backwards) FROM stamped)                 AS out_of_order,
    (SELECT min(frame_number) FILTER (WHERE backwards) FROM stamped)        AS out_of_order_first_frame,
    (SELECT count(*) FROM outlying)                                         AS outlying,
    (SELECT min(frame_number) FROM outlying)                                AS outlying_first_frame,
    (SELECT arg_min(ns, frame_number) FROM outlying)                        AS outlying_first_ns,
    -- the first 20 by frame number: enough to find them in Wireshark, bounded for the report
    (SELECT coalesce(list(frame_number ORDER BY frame_number)[1:20], []) FROM outlying)
                                                                            AS outlying_frame_numbers,
    w.start_ns                                                              AS window_start_ns,
    w.end_ns                                                                AS window_end_ns,
    w.duration_s                                                            AS window_duration_s,
    w.frames                                                                AS window_frames,
    w.outlying_gap_s
FROM analysis_window w;
