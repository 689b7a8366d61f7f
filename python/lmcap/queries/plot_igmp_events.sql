-- answers: Every IGMP message over time, for a membership timeline: queries (general ones with group null), joins, leaves and blocks per group, with the host that sent it and its VLAN.
-- reads: igmp_records
-- columns: time_ns, group, host, vlan, action, version, frame_number
SELECT
    epoch_ns("timestamp")       AS time_ns,
    "group",
    src_ip                      AS host,
    vlan_id                     AS vlan,
    action::VARCHAR             AS action,
    version,
    frame_number
FROM igmp_records
WHERE "timestamp" IS NOT NULL
ORDER BY time_ns, frame_number;
