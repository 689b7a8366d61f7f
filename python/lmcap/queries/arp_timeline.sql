-- answers: ARP over time: requests, replies, gratuitous ARP and probes per time bucket; the bucket is 1 s, widened to whole seconds so that the analysis window fits in at most 60 buckets.
-- reads: arp, analysis_window (frames stamped outside it are left out)
-- columns: bucket_start_ns, bucket_s, frames, requests, replies, gratuitous, probes
WITH span AS (
    SELECT
        min(epoch_ns(a."timestamp")) AS t0,
        greatest(1, ceil((max(epoch_ns(a."timestamp")) - min(epoch_ns(a."timestamp"))) / 1e9 / 60))::BIGINT AS w
    FROM arp a
    JOIN analysis_window aw ON epoch_ns(a."timestamp") BETWEEN aw.start_ns AND aw.end_ns
)
SELECT
    t0 + ((epoch_ns("timestamp") - t0) // (w * 1000000000)) * w * 1000000000 AS bucket_start_ns,
    any_value(w)                                        AS bucket_s,
    count(*)                                            AS frames,
    count(*) FILTER (WHERE opcode = 1)                  AS requests,
    count(*) FILTER (WHERE opcode = 2)                  AS replies,
    count(*) FILTER (WHERE gratuitous)                  AS gratuitous,
    count(*) FILTER (WHERE probe)                       AS probes
FROM arp, span, analysis_window aw
WHERE epoch_ns("timestamp") BETWEEN aw.start_ns AND aw.end_ns
GROUP BY bucket_start_ns
ORDER BY bucket_start_ns;
