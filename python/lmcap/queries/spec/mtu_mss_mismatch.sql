-- answers: Which TCP peers advertise MSS values from different MTU worlds (one above $standard_mtu - 40 = 1460 by default: a jumbo MTU; the other at most that: standard), and what sizes did each side actually send?
-- reads: packets (SYN and SYN-ACK MSS options; sizes of every frame between the two hosts)
-- params: standard_mtu
-- columns: jumbo_host, standard_host, jumbo_mss, standard_mss, connections, first_frame, jumbo_host_max_l3_len, standard_host_max_l3_len
WITH syn AS (
    SELECT src_ip, dst_ip, src_port, dst_port, tcp_mss, frame_number,
           (tcp_flags & 18) = 18 AS is_synack
    FROM packets
    WHERE ip_proto = 6 AND (tcp_flags & 2) = 2 AND tcp_mss IS NOT NULL
),
conn AS (
    SELECT c.src_ip AS client, c.dst_ip AS server, c.src_port, c.dst_port,
           max(c.tcp_mss) AS client_mss, max(s.tcp_mss) AS server_mss, min(c.frame_number) AS frame
    FROM syn c JOIN syn s
      ON NOT c.is_synack AND s.is_synack
     AND s.src_ip = c.dst_ip AND s.dst_ip = c.src_ip
     AND s.src_port = c.dst_port AND s.dst_port = c.src_port
    GROUP BY ALL
),
split AS (
    SELECT
        -- 40: IPv4 and TCP headers without options, what an MSS leaves out of the MTU
        CASE WHEN client_mss > $standard_mtu - 40 THEN client ELSE server END AS jumbo_host,
        CASE WHEN client_mss > $standard_mtu - 40 THEN server ELSE client END AS standard_host,
        greatest(client_mss, server_mss) AS jumbo_mss,
        least(client_mss, server_mss) AS standard_mss,
        frame
    FROM conn
    WHERE (client_mss > $standard_mtu - 40) <> (server_mss > $standard_mtu - 40)
),
sizes AS (
    SELECT src_ip, dst_ip, max(l3_len) AS max_l3_len FROM packets WHERE src_ip IS NOT NULL GROUP BY ALL
)
SELECT
    jumbo_host, standard_host, max(jumbo_mss) AS jumbo_mss, min(standard_mss) AS standard_mss,
    count(*) AS connections, min(frame) AS first_frame,
    max(a.max_l3_len) AS jumbo_host_max_l3_len, max(b.max_l3_len) AS standard_host_max_l3_len
FROM split
LEFT JOIN sizes a ON a.src_ip = jumbo_host AND a.dst_ip = standard_host
LEFT JOIN sizes b ON b.src_ip = standard_host AND b.dst_ip = jumbo_host
GROUP BY jumbo_host, standard_host
ORDER BY first_frame;
