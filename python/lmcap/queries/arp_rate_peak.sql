-- answers: The busiest 1-second window of ARP (sliding: from each ARP frame, the frames in the next second) and whether it is above the arp-storm threshold; one row, none without ARP.
-- reads: arp
-- params: arp_storm_pps
-- columns: window_start_ns, window_end_ns, frames, first_frame, last_frame, threshold_pps, above
-- The frames in [ns, ns + 1 s) of each frame are those up to the window's end less those
-- before it: the running count at the last timestamp the window reaches (an ASOF join) minus
-- the frames stamped earlier. A sort and a merge, where a sliding RANGE window walks a segment
-- tree (5.5 s → 0.3 s over the 961 k ARP frames of the 8 GiB bench capture); spec/ keeps
-- the window version, which tests/test_evidence.py checks this against.
WITH t AS (
    SELECT frame_number, epoch_ns("timestamp") AS ns FROM arp WHERE "timestamp" IS NOT NULL
),
ranked AS (
    SELECT
        ns,
        frame_number,
        rank() OVER (ORDER BY ns) - 1 AS frames_before,
        count(*) OVER (ORDER BY ns)   AS frames_up_to
    FROM t
),
running AS (SELECT DISTINCT ns, frames_up_to FROM ranked),
peak AS (
    SELECT r.ns, r.frame_number, e.frames_up_to - r.frames_before AS n
    FROM ranked r ASOF JOIN running e ON r.ns + 999999999 >= e.ns
    ORDER BY n DESC, r.ns, r.frame_number
    LIMIT 1
)
SELECT
    peak.ns                         AS window_start_ns,
    peak.ns + 1000000000            AS window_end_ns,
    peak.n                          AS frames,
    peak.frame_number               AS first_frame,
    (SELECT max(frame_number) FROM t WHERE t.ns BETWEEN peak.ns AND peak.ns + 999999999)
                                    AS last_frame,
    $arp_storm_pps                  AS threshold_pps,
    peak.n > $arp_storm_pps         AS above
FROM peak;
