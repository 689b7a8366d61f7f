-- answers: Which frames gave nothing to decode: records that hold no bytes, frames of a link type or pcapng interface lmcap does not know, bytes that end inside the link header? Per such decode_status: its frames and the first 20 frame numbers.
-- reads: packets
-- columns: decode_status, frames, first_frames
SELECT decode_status::VARCHAR AS decode_status, count(*)::BIGINT AS frames,
       list(frame_number ORDER BY frame_number)[1:20] AS first_frames
FROM packets
WHERE decode_status::VARCHAR IN ('empty_frame', 'unknown_link_type', 'unknown_interface',
                                 'truncated_link', 'truncated_ethernet')
GROUP BY ALL
ORDER BY frames DESC, decode_status;
