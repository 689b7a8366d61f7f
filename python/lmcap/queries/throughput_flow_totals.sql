-- answers: Per flow class (in the order of each class's first flow): how many flows, and over its TCP connections how many handshakes were seen and how many payload bytes, retransmitted bytes, resets and zero windows they carried. The counts of the throughput and tcp sections, without fetching every flow.
-- reads: flows
-- columns: class, flows, tcp_connections, handshakes_seen, payload_bytes, retransmitted_bytes, resets, zero_windows
SELECT
    class,
    count(*)                                                                AS flows,
    count(*) FILTER (WHERE proto = 'tcp')                                   AS tcp_connections,
    count(*) FILTER (WHERE proto = 'tcp' AND syn_seen)                      AS handshakes_seen,
    coalesce(sum(payload_bytes_c2s + payload_bytes_s2c)
             FILTER (WHERE proto = 'tcp'), 0)::BIGINT                       AS payload_bytes,
    coalesce(sum(retrans_bytes_c2s + retrans_bytes_s2c)
             FILTER (WHERE proto = 'tcp'), 0)::BIGINT                       AS retransmitted_bytes,
    coalesce(sum(resets_by_client + resets_by_server)
             FILTER (WHERE proto = 'tcp'), 0)::BIGINT                       AS resets,
    coalesce(sum(zero_windows_by_client + zero_windows_by_server)
             FILTER (WHERE proto = 'tcp'), 0)::BIGINT                       AS zero_windows
FROM flows
GROUP BY class
ORDER BY min(flow_id);
