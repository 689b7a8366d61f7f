-- answers: Who sends the flooded traffic (broadcast, multicast to groups nobody joined, link-local multicast, traffic to NLB cluster MACs): per source MAC and kind, frames, bytes, the IPs it used and the share of all flooded frames; the 20 biggest.
-- reads: packets, igmp_records
-- columns: src_mac, ips, vlans, kind, frames, bytes, share_of_flooded_frames, first_frame
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
)
SELECT
    src_mac,
    coalesce(list(DISTINCT src_ip ORDER BY src_ip) FILTER (WHERE src_ip IS NOT NULL), []) AS ips,
    coalesce(list(DISTINCT vlan ORDER BY vlan) FILTER (WHERE vlan IS NOT NULL), [])       AS vlans,
    kind,
    count(*)                                                          AS frames,
    sum(wire_len)::BIGINT                                             AS bytes,
    round(count(*) / (SELECT count(*) FROM classified), 6)           AS share_of_flooded_frames,
    min(frame_number)                                                 AS first_frame
FROM classified
GROUP BY src_mac, kind
ORDER BY frames DESC, bytes DESC, src_mac NULLS LAST, kind
LIMIT 20;
