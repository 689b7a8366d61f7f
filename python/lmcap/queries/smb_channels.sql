-- answers: Per SMB session and TCP connection it appears on (a channel of a multichannel session): client (the side that sent requests) and server, whether the connection was bound to the session (SESSION_SETUP with the binding flag), the session's SMB messages and bytes on it, READ/WRITE data moved (READ responses, WRITE requests) and how much of it travelled inside the SMB messages over TCP (Channel 0), the connection's payload bytes and span (from `flows`), the session's mean rate on the channel (its SMB bytes over its first to last message there), and the channel's share of the session's bytes with the session's balance (busiest / least busy channel, coefficient of variation).
-- reads: smb_pdus, flows
-- with: smb_message_endpoints
-- columns: session_id, session_id_hex, client, server, client_ip, client_port, server_ip, server_port, flow_id, bound, messages, smb_bytes, read_bytes, write_bytes, tcp_io_bytes, rdma_io_requests, encrypted_messages, first_frame, first_ns, last_ns, payload_bytes_c2s, payload_bytes_s2c, bytes, start_ns, end_ns, duration_s, active_s, throughput_bps, share, session_channels, session_smb_bytes, session_max_min_ratio, session_cov
WITH k AS (SELECT * FROM smb_message_endpoints),
-- the client of a connection is the side that sent requests; without any request seen, the
-- receiver of responses; without either (encrypted only), the side not on port 445/139
conn AS (
    SELECT ep_a, ep_b,
        coalesce(
            arg_min(src_ep, frame_number) FILTER (WHERE is_response = false),
            arg_min(dst_ep, frame_number) FILTER (WHERE is_response),
            arg_min(CASE WHEN dst_port IN (445, 139) THEN src_ep ELSE dst_ep END, frame_number)
        ) AS client_ep
    FROM k GROUP BY ALL
),
d AS (
    SELECT k.*, k.src_ep = c.client_ep AS c2s
    FROM k JOIN conn c USING (ep_a, ep_b)
    WHERE k.session_id IS NOT NULL AND k.session_id <> 0
),
ch AS (
    SELECT session_id, ep_a, ep_b,
        any_value(CASE WHEN c2s THEN src_ep ELSE dst_ep END) AS client,
        any_value(CASE WHEN c2s THEN dst_ep ELSE src_ep END) AS server,
        any_value(CASE WHEN c2s THEN src_ip ELSE dst_ip END) AS client_ip,
        any_value(CASE WHEN c2s THEN src_port ELSE dst_port END) AS client_port,
        any_value(CASE WHEN c2s THEN dst_ip ELSE src_ip END) AS server_ip,
        any_value(CASE WHEN c2s THEN dst_port ELSE src_port END) AS server_port,
        coalesce(bool_or(binding), false) AS bound,
        count(*) AS messages,
        -- a compound chain's length is on its first element only
        coalesce(sum(message_length) FILTER (WHERE compound_index = 0), 0)::BIGINT AS smb_bytes,
        coalesce(sum(data_length) FILTER (WHERE command_name = 'read' AND is_response), 0)::BIGINT AS read_bytes,
        coalesce(sum(data_length) FILTER (WHERE command_name = 'write' AND NOT is_response), 0)::BIGINT AS write_bytes,
        coalesce(sum(data_length) FILTER (WHERE command_name IN ('read', 'write') AND NOT is_response
                                          AND channel = 0), 0)::BIGINT AS tcp_io_bytes,
        count(*) FILTER (WHERE command_name IN ('read', 'write') AND NOT is_response AND channel > 0) AS rdma_io_requests,
        count(*) FILTER (WHERE protocol = 'smb2_encrypted') AS encrypted_messages,
        min(frame_number) AS first_frame,
        epoch_ns(min(timestamp)) AS first_ns, epoch_ns(max(timestamp)) AS last_ns
    FROM d GROUP BY ALL
),
fl AS (
    SELECT f.*, least(f.client, f.server) AS ep_a, greatest(f.client, f.server) AS ep_b
    FROM flows f WHERE f.proto = 'tcp'
),
j AS (
    SELECT ch.*, fl.flow_id, fl.payload_bytes_c2s, fl.payload_bytes_s2c,
        (fl.payload_bytes_c2s + fl.payload_bytes_s2c)::BIGINT AS bytes,
        fl.start_ns, fl.end_ns, fl.duration_s,
        -- the channel's active span for this session: its first to its last message (TCP
        -- keep-alives and idle minutes before a logoff do not dilute the rate)
        (ch.last_ns - ch.first_ns) / 1e9 AS active_s
    FROM ch
    LEFT JOIN fl USING (ep_a, ep_b)
)
SELECT session_id, printf('0x%016x', session_id) AS session_id_hex,
    client, server, client_ip, client_port, server_ip, server_port, flow_id, bound,
    messages, smb_bytes, read_bytes, write_bytes, tcp_io_bytes, rdma_io_requests,
    encrypted_messages, first_frame, first_ns, last_ns,
    payload_bytes_c2s, payload_bytes_s2c, bytes, start_ns, end_ns, duration_s,
    round(active_s, 9) AS active_s,
    CASE WHEN active_s > 0 THEN round(smb_bytes * 8 / active_s) END AS throughput_bps,
    round(smb_bytes / sum(smb_bytes) OVER s, 4) AS share,
    count(*) OVER s AS session_channels,
    sum(smb_bytes) OVER s AS session_smb_bytes,
    round(max(smb_bytes) OVER s / min(smb_bytes) OVER s, 2) AS session_max_min_ratio,
    round(stddev_pop(smb_bytes) OVER s / avg(smb_bytes) OVER s, 4) AS session_cov
FROM j
WINDOW s AS (PARTITION BY session_id)
ORDER BY session_id, first_frame;
