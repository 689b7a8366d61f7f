-- answers: Per IGMP group: the hosts that joined, joins and leaves (a v2 leave or a v3 TO_IN/IS_IN record with no sources is a leave), the hosts whose last event was a join (members at the end), VLANs, versions, and the first membership events in time order; the groups with the most events first, at most section_list_max of them (groups_total counts them all).
-- reads: igmp_records
-- params: igmp_timeline_max, section_list_max
-- columns: group, groups_total, members, joins, leaves, members_at_end, vlans, versions, timeline
WITH events AS (
    SELECT
        "group",
        src_ip                                          AS host,
        src_mac,
        vlan_id                                         AS vlan,
        action::VARCHAR                                 AS action,
        version,
        epoch_ns("timestamp")                           AS time_ns,
        frame_number,
        -- time order as igmp_membership_events gives it; records of one frame in their order
        row_number() OVER (ORDER BY epoch_ns("timestamp") NULLS LAST, frame_number, rowid) AS seq
    FROM igmp_records
    WHERE action IN ('join', 'leave') AND "group" IS NOT NULL
),
last_action AS (
    SELECT "group", host, arg_max(action, seq) AS action
    FROM events
    GROUP BY "group", vlan, host
),
at_end AS (
    SELECT "group", list(DISTINCT host) AS members_at_end
    FROM last_action
    WHERE action = 'join'
    GROUP BY "group"
),
groups AS (
    SELECT
        "group",
        list(DISTINCT host) FILTER (WHERE action = 'join')          AS members,
        count(*) FILTER (WHERE action = 'join')                     AS joins,
        count(*) FILTER (WHERE action = 'leave')                    AS leaves,
        coalesce(list(DISTINCT vlan) FILTER (WHERE vlan IS NOT NULL), []) AS vlans,
        list(DISTINCT version)                                      AS versions
    FROM events
    GROUP BY "group"
),
top AS (
    SELECT *, count(*) OVER () AS groups_total
    FROM groups
    ORDER BY joins + leaves DESC, "group"
    LIMIT $section_list_max
),
timelines AS (
    -- only the listed groups' first events: a list of every event of every group would hold
    -- all IGMP records of the capture in memory at once
    SELECT
        "group",
        list(
            {'host': host, 'mac': src_mac, 'vlan': vlan, 'action': action,
             'version': version, 'time_ns': time_ns, 'frame': frame_number}
            ORDER BY seq
        )                                                           AS timeline
    FROM (
        SELECT e.* FROM events e SEMI JOIN top USING ("group")
        QUALIFY row_number() OVER (PARTITION BY "group" ORDER BY seq) <= $igmp_timeline_max
    )
    GROUP BY "group"
)
SELECT
    t."group",
    t.groups_total,
    coalesce(t.members, [])                             AS members,
    t.joins,
    t.leaves,
    coalesce(e.members_at_end, [])                      AS members_at_end,
    t.vlans,
    t.versions,
    tl.timeline
FROM top t
LEFT JOIN at_end e USING ("group")
LEFT JOIN timelines tl USING ("group")
ORDER BY t.joins + t.leaves DESC, t."group";
