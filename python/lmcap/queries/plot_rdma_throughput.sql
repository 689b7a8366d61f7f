-- answers: What each RDMA queue pair (RoCE: source, destination, destination QP; iWARP: the TCP direction) carried over time, for a plot: payload bits/s per $bucket_ns bucket, ranked by its payload bytes (series_rank 1 is the biggest), busy buckets only; the same keys as rdma_queue_pairs.
-- reads: rdma_segments
-- params: bucket_ns
-- columns: series_rank, transport, src, dst, src_port, dst_port, dest_qp, bucket_start_ns, bps
WITH segments AS (
    SELECT
        transport, src, dst,
        CASE WHEN transport = 'iwarp' THEN src_port END AS src_port,
        CASE WHEN transport = 'iwarp' THEN dst_port END AS dst_port,
        dest_qp,
        epoch_ns("timestamp") // $bucket_ns * $bucket_ns AS bucket_start_ns,
        coalesce(payload_len, 0) AS payload_len
    FROM rdma_segments
    WHERE status = 'ok' AND coalesce(opcode_name, '') NOT IN ('mpa_request', 'mpa_reply')
      AND "timestamp" IS NOT NULL
),
buckets AS (
    SELECT transport, src, dst, src_port, dst_port, dest_qp, bucket_start_ns,
           sum(payload_len) AS bytes
    FROM segments GROUP BY ALL
),
ranked AS (
    SELECT transport, src, dst, src_port, dst_port, dest_qp,
           row_number() OVER (ORDER BY sum(bytes) DESC, transport, src, dst, dest_qp, src_port)
               AS series_rank
    FROM buckets GROUP BY transport, src, dst, src_port, dst_port, dest_qp
)
SELECT r.series_rank, b.transport, b.src, b.dst, b.src_port, b.dst_port, b.dest_qp,
       b.bucket_start_ns, b.bytes * 8 * 1e9 / $bucket_ns AS bps
FROM buckets b
JOIN ranked r
  ON r.transport = b.transport AND r.src = b.src AND r.dst = b.dst
 AND r.src_port IS NOT DISTINCT FROM b.src_port AND r.dst_port IS NOT DISTINCT FROM b.dst_port
 AND r.dest_qp IS NOT DISTINCT FROM b.dest_qp
ORDER BY r.series_rank, b.bucket_start_ns;
