"""Findings: what a diagnostic concluded, with the evidence behind it.

Finding ids are a contract (CI checks match on them): add, never rename. :data:`REGISTRY`
holds one :class:`FindingKind` per id: what it means, the severities it takes and when (the
heading of its entry in docs/findings.md), the :class:`lmcap.diagnostics.Params` thresholds it
uses and the diagnostic that emits it. Adding a finding is one entry here, its test and its
entry in docs/findings.md (tests/test_findings.py checks that registry and page agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class FindingKind:
    #: The id, a contract: never renamed.
    id: str
    #: One line: what the finding means.
    meaning: str
    #: When it takes which severity, as the heading of its entry in docs/findings.md reads
    #: after the id (``warning``, ``warning or info``, ``info, or warning when ...``).
    severity: str
    #: The :class:`lmcap.diagnostics.Params` fields (thresholds) its verdict depends on; its
    #: entry in docs/findings.md (or the introduction of its chapter) names each one.
    params: tuple[str, ...] = ()
    #: The module under lmcap/diagnostics that emits it.
    diagnostic: str = ""

    @property
    def severities(self) -> tuple[str, ...]:
        """The severities it can take: those named in :attr:`severity`, worst first."""
        return tuple(s for s in SEVERITIES if s in self.severity)


def _kinds(*kinds: FindingKind) -> dict[str, FindingKind]:
    return {k.id: k for k in kinds}


#: Every finding lmcap can emit, by id, in the order of docs/findings.md.
REGISTRY: dict[str, FindingKind] = _kinds(
    FindingKind(
        "mtu-mismatch",
        "two peers disagree on frame size: one advertises or sends jumbo, the other never does",
        "warning",
        ("standard_mtu",),
        "mtu",
    ),
    FindingKind(
        "mtu-blackhole",
        "large segments retransmitted without acknowledgement while small ones pass",
        "error",
        ("blackhole_min_sends",),
        "mtu",
    ),
    FindingKind(
        "icmp-frag-needed",
        "a router reported that packets do not fit its next hop (ICMP 3/4, ICMPv6 2)",
        "warning",
        diagnostic="icmp",
    ),
    FindingKind(
        "df-ping-size-limit",
        "DF echo requests are answered up to a size and die above it",
        "warning",
        diagnostic="icmp",
    ),
    FindingKind(
        "capture-offload",
        "TCP segments larger than the MTU: TSO/GSO/GRO seen by a host-side capture",
        "info",
        ("switch_max_frame",),
        "mtu",
    ),
    FindingKind(
        "capture-truncated",
        "frames cut by the snaplen",
        "warning or info",
        ("standard_mtu",),
        "mtu",
    ),
    FindingKind(
        "jumbo-partial",
        "some bulk paths use jumbo frames and others do not",
        "warning",
        ("bulk_min_segments", "standard_mtu", "mtu_limited_min_l3_len"),
        "mtu",
    ),
    FindingKind(
        "ip-fragmentation",
        "a flow sends fragmented IP datagrams",
        "warning or info",
        diagnostic="fragmentation",
    ),
    FindingKind(
        "link-underused",
        "a bulk transfer well below the link speed",
        "warning",
        ("bulk_min_bytes", "bulk_min_bps", "link_speed_bps", "underused_ratio"),
        "throughput",
    ),
    FindingKind(
        "jumbo-unused",
        "a live-migration or SMB transfer at standard frame size, where jumbo frames would pay",
        "info, or warning with a link speed when the rate is short of it",
        (
            "bulk_min_segments",
            "bulk_min_bytes",
            "bulk_min_bps",
            "standard_mtu",
            "mtu_limited_min_l3_len",
            "link_speed_bps",
            "underused_ratio",
        ),
        "throughput",
    ),
    FindingKind(
        "throughput-unstable",
        "a bulk transfer whose rate is jagged rather than flat",
        "warning",
        (
            "bulk_min_bytes",
            "bulk_min_bps",
            "bucket_ns",
            "unstable_cov",
            "unstable_min_buckets",
            "unstable_min_bucket_ns",
            "transfer_share",
        ),
        "throughput",
    ),
    FindingKind(
        "tcp-resets",
        "a TCP connection reset after carrying data",
        "warning",
        diagnostic="throughput",
    ),
    FindingKind(
        "tcp-retransmissions",
        "a TCP connection retransmitting more than the threshold",
        "warning",
        ("retrans_ratio",),
        "throughput",
    ),
    FindingKind(
        "rdma-packet-loss",
        "packet sequence numbers of an RDMA queue pair jump or go back: loss on a fabric that "
        "should be lossless",
        "warning",
        diagnostic="rdma",
    ),
    FindingKind(
        "rdma-congestion",
        "RDMA packets marked ECN CE, or congestion notification packets (DCQCN)",
        "info",
        diagnostic="rdma",
    ),
    FindingKind(
        "zero-window",
        "a receiver advertised a zero window: the transfer stalled",
        "warning",
        diagnostic="throughput",
    ),
    FindingKind(
        "smb-single-channel",
        "an SMB session moved its data to one server address although the server advertised "
        "two or more interfaces: multichannel not in use",
        "warning",
        ("bulk_min_bytes",),
        "smb",
    ),
    FindingKind(
        "multichannel-imbalance",
        "an SMB multichannel session's channels carry uneven shares",
        "warning",
        ("bulk_min_bytes", "smb_imbalance_ratio"),
        "smb",
    ),
    FindingKind(
        "smb-rdma-unused",
        "the server advertised RDMA, yet SMB READ/WRITE data moved over TCP",
        "warning",
        ("bulk_min_bytes",),
        "smb",
    ),
    FindingKind(
        "smb1-negotiated",
        "a connection speaks SMB1 (an SMB1 NEGOTIATE answered, SMB1 commands)",
        "warning",
        diagnostic="smb",
    ),
    FindingKind(
        "smb1-offered",
        "a client opened with an SMB1 multi-protocol NEGOTIATE (answered with SMB2)",
        "info",
        diagnostic="smb",
    ),
    FindingKind(
        "smb-stream-gaps",
        "the SMB framer lost message boundaries (gaps, snaplen cuts, resyncs)",
        "info",
        diagnostic="smb",
    ),
    FindingKind(
        "igmp-no-querier",
        "IGMP reports or leaves but no querier for longer than the query interval",
        "warning",
        ("igmp_query_interval_s",),
        "igmp",
    ),
    FindingKind(
        "unregistered-multicast",
        "multicast to a group no host joined: switches flood it",
        "warning or info",
        diagnostic="flooding",
    ),
    FindingKind(
        "nlb-unicast-flooding",
        "client traffic to an NLB unicast cluster MAC (02:bf): flooded to every port",
        "warning",
        diagnostic="nlb",
    ),
    FindingKind(
        "nlb-multicast-flooding",
        "client traffic to an NLB multicast cluster MAC: flooded without IGMP",
        "warning or info",
        diagnostic="nlb",
    ),
    FindingKind(
        "duplicate-ip",
        "one IP claimed by two or more MACs at the same time",
        "error",
        ("arp_move_min_stay_s", "arp_findings_listed"),
        "arp",
    ),
    FindingKind(
        "ip-moved",
        "an IP moved to another MAC or VLAN and stayed (e.g. a live-migrated VM)",
        "info, or warning when the VLAN changed",
        ("arp_move_min_stay_s", "arp_findings_listed"),
        "arp",
    ),
    FindingKind(
        "arp-storm",
        "ARP rate above the threshold",
        "warning, error at 10× the threshold",
        ("arp_storm_pps", "arp_storm_error_factor", "arp_sweep_min_targets"),
        "arp",
    ),
    FindingKind(
        "arp-poisoning",
        "a MAC claims an address that is not its own in unsolicited ARP replies or directed "
        "requests: ARP cache poisoning",
        "error",
        ("arp_reply_window_s", "arp_poison_min_frames", "arp_poison_flood_replies"),
        "arp",
    ),
    FindingKind(
        "timestamps-outlying",
        "frames stamped a day or more of silence away from the rest of the capture: left out of "
        "rates and timelines",
        "info",
        diagnostic="timestamps",
    ),
    FindingKind(
        "frames-undecoded",
        "frames of which nothing could be decoded (empty records, an unknown link type or "
        "interface, bytes ending inside the link header): counted in no figure but the totals",
        "warning, or info under a share of the frames",
        ("undecoded_warning_share",),
        "decoding",
    ),
    FindingKind(
        "frames-malformed",
        "frames whose headers break their protocol's rules (an IPv4 header length below 20, a "
        "TCP data offset below 5, a length that claims more than the frame holds, ...): "
        "decoded up to that header only",
        "warning, or info under a share of the frames",
        ("undecoded_warning_share",),
        "decoding",
    ),
    FindingKind(
        "capture-cut-short",
        "a capture file could not be read to its end (cut short while it was written or "
        "copied, or corrupt after some frames): everything after that byte offset is in no "
        "figure of the report",
        "warning",
        diagnostic="decoding",
    ),
    FindingKind(
        "evidence-bounded",
        "the scan reached a bound on the state it keeps per connection or address and dropped "
        "some: the tables that state feeds may miss rows",
        "info",
        diagnostic="bounds",
    ),
)

#: Every finding id with its one-line meaning (the registry's ``meaning``).
FINDING_IDS: dict[str, str] = {k.id: k.meaning for k in REGISTRY.values()}


def finding(
    id: str, severity: str, summary: str, evidence: dict[str, Any], advice: str
) -> dict[str, Any]:
    """A finding in the report's shape. ``evidence`` names hosts, flows, counts, frames, times."""
    kind = REGISTRY.get(id)
    if kind is None:
        raise ValueError(f"unknown finding id {id!r}: add it to lmcap.findings.REGISTRY")
    if severity not in kind.severities:
        raise ValueError(
            f"{id} cannot be {severity!r}: it is {kind.severity} (lmcap.findings.REGISTRY)"
        )
    return {
        "id": id,
        "severity": severity,
        "summary": summary,
        "evidence": evidence,
        "advice": advice,
    }


