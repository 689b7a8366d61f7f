-- answers: Every TCP connection and UDP flow of the scanned flows table (as flows.sql specifies it), in flow_id order: what the throughput diagnostic ranks and judges.
-- reads: flows
-- columns: flow_id, proto, class, client, server, client_ip, client_port, server_ip, server_port, vlan, start_ns, end_ns, duration_s, packets_c2s, packets_s2c, wire_bytes_c2s, wire_bytes_s2c, payload_bytes_c2s, payload_bytes_s2c, unique_bytes_c2s, unique_bytes_s2c, retrans_bytes_c2s, retrans_bytes_s2c, resets_by_client, resets_by_server, fin_c2s, fin_s2c, syn_seen, client_mss, server_mss, client_wscale, server_wscale, zero_windows_by_client, zero_windows_by_server, handshake_rtt_ms, unacked_bytes_c2s, unacked_bytes_s2c, resumed
SELECT * FROM flows ORDER BY flow_id;
