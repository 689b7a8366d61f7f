-- answers: How each MAC claims each IPv4 address in ARP (sender hardware and protocol address), by kind of claim: broadcast requests and gratuitous announcements (how a host speaks for its own address), replies that answer a request for that address from the reply's target within arp_reply_window_s (solicited: a host or a router answering for its own or its secondary addresses), and the kinds an ARP poisoner uses: replies nobody asked for (unsolicited, not gratuitous) and requests sent to one host's unicast MAC instead of broadcast (directed). A reply within arp_reply_window_s of the start of the analysis window counts as solicited (its request may precede the capture). Probes from 0.0.0.0 and NLB cluster MACs (02:bf, 03:bf, 01:00:5e:7f; reported under nlb) are left out. Per claim: the victims (targets of unsolicited replies and directed requests, with how many each got) and up to 20 of those frames.
-- reads: arp, analysis_window
-- spec: the correlated version of arp_claims_by_kind (EXISTS over the requests for each reply: 3.5 s on the 8 GiB bench capture's 477 k unsolicited replies); tests/test_evidence.py checks the shipped query against it
-- params: arp_reply_window_s
-- columns: mac, vlan, ip, claims, broadcast_requests, gratuitous, solicited_replies, unsolicited_replies, directed_requests, victims, max_replies_to_one_target, suspicious_frames, first_ns, last_ns, first_frame
WITH a AS (
    SELECT *, epoch_ns("timestamp") AS ns FROM arp
    WHERE opcode IN (1, 2)
      AND sender_ip <> '0.0.0.0'
      AND sender_mac NOT IN ('00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff')
),
start AS (SELECT coalesce(start_ns, (SELECT min(ns) FROM a)) AS ns0 FROM analysis_window),
requests AS (
    SELECT sender_ip, sender_mac, target_ip, vlan_id, ns FROM a WHERE opcode = 1 AND NOT probe
),
classified AS (
    SELECT
        a.*,
        CASE
            WHEN a.gratuitous THEN 'gratuitous'
            -- a request to a group address (the broadcast, or a corrupted one) is not directed
            WHEN a.opcode = 1 AND (a.dst_mac IS NULL
                                   OR substr(a.dst_mac, 2, 1) NOT IN ('0', '2', '4', '6', '8', 'a', 'c', 'e'))
                THEN 'broadcast_request'
            WHEN a.opcode = 1 THEN 'directed_request'
            WHEN a.ns IS NULL OR a.ns - start.ns0 <= $arp_reply_window_s * 1e9
                OR EXISTS (
                    SELECT 1 FROM requests r
                    WHERE r.target_ip = a.sender_ip
                      AND (r.sender_ip = a.target_ip OR r.sender_mac = a.target_mac)
                      AND r.vlan_id IS NOT DISTINCT FROM a.vlan_id
                      AND r.ns <= a.ns AND a.ns - r.ns <= $arp_reply_window_s * 1e9
                ) THEN 'solicited_reply'
            ELSE 'unsolicited_reply'
        END AS kind
    FROM a, start
    WHERE NOT (starts_with(a.sender_mac, '02:bf:') OR starts_with(a.sender_mac, '03:bf:')
               OR starts_with(a.sender_mac, '01:00:5e:7f:'))
),
per_victim AS (
    SELECT sender_mac, vlan_id, sender_ip, target_ip,
           coalesce(dst_mac, target_mac) AS victim_mac,
           count(*) AS frames,
           count(*) FILTER (WHERE kind = 'unsolicited_reply') AS replies
    FROM classified
    WHERE kind IN ('unsolicited_reply', 'directed_request')
    GROUP BY ALL
),
victims AS (
    SELECT sender_mac, vlan_id, sender_ip,
           list({'ip': target_ip, 'mac': victim_mac, 'frames': frames}
                ORDER BY frames DESC, target_ip, victim_mac) AS victims,
           max(replies) AS max_replies_to_one_target
    FROM per_victim
    GROUP BY ALL
)
SELECT
    c.sender_mac                                                    AS mac,
    c.vlan_id                                                       AS vlan,
    c.sender_ip                                                     AS ip,
    count(*)                                                        AS claims,
    count(*) FILTER (WHERE kind = 'broadcast_request')              AS broadcast_requests,
    count(*) FILTER (WHERE kind = 'gratuitous')                     AS gratuitous,
    count(*) FILTER (WHERE kind = 'solicited_reply')                AS solicited_replies,
    count(*) FILTER (WHERE kind = 'unsolicited_reply')              AS unsolicited_replies,
    count(*) FILTER (WHERE kind = 'directed_request')               AS directed_requests,
    coalesce(any_value(v.victims), [])                              AS victims,
    coalesce(any_value(v.max_replies_to_one_target), 0)             AS max_replies_to_one_target,
    coalesce(list(c.frame_number ORDER BY c.frame_number)
             FILTER (WHERE kind IN ('unsolicited_reply', 'directed_request')), [])[1:20]
                                                                    AS suspicious_frames,
    min(c.ns)                                                       AS first_ns,
    max(c.ns)                                                       AS last_ns,
    min(c.frame_number)                                             AS first_frame
FROM classified c
LEFT JOIN victims v
  ON v.sender_mac = c.sender_mac AND v.vlan_id IS NOT DISTINCT FROM c.vlan_id
 AND v.sender_ip = c.sender_ip
GROUP BY c.sender_mac, c.vlan_id, c.sender_ip
ORDER BY mac, vlan NULLS FIRST, ip;
