-- answers: How was the scan cut and filtered: the time bucket and switch frame limit the evidence was built with, the filter (time range, VLANs, hosts), how many frames the filter dropped, how often the traffic evidence hit its bound on open rows, and what the bounds of the TCP and address-claim evidence dropped?
-- reads: scan_settings (the one-row table lmcap.connect writes)
-- columns: bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans, hosts, frames_filtered, traffic_cap_flushes, tcp_open_evicted, tcp_cover_evicted, tcp_resets_dropped, claim_runs_dropped, claims_untracked
SELECT bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans,
       hosts, frames_filtered, traffic_cap_flushes, tcp_open_evicted, tcp_cover_evicted,
       tcp_resets_dropped, claim_runs_dropped, claims_untracked
FROM scan_settings;
