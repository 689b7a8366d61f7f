-- answers: Which frames are stamped outside the analysis window (outlying: see analysis_window.sql), when, and which TCP/UDP flow each belongs to (its start, end and duration in the flows table include the outlying frame; its rates in the report do not)? The first 20 by frame number.
-- reads: detail_frames (each hour's first frames are detail frames), flows, analysis_window
-- columns: frame_number, time_ns, src_ip, dst_ip, ip_proto, src_port, dst_port, flow_id, flow
WITH outlying AS (
    SELECT p.frame_number, epoch_ns(p."timestamp") AS time_ns, p.src_ip, p.dst_ip, p.ip_proto,
           p.src_port, p.dst_port
    FROM detail_frames p, analysis_window w
    WHERE NOT (epoch_ns(p."timestamp") BETWEEN w.start_ns AND w.end_ns)
    ORDER BY p.frame_number
    LIMIT 20
)
SELECT o.*, f.flow_id, f.client || ' -> ' || f.server AS flow
FROM outlying o
LEFT JOIN flows f
  ON o.ip_proto = CASE f.proto WHEN 'tcp' THEN 6 ELSE 17 END
 AND ((o.src_ip = f.client_ip AND o.src_port = f.client_port
       AND o.dst_ip = f.server_ip AND o.dst_port = f.server_port)
   OR (o.src_ip = f.server_ip AND o.src_port = f.server_port
       AND o.dst_ip = f.client_ip AND o.dst_port = f.client_port))
ORDER BY o.frame_number;
