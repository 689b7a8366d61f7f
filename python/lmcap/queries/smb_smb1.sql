-- answers: Which connections carried SMB1: per connection, the client and server, SMB1 NEGOTIATE requests (a client offering SMB1 dialects such as NT LM 0.12) and responses (a server that chose SMB1), other SMB1 messages (SMB1 in use), whether the server answered with an SMB2 NEGOTIATE instead (SMB1 offered, not used), the dialects offered, first frame and time.
-- reads: smb_pdus
-- with: smb_message_endpoints
-- columns: client, server, client_ip, server_ip, server_port, negotiate_requests, negotiate_responses, other_messages, smb2_negotiated, smb1_in_use, dialects_offered, first_frame, first_ns
WITH k AS (SELECT * FROM smb_message_endpoints),
c AS (
    SELECT ep_a, ep_b,
        arg_min(CASE WHEN is_response THEN dst_ep ELSE src_ep END, frame_number) FILTER (WHERE protocol = 'smb1') AS client,
        arg_min(CASE WHEN is_response THEN src_ep ELSE dst_ep END, frame_number) FILTER (WHERE protocol = 'smb1') AS server,
        arg_min(CASE WHEN is_response THEN dst_ip ELSE src_ip END, frame_number) FILTER (WHERE protocol = 'smb1') AS client_ip,
        arg_min(CASE WHEN is_response THEN src_ip ELSE dst_ip END, frame_number) FILTER (WHERE protocol = 'smb1') AS server_ip,
        arg_min(CASE WHEN is_response THEN src_port ELSE dst_port END, frame_number) FILTER (WHERE protocol = 'smb1') AS server_port,
        count(*) FILTER (WHERE protocol = 'smb1' AND command_name = 'negotiate' AND NOT is_response) AS negotiate_requests,
        count(*) FILTER (WHERE protocol = 'smb1' AND command_name = 'negotiate' AND is_response) AS negotiate_responses,
        count(*) FILTER (WHERE protocol = 'smb1' AND command_name IS DISTINCT FROM 'negotiate') AS other_messages,
        count(*) FILTER (WHERE protocol = 'smb2' AND command_name = 'negotiate' AND is_response) > 0 AS smb2_negotiated,
        arg_min(dialects, frame_number) FILTER (WHERE protocol = 'smb1' AND dialects IS NOT NULL) AS dialects_offered,
        min(frame_number) FILTER (WHERE protocol = 'smb1') AS first_frame,
        epoch_ns(min(timestamp) FILTER (WHERE protocol = 'smb1')) AS first_ns
    FROM k GROUP BY ALL
)
SELECT client, server, client_ip, server_ip, server_port, negotiate_requests, negotiate_responses,
    other_messages, smb2_negotiated,
    negotiate_responses > 0 OR other_messages > 0 AS smb1_in_use,
    dialects_offered, first_frame, first_ns
FROM c
WHERE first_frame IS NOT NULL
ORDER BY first_frame;
