-- answers: IGMP messages by version and type (a v3 report counts once however many group records it holds), with the group records they carry and how many hosts sent them.
-- reads: igmp_records
-- columns: version, msg_type, type, messages, records, senders
SELECT
    version,
    msg_type,
    CASE msg_type
        WHEN 17 THEN 'query'
        WHEN 18 THEN 'v1_report'
        WHEN 22 THEN 'v2_report'
        WHEN 23 THEN 'leave'
        WHEN 34 THEN 'v3_report'
        ELSE 'other'
    END                              AS type,
    count(DISTINCT frame_number)     AS messages,
    count(*)                         AS records,
    count(DISTINCT src_ip)           AS senders
FROM igmp_records
GROUP BY ALL
ORDER BY version, msg_type;
