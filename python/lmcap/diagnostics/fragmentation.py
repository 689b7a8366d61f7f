"""IP fragmentation: datagrams seen whole or not, per flow, and the reassembly timeouts that
report the incomplete ones. Fills ``fragmentation`` and emits ``ip-fragmentation``.

A reassembly timeout (ICMP 11/1, ICMPv6 3/1) names the datagram the receiver gave up on; the
capture tells where its fragment was lost (``loss_side`` of each timeout): ``downstream``
when every fragment passed the capture point (the loss is between here and the receiver),
``upstream`` when a fragment is missing here too (lost before the capture point, or by the
capture itself), null when the datagram is not in the capture. Any timeout makes the flow's
``ip-fragmentation`` a warning: a datagram was lost.
"""

from __future__ import annotations

from collections import defaultdict

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import agree, iso_ns, plural

PROTO_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}


def _empty() -> dict:
    return {
        "fragments": 0,
        "datagrams": 0,
        "complete": 0,
        "incomplete": 0,
        "overlapping": 0,
        "flows": [],
        "flows_total": 0,
    }


def _reporters(timeouts: list[dict]) -> str:
    return ", ".join(sorted({t["reporter"] for t in timeouts}))


def run(ctx: Context) -> None:
    flow_rows = ctx.run("frag_flows")
    timeouts = ctx.run("frag_reassembly_timeouts")
    section = {"ipv4": _empty(), "ipv6": _empty(), "reassembly_timeouts": []}

    flows: dict[tuple, dict] = {}
    for r in flow_rows:
        fam = section["ipv4" if r["ip_version"] == 4 else "ipv6"]
        for k in ("fragments", "datagrams", "complete", "incomplete", "overlapping"):
            fam[k] = r[f"family_{k}"]
        fam["flows_total"] = r["family_flows"]
        flows[(r["ip_version"], r["src_ip"], r["dst_ip"], r["ip_proto"])] = {
            "src": r["src_ip"],
            "dst": r["dst_ip"],
            "ip_proto": r["ip_proto"],
            "fragments": r["fragments"],
            "datagrams": r["datagrams"],
            "complete": r["complete"],
            "incomplete": r["incomplete"],
            "overlapping": r["overlapping"],
            "max_datagram_len": r["max_datagram_len"],
            "first_frame": r["first_frame"],
            "first_seen": iso_ns(r["first_ns"]),
            "last_seen": iso_ns(r["last_ns"]),
            "datagram_sizes": r["datagram_sizes"],
        }
    # only the datagrams a timeout may name: a capture of a million fragments keeps them in SQL
    by_id: dict[tuple, list] = defaultdict(list)
    for d in ctx.run("frag_timeout_datagrams") if timeouts else []:
        by_id[(d["src_ip"], d["dst_ip"], d["ip_id"])].append(d)

    for t in timeouts:
        # the latest datagram with that id sent before the report (ids wrap around)
        seen = [
            d
            for d in by_id.get((t["src_ip"], t["dst_ip"], t["ip_id"]), [])
            if t["at_ns"] is None or d["first_ns"] is None or d["first_ns"] <= t["at_ns"]
        ]
        d = seen[-1] if seen else None
        section["reassembly_timeouts"].append(
            {
                "frame": t["frame_number"],
                "at": iso_ns(t["at_ns"]),
                "reporter": t["reporter"],
                "src": t["src_ip"],
                "dst": t["dst_ip"],
                "ip_proto": t["ip_proto"],
                "ip_id": t["ip_id"],
                "matches_incomplete_datagram": bool(d and not d["complete"]),
                "datagram_first_frame": d["first_frame"] if d else None,
                "datagram_complete_here": None if d is None else bool(d["complete"]),
                "loss_side": None if d is None else ("downstream" if d["complete"] else "upstream"),
            }
        )

    for key, f in flows.items():
        section["ipv4" if key[0] == 4 else "ipv6"]["flows"].append(f)
    ctx.report["fragmentation"] = section

    for key, f in flows.items():
        proto = PROTO_NAMES.get(f["ip_proto"], f"protocol {f['ip_proto']}")
        timeouts_here = [
            t
            for t in section["reassembly_timeouts"]
            if (t["src"], t["dst"], t["ip_proto"]) == (f["src"], f["dst"], f["ip_proto"])
        ]
        bad = f["incomplete"] or f["overlapping"] or timeouts_here
        downstream = [t for t in timeouts_here if t["loss_side"] == "downstream"]
        detail = []
        if f["incomplete"]:
            detail.append(f"{f['incomplete']} never completed")
        if f["overlapping"]:
            detail.append(f"{f['overlapping']} with overlapping fragments")
        upstream = [t for t in timeouts_here if t["loss_side"] == "upstream"]
        if downstream:
            detail.append(
                f"{len(downstream)} passed the capture point whole yet "
                f"{_reporters(downstream)} reported them never reassembled (ip id "
                + ", ".join(str(t["ip_id"]) for t in downstream[:5])
                + f"): lost between the capture point and {f['dst']}"
            )
        if upstream:
            detail.append(
                f"{len(upstream)} {agree(len(upstream), 'lacks', 'lack')} a fragment here "
                f"too and {_reporters(upstream)} reported "
                "them never reassembled: lost before the capture point"
            )
        unseen = len(timeouts_here) - len(downstream) - len(upstream)
        if unseen:
            detail.append(f"{unseen} reassembly timeout(s) for datagrams not in the capture")
        sizes = f["datagram_sizes"][:5]
        # "datagram sizes unknown bytes" read as a bug: the unit only beside numbers
        sizes_text = f"{', '.join(map(str, sizes))} bytes" if sizes else "unknown"
        ctx.add(
            finding(
                "ip-fragmentation",
                "warning" if bad else "info",
                f"{f['src']} -> {f['dst']} ({proto}, IPv{key[0]}) sent "
                f"{plural(f['datagrams'], 'fragmented datagram')} in "
                f"{plural(f['fragments'], 'fragment')} (datagram sizes "
                f"{sizes_text})" + (": " + "; ".join(detail) if detail else "") + ".",
                {
                    **f,
                    "reassembly_timeouts": timeouts_here[: ctx.params.evidence_list_max],
                    "lost_downstream": len(downstream),
                    "lost_upstream": len(upstream),
                },
                (
                    f"The fragments reached the capture point and died after it: look between "
                    f"here and {f['dst']} (interface discards on the hops after the capture "
                    "point and on the receiver, a firewall or ACL dropping non-first fragments, "
                    "the receiver's reassembly memory: Linux ipfrag_high_thresh, Windows "
                    "'netsh int ipv4 set global reassemblylimit'). "
                    if downstream
                    else ""
                )
                + "Datagrams larger than the path MTU are split; losing one fragment loses the "
                "whole datagram and reassembly costs CPU on the receiver. Raise the MTU end to "
                "end (jumbo frames on every hop) or make the sender use smaller datagrams; for "
                "TCP make sure ICMP fragmentation-needed is not filtered so PMTU discovery "
                "works.",
            )
        )
