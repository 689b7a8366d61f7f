"""Findings: what a diagnostic concluded, with the evidence behind it.

Finding ids are a contract (CI checks match on them): add, never rename. Each id is listed in
``FINDING_IDS`` with its severity range and what it means; docs/findings.md mirrors it.
"""

from __future__ import annotations

from typing import Any

SEVERITIES = ("error", "warning", "info")

#: Every finding id lmcap can emit, with a one-line description.
FINDING_IDS: dict[str, str] = {
    "mtu-mismatch": (
        "two peers disagree on frame size: one advertises or sends jumbo, the other never does"
    ),
    "mtu-blackhole": "large segments retransmitted without acknowledgement while small ones pass",
    "icmp-frag-needed": (
        "a router reported that packets do not fit its next hop (ICMP 3/4, ICMPv6 2)"
    ),
    "df-ping-size-limit": "DF echo requests are answered up to a size and die above it",
    "capture-offload": "TCP segments larger than the MTU: TSO/GSO/GRO seen by a host-side capture",
    "capture-truncated": "frames cut by the snaplen",
    "jumbo-partial": "some bulk paths use jumbo frames and others do not",
    "ip-fragmentation": "a flow sends fragmented IP datagrams",
    "igmp-no-querier": "IGMP reports or leaves but no querier for longer than the query interval",
    "unregistered-multicast": "multicast to a group no host joined: switches flood it",
    "nlb-unicast-flooding": (
        "client traffic to an NLB unicast cluster MAC (02:bf): flooded to every port"
    ),
    "nlb-multicast-flooding": (
        "client traffic to an NLB multicast cluster MAC: flooded without IGMP"
    ),
    "duplicate-ip": "one IP claimed by two or more MACs at the same time",
    "ip-moved": "an IP moved to another MAC or VLAN and stayed (e.g. a live-migrated VM)",
    "arp-storm": "ARP rate above the threshold",
    "link-underused": "a bulk transfer well below the link speed",
    "throughput-unstable": "a bulk transfer whose rate is jagged rather than flat",
    "tcp-resets": "a TCP connection reset after carrying data",
    "rdma-packet-loss": (
        "packet sequence numbers of an RDMA queue pair jump or go back: loss on a fabric that "
        "should be lossless"
    ),
    "rdma-congestion": "RDMA packets marked ECN CE, or congestion notification packets (DCQCN)",
    "tcp-retransmissions": "a TCP connection retransmitting more than the threshold",
    "zero-window": "a receiver advertised a zero window: the transfer stalled",
    "smb-single-channel": (
        "an SMB session moved its data to one server address although the server advertised "
        "two or more interfaces: multichannel not in use"
    ),
    "multichannel-imbalance": "an SMB multichannel session's channels carry uneven shares",
    "smb-rdma-unused": "the server advertised RDMA, yet SMB READ/WRITE data moved over TCP",
    "smb1-negotiated": "a connection speaks SMB1 (an SMB1 NEGOTIATE answered, SMB1 commands)",
    "smb1-offered": "a client opened with an SMB1 multi-protocol NEGOTIATE (answered with SMB2)",
    "smb-stream-gaps": "the SMB framer lost message boundaries (gaps, snaplen cuts, resyncs)",
    "timestamps-outlying": (
        "frames stamped a day or more of silence away from the rest of the capture: left out of "
        "rates and timelines"
    ),
}


def finding(
    id: str, severity: str, summary: str, evidence: dict[str, Any], advice: str
) -> dict[str, Any]:
    """A finding in the report's shape. ``evidence`` names hosts, flows, counts, frames, times."""
    if id not in FINDING_IDS:
        raise ValueError(f"unknown finding id {id!r}: add it to FINDING_IDS")
    if severity not in SEVERITIES:
        raise ValueError(f"bad severity {severity!r}")
    return {
        "id": id,
        "severity": severity,
        "summary": summary,
        "evidence": evidence,
        "advice": advice,
    }


def sort_key(f: dict[str, Any]) -> tuple[int, str]:
    return (SEVERITIES.index(f["severity"]), f["id"])


#: Findings of one id listed one by one; beyond this they are folded into one finding that
#: counts them (the report sections still list every host, flow and group).
MAX_PER_ID = 20


def fold(findings: list[dict[str, Any]], limit: int = MAX_PER_ID) -> list[dict[str, Any]]:
    """Keep the first ``limit`` findings of each id (worst first) and fold the rest of that id
    into one finding with the count, the worst severity among them and their summaries."""
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
                {"more": len(rest), "summaries": [f["summary"] for f in rest[:50]]},
                rest[0]["advice"],
            )
        )
    return sorted(kept, key=sort_key)
