-- answers: IPv4 multicast data sent to a group no host joined (no IGMP join for it in the capture, on the same VLAN; link-local 224.0.0.0/24 excluded): a switch floods it to every port. Per group and VLAN: senders, frames, bytes, rate over the group's active span (at least 1 s).
-- reads: detail_frames (IP multicast frames are), igmp_records
-- columns: group, vlan, senders, sender_macs, frames, bytes, first_ns, last_ns, first_frame, duration_s, pps, bps
WITH joined AS (
    SELECT DISTINCT "group", vlan_id FROM igmp_records WHERE action = 'join' AND "group" IS NOT NULL
),
mcast AS (
    SELECT *
    FROM detail_frames
    WHERE ip_version = 4
      AND ip_proto IS DISTINCT FROM 2
      AND TRY_CAST(split_part(dst_ip, '.', 1) AS INTEGER) BETWEEN 224 AND 239
      AND NOT starts_with(dst_ip, '224.0.0.')
)
SELECT
    m.dst_ip                                                  AS "group",
    m.vlan_id                                                 AS vlan,
    list(DISTINCT m.src_ip ORDER BY m.src_ip)                 AS senders,
    coalesce(list(DISTINCT m.src_mac ORDER BY m.src_mac) FILTER (WHERE m.src_mac IS NOT NULL), []) AS sender_macs,
    count(*)                                                  AS frames,
    sum(m.wire_len)::BIGINT                                   AS bytes,
    min(epoch_ns(m."timestamp"))                              AS first_ns,
    max(epoch_ns(m."timestamp"))                              AS last_ns,
    min(m.frame_number)                                       AS first_frame,
    round((max(epoch_ns(m."timestamp")) - min(epoch_ns(m."timestamp"))) / 1e9, 6) AS duration_s,
    round(count(*) / greatest((max(epoch_ns(m."timestamp")) - min(epoch_ns(m."timestamp"))) / 1e9, 1.0), 3) AS pps,
    round(8 * sum(m.wire_len) / greatest((max(epoch_ns(m."timestamp")) - min(epoch_ns(m."timestamp"))) / 1e9, 1.0), 1) AS bps
FROM mcast m
WHERE NOT EXISTS (
    SELECT 1 FROM joined j WHERE j."group" = m.dst_ip AND j.vlan_id IS NOT DISTINCT FROM m.vlan_id
)
GROUP BY m.dst_ip, m.vlan_id
ORDER BY bytes DESC, "group", vlan NULLS FIRST;
