"""Diagnostics: each module fills its report section(s) from shipped SQL and appends findings.

A diagnostic is a function ``run(ctx)``; ``ctx.report`` is the report being built,
``ctx.run(query_name)`` runs a query from ``lmcap/queries`` with the analysis parameters, and
``ctx.add(finding)`` records a finding. Thresholds live in :class:`Params` and are documented
in docs/findings.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from lmcap import queries as q
from lmcap.report import iso_ns


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


def when(ns: int | None) -> str | None:
    """A timestamp (ns) as the report writes it."""
    return iso_ns(ns)


def all_diagnostics() -> list[Callable[[Context], None]]:
    from lmcap.diagnostics import (
        arp,
        flooding,
        fragmentation,
        icmp,
        igmp,
        mtu,
        nlb,
    )

    return [mtu.run, fragmentation.run, icmp.run, igmp.run, nlb.run, flooding.run, arp.run]
