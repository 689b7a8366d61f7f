-- answers: Can the capture's timestamps be trusted? Frames without a timestamp (a value that does not fit, e.g. a pcapng interface's offset or resolution gone wrong), frames stamped earlier than the frame before them in the same file (out of order), and frames stamped outside the analysis window (outlying: see analysis_window.sql), each with the first such frame; plus the window itself.
-- reads: packets, analysis_window
-- columns: missing, missing_first_frame, out_of_order, out_of_order_first_frame, outlying, outlying_first_frame, outlying_first_ns, outlying_frame_numbers, window_start_ns, window_end_ns, window_duration_s, window_frames, outlying_gap_s
WITH frames AS (
    -- partitioned by whether there is a timestamp: a stamped frame is compared with the
    -- stamped frame before it in its file
    SELECT frame_number, epoch_ns("timestamp") AS ns,
           epoch_ns("timestamp") < lag(epoch_ns("timestamp"))
               OVER (PARTITION BY file_index, "timestamp" IS NULL ORDER BY frame_number)
               AS backwards
    FROM packets
),
flagged AS (
    SELECT f.*, NOT coalesce(f.ns BETWEEN w.start_ns AND w.end_ns, TRUE) AS outlying
    FROM frames f, analysis_window w
),
counts AS (
    SELECT
        count(*) FILTER (WHERE ns IS NULL)                          AS missing,
        min(frame_number) FILTER (WHERE ns IS NULL)                 AS missing_first_frame,
        count(*) FILTER (WHERE backwards)                           AS out_of_order,
        min(frame_number) FILTER (WHERE backwards)                  AS out_of_order_first_frame,
        count(*) FILTER (WHERE outlying)                            AS outlying,
        min(frame_number) FILTER (WHERE outlying)                   AS outlying_first_frame,
        arg_min(ns, frame_number) FILTER (WHERE outlying)           AS outlying_first_ns,
        -- the first 20 by frame number: enough to find them in Wireshark, bounded for the report
        coalesce(list(frame_number ORDER BY frame_number) FILTER (WHERE outlying), [])[1:20]
                                                                    AS outlying_frame_numbers
    FROM flagged
)
SELECT c.*,
       w.start_ns   AS window_start_ns,
       w.end_ns     AS window_end_ns,
       w.duration_s AS window_duration_s,
       w.frames     AS window_frames,
       w.outlying_gap_s
FROM counts c, analysis_window w;
