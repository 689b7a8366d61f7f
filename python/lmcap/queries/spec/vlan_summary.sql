-- answers: Per outer VLAN (null = untagged): frames, wire bytes and the largest frame.
-- reads: packets
-- columns: vlan, frames, bytes, max_wire_len
SELECT
    vlan_id               AS vlan,
    count(*)              AS frames,
    sum(wire_len)::BIGINT AS bytes,
    max(wire_len)         AS max_wire_len
FROM packets
GROUP BY ALL
ORDER BY vlan NULLS FIRST;
