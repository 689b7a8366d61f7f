-- answers: Flooded traffic by kind (broadcast, multicast to IPv4 groups nobody joined, link-local multicast 224.0.0.0/24, traffic to Windows NLB unicast/multicast/IGMP cluster MACs): frames, bytes, average rate over the analysis window and peak rate (busiest calendar second), and share of all frames and bytes of the capture.
-- reads: flooded_frames (derived from packets and igmp_records), packets, analysis_window
-- columns: kind, frames, bytes, senders, fps, bps, peak_fps, peak_second_ns, share_frames, share_bytes, first_frame
WITH classified AS (SELECT * FROM flooded_frames),
totals AS (
    SELECT count(*) AS frames, sum(wire_len) AS bytes,
           greatest(any_value(w.duration_s), 1.0) AS dur
    FROM packets, analysis_window w
),
per_second AS (
    SELECT kind, time_ns // 1000000000 AS sec, count(*) AS n
    FROM classified WHERE time_ns IS NOT NULL GROUP BY ALL
),
peak AS (
    -- the earliest of the busiest seconds: arg_max picked any of equally busy seconds, so the
    -- report changed from run to run
    SELECT kind, min(sec) AS sec, any_value(n) AS n
    FROM (SELECT *, max(n) OVER (PARTITION BY kind) AS top FROM per_second)
    WHERE n = top
    GROUP BY kind
)
SELECT
    c.kind,
    count(*)                                              AS frames,
    sum(c.wire_len)::BIGINT                               AS bytes,
    count(DISTINCT c.src_mac)                             AS senders,
    round(count(*) / any_value(t.dur), 3)                 AS fps,
    round(8 * sum(c.wire_len) / any_value(t.dur), 1)      AS bps,
    any_value(pk.n)                                       AS peak_fps,
    any_value(pk.sec) * 1000000000                        AS peak_second_ns,
    round(count(*) / any_value(t.frames), 6)              AS share_frames,
    round(sum(c.wire_len) / any_value(t.bytes), 6)        AS share_bytes,
    min(c.frame_number)                                   AS first_frame
FROM classified c
CROSS JOIN totals t
LEFT JOIN peak pk ON pk.kind = c.kind
GROUP BY c.kind
ORDER BY bytes DESC, kind;
