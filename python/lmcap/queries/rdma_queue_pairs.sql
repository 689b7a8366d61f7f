-- answers: Which RDMA queue pairs (RoCE) and iWARP connections carried data, how much, how fast, and with which congestion signals (ECN CE marks, congestion notification packets)?
-- reads: rdma_segments
-- columns: transport, src, dst, src_port, dst_port, dest_qp, packets, payload_bytes, write_bytes, read_bytes, send_bytes, start_ns, end_ns, duration_s, rate_bps, ce_marked, cnps, smbd_messages
-- params: none
-- A RoCE queue pair is (src, dst, destination QP); the UDP source port of RoCE v2 is flow
-- entropy and may change, so it is not part of the key. An iWARP connection is its TCP
-- direction. CNPs are addressed to the QP that must slow down, so they count on its row.
WITH segments AS (
    SELECT *
    FROM rdma_segments
    WHERE status = 'ok' AND coalesce(opcode_name, '') NOT IN ('mpa_request', 'mpa_reply')
)
SELECT
    transport,
    src,
    dst,
    CASE WHEN transport = 'iwarp' THEN src_port END                          AS src_port,
    CASE WHEN transport = 'iwarp' THEN dst_port END                          AS dst_port,
    dest_qp,
    count(*)                                                                 AS packets,
    coalesce(sum(payload_len), 0)                                            AS payload_bytes,
    coalesce(sum(payload_len) FILTER (WHERE opcode_name LIKE '%rdma_write%'), 0)   AS write_bytes,
    coalesce(sum(payload_len) FILTER (WHERE opcode_name LIKE '%read_response%'), 0) AS read_bytes,
    coalesce(sum(payload_len) FILTER (WHERE opcode_name LIKE '%send%'), 0)   AS send_bytes,
    epoch_ns(min(timestamp))                                                 AS start_ns,
    epoch_ns(max(timestamp))                                                 AS end_ns,
    (epoch_ns(max(timestamp)) - epoch_ns(min(timestamp))) / 1e9              AS duration_s,
    CASE WHEN epoch_ns(max(timestamp)) > epoch_ns(min(timestamp))
         THEN coalesce(sum(payload_len), 0) * 8 * 1e9
              / (epoch_ns(max(timestamp)) - epoch_ns(min(timestamp))) END    AS rate_bps,
    count(*) FILTER (WHERE ecn = 3)                                          AS ce_marked,
    count(*) FILTER (WHERE is_cnp)                                           AS cnps,
    count(smbd_kind)                                                         AS smbd_messages
FROM segments
GROUP BY ALL
ORDER BY payload_bytes DESC, transport, src, dst, dest_qp, src_port
