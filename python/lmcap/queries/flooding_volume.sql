-- answers: Flooded traffic by kind (broadcast, multicast to IPv4 groups nobody joined, link-local multicast 224.0.0.0/24, traffic to Windows NLB unicast/multicast/IGMP cluster MACs): frames, bytes, average and peak rate (busiest calendar second), and share of all frames and bytes of the capture.
-- reads: packets, igmp_records
-- columns: kind, frames, bytes, senders, fps, bps, peak_fps, peak_second_ns, share_frames, share_bytes, first_frame
WITH joined AS (
    SELECT DISTINCT "group", vlan_id FROM igmp_records WHERE action = 'join' AND "group" IS NOT NULL
),
classified AS (
    -- 01:00:5e:7f:x:y is the MAC of NLB's IGMP mode and also of every 239.255.x.y group: only
    -- frames to it that are not IP multicast (heartbeats, client traffic to the unicast VIP)
    -- count as NLB; IPv4 multicast is judged by its group whatever MAC it went to. IGMP
    -- messages themselves are not counted unless sent to 224.0.0.0/24.
    SELECT
        p.frame_number,
        epoch_ns(p."timestamp")   AS time_ns,
        CASE
            WHEN p.dst_mac_kind = 'broadcast' THEN 'broadcast'
            WHEN p.dst_mac_kind IN ('nlb_unicast', 'nlb_multicast') THEN p.dst_mac_kind::VARCHAR
            WHEN p.dst_mac_kind = 'nlb_igmp_multicast' AND NOT m.is_ip_mcast
                THEN 'nlb_igmp_multicast'
            WHEN starts_with(p.dst_ip, '224.0.0.') THEN 'link_local_multicast'
            ELSE 'unregistered_multicast'
        END                       AS kind,
        p.src_mac,
        p.src_ip,
        p.vlan_id                 AS vlan,
        p.wire_len
    FROM packets p,
         LATERAL (SELECT coalesce(p.ip_version = 4
                      AND TRY_CAST(split_part(p.dst_ip, '.', 1) AS INTEGER) BETWEEN 224 AND 239,
                      false) AS is_ip_mcast) m
    WHERE p.dst_mac_kind IN ('broadcast', 'nlb_unicast', 'nlb_multicast')
       OR (p.dst_mac_kind = 'nlb_igmp_multicast' AND NOT m.is_ip_mcast)
       OR (
            m.is_ip_mcast
            AND p.dst_mac_kind IN ('multicast', 'nlb_igmp_multicast')
            AND (
                starts_with(p.dst_ip, '224.0.0.')
                OR (
                    p.ip_proto IS DISTINCT FROM 2
                    AND NOT EXISTS (
                        SELECT 1 FROM joined j
                        WHERE j."group" = p.dst_ip AND j.vlan_id IS NOT DISTINCT FROM p.vlan_id
                    )
                )
            )
       )
),
totals AS (
    SELECT count(*) AS frames, sum(wire_len) AS bytes,
           greatest((max(epoch_ns("timestamp")) - min(epoch_ns("timestamp"))) / 1e9, 1.0) AS dur
    FROM packets
),
per_second AS (
    SELECT kind, time_ns // 1000000000 AS sec, count(*) AS n
    FROM classified WHERE time_ns IS NOT NULL GROUP BY ALL
),
peak AS (
    SELECT kind, arg_max(sec, n) AS sec, max(n) AS n FROM per_second GROUP BY kind
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
