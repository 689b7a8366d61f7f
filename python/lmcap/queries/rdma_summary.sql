-- answers: How much RDMA is in the capture, by transport, and which SMB Direct messages were recognised?
-- reads: rdma_segments
-- columns: transport, segments, payload_bytes, unreadable, ce_marked, cnps, smbd_negotiate_requests, smbd_negotiate_responses, smbd_data_transfers, mpa_starts
-- params: none
SELECT
    transport,
    count(*)                                                  AS segments,
    coalesce(sum(payload_len), 0)                             AS payload_bytes,
    count(*) FILTER (WHERE status <> 'ok')                    AS unreadable,
    count(*) FILTER (WHERE ecn = 3)                           AS ce_marked,
    count(*) FILTER (WHERE is_cnp)                            AS cnps,
    count(*) FILTER (WHERE smbd_kind = 'negotiate_request')   AS smbd_negotiate_requests,
    count(*) FILTER (WHERE smbd_kind = 'negotiate_response')  AS smbd_negotiate_responses,
    count(*) FILTER (WHERE smbd_kind = 'data_transfer')       AS smbd_data_transfers,
    count(*) FILTER (WHERE opcode_name IN ('mpa_request', 'mpa_reply')) AS mpa_starts
FROM rdma_segments
GROUP BY transport
ORDER BY transport
