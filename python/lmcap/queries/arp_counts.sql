-- answers: ARP totals: requests, replies, gratuitous ARP (sender IP = target IP, request or reply form), probes (request from 0.0.0.0), RARP, and the hosts (sender MACs) involved.
-- reads: arp
-- columns: frames, requests, replies, gratuitous, gratuitous_requests, gratuitous_replies, probes, rarp, senders, first_ns, last_ns
SELECT
    count(*)                                                  AS frames,
    count(*) FILTER (WHERE opcode = 1)                        AS requests,
    count(*) FILTER (WHERE opcode = 2)                        AS replies,
    count(*) FILTER (WHERE gratuitous)                        AS gratuitous,
    count(*) FILTER (WHERE gratuitous AND opcode = 1)         AS gratuitous_requests,
    count(*) FILTER (WHERE gratuitous AND opcode = 2)         AS gratuitous_replies,
    count(*) FILTER (WHERE probe)                             AS probes,
    count(*) FILTER (WHERE opcode IN (3, 4))                  AS rarp,
    count(DISTINCT sender_mac)                                AS senders,
    min(epoch_ns("timestamp"))                                AS first_ns,
    max(epoch_ns("timestamp"))                                AS last_ns
FROM arp;
