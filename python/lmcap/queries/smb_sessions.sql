-- answers: Per SMB session (non-zero session id): the dialect (from the NEGOTIATE response on the connection where the session was set up, else on any connection of the session), whether it was established (a successful SESSION_SETUP response, or other commands under the id: set up before the capture began), the last SESSION_SETUP status, whether the server asked for encryption, how many SESSION_SETUP requests bound a further connection to it (binding flag), on how many connections (channels) and server addresses it appeared, its messages, SMB bytes, READ/WRITE data and span.
-- reads: smb_pdus
-- with: smb_message_endpoints
-- columns: session_id, session_id_hex, dialect, dialect_name, established, setup_status, encrypt_data, setup_client, setup_server, binding_requests, channels, server_addresses, messages, smb_bytes, read_bytes, write_bytes, encrypted_messages, first_frame, first_ns, last_ns
WITH k AS (SELECT * FROM smb_message_endpoints),
-- the dialect a connection settled on: its last NEGOTIATE response (a multi-protocol SMB1
-- negotiate is answered with 2.???, then the SMB2 NEGOTIATE picks the real dialect)
neg AS (
    SELECT ep_a, ep_b, arg_max(dialect, frame_number) AS dialect,
           arg_max(dialect_name, frame_number) AS dialect_name
    FROM k
    WHERE protocol = 'smb2' AND command_name = 'negotiate' AND is_response AND dialect IS NOT NULL
    GROUP BY ALL
),
s AS (SELECT * FROM k WHERE session_id IS NOT NULL AND session_id <> 0),
-- where the session was set up: its first SESSION_SETUP that does not bind a further channel
setup AS (
    SELECT session_id,
        arg_min(ep_a, frame_number) AS ep_a, arg_min(ep_b, frame_number) AS ep_b,
        arg_min(CASE WHEN is_response THEN dst_ep ELSE src_ep END, frame_number) AS setup_client,
        arg_min(CASE WHEN is_response THEN src_ep ELSE dst_ep END, frame_number) AS setup_server
    FROM s
    WHERE command_name = 'session_setup' AND coalesce(binding, false) = false
    GROUP BY ALL
),
any_neg AS (
    SELECT s.session_id, arg_min(n.dialect, s.frame_number) AS dialect,
           arg_min(n.dialect_name, s.frame_number) AS dialect_name
    FROM s JOIN neg n USING (ep_a, ep_b) GROUP BY ALL
),
agg AS (
    SELECT session_id,
        bool_or(command_name = 'session_setup' AND is_response AND status = 0)
            OR bool_or(protocol = 'smb2_encrypted')
            OR bool_or(command_name IS NOT NULL AND command_name NOT IN ('negotiate', 'session_setup'))
            AS established,
        arg_max(status, frame_number) FILTER (WHERE command_name = 'session_setup' AND is_response) AS setup_status,
        bool_or((session_flags & 4) <> 0) FILTER (WHERE command_name = 'session_setup' AND is_response AND status = 0) AS encrypt_data,
        count(*) FILTER (WHERE command_name = 'session_setup' AND NOT is_response AND binding) AS binding_requests,
        count(DISTINCT (ep_a, ep_b)) AS channels,
        count(DISTINCT CASE WHEN is_response THEN src_ip WHEN NOT is_response THEN dst_ip
                            WHEN dst_port IN (445, 139) THEN dst_ip ELSE src_ip END) AS server_addresses,
        count(*) AS messages,
        coalesce(sum(message_length) FILTER (WHERE compound_index = 0), 0)::BIGINT AS smb_bytes,
        coalesce(sum(data_length) FILTER (WHERE command_name = 'read' AND is_response), 0)::BIGINT AS read_bytes,
        coalesce(sum(data_length) FILTER (WHERE command_name = 'write' AND NOT is_response), 0)::BIGINT AS write_bytes,
        count(*) FILTER (WHERE protocol = 'smb2_encrypted') AS encrypted_messages,
        min(frame_number) AS first_frame,
        epoch_ns(min(timestamp)) AS first_ns, epoch_ns(max(timestamp)) AS last_ns
    FROM s GROUP BY ALL
)
SELECT a.session_id, printf('0x%016x', a.session_id) AS session_id_hex,
    coalesce(n.dialect, an.dialect) AS dialect,
    coalesce(n.dialect_name, an.dialect_name) AS dialect_name,
    a.established,
    CASE WHEN a.setup_status IS NOT NULL THEN printf('0x%08x', a.setup_status) END AS setup_status,
    a.encrypt_data, su.setup_client, su.setup_server,
    a.binding_requests, a.channels, a.server_addresses, a.messages, a.smb_bytes,
    a.read_bytes, a.write_bytes, a.encrypted_messages, a.first_frame, a.first_ns, a.last_ns
FROM agg a
LEFT JOIN setup su USING (session_id)
LEFT JOIN neg n ON n.ep_a = su.ep_a AND n.ep_b = su.ep_b
LEFT JOIN any_neg an USING (session_id)
ORDER BY a.first_frame;
