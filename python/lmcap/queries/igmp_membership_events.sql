-- answers: Every IGMP membership event in time order: which host joined or left which group (a v2 leave or a v3 TO_IN/IS_IN record with no sources is a leave), with IGMP version, VLAN and frame.
-- reads: igmp_records
-- columns: group, host, src_mac, vlan, action, version, record_type, time_ns, frame_number
SELECT
    "group",
    src_ip                      AS host,
    src_mac,
    vlan_id                     AS vlan,
    action::VARCHAR             AS action,
    version,
    record_type,
    epoch_ns("timestamp")       AS time_ns,
    frame_number
FROM igmp_records
WHERE action IN ('join', 'leave') AND "group" IS NOT NULL
ORDER BY time_ns NULLS LAST, frame_number, "group";