def sort_key(f: dict[str, Any]) -> tuple[int, str]:
    return (SEVERITIES.index(f["severity"]), f["id"])


def fold(findings: list[dict[str, Any]], limit: int, max_summaries: int) -> list[dict[str, Any]]:
    """Keep the first ``limit`` findings of each id (worst first) and fold the rest of that id
    into one finding with the count, the worst severity among them and (at most
    ``max_summaries`` of) their summaries. The report passes ``Params.findings_per_id`` and
    ``Params.report_list_max``."""
    ordered = sorted(findings, key=sort_key)
    kept: list[dict[str, Any]] = []
    extra: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, int] = {}
    for f in ordered:
        seen[f["id"]] = seen.get(f["id"], 0) + 1
        if seen[f["id"]] <= limit:
            kept.append(f)
        else:
            extra.setdefault(f["id"], []).append(f)
    for fid, rest in extra.items():
        worst = min(rest, key=sort_key)["severity"]
        kept.append(
            finding(
                fid,
                worst,
                f"{len(rest)} more {fid} finding(s) like the {limit} above "
                "(every one is in the report section they come from).",
                {"more": len(rest), "summaries": [f["summary"] for f in rest[:max_summaries]]},
                rest[0]["advice"],
            )
        )
    return sorted(kept, key=sort_key)
