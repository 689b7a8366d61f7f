-- answers: How far did decoding get: frames per decode_status (ok, truncated_<layer>, unknown_ethertype, bad_...)?
-- reads: scan_settings (every frame counted per decode_status in the scan: the detail frames keep only a sample of the frames nothing was decoded from, such as empty records) (its specification over packets: queries/spec/capture_decode_status.sql)
-- columns: decode_status, frames
SELECT c.decode_status, c.frames::BIGINT AS frames
FROM (SELECT unnest(decode_status_frames) AS c FROM scan_settings)
ORDER BY c.frames DESC, c.decode_status;
