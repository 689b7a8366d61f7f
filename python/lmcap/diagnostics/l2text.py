"""Text rendering of the L2 sections (igmp, flooding, nlb, arp) for textreport.render."""

from __future__ import annotations

from typing import Any

from lmcap.textreport import text_table


def _vlan(v: int | None) -> str:
    return "untagged" if v is None else str(v)


def _short(items: list[Any], n: int = 3) -> str:
    s = ", ".join(str(x) for x in items[:n])
    return s + (f" +{len(items) - n}" if len(items) > n else "") if items else "-"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render_l2(report: dict[str, Any], max_rows: int = 20) -> list[str]:
    out: list[str] = []
    igmp = report.get("igmp") or {}
    if igmp.get("messages"):
        out += ["", "IGMP messages"]
        out += text_table(
            ["version", "type", "messages", "records", "senders"],
            [
                [m["version"], m["type"], m["messages"], m["records"], m["senders"]]
                for m in igmp["messages"]
            ],
        )
        groups = igmp.get("groups", [])
        if groups:
            out += ["", f"IGMP groups ({len(groups)})"]
            out += text_table(
                ["group", "members", "joins", "leaves", "members at end"],
                [
                    [
                        g["group"],
                        _short(g["members"]),
                        g["joins"],
                        g["leaves"],
                        _short(g["members_at_end"]),
                    ]
                    for g in groups[:max_rows]
                ],
            )
        qs = igmp.get("queriers", [])
        out += ["", "IGMP queriers"]
        if qs:
            out += text_table(
                ["querier", "vlan", "version", "queries", "first", "last"],
                [
                    [
                        q["querier"],
                        _vlan(q["vlan"]),
                        q["version"],
                        q["queries"],
                        q["first_seen"],
                        q["last_seen"],
                    ]
                    for q in qs
                ],
            )
        else:
            out.append("  none seen")
        check = igmp.get("querier_check") or {}
        if check.get("note"):
            out.append(f"  {check['note']}")

    fl = report.get("flooding") or {}
    if fl.get("volume"):
        out += ["", "Flooded traffic (sent to every port)"]
        out += text_table(
            ["kind", "frames", "bytes", "frames/s", "peak/s", "% frames", "% bytes"],
            [
                [
                    v["kind"],
                    v["frames"],
                    v["bytes"],
                    v["fps"],
                    v["peak_fps"],
                    _pct(v["share_frames"]),
                    _pct(v["share_bytes"]),
                ]
                for v in fl["volume"]
            ],
        )
        if fl.get("unregistered_multicast"):
            out += ["", "Multicast to groups nobody joined"]
            out += text_table(
                ["group", "vlan", "senders", "frames", "bytes", "pkt/s"],
                [
                    [
                        g["group"],
                        _vlan(g["vlan"]),
                        _short(g["senders"]),
                        g["frames"],
                        g["bytes"],
                        g["pps"],
                    ]
                    for g in fl["unregistered_multicast"][:max_rows]
                ],
            )
        if fl.get("top_senders"):
            out += ["", "Top flooding senders"]
            out += text_table(
                ["mac", "ips", "kind", "frames", "bytes"],
                [
                    [s["src_mac"], _short(s["ips"]), s["kind"], s["frames"], s["bytes"]]
                    for s in fl["top_senders"][:10]
                ],
            )

    clusters = (report.get("nlb") or {}).get("clusters") or []
    if clusters:
        out += ["", "Windows NLB clusters"]
        out += text_table(
            ["vip", "mode", "cluster mac", "hosts", "client frames", "% bytes"],
            [
                [
                    c["vip"],
                    c["mode"],
                    c["cluster_mac"],
                    _short([f"{h['host_id']}:{h['dedicated_ip']}" for h in c["hosts"]]),
                    c["traffic"]["client_frames"],
                    _pct(c["traffic"]["share_bytes"]),
                ]
                for c in clusters
            ],
        )

    arp = report.get("arp") or {}
    if arp.get("frames"):
        out += ["", "ARP"]
        peak = arp.get("peak") or {}
        out.append(
            f"  {arp['frames']} frames: {arp['requests']['total']} requests, "
            f"{arp['replies']['total']} replies, {arp['gratuitous']['total']} gratuitous, "
            f"{arp['probes']['total']} probes; busiest second {peak.get('frames', 0)} "
            f"(from {peak.get('start')})"
        )
        for d in arp.get("duplicate_ips", [])[:max_rows]:
            out.append(
                f"  duplicate {d['ip']} ({_vlan(d['vlan'])}): "
                + ", ".join(
                    f"{m['mac']} {m['first_seen']}..{m['last_seen']}" for m in d["macs"][:4]
                )
            )
        for m in arp.get("moves", [])[:max_rows]:
            ann = m["announced_by"]
            out.append(
                f"  moved {m['ip']}: {m['from_mac']} ({_vlan(m['from_vlan'])}) -> "
                f"{m['to_mac']} ({_vlan(m['to_vlan'])}) at {m['at']}"
                + (f", gratuitous ARP frame {ann['frame']}" if ann else "")
            )
    return out
