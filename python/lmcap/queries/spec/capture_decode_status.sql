-- answers: How far did decoding get: frames per decode_status (ok, truncated_<layer>, unknown_ethertype, bad_...)?
-- reads: packets
-- columns: decode_status, frames
SELECT decode_status::VARCHAR AS decode_status, count(*) AS frames
FROM packets
GROUP BY ALL
ORDER BY frames DESC, decode_status;
