-- answers: How far did decoding get: frames per decode_status (ok, truncated_<layer>, unknown_ethertype, bad_...)?
-- reads: detail_frames (every frame a decoder stopped on is one), traffic (the total) (its specification over packets: queries/spec/capture_decode_status.sql)
-- columns: decode_status, frames
WITH stopped AS (
    SELECT decode_status::VARCHAR AS decode_status, count(*) AS frames
    FROM detail_frames
    WHERE decode_status::VARCHAR <> 'ok'
    GROUP BY ALL
),
ok AS (
    SELECT 'ok' AS decode_status,
           (SELECT coalesce(sum(frames), 0) FROM traffic)
           - (SELECT coalesce(sum(frames), 0) FROM stopped) AS frames
)
SELECT decode_status, frames::BIGINT AS frames
FROM (SELECT * FROM stopped UNION ALL SELECT * FROM ok WHERE frames > 0)
ORDER BY frames DESC, decode_status;
