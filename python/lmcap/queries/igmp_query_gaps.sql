-- answers: Per VLAN, the stretches of the capture longer than the IGMP query interval with membership reports or leaves and no query at all (the start of the analysis window, each query and its end bound the stretches; frames stamped outside the window are left out).
-- reads: igmp_records, analysis_window
-- params: igmp_query_interval_s
-- columns: vlan, gap_start_ns, gap_end_ns, gap_s, starts_at_query, ends_at_query, reports, leaves, hosts, groups, first_frame, last_frame
WITH bounds AS (
    SELECT start_ns AS t0, end_ns AS t1 FROM analysis_window
),
vlans AS (
    SELECT DISTINCT vlan_id FROM igmp_records WHERE action IN ('join', 'leave', 'block', 'other')
),
marks AS (
    SELECT vlan_id, epoch_ns("timestamp") AS t, true AS is_query
    FROM igmp_records, bounds
    WHERE action = 'query' AND epoch_ns("timestamp") BETWEEN t0 AND t1
    UNION ALL
    SELECT vlan_id, t0, false FROM vlans, bounds
    UNION ALL
    SELECT vlan_id, t1, false FROM vlans, bounds
),
gaps AS (
    SELECT
        vlan_id,
        t                                               AS gap_start_ns,
        is_query                                        AS starts_at_query,
        lead(t) OVER w                                  AS gap_end_ns,
        lead(is_query) OVER w                           AS ends_at_query
    FROM marks
    WINDOW w AS (PARTITION BY vlan_id ORDER BY t, is_query)
),
long_gaps AS (
    SELECT * FROM gaps
    WHERE gap_end_ns IS NOT NULL
      AND (gap_end_ns - gap_start_ns) / 1e9 > $igmp_query_interval_s
)
SELECT
    g.vlan_id                                           AS vlan,
    g.gap_start_ns,
    g.gap_end_ns,
    round((g.gap_end_ns - g.gap_start_ns) / 1e9, 3)     AS gap_s,
    g.starts_at_query,
    g.ends_at_query,
    count(DISTINCT r.frame_number) FILTER (WHERE r.action <> 'leave') AS reports,
    count(DISTINCT r.frame_number) FILTER (WHERE r.action = 'leave')  AS leaves,
    list(DISTINCT r.src_ip ORDER BY r.src_ip)          AS hosts,
    list(DISTINCT r."group" ORDER BY r."group")        AS groups,
    min(r.frame_number)                                 AS first_frame,
    max(r.frame_number)                                 AS last_frame
FROM long_gaps g
JOIN igmp_records r
  ON r.vlan_id IS NOT DISTINCT FROM g.vlan_id
 AND r.action IN ('join', 'leave', 'block', 'other')
 AND epoch_ns(r."timestamp") >= g.gap_start_ns
 AND epoch_ns(r."timestamp") <= g.gap_end_ns
GROUP BY ALL
ORDER BY vlan NULLS FIRST, gap_start_ns;
