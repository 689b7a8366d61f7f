-- answers: Traffic to Windows NLB cluster MACs (02:bf:VIP unicast, 03:bf:VIP multicast, 01:00:5e:7f:x:y IGMP multicast; to the last only frames that are not IP multicast, since 239.255.x.y groups share those MACs): per cluster MAC and VLAN, all frames and the client traffic among them (IP, not heartbeats, not IGMP), with the IPs it was sent to, the clients, rate and share of the capture.
-- reads: detail_frames (frames to cluster MACs are), traffic (the totals) (its specification over packets: queries/spec/nlb_cluster_mac_traffic.sql)
-- columns: cluster_mac, kind, vlan, frames, bytes, client_frames, client_bytes, dst_ips, clients, client_macs, first_ns, last_ns, first_client_frame, client_fps, client_bps, share_frames, share_bytes
WITH totals AS (
    SELECT sum(frames) AS frames, sum(wire_bytes) AS bytes,
           greatest((max(last_ns) - min(first_ns)) / 1e9, 1.0) AS dur
    FROM traffic
),
cm AS (
    SELECT
        *,
        ip_version IS NOT NULL AND ip_proto IS DISTINCT FROM 2 AND ethertype IS DISTINCT FROM 34927
            AS is_client
    FROM detail_frames
    WHERE dst_mac_kind IN ('nlb_unicast', 'nlb_multicast')
       OR (dst_mac_kind = 'nlb_igmp_multicast'
           AND NOT coalesce(ip_version = 4
                 AND TRY_CAST(split_part(dst_ip, '.', 1) AS INTEGER) BETWEEN 224 AND 239, false))
)
SELECT
    cm.dst_mac                                                    AS cluster_mac,
    cm.dst_mac_kind::VARCHAR                                      AS kind,
    cm.vlan_id                                                    AS vlan,
    count(*)                                                      AS frames,
    sum(cm.wire_len)::BIGINT                                      AS bytes,
    count(*) FILTER (WHERE cm.is_client)                          AS client_frames,
    coalesce(sum(cm.wire_len) FILTER (WHERE cm.is_client), 0)::BIGINT AS client_bytes,
    coalesce(list(DISTINCT cm.dst_ip ORDER BY cm.dst_ip) FILTER (WHERE cm.is_client), []) AS dst_ips,
    coalesce(list(DISTINCT cm.src_ip ORDER BY cm.src_ip) FILTER (WHERE cm.is_client), []) AS clients,
    coalesce(list(DISTINCT cm.src_mac ORDER BY cm.src_mac) FILTER (WHERE cm.is_client), []) AS client_macs,
    min(epoch_ns(cm."timestamp")) FILTER (WHERE cm.is_client)    AS first_ns,
    max(epoch_ns(cm."timestamp")) FILTER (WHERE cm.is_client)    AS last_ns,
    min(cm.frame_number) FILTER (WHERE cm.is_client)             AS first_client_frame,
    round(count(*) FILTER (WHERE cm.is_client) / any_value(t.dur), 3)            AS client_fps,
    round(8 * coalesce(sum(cm.wire_len) FILTER (WHERE cm.is_client), 0) / any_value(t.dur), 1) AS client_bps,
    round(count(*) FILTER (WHERE cm.is_client) / any_value(t.frames), 6)         AS share_frames,
    round(coalesce(sum(cm.wire_len) FILTER (WHERE cm.is_client), 0) / any_value(t.bytes), 6) AS share_bytes
FROM cm CROSS JOIN totals t
GROUP BY cm.dst_mac, cm.dst_mac_kind, cm.vlan_id
ORDER BY client_bytes DESC, cluster_mac, vlan NULLS FIRST;
