-- answers: Per capture, sender (source MAC) and kind of flooding (broadcast, unregistered_multicast, link_local_multicast, nlb_*): frames and bytes a switch floods to every port, the VLANs and source IPs involved, and the first such frame. Who floods the network?
-- reads: flooded_frames (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, src_mac, kind, frames, bytes, vlans, src_ips, first_frame
SELECT
    capture, src_mac, kind,
    count(*)                                                        AS frames,
    sum(wire_len)                                                   AS bytes,
    count(DISTINCT vlan)                                            AS vlans,
    count(DISTINCT src_ip)                                          AS src_ips,
    min(frame_number)                                               AS first_frame
FROM flooded_frames
GROUP BY capture, src_mac, kind
ORDER BY capture, frames DESC, src_mac NULLS LAST, kind;
