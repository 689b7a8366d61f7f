-- answers: Who sends the flooded traffic (broadcast, multicast to groups nobody joined, link-local multicast, traffic to NLB cluster MACs): per source MAC and kind, frames, bytes, the IPs it used and the share of all flooded frames; the 20 biggest.
-- reads: flooded_frames (derived from packets and igmp_records)
-- columns: src_mac, ips, vlans, kind, frames, bytes, share_of_flooded_frames, first_frame
WITH classified AS (SELECT * FROM flooded_frames)
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
