-- answers: How fast were frames flooded over time, by kind (broadcast, unregistered multicast, link-local multicast, NLB cluster MACs): frames per second in each $bucket_ns bucket, busy buckets only.
-- reads: flooded_frames, analysis_window (frames stamped outside it are left out)
-- params: bucket_ns
-- columns: kind, bucket_start_ns, frames, fps
SELECT
    kind,
    time_ns // $bucket_ns * $bucket_ns      AS bucket_start_ns,
    count(*)                                AS frames,
    count(*) * 1e9 / $bucket_ns             AS fps
FROM flooded_frames, analysis_window w
WHERE time_ns BETWEEN w.start_ns AND w.end_ns
GROUP BY ALL
ORDER BY kind, bucket_start_ns;
