"""When the scan's evidence hit one of its bounds: `evidence-bounded`.

Reads ``report["capture"]["evidence"]["bounds"]`` (written by
:func:`lmcap.report.scan_settings_section` from the scan's counters). Every piece of state the
scan keeps across frames has a bound (docs/architecture.md); a bound is met only by a huge or
hostile capture, and then the tables it feeds may miss rows. The report must say so, or a
verdict read from them would look complete when it is not.
"""

from __future__ import annotations

from lmcap import _core
from lmcap.diagnostics import Context
from lmcap.findings import finding


def what_it_means(limits: dict[str, int]) -> dict[str, tuple[str, str]]:
    """Each counter of ``capture.evidence.bounds``: what it dropped, and what may be missing
    then; ``limits`` are the core's bounds (``lmcap._core.evidence_limits()``)."""
    return {
        "tcp_open_evicted": (
            "unacknowledged TCP segments forgotten (more than "
            f"{limits['tcp_max_open_segments']:,} open in one direction, or "
            f"{limits['tcp_max_open_segments_total']:,} in all)",
            "mtu-blackhole may miss segments sent again and again",
        ),
        "tcp_cover_evicted": (
            f"TCP sequence ranges forgotten (more than {limits['tcp_max_cover_ranges']:,} holes "
            "in one direction)",
            "tcp-retransmissions may count a segment lost downstream as lost upstream",
        ),
        "tcp_resets_dropped": (
            f"TCP resets beyond the first {limits['tcp_max_resets']:,} of a connection not kept",
            "mtu-blackhole may not name the reset that ended a black hole",
        ),
        "claim_runs_dropped": (
            "runs of IPv4 address claims by MACs that had not claimed the address in ARP dropped "
            f"(an address with more than {limits['claims_max_runs_per_ip']:,} owner changes, or "
            f"{limits['claims_max_runs']:,} runs in all)",
            "the ARP moves, duplicates and claim timelines may differ where such a MAC claimed "
            "the address in ARP later",
        ),
        "claims_untracked": (
            "claims of IPv4 addresses beyond the first "
            f"{limits['claims_max_addresses']:,} not followed",
            "the ARP diagnostics do not see those addresses",
        ),
        "flows_memcap_evicted": (
            "flows written out early because "
            f"{limits['flows_max_open']:,} were open when another began (the longest idle first)",
            "a connection that sent again afterwards has two rows in flows (see flows_resumed)",
        ),
        "flows_resumed": (
            "flows rows that continue a flow written out early (column resumed)",
            "per-connection figures (throughput, retransmissions, migrations) of those "
            "connections are split over two or more rows",
        ),
        "flows_evicted_forgotten": (
            "flows written out early beyond the first "
            f"{limits['flows_evicted_remembered']:,}, whose return cannot be marked resumed",
            "a connection of those that sent again looks like a new one",
        ),
        "mss_hosts_untracked": (
            "MSS announcements to hosts beyond the first "
            f"{limits['flows_max_mss_hosts']:,} not remembered",
            "capture-offload may miss segments larger than those hosts' MSS",
        ),
        "stream_directions_untracked": (
            "frames of SMB/iWARP connections not framed (more than "
            f"{limits['stream_max_directions']:,} connection directions open at once)",
            "the smb and rdma sections miss the messages of those connections",
        ),
        "stream_heads_cut": (
            "SMB/iWARP messages decoded from their first bytes only (the heads being collected "
            f"held {limits['stream_heads_budget_bytes'] >> 20} MiB, the budget of all "
            "connections together)",
            "those messages are rows marked truncated: an IOCTL's interface list or a "
            "negotiate context may be missing from the smb section",
        ),
    }


def run(ctx: Context) -> None:
    bounds = ctx.report["capture"]["evidence"]["bounds"]
    hit = {k: v for k, v in bounds.items() if v}
    if not hit:
        return
    meaning = what_it_means(_core.evidence_limits())
    lines = [f"{n:,} {meaning[k][0]}" for k, n in hit.items()]
    ctx.add(
        finding(
            "evidence-bounded",
            "info",
            "The scan kept its memory bounded on this capture and dropped state: "
            + "; ".join(lines)
            + ".",
            {"bounds": hit, "may_be_incomplete": [meaning[k][1] for k in hit]},
            "Nothing is wrong with the network for this reason alone: the capture is larger or "
            "stranger than the bounds lmcap keeps per connection and address. To get exact "
            "answers for a part of it, analyse that part alone (--since/--until, --host, "
            "--vlan).",
        )
    )
