-- answers: How many frames and bytes fall in each MTU size class of the network-layer packet: standard (<= 1500), jumbo (1501-9000), oversize (> 9000)?
-- reads: packets (l3_len = wire_len minus the link header and VLAN tags; bytes are wire bytes)
-- columns: class, frames, bytes
SELECT
    CASE WHEN l3_len <= 1500 THEN 'standard'
         WHEN l3_len <= 9000 THEN 'jumbo'
         ELSE 'oversize' END      AS class,
    count(*)                      AS frames,
    sum(wire_len)::BIGINT         AS bytes
FROM packets
WHERE l3_len IS NOT NULL
GROUP BY ALL
ORDER BY class;
