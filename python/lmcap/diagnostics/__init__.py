"""Diagnostics: each module fills its report section(s) from shipped SQL and appends findings.

A diagnostic is a function ``run(ctx)``; ``ctx.report`` is the report being built,
``ctx.run(query_name)`` runs a query from ``lmcap/queries`` with the analysis parameters, and
``ctx.add(finding)`` records a finding. Thresholds live in :class:`Params` and are documented
in docs/findings.md.

This package's ``__init__`` is the floor the diagnostics stand on (:class:`Params`,
:class:`Context`); it imports none of them. Which diagnostics run, and in which order, is
decided by the report builder (:data:`lmcap.report.DIAGNOSTICS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lmcap import queries as q

#: The throughput bucket where there is nothing to choose it from (SQL over a connection
#: whose scan was not cut finer, `lmcap sql`, `lmcap.connect`).
DEFAULT_BUCKET_NS = 1_000_000_000


@dataclass
class Params:
    #: ARP packets per second (over any 1-second window) above which `arp-storm` fires.
    arp_storm_pps: float = 100.0
    #: IGMP query interval (RFC 3376 default 125 s): reports without any query for longer fire
    #: `igmp-no-querier`.
    igmp_query_interval_s: float = 125.0
    #: Sends of one TCP segment (same flow and sequence) that make a retransmission series.
    blackhole_min_sends: int = 3
    #: Data segments that make a TCP flow a bulk transfer (for `jumbo-partial`).
    bulk_min_segments: int = 50
    #: The largest L2 frame most switches accept.
    switch_max_frame: int = 9216
    #: Throughput bucket in nanoseconds (`--bucket`, 1 ms to 1 h). None (the default of
    #: `lmcap analyze`): chosen from the capture (:func:`lmcap.diagnostics.throughput.
    #: choose_bucket`), the coarsest of 1, 2, 5, 10, ... ms up to 1 s over which every bulk
    #: transfer spans at least `unstable_min_buckets` buckets; SQL given None gets 1 s.
    bucket_ns: int | None = None
    #: Link speed in bits/s (`--link-speed 10G`); 0 when unknown (no utilization verdicts).
    link_speed_bps: int = 0
    #: A bulk transfer carries at least this many payload bytes in one direction.
    bulk_min_bytes: int = 1_000_000
    #: ... at a mean rate over its own span of at least this many bits/s: it tries to fill the
    #: link (`link-underused`, `throughput-unstable`, `jumbo-unused`); a megabyte of SSH or HTTP
    #: over ten minutes (13 kbit/s) is a conversation, not a bulk transfer.
    bulk_min_bps: float = 1_000_000.0
    #: Connections of one host pair whose payload runs are at most this many seconds apart
    #: belong to one live migration (`throughput.live_migrations.migrations`).
    migration_gap_s: float = 5.0
    #: `link-underused` fires below this share of the link speed.
    underused_ratio: float = 0.5
    #: `throughput-unstable` fires above this coefficient of variation of the per-bucket rate.
    unstable_cov: float = 0.5
    #: Spread statistics of a rate (p5, p95, coefficient of variation) are given, and
    #: `throughput-unstable` judged, over at least this many buckets: a two-second transfer
    #: in 1 s buckets has no shape to judge (fewer: the spread fields are null).
    unstable_min_buckets: int = 20
    #: ... and judged only over buckets at least this wide (nanoseconds, 100 ms): per
    #: millisecond even a steady TCP transfer swings with its own bursts (an iperf3 stream at a
    #: flat 60 Mbit/s has a coefficient of variation of 4 per 1 ms bucket).
    unstable_min_bucket_ns: int = 100_000_000
    #: A flow direction's transfer (spread statistics, the bucket chosen for it) is the stretch
    #: that carried this middle share of its bytes: a session's set-up before it and idle tail
    #: after it are left out.
    transfer_share: float = 0.95
    #: `tcp-retransmissions` fires above this share of a flow's payload bytes retransmitted.
    retrans_ratio: float = 0.01
    #: `multichannel-imbalance` fires when a session's busiest channel carried more than this
    #: many times the SMB bytes of its least busy one (sessions of at least `bulk_min_bytes`).
    smb_imbalance_ratio: float = 2.0

    # Frame sizes (network-layer packet, l3_len: IP header and payload)
    #: The standard MTU: packets up to this size are `standard`, larger ones `jumbo`; a peer
    #: announcing an MSS above it less 40 (IP and TCP headers) is on a jumbo MTU
    #: (`mtu-mismatch`, `jumbo-partial`); a snaplen keeping at least this much of larger frames
    #: hides jumbo payloads (`capture-truncated` warns).
    standard_mtu: int = 1500
    #: The jumbo MTU: packets up to this size are `jumbo`, larger ones `oversize`.
    jumbo_mtu: int = 9000
    #: A standard-MTU path counts for `jumbo-partial` only when its largest segment is at least
    #: this big: it is limited by the MTU, not a chatty flow of small messages.
    mtu_limited_min_l3_len: int = 1400

    # ARP
    #: A move and a move back of an IP closer together than this are a conflict
    #: (`duplicate-ip`), not two moves (`ip-moved`).
    arp_move_min_stay_s: float = 10.0
    #: `arp-storm` is an error at this many times `arp_storm_pps`.
    arp_storm_error_factor: float = 10.0
    #: An `arp-storm`'s top sender asking for more distinct addresses than this is sweeping the
    #: subnet; one repeating fewer is a loop or a stuck host.
    arp_sweep_min_targets: int = 10
    #: An ARP reply answers a request (is solicited) when the request for its sender address
    #: from its target came at most this long before it (`arp-poisoning`).
    arp_reply_window_s: float = 1.0
    #: Frames (unsolicited replies, directed requests) a MAC must send claiming an address
    #: that is not its own before `arp-poisoning` fires: poisoners repeat themselves to keep
    #: caches poisoned; one stray or bit-flipped frame is no attack.
    arp_poison_min_frames: int = 2
    #: Unsolicited ARP replies to one target that are poisoning even from a MAC with no other
    #: address and no rival owner (`arp-poisoning`: a reply flood, as arpspoof sends).
    arp_poison_flood_replies: int = 5
    #: `duplicate-ip` and `ip-moved` findings listed one by one; beyond this, one summary
    #: finding each (the arp section lists every one).
    arp_findings_listed: int = 10

    #: Share of the frames that gave nothing to decode (empty records, an unknown link type
    #: or interface, bytes ending inside the link header) from which `frames-undecoded` is a
    #: warning, and of the frames whose headers break their protocol's rules from which
    #: `frames-malformed` is; below it, info.
    undecoded_warning_share: float = 0.01

    # How much the report lists (figures and counts always cover everything)
    #: Findings of one id listed one by one; beyond this they fold into one finding that
    #: counts them.
    findings_per_id: int = 20
    #: Rows kept in the report's long lists: flows and groupings in `throughput` and
    #: `frame_sizes.flows`, SMB sessions and stream-gap connections, the summaries of a folded
    #: finding.
    report_list_max: int = 50
    #: Rows kept in a report section's lists that grow with the capture rather than with
    #: the questions asked: IGMP groups and query gaps, ARP hosts, fragmented flows, frame
    #: sizes per host. Each such list has a `<list>_total` count beside it; the section's
    #: other figures count every row.
    section_list_max: int = 1000
    #: Items kept in a list inside a finding's evidence (flows, groups, clients, sizes).
    evidence_list_max: int = 20
    #: Points kept in a time series of the report (live migrations at once per bucket).
    timeline_max_points: int = 1000
    #: Points of a flow's rate series (`throughput.flows[].rate.series`): a flow spanning
    #: more buckets has that many consecutive buckets summed into one point.
    series_max_points: int = 120
    #: Timeline entries kept per IGMP group (its counts always cover every event).
    igmp_timeline_max: int = 200

    def sql_params(self) -> dict[str, Any]:
        """The fields as SQL parameters ($bucket_ns, ...); a bucket still to be chosen from the
        capture (None) is the 1 s default there."""
        values = asdict(self)
        if values["bucket_ns"] is None:
            values["bucket_ns"] = DEFAULT_BUCKET_NS
        return values


@dataclass
class Context:
    con: Any
    report: dict[str, Any]
    params: Params = field(default_factory=Params)
    #: How the throughput bucket was chosen (``throughput.bucket`` of the report): written by
    #: :func:`lmcap.diagnostics.throughput.resolve_bucket` before the diagnostics run.
    bucket_choice: dict[str, Any] = field(default_factory=dict)

    def run(self, name: str) -> list[dict[str, Any]]:
        return q.run(self.con, name, **self.params.sql_params())

    def add(self, f: dict[str, Any]) -> None:
        self.report["findings"].append(f)
