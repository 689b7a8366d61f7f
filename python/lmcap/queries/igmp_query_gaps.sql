-- answers: Per VLAN, the stretches of the capture longer than the IGMP query interval with membership reports or leaves and no query at all (the start of the analysis window, each query and its end bound the stretches; frames stamped outside the window are left out). Each gap lists its first evidence_list_max hosts and groups in address order and counts them all (hosts_total, groups_total); vlan_hosts_total and vlan_groups_total count those of all the VLAN's gaps once each.
-- reads: igmp_records, analysis_window
-- params: igmp_query_interval_s, evidence_list_max
-- columns: vlan, gap_start_ns, gap_end_ns, gap_s, starts_at_query, ends_at_query, reports, leaves, hosts, hosts_total, groups, groups_total, first_frame, last_frame, vlan_hosts_total, vlan_groups_total
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
),
in_gaps AS (
    SELECT g.*, r.frame_number, r.action, r.src_ip, r."group"
    FROM long_gaps g
    JOIN igmp_records r
      ON r.vlan_id IS NOT DISTINCT FROM g.vlan_id
     AND r.action IN ('join', 'leave', 'block', 'other')
     AND epoch_ns(r."timestamp") >= g.gap_start_ns
     AND epoch_ns(r."timestamp") <= g.gap_end_ns
),
-- the hosts and groups of all of a VLAN's gaps, counted once each (a gap lists only the first)
per_vlan AS (
    SELECT vlan_id, count(DISTINCT src_ip) AS vlan_hosts_total,
           count(DISTINCT "group") AS vlan_groups_total
    FROM in_gaps
    GROUP BY vlan_id
)
SELECT
    g.vlan_id                                           AS vlan,
    g.gap_start_ns,
    g.gap_end_ns,
    round((g.gap_end_ns - g.gap_start_ns) / 1e9, 3)     AS gap_s,
    g.starts_at_query,
    g.ends_at_query,
    count(DISTINCT g.frame_number) FILTER (WHERE g.action <> 'leave') AS reports,
    count(DISTINCT g.frame_number) FILTER (WHERE g.action = 'leave')  AS leaves,
    -- IGMP is IPv4: order addresses by their numbers, as the report does
    list(DISTINCT g.src_ip ORDER BY string_split(g.src_ip, '.')::INTEGER[])[1:$evidence_list_max]
                                                        AS hosts,
    count(DISTINCT g.src_ip)                            AS hosts_total,
    coalesce(list(DISTINCT g."group" ORDER BY string_split(g."group", '.')::INTEGER[])
             [1:$evidence_list_max], [])                AS groups,
    count(DISTINCT g."group")                           AS groups_total,
    min(g.frame_number)                                 AS first_frame,
    max(g.frame_number)                                 AS last_frame,
    any_value(v.vlan_hosts_total)                       AS vlan_hosts_total,
    any_value(v.vlan_groups_total)                      AS vlan_groups_total
FROM in_gaps g
JOIN per_vlan v ON v.vlan_id IS NOT DISTINCT FROM g.vlan_id
GROUP BY g.vlan_id, g.gap_start_ns, g.gap_end_ns, g.starts_at_query, g.ends_at_query
ORDER BY vlan NULLS FIRST, gap_start_ns;
