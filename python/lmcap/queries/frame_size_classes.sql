-- answers: How many frames and bytes fall in each MTU size class of the network-layer packet: standard (<= 1500), jumbo (1501-9000), oversize (> 9000)?
-- reads: traffic (size_class from l3_len = wire_len minus the link header and VLAN tags; bytes are wire bytes) (its specification over packets: queries/spec/frame_size_classes.sql)
-- columns: class, frames, bytes
SELECT
    size_class               AS class,
    sum(frames)::BIGINT      AS frames,
    sum(wire_bytes)::BIGINT  AS bytes
FROM traffic
WHERE size_class IS NOT NULL
GROUP BY ALL
ORDER BY class;
