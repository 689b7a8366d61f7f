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
    #: Throughput bucket in nanoseconds (`--bucket`, default 1 s, down to 1 ms).
    bucket_ns: int = 1_000_000_000
    #: Link speed in bits/s (`--link-speed 10G`); 0 when unknown (no utilization verdicts).
    link_speed_bps: int = 0
    #: A bulk transfer carries at least this many payload bytes in one direction.
    bulk_min_bytes: int = 1_000_000
    #: `link-underused` fires below this share of the link speed.
    underused_ratio: float = 0.5
    #: `throughput-unstable` fires above this coefficient of variation of the per-bucket rate.
    unstable_cov: float = 0.5
    #: ... over at least this many buckets (a 2-bucket flow has no shape to judge).
    unstable_min_buckets: int = 5
    #: `tcp-retransmissions` fires above this share of a flow's payload bytes retransmitted.
    retrans_ratio: float = 0.01
    #: `multichannel-imbalance` fires when a session's busiest channel carried more than this
    #: many times the SMB bytes of its least busy one (sessions of at least `bulk_min_bytes`).
    smb_imbalance_ratio: float = 2.0

    def sql_params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    con: Any
    report: dict[str, Any]
    params: Params = field(default_factory=Params)

    def run(self, name: str) -> list[dict[str, Any]]:
        return q.run(self.con, name, **self.params.sql_params())

    def add(self, f: dict[str, Any]) -> None:
        self.report["findings"].append(f)
