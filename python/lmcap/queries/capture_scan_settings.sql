-- answers: How was the scan cut and filtered: the time bucket (given, or chosen by the scan: bucket_auto) and switch frame limit the evidence was built with, the filter (time range, VLANs, hosts), how many frames the filter dropped, how often the traffic evidence hit its bound on open rows, what the bounds of the TCP, address-claim, flow-map and stream-framer state dropped or wrote out early, and what their idle timeouts closed?
-- reads: scan_settings (the one-row table lmcap.connect writes)
-- columns: bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans, hosts, frames_filtered, traffic_cap_flushes, tcp_open_evicted, tcp_cover_evicted, tcp_resets_dropped, claim_runs_dropped, claims_untracked, flows_idle_expired, flows_memcap_evicted, flows_resumed, flows_evicted_forgotten, mss_hosts_untracked, stream_directions_expired, stream_directions_untracked, bucket_auto, stream_heads_cut
SELECT bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans,
       hosts, frames_filtered, traffic_cap_flushes, tcp_open_evicted, tcp_cover_evicted,
       tcp_resets_dropped, claim_runs_dropped, claims_untracked, flows_idle_expired,
       flows_memcap_evicted, flows_resumed, flows_evicted_forgotten, mss_hosts_untracked,
       stream_directions_expired, stream_directions_untracked, bucket_auto, stream_heads_cut
FROM scan_settings;
