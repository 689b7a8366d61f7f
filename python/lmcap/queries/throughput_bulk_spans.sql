-- answers: How long does each bulk transfer last inside the analysis window: the flows that moved at least $bulk_min_bytes of payload in one direction at a mean rate over their span of at least $bulk_min_bps? lmcap analyze chooses its throughput bucket from the shortest, so that every bulk transfer spans enough buckets for its spread to mean something.
-- reads: flows, analysis_window (a flow's span is clipped to it)
-- params: bulk_min_bytes, bulk_min_bps
-- columns: flow_id, class, client, server, span_ns, payload_bytes
WITH spans AS (
    SELECT f.flow_id, f.class, f.client, f.server,
           least(f.end_ns, w.end_ns) - greatest(f.start_ns, w.start_ns) AS span_ns,
           greatest(f.payload_bytes_c2s, f.payload_bytes_s2c) AS payload_bytes
    FROM flows f, analysis_window w
    WHERE greatest(f.payload_bytes_c2s, f.payload_bytes_s2c) >= $bulk_min_bytes
)
SELECT flow_id, class, client, server, span_ns, payload_bytes
FROM spans
WHERE span_ns > 0 AND payload_bytes * 8 * 1e9 / span_ns >= $bulk_min_bps
ORDER BY span_ns, flow_id;
