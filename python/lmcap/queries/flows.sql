-- answers: One row per TCP connection (handshake seen or not) and per UDP flow: who is client and server, when, how much each way (as seen, and unique sequence space for TCP), retransmitted bytes, data never acknowledged by the end, resets and who sent them, FINs, MSS and window scale, handshake RTT, and what kind of traffic it is.
-- reads: packets (later IP fragments, which carry no ports, are not counted)
-- spec: the scan builds the `flows` table itself (rust/lmcap-core/src/flows.rs); this query is its specification, and tests/test_flows.py checks that both give the same table on every capture
-- columns: flow_id, proto, class, client, server, client_ip, client_port, server_ip, server_port, vlan, start_ns, end_ns, duration_s, packets_c2s, packets_s2c, wire_bytes_c2s, wire_bytes_s2c, payload_bytes_c2s, payload_bytes_s2c, unique_bytes_c2s, unique_bytes_s2c, retrans_bytes_c2s, retrans_bytes_s2c, resets_by_client, resets_by_server, fin_c2s, fin_s2c, syn_seen, client_mss, server_mss, client_wscale, server_wscale, zero_windows_by_client, zero_windows_by_server, handshake_rtt_ms, unacked_bytes_c2s, unacked_bytes_s2c, resumed
WITH p AS (
    SELECT frame_number, timestamp, vlan_id, ip_proto, src_ip, dst_ip, src_port, dst_port,
           tcp_flags, tcp_seq, tcp_ack, tcp_window, tcp_mss, tcp_wscale,
           coalesce(payload_len, 0) AS payload_len, wire_len,
           CASE WHEN ip_version = 6 THEN '[' || src_ip || ']:' || src_port
                ELSE src_ip || ':' || src_port END AS src_ep,
           CASE WHEN ip_version = 6 THEN '[' || dst_ip || ']:' || dst_port
                ELSE dst_ip || ':' || dst_port END AS dst_ep
    FROM packets
    WHERE ip_proto IN (6, 17) AND src_port IS NOT NULL
),
k AS (
    SELECT *, least(src_ep, dst_ep) AS ep_a, greatest(src_ep, dst_ep) AS ep_b FROM p
),
roles AS (
    SELECT ip_proto, ep_a, ep_b,
        arg_min(src_ep, frame_number) FILTER (WHERE ip_proto = 6 AND (tcp_flags & 18) = 2)  AS syn_client,
        arg_min(dst_ep, frame_number) FILTER (WHERE ip_proto = 6 AND (tcp_flags & 18) = 18) AS synack_client,
        -- no handshake seen: the endpoint with the higher port is the client (servers listen on
        -- the lower, well-known port); the first sender breaks a tie
        arg_min(CASE WHEN src_port > dst_port THEN src_ep
                     WHEN src_port < dst_port THEN dst_ep ELSE src_ep END, frame_number) AS port_client
    FROM k GROUP BY ALL
),
d AS (
    SELECT k.*,
        coalesce(r.syn_client, r.synack_client, r.port_client) AS client_ep,
        k.src_ep = coalesce(r.syn_client, r.synack_client, r.port_client) AS c2s,
        r.syn_client IS NOT NULL OR r.synack_client IS NOT NULL AS syn_seen
    FROM k JOIN roles r USING (ip_proto, ep_a, ep_b)
),
-- TCP sequence numbers relative to each direction's first one, unwrapped past 4 GiB so the
-- span of sequence space (unique bytes) stays right on long live migrations
rel AS (
    SELECT *,
        ((tcp_seq::BIGINT - first_value(tcp_seq::BIGINT) OVER w) % 4294967296 + 4294967296)
            % 4294967296 AS rseq
    FROM d WHERE ip_proto = 6
    WINDOW w AS (PARTITION BY ep_a, ep_b, c2s ORDER BY frame_number)
),
stepped AS (
    SELECT *, rseq - lag(rseq) OVER (PARTITION BY ep_a, ep_b, c2s ORDER BY frame_number) AS step
    FROM rel
),
unwrapped AS (
    SELECT *, rseq + 4294967296 * (sum(CASE WHEN step < -2147483648 THEN 1
                                            WHEN step > 2147483648 THEN -1 ELSE 0 END)
                                    OVER (PARTITION BY ep_a, ep_b, c2s ORDER BY frame_number
                                          ROWS UNBOUNDED PRECEDING))::BIGINT AS aseq
    FROM stepped
),
spans AS (
    SELECT ep_a, ep_b, c2s,
           coalesce(max(aseq + payload_len) FILTER (WHERE payload_len > 0)
                    - min(aseq) FILTER (WHERE payload_len > 0), 0) AS unique_bytes,
           max(aseq + payload_len) FILTER (WHERE payload_len > 0) AS seq_end
    FROM unwrapped GROUP BY ALL
),
-- acknowledgements in the sequence space of the direction they acknowledge, unwrapped the same
-- way: how far each direction's data was acknowledged by the end
isn AS (
    SELECT ep_a, ep_b, c2s, arg_min(tcp_seq::BIGINT, frame_number) AS isn
    FROM d WHERE ip_proto = 6 GROUP BY ALL
),
acks AS (
    SELECT d.ep_a, d.ep_b, NOT d.c2s AS acked_dir, d.frame_number,
           ((d.tcp_ack::BIGINT - i.isn) % 4294967296 + 4294967296) % 4294967296 AS rack
    FROM d JOIN isn i ON i.ep_a = d.ep_a AND i.ep_b = d.ep_b AND i.c2s = NOT d.c2s
    WHERE d.ip_proto = 6 AND (d.tcp_flags & 16) = 16
),
acks_stepped AS (
    SELECT *, rack - lag(rack) OVER (PARTITION BY ep_a, ep_b, acked_dir ORDER BY frame_number) AS step
    FROM acks
),
acked AS (
    SELECT ep_a, ep_b, acked_dir AS c2s,
           max(rack + 4294967296 * wraps) AS ack_end
    FROM (
        SELECT *, (sum(CASE WHEN step < -2147483648 THEN 1 WHEN step > 2147483648 THEN -1 ELSE 0 END)
                       OVER (PARTITION BY ep_a, ep_b, acked_dir ORDER BY frame_number
                             ROWS UNBOUNDED PRECEDING))::BIGINT AS wraps
        FROM acks_stepped
    )
    GROUP BY ALL
),
-- the handshake's last ACK: the client's earliest pure ACK captured after the server's first
-- SYN-ACK (in frame order, so one pass over the frames can tell; by timestamp it could be any
-- earlier frame whenever a later SYN-ACK carries an earlier time)
hs AS (
    SELECT ep_a, ep_b,
        min(timestamp) FILTER (WHERE c2s AND (tcp_flags & 18) = 2)          AS syn_ts,
        min(frame_number) FILTER (WHERE NOT c2s AND (tcp_flags & 18) = 18)  AS synack_frame
    FROM d WHERE ip_proto = 6 GROUP BY ALL
),
hs_ack AS (
    SELECT d.ep_a, d.ep_b, min(d.timestamp) AS ack_ts
    FROM d JOIN hs USING (ep_a, ep_b)
    WHERE d.ip_proto = 6 AND d.c2s AND (d.tcp_flags & 18) = 16 AND d.frame_number > hs.synack_frame
    GROUP BY ALL
),
agg AS (
    SELECT ip_proto, ep_a, ep_b, any_value(client_ep) AS client_ep, bool_or(syn_seen) AS syn_seen,
        arg_min(vlan_id, frame_number) FILTER (WHERE vlan_id IS NOT NULL) AS vlan,
        min(timestamp) AS start_ts, max(timestamp) AS end_ts,
        count(*) FILTER (WHERE c2s) AS packets_c2s,
        count(*) FILTER (WHERE NOT c2s) AS packets_s2c,
        coalesce(sum(wire_len) FILTER (WHERE c2s), 0)::BIGINT AS wire_bytes_c2s,
        coalesce(sum(wire_len) FILTER (WHERE NOT c2s), 0)::BIGINT AS wire_bytes_s2c,
        coalesce(sum(payload_len) FILTER (WHERE c2s), 0)::BIGINT AS payload_bytes_c2s,
        coalesce(sum(payload_len) FILTER (WHERE NOT c2s), 0)::BIGINT AS payload_bytes_s2c,
        count(*) FILTER (WHERE c2s AND (tcp_flags & 4) = 4) AS resets_by_client,
        count(*) FILTER (WHERE NOT c2s AND (tcp_flags & 4) = 4) AS resets_by_server,
        count(*) FILTER (WHERE c2s AND (tcp_flags & 1) = 1) AS fin_c2s,
        count(*) FILTER (WHERE NOT c2s AND (tcp_flags & 1) = 1) AS fin_s2c,
        max(tcp_mss) FILTER (WHERE c2s AND (tcp_flags & 2) = 2) AS client_mss,
        max(tcp_mss) FILTER (WHERE NOT c2s AND (tcp_flags & 2) = 2) AS server_mss,
        max(tcp_wscale) FILTER (WHERE c2s AND (tcp_flags & 2) = 2) AS client_wscale,
        max(tcp_wscale) FILTER (WHERE NOT c2s AND (tcp_flags & 2) = 2) AS server_wscale,
        count(*) FILTER (WHERE c2s AND tcp_window = 0 AND (tcp_flags & 7) = 0) AS zero_windows_by_client,
        count(*) FILTER (WHERE NOT c2s AND tcp_window = 0 AND (tcp_flags & 7) = 0) AS zero_windows_by_server,
        any_value(CASE WHEN c2s THEN src_ip ELSE dst_ip END) AS client_ip,
        any_value(CASE WHEN c2s THEN src_port ELSE dst_port END) AS client_port,
        any_value(CASE WHEN c2s THEN dst_ip ELSE src_ip END) AS server_ip,
        any_value(CASE WHEN c2s THEN dst_port ELSE src_port END) AS server_port,
        any_value(CASE WHEN c2s THEN dst_ep ELSE src_ep END) AS server_ep
    FROM d GROUP BY ALL
)
SELECT
    row_number() OVER (ORDER BY a.start_ts NULLS LAST, a.ep_a, a.ep_b, a.ip_proto)::BIGINT AS flow_id,
    CASE a.ip_proto WHEN 6 THEN 'tcp' ELSE 'udp' END AS proto,
    CASE
        WHEN a.ip_proto = 6 AND a.server_port = 6600 THEN 'live-migration-tcp'
        WHEN a.ip_proto = 6 AND a.server_port = 445 THEN 'smb'
        WHEN a.ip_proto = 6 AND a.server_port = 5445 THEN 'smb-direct-iwarp'
        WHEN a.ip_proto = 17 AND (a.server_port = 4791 OR a.client_port = 4791) THEN 'roce-v2'
        WHEN a.ip_proto = 17 AND (a.server_port = 3343 OR a.client_port = 3343) THEN 'cluster-heartbeat'
        ELSE 'other'
    END AS class,
    a.client_ep AS client, a.server_ep AS server,
    a.client_ip, a.client_port, a.server_ip, a.server_port, a.vlan,
    epoch_ns(a.start_ts) AS start_ns, epoch_ns(a.end_ts) AS end_ns,
    (epoch_ns(a.end_ts) - epoch_ns(a.start_ts)) / 1e9 AS duration_s,
    a.packets_c2s, a.packets_s2c, a.wire_bytes_c2s, a.wire_bytes_s2c,
    a.payload_bytes_c2s, a.payload_bytes_s2c,
    CASE WHEN a.ip_proto = 6 THEN coalesce(sc.unique_bytes, 0) ELSE a.payload_bytes_c2s END AS unique_bytes_c2s,
    CASE WHEN a.ip_proto = 6 THEN coalesce(ss.unique_bytes, 0) ELSE a.payload_bytes_s2c END AS unique_bytes_s2c,
    CASE WHEN a.ip_proto = 6 THEN greatest(a.payload_bytes_c2s - coalesce(sc.unique_bytes, 0), 0) ELSE 0 END AS retrans_bytes_c2s,
    CASE WHEN a.ip_proto = 6 THEN greatest(a.payload_bytes_s2c - coalesce(ss.unique_bytes, 0), 0) ELSE 0 END AS retrans_bytes_s2c,
    a.resets_by_client, a.resets_by_server, a.fin_c2s, a.fin_s2c, a.syn_seen,
    a.client_mss, a.server_mss, a.client_wscale, a.server_wscale,
    a.zero_windows_by_client, a.zero_windows_by_server,
    round((epoch_ns(ha.ack_ts) - epoch_ns(h.syn_ts)) / 1e6, 3) AS handshake_rtt_ms,
    CASE WHEN a.ip_proto = 6 AND sc.seq_end IS NOT NULL
         THEN greatest(sc.seq_end - coalesce(ac.ack_end, 0), 0) ELSE 0 END AS unacked_bytes_c2s,
    CASE WHEN a.ip_proto = 6 AND ss.seq_end IS NOT NULL
         THEN greatest(ss.seq_end - coalesce(as_.ack_end, 0), 0) ELSE 0 END AS unacked_bytes_s2c,
    -- one row per flow here: the scan writes a flow out early only past its bounds
    false AS resumed
FROM agg a
LEFT JOIN spans sc ON sc.ep_a = a.ep_a AND sc.ep_b = a.ep_b AND sc.c2s AND a.ip_proto = 6
LEFT JOIN spans ss ON ss.ep_a = a.ep_a AND ss.ep_b = a.ep_b AND NOT ss.c2s AND a.ip_proto = 6
LEFT JOIN hs h ON h.ep_a = a.ep_a AND h.ep_b = a.ep_b AND a.ip_proto = 6
LEFT JOIN hs_ack ha ON ha.ep_a = a.ep_a AND ha.ep_b = a.ep_b AND a.ip_proto = 6
LEFT JOIN acked ac ON ac.ep_a = a.ep_a AND ac.ep_b = a.ep_b AND ac.c2s AND a.ip_proto = 6
LEFT JOIN acked as_ ON as_.ep_a = a.ep_a AND as_.ep_b = a.ep_b AND NOT as_.c2s AND a.ip_proto = 6
ORDER BY flow_id;
