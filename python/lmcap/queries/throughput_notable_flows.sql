-- answers: The flows the throughput diagnostic reports or judges, in flow_id order: the report_list_max largest by wire bytes, every flow with a direction of at least bulk_min_bytes of payload (a bulk transfer candidate), and every TCP connection that may make a finding (reset with data unacknowledged, retransmitted share above retrans_ratio, a zero window). A capture of millions of small flows (a SYN flood) gives a few rows, not millions.
-- reads: flows
-- params: report_list_max, bulk_min_bytes, retrans_ratio
-- columns: flow_id, proto, class, client, server, client_ip, client_port, server_ip, server_port, vlan, start_ns, end_ns, duration_s, packets_c2s, packets_s2c, wire_bytes_c2s, wire_bytes_s2c, payload_bytes_c2s, payload_bytes_s2c, unique_bytes_c2s, unique_bytes_s2c, retrans_bytes_c2s, retrans_bytes_s2c, resets_by_client, resets_by_server, fin_c2s, fin_s2c, syn_seen, client_mss, server_mss, client_wscale, server_wscale, zero_windows_by_client, zero_windows_by_server, handshake_rtt_ms, unacked_bytes_c2s, unacked_bytes_s2c, resumed
WITH largest AS (
    SELECT flow_id FROM flows
    ORDER BY wire_bytes_c2s + wire_bytes_s2c DESC, flow_id
    LIMIT $report_list_max
)
SELECT *
FROM flows
WHERE flow_id IN (SELECT flow_id FROM largest)
   OR greatest(payload_bytes_c2s, payload_bytes_s2c) >= $bulk_min_bytes
   OR (proto = 'tcp' AND (
          (resets_by_client + resets_by_server > 0
           AND payload_bytes_c2s + payload_bytes_s2c > 0
           AND unacked_bytes_c2s + unacked_bytes_s2c > 0)
       OR (payload_bytes_c2s + payload_bytes_s2c > 0
           AND (retrans_bytes_c2s + retrans_bytes_s2c)
               / (payload_bytes_c2s + payload_bytes_s2c) > $retrans_ratio)
       OR zero_windows_by_client + zero_windows_by_server > 0))
ORDER BY flow_id;
