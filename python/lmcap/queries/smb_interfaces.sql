-- answers: What each SMB server advertised for multichannel (FSCTL_QUERY_NETWORK_INTERFACE_INFO responses): per server address and interface index, the capability (RSS, RDMA), the link speed, its addresses, which sessions and clients asked, how often and when first.
-- reads: smb_interfaces
-- columns: server, if_index, capability, rss_capable, rdma_capable, link_speed_bps, addresses, session_ids, clients, advertisements, first_frame, first_ns
SELECT src_ip AS server, if_index,
    bit_or(capability) AS capability, bool_or(rss_capable) AS rss_capable,
    bool_or(rdma_capable) AS rdma_capable, max(link_speed_bps) AS link_speed_bps,
    list_sort(list_distinct(list(address) FILTER (WHERE address IS NOT NULL))) AS addresses,
    list_sort(list_distinct(list(session_id))) AS session_ids,
    list_sort(list_distinct(list(dst_ip))) AS clients,
    count(DISTINCT frame_number) AS advertisements,
    min(frame_number) AS first_frame, epoch_ns(min(timestamp)) AS first_ns
FROM smb_interfaces
GROUP BY src_ip, if_index
ORDER BY server, if_index;
