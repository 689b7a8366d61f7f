-- answers: Which stretch of time do the rate and timeline diagnostics analyse? Frames are cut into groups wherever more than outlying_gap_s (one day) passes without a frame; a group that is small (at most outlying_max_frames frames, or at most outlying_max_share of the timestamped frames) and at most outlying_max_share_of_bulk of the frames of the group holding the median timestamp (the bulk) is a clock or writer glitch (e.g. one frame stamped 2061 among frames of 2015), not a capture session of its own. The window runs from the first to the last frame of the other groups; frames outside it are outlying and are left out of throughput, ARP, IGMP and flooding rates. One row; NULL bounds when no frame has a timestamp.
-- reads: traffic (lmcap.connect materialises this query as the table `analysis_window`; its specification over packets: queries/spec/analysis_window.sql)
-- columns: start_ns, end_ns, duration_s, frames, outlying_frames, outlying_gap_s, outlying_max_frames, outlying_max_share, outlying_max_share_of_bulk
WITH rule AS (
    -- a day without a single frame: no real network is that quiet (ARP, LLDP, STP speak every
    -- few seconds), so what lies beyond is another session or a glitch; a glitch stamps a
    -- handful of frames, a merged session of another day (mergecap) brings its conversations;
    -- and when the groups are all tiny (a few frames pasted together) none is the glitch
    SELECT 86400::BIGINT AS outlying_gap_s, 3 AS outlying_max_frames,
           0.01 AS outlying_max_share, 0.1 AS outlying_max_share_of_bulk
),
t AS (
    SELECT bucket_start_ns, first_ns, last_ns, frames FROM traffic WHERE first_ns IS NOT NULL
),
-- per bucket of the scan (at most an hour), the first and last timestamp: the gaps between
-- these are the gaps between consecutive frames longer than a bucket, so the groups are exact
-- without sorting every frame
buckets AS (
    SELECT bucket_start_ns AS bucket, min(first_ns) AS lo, max(last_ns) AS hi,
           sum(frames) AS frames
    FROM t GROUP BY ALL
),
cuts AS (
    SELECT *, sum(CASE WHEN lo - prev_hi > outlying_gap_s * 1000000000 THEN 1 ELSE 0 END)
                  OVER (ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS grp,
              sum(frames) OVER (ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS frames_through
    FROM (SELECT *, lag(hi) OVER (ORDER BY bucket) AS prev_hi FROM buckets), rule
),
groups AS (
    SELECT grp, min(lo) AS lo, max(hi) AS hi, sum(frames) AS frames FROM cuts GROUP BY grp
),
median AS (
    -- the frame of rank floor((n - 1) / 2) in time order (quantile_disc(ns, 0.5)) lies in the
    -- first bucket whose running count of frames passes that rank
    SELECT sum(frames) AS total,
           (sum(frames) - 1) // 2 AS median_rank
    FROM buckets
),
bulk AS (
    SELECT g.frames
    FROM groups g
    WHERE g.grp = (SELECT min(c.grp) FROM cuts c, median m WHERE c.frames_through > m.median_rank)
),
kept AS (
    SELECT g.*
    FROM groups g, rule, median m, bulk b
    WHERE NOT ((g.frames <= rule.outlying_max_frames
                OR g.frames <= rule.outlying_max_share * m.total)
               AND g.frames <= rule.outlying_max_share_of_bulk * b.frames)
),
bounds AS (
    SELECT min(lo) AS start_ns, max(hi) AS end_ns FROM kept
)
SELECT
    b.start_ns,
    b.end_ns,
    coalesce((b.end_ns - b.start_ns) / 1e9, 0.0)                             AS duration_s,
    (SELECT coalesce(sum(frames), 0) FROM t WHERE first_ns BETWEEN b.start_ns AND b.end_ns)::BIGINT
                                                                              AS frames,
    (SELECT coalesce(sum(frames), 0) FROM t
     WHERE NOT coalesce(first_ns BETWEEN b.start_ns AND b.end_ns, FALSE))::BIGINT AS outlying_frames,
    rule.outlying_gap_s,
    rule.outlying_max_frames,
    rule.outlying_max_share,
    rule.outlying_max_share_of_bulk
FROM bounds b, rule;
