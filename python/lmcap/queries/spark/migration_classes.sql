-- answers: Per capture and flow class (live-migration-tcp, smb, ...): how many flows, their frames, wire and payload bytes, retransmitted bytes and the longest flow: which captures hold live migrations, and over which transport?
-- reads: flows (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, class, flows, packets, wire_bytes, payload_bytes, retrans_bytes, longest_s
SELECT
    capture, class,
    count(*)                                                        AS flows,
    sum(packets_c2s + packets_s2c)                                  AS packets,
    sum(wire_bytes_c2s + wire_bytes_s2c)                            AS wire_bytes,
    sum(payload_bytes_c2s + payload_bytes_s2c)                      AS payload_bytes,
    sum(retrans_bytes_c2s + retrans_bytes_s2c)                      AS retrans_bytes,
    max(duration_s)                                                 AS longest_s
FROM flows
GROUP BY capture, class
ORDER BY capture, wire_bytes DESC, class;
