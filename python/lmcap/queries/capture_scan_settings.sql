-- answers: How was the scan cut and filtered: the time bucket and switch frame limit the evidence was built with, the filter (time range, VLANs, hosts), how many frames the filter dropped, and how often the traffic evidence hit its bound on open rows?
-- reads: scan_settings (the one-row table lmcap.connect writes)
-- columns: bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans, hosts, frames_filtered, traffic_cap_flushes
SELECT bucket_ns, switch_max_frame, since_ns, until_ns, since_offset_s, until_offset_s, vlans,
       hosts, frames_filtered, traffic_cap_flushes
FROM scan_settings;
