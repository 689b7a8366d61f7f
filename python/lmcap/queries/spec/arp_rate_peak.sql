-- answers: The busiest 1-second window of ARP (sliding: from each ARP frame, the frames in the next second) and whether it is above the arp-storm threshold; one row, none without ARP.
-- reads: arp
-- spec: the sliding-window version of arp_rate_peak (a RANGE window over every ARP frame, 5.5 s on the 8 GiB bench capture's 961 k ARP frames); tests/test_evidence.py checks the shipped query against it
-- params: arp_storm_pps
-- columns: window_start_ns, window_end_ns, frames, first_frame, last_frame, threshold_pps, above
WITH t AS (
    SELECT frame_number, epoch_ns("timestamp") AS ns FROM arp WHERE "timestamp" IS NOT NULL
),
w AS (
    SELECT
        ns,
        frame_number,
        count(*) OVER (ORDER BY ns RANGE BETWEEN CURRENT ROW AND 999999999 FOLLOWING) AS n,
        max(frame_number) OVER (ORDER BY ns RANGE BETWEEN CURRENT ROW AND 999999999 FOLLOWING) AS last_frame
    FROM t
)
SELECT
    ns                              AS window_start_ns,
    ns + 1000000000                 AS window_end_ns,
    n                               AS frames,
    frame_number                    AS first_frame,
    last_frame,
    $arp_storm_pps                  AS threshold_pps,
    n > $arp_storm_pps              AS above
FROM w
ORDER BY n DESC, ns, frame_number
LIMIT 1;
