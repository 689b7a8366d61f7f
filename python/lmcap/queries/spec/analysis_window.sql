-- answers: Which stretch of time do the rate and timeline diagnostics analyse? Frames are cut into groups wherever more than outlying_gap_s (one day) passes without a frame; a group that is small (at most outlying_max_frames frames, or at most outlying_max_share of the timestamped frames) and at most outlying_max_share_of_bulk of the frames of the group holding the median timestamp (the bulk) is a clock or writer glitch (e.g. one frame stamped 2061 among frames of 2015), not a capture session of its own. The window runs from the first to the last frame of the other groups; frames outside it are outlying and are left out of throughput, ARP, IGMP and flooding rates. One row; NULL bounds when no frame has a timestamp.
-- reads: packets (lmcap.connect materialises this query as the table `analysis_window`)
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
    SELECT epoch_ns("timestamp") AS ns FROM packets WHERE "timestamp" IS NOT NULL
),
-- per minute, the first and last timestamp: the gaps between these are the gaps between
-- consecutive frames longer than a minute, so the groups are exact without sorting every frame
minutes AS (
    SELECT ns // 60000000000 AS minute, min(ns) AS lo, max(ns) AS hi, count(*) AS frames
    FROM t GROUP BY ALL
),
cuts AS (
    SELECT *, sum(CASE WHEN lo - prev_hi > outlying_gap_s * 1000000000 THEN 1 ELSE 0 END)
                  OVER (ORDER BY minute ROWS UNBOUNDED PRECEDING) AS grp
    FROM (SELECT *, lag(hi) OVER (ORDER BY minute) AS prev_hi FROM minutes), rule
),
groups AS (
    SELECT grp, min(lo) AS lo, max(hi) AS hi, sum(frames) AS frames FROM cuts GROUP BY grp
),
median AS (
    SELECT quantile_disc(ns, 0.5) AS median_ns, count(*) AS total FROM t
),
bulk AS (
    SELECT g.frames FROM groups g, median m WHERE m.median_ns BETWEEN g.lo AND g.hi
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
    (SELECT count(*) FROM t WHERE ns BETWEEN b.start_ns AND b.end_ns)         AS frames,
    (SELECT count(*) FROM t WHERE NOT coalesce(ns BETWEEN b.start_ns AND b.end_ns, FALSE))
                                                                              AS outlying_frames,
    rule.outlying_gap_s,
    rule.outlying_max_frames,
    rule.outlying_max_share,
    rule.outlying_max_share_of_bulk
FROM bounds b, rule;
