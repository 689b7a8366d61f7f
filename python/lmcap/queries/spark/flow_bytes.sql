-- answers: Per capture and flow (TCP connection or UDP flow): its class, endpoints, VLAN, span, frames and wire, payload and retransmitted bytes both ways, and its mean rate on the wire over its span; the biggest first.
-- reads: flows (of an exported dataset: lmcap.spark.register or lmcap.dataset.connect)
-- columns: capture, flow_id, proto, class, client, server, vlan, start_ns, end_ns, packets, wire_bytes, payload_bytes, retrans_bytes, mean_bps
SELECT
    capture, flow_id, proto, class, client, server, vlan, start_ns, end_ns,
    packets_c2s + packets_s2c                                       AS packets,
    wire_bytes_c2s + wire_bytes_s2c                                 AS wire_bytes,
    payload_bytes_c2s + payload_bytes_s2c                           AS payload_bytes,
    retrans_bytes_c2s + retrans_bytes_s2c                           AS retrans_bytes,
    CASE WHEN end_ns > start_ns
         THEN round((wire_bytes_c2s + wire_bytes_s2c) * 8 * 1e9 / (end_ns - start_ns)) END
                                                                    AS mean_bps
FROM flows
ORDER BY wire_bytes DESC, capture, flow_id;
