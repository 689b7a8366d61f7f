-- answers: How many SMB messages of each protocol form (smb2, smb2_encrypted, smb2_compressed, smb1) and command were seen, requests and responses, error responses (status other than success, more processing required, pending, buffer overflow), messages whose headers the capture cut, and their bytes.
-- reads: smb_pdus
-- columns: protocol, command, command_name, messages, requests, responses, error_responses, truncated, bytes
SELECT protocol, command, command_name,
    count(*) AS messages,
    count(*) FILTER (WHERE is_response = false) AS requests,
    count(*) FILTER (WHERE is_response) AS responses,
    count(*) FILTER (WHERE is_response AND status NOT IN (0, 3221225494, 259, 2147483653)) AS error_responses,
    count(*) FILTER (WHERE truncated) AS truncated,
    coalesce(sum(message_length) FILTER (WHERE compound_index = 0), 0)::BIGINT AS bytes
FROM smb_pdus
GROUP BY ALL
ORDER BY protocol, messages DESC, command;
