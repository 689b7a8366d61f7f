-- answers: Per outer VLAN (null = untagged): frames, wire bytes and the largest frame.
-- reads: traffic (its specification over packets: queries/spec/vlan_summary.sql)
-- columns: vlan, frames, bytes, max_wire_len
SELECT
    vlan_id                  AS vlan,
    sum(frames)::BIGINT      AS frames,
    sum(wire_bytes)::BIGINT  AS bytes,
    max(max_wire_len)        AS max_wire_len
FROM traffic
GROUP BY ALL
ORDER BY vlan NULLS FIRST;
