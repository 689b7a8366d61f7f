-- answers: Which hosts sent IGMP queries (the queriers), per VLAN: version, general and group-specific queries, first and last query and the max response time they announce.
-- reads: igmp_records
-- columns: querier, src_mac, vlan, version, queries, general_queries, group_queries, max_resp_code, first_ns, last_ns, first_frame
SELECT
    src_ip                                              AS querier,
    any_value(src_mac)                                  AS src_mac,
    vlan_id                                             AS vlan,
    max(version)                                        AS version,
    count(DISTINCT frame_number)                        AS queries,
    count(DISTINCT frame_number) FILTER (WHERE "group" IS NULL)     AS general_queries,
    count(DISTINCT frame_number) FILTER (WHERE "group" IS NOT NULL) AS group_queries,
    max(max_resp_code)                                  AS max_resp_code,
    min(epoch_ns("timestamp"))                          AS first_ns,
    max(epoch_ns("timestamp"))                          AS last_ns,
    min(frame_number)                                   AS first_frame
FROM igmp_records
WHERE action = 'query'
GROUP BY src_ip, vlan_id
ORDER BY vlan NULLS FIRST, first_ns;
