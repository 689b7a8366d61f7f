-- answers: Windows NLB cluster hosts seen in heartbeats (ethertype 0x886F): per cluster virtual IP and host, the host id (priority), dedicated IP, source and destination MAC (they tell the cluster mode), VLAN, heartbeats by kind and when.
-- reads: nlb_heartbeats
-- columns: vip, host_id, my_host_id, dedicated_ip, src_mac, dst_mac, vlan, version, heartbeats, membership, extended, convergence_state, first_ns, last_ns, first_frame
SELECT
    cluster_ip                                        AS vip,
    host_priority                                     AS host_id,
    max(my_host_id)                                   AS my_host_id,
    dedicated_ip,
    src_mac,
    any_value(dst_mac ORDER BY frame_number)          AS dst_mac,
    vlan_id                                           AS vlan,
    any_value(version ORDER BY frame_number)          AS version,
    count(*)                                          AS heartbeats,
    count(*) FILTER (WHERE kind = 'membership')       AS membership,
    count(*) FILTER (WHERE kind = 'extended')         AS extended,
    arg_max(convergence_state, frame_number) FILTER (WHERE convergence_state IS NOT NULL) AS convergence_state,
    min(epoch_ns("timestamp"))                        AS first_ns,
    max(epoch_ns("timestamp"))                        AS last_ns,
    min(frame_number)                                 AS first_frame
FROM nlb_heartbeats
GROUP BY cluster_ip, host_priority, dedicated_ip, src_mac, vlan_id
ORDER BY vip, host_id, src_mac;
