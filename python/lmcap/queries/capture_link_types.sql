-- answers: Which link types do the frames use, and how many frames each?
-- reads: traffic (its specification over packets: queries/spec/capture_link_types.sql)
-- columns: link_type, name, frames
SELECT
    link_type,
    CASE
        WHEN link_type IS NULL THEN 'unknown-interface'
        WHEN link_type = 0 THEN 'bsd-loopback'
        WHEN link_type = 1 THEN 'ethernet'
        WHEN link_type = 101 THEN 'raw-ip'
        WHEN link_type = 108 THEN 'openbsd-loop'
        WHEN link_type = 113 THEN 'linux-sll'
        WHEN link_type = 228 THEN 'ipv4'
        WHEN link_type = 229 THEN 'ipv6'
        WHEN link_type = 276 THEN 'linux-sll2'
        ELSE 'unsupported'
    END AS name,
    sum(frames)::BIGINT AS frames
FROM traffic
GROUP BY ALL
ORDER BY frames DESC, link_type;
