-- answers: Which frames does a switch flood to every port, and why: broadcast, multicast to an IPv4 group nobody joined (on that VLAN), link-local multicast 224.0.0.0/24, or traffic to a Windows NLB cluster MAC? One row per flooded frame.
-- reads: detail_frames (every flooded frame is one), igmp_records (lmcap.connect materialises this query as the table `flooded_frames`)
-- columns: frame_number, time_ns, kind, src_mac, src_ip, vlan, wire_len
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
    FROM detail_frames p,
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
)
SELECT frame_number, time_ns, kind, src_mac, src_ip, vlan, wire_len FROM classified;
