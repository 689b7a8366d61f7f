-- answers: Which frames gave nothing to decode: records that hold no bytes, frames of a link type or pcapng interface lmcap does not know, bytes that end inside the link header? Per such decode_status: its frames and the first 20 frame numbers.
-- reads: scan_settings (every frame counted per decode_status in the scan), detail_frames (the first 20 such frames of each status in each chunk are kept) (its specification over packets: queries/spec/capture_undecoded_frames.sql)
-- columns: decode_status, frames, first_frames
WITH counts AS (
    SELECT c.decode_status, c.frames
    FROM (SELECT unnest(decode_status_frames) AS c FROM scan_settings)
    -- the statuses of a frame nothing was read from: declared here only
    WHERE c.decode_status IN ('empty_frame', 'unknown_link_type', 'unknown_interface',
                              'truncated_link', 'truncated_ethernet')
),
firsts AS (
    SELECT decode_status::VARCHAR AS decode_status,
           list(frame_number ORDER BY frame_number)[1:20] AS first_frames
    FROM detail_frames
    WHERE decode_status::VARCHAR IN (SELECT decode_status FROM counts)
    GROUP BY ALL
)
SELECT c.decode_status, c.frames::BIGINT AS frames, coalesce(f.first_frames, []) AS first_frames
FROM counts c LEFT JOIN firsts f USING (decode_status)
ORDER BY frames DESC, decode_status;
