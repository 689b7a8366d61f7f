-- answers: Per flow of fragmented IP datagrams (IP version, source, destination, protocol): its fragments and datagrams, how many were seen whole, incomplete or with overlapping fragments, the largest reassembled size and the first evidence_list_max distinct sizes, when; beside each, the totals of its IP version over every flow (family_*). The first section_list_max flows of each IP version in the order of their first fragment.
-- reads: frag_datagrams (lmcap.connect materialises query frag_datagrams as this table)
-- params: evidence_list_max, section_list_max
-- columns: ip_version, src_ip, dst_ip, ip_proto, fragments, datagrams, complete, incomplete, overlapping, max_datagram_len, datagram_sizes, first_frame, first_ns, last_ns, family_fragments, family_datagrams, family_complete, family_incomplete, family_overlapping, family_flows
WITH flows AS (
    SELECT
        ip_version, src_ip, dst_ip, ip_proto,
        sum(fragments)                                      AS fragments,
        count(*)                                            AS datagrams,
        count(*) FILTER (WHERE complete)                    AS complete,
        count(*) FILTER (WHERE NOT coalesce(complete, false)) AS incomplete,
        count(*) FILTER (WHERE overlapping)                 AS overlapping,
        max(datagram_len)                                   AS max_datagram_len,
        coalesce(list(DISTINCT datagram_len ORDER BY datagram_len)
                 FILTER (WHERE datagram_len IS NOT NULL)[1:$evidence_list_max], [])
                                                            AS datagram_sizes,
        min(first_frame)                                    AS first_frame,
        -- the times of the first and the last datagram by first frame, null when unstamped
        arg_min_null(first_ns, first_frame)                 AS first_ns,
        arg_max_null(last_ns, first_frame)                  AS last_ns
    FROM frag_datagrams
    GROUP BY ALL
)
SELECT
    *,
    sum(fragments) OVER family                              AS family_fragments,
    sum(datagrams) OVER family                              AS family_datagrams,
    sum(complete) OVER family                               AS family_complete,
    sum(incomplete) OVER family                             AS family_incomplete,
    sum(overlapping) OVER family                            AS family_overlapping,
    count(*) OVER family                                    AS family_flows
FROM flows
WINDOW family AS (PARTITION BY ip_version)
QUALIFY row_number() OVER (PARTITION BY ip_version ORDER BY first_frame) <= $section_list_max
ORDER BY first_frame;
