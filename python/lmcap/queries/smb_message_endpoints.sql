-- answers: Every SMB message (a row of smb_pdus) with its two endpoints as text (address:port, an IPv6 address in brackets) and its connection as that pair in sorted order (ep_a, ep_b), the same whichever way the message went. The fragment the SMB queries share: smb_channels, smb_sessions and smb_smb1 name it in their `with` line and read it as a CTE of that name.
-- reads: smb_pdus
-- columns: frame_number, timestamp, src_ip, src_port, dst_ip, dst_port, protocol, message_length, compound_index, truncated, is_response, command, command_name, status, flags, message_id, async_id, tree_id, session_id, credit_charge, credits, dialect, dialect_name, dialects, capabilities, security_mode, session_setup_flags, binding, session_flags, ioctl_code, data_length, file_offset, channel, share_type, tree_path, inner_size, src_ep, dst_ep, ep_a, ep_b
WITH m AS (
    SELECT *,
        CASE WHEN contains(src_ip, ':') THEN '[' || src_ip || ']:' || src_port
             ELSE src_ip || ':' || src_port END AS src_ep,
        CASE WHEN contains(dst_ip, ':') THEN '[' || dst_ip || ']:' || dst_port
             ELSE dst_ip || ':' || dst_port END AS dst_ep
    FROM smb_pdus
)
SELECT *, least(src_ep, dst_ep) AS ep_a, greatest(src_ep, dst_ep) AS ep_b FROM m;
