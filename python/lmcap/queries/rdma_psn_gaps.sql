-- answers: On which RoCE queue pairs did packet sequence numbers jump (packets lost before the capture point) or go back (go-back-N retransmission after a loss)?
-- reads: rdma_segments
-- columns: transport, src, dst, dest_qp, packets, gaps, missing_packets, retransmitted_packets, first_gap_frame, first_gap_ns, expected_psn, seen_psn
-- params: none
-- Requests and read responses are numbered one per packet (IBA 9.7.1); read responses carry
-- the requester's PSNs, so they are a sequence of their own beside the responder's requests
-- on the same queue pair. Acknowledges repeat
-- the PSN they acknowledge and CNPs carry none, so both are left out. A READ request uses
-- one PSN per response packet: a jump after it of up to its DMA length / 256 (the smallest
-- path MTU) is not loss. PSNs are 24 bits: a step back of more than half the space is a wrap.
WITH numbered AS (
    SELECT frame_number, timestamp, transport, src, dst, dest_qp, psn::BIGINT AS psn,
           starts_with(opcode_name, 'rc_rdma_read_response') AS response,
           opcode_name, dma_length,
           lag(psn::BIGINT) OVER w   AS prev_psn,
           lag(opcode_name) OVER w   AS prev_opcode,
           lag(dma_length) OVER w    AS prev_dma_length
    FROM rdma_segments
    WHERE transport IN ('roce_v1', 'roce_v2') AND status = 'ok' AND psn IS NOT NULL
      AND NOT is_cnp AND opcode_name NOT IN ('rc_acknowledge', 'rc_atomic_acknowledge')
    WINDOW w AS (PARTITION BY transport, src, dst, dest_qp,
                              starts_with(opcode_name, 'rc_rdma_read_response')
                 ORDER BY frame_number)
), steps AS (
    SELECT *,
           (psn - prev_psn + 16777216) % 16777216 AS step
    FROM numbered
), judged AS (
    SELECT *,
           prev_psn IS NOT NULL AND step > 1 AND step < 8388608
             AND NOT (prev_opcode = 'rc_rdma_read_request'
                      AND step <= ceil(coalesce(prev_dma_length, 0) / 256.0) + 1) AS is_gap,
           prev_psn IS NOT NULL AND (step = 0 OR step >= 8388608)              AS is_back
    FROM steps
), back_runs AS (
    -- After a step back the sender resends consecutive PSNs up to where it was: every packet
    -- from the step back until the PSN passes the highest one sent before is a retransmission.
    SELECT *,
           max(CASE WHEN NOT is_back THEN psn END) OVER (
               PARTITION BY transport, src, dst, dest_qp, response ORDER BY frame_number
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)            AS highest_before
    FROM judged
)
SELECT
    transport, src, dst, dest_qp,
    count(*)                                                    AS packets,
    count(*) FILTER (WHERE is_gap)                              AS gaps,
    coalesce(sum(step - 1) FILTER (WHERE is_gap), 0)            AS missing_packets,
    count(*) FILTER (WHERE is_back OR (psn <= highest_before AND highest_before - psn < 8388608
                                       AND NOT is_gap))        AS retransmitted_packets,
    min(frame_number) FILTER (WHERE is_gap)                     AS first_gap_frame,
    epoch_ns(min(timestamp) FILTER (WHERE is_gap))              AS first_gap_ns,
    arg_min((prev_psn + 1) % 16777216, frame_number) FILTER (WHERE is_gap) AS expected_psn,
    arg_min(psn, frame_number) FILTER (WHERE is_gap)            AS seen_psn
FROM back_runs
GROUP BY ALL
HAVING count(*) FILTER (WHERE is_gap OR is_back) > 0
ORDER BY missing_packets DESC, transport, src, dst, dest_qp
