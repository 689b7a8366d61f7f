"""ICMP evidence of MTU limits: fragmentation-needed / packet-too-big messages and DF ping
sweeps. Fills ``icmp`` and emits ``icmp-frag-needed`` and ``df-ping-size-limit``."""

from __future__ import annotations

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import flow_text, iso_ns, plural


def _flow_text(f: dict) -> str:
    return flow_text(f["src"], f.get("src_port"), f["dst"], f.get("dst_port"))


def run(ctx: Context) -> None:
    rows = ctx.run("icmp_too_big")
    sweeps = ctx.run("icmp_df_ping_sizes")
    section: dict = {"frag_needed": [], "packet_too_big": [], "df_ping_sweeps": []}
    for r in rows:
        flows = sorted(r["flows"], key=lambda f: (str(f["src"]), str(f["dst"])))
        entry = {
            "router": r["router"],
            "next_hop_mtu": r["next_hop_mtu"],
            "count": r["count"],
            "flows": flows,
            "first_frame": r["first_frame"],
            "first_seen": iso_ns(r["first_ns"]),
            "last_seen": iso_ns(r["last_ns"]),
        }
        section[r["kind"]].append(entry)
        sizes = sorted({f["size"] for f in flows if f.get("size")})
        what = "fragmentation-needed" if r["kind"] == "frag_needed" else "Packet Too Big"
        ctx.add(
            finding(
                "icmp-frag-needed",
                "warning",
                f"Router {r['router']} sent {plural(r['count'], f'ICMP {what} message')}: "
                f"packets of {', '.join(map(str, sizes)) or 'some'} bytes do not fit its next hop "
                f"(MTU {r['next_hop_mtu']}), for {plural(len(flows), 'flow')} such as "
                f"{_flow_text(flows[0]) if flows else '?'}.",
                entry,
                "A hop on this path has a smaller MTU than the sender's interface. If the path "
                "should carry jumbo frames (live migration, SMB), set the same MTU on every hop "
                f"(router {r['router']} included). Never filter these ICMP messages: without "
                "them PMTU discovery fails silently and large transfers stall (black hole).",
            )
        )

    for s in sweeps:
        entry = {
            "src": s["src_ip"],
            "dst": s["dst_ip"],
            "ip_version": s["ip_version"],
            "requests": s["requests"],
            "answered": s["answered"],
            "largest_answered": s["largest_answered"],
            "smallest_unanswered": s["smallest_unanswered"],
            "largest_unanswered": s["largest_unanswered"],
            "first_unanswered_frame": s["first_unanswered_frame"],
            "first_seen": iso_ns(s["first_ns"]),
            "last_seen": iso_ns(s["last_ns"]),
        }
        section["df_ping_sweeps"].append(entry)
        la, su = s["largest_answered"], s["smallest_unanswered"]
        # A size limit is a clean split: everything answered is smaller than everything lost.
        # Random loss (unanswered sizes below answered ones) is not an MTU verdict.
        if la is not None and su is not None and su > la:
            ctx.add(
                finding(
                    "df-ping-size-limit",
                    "warning",
                    f"DF pings from {s['src_ip']} to {s['dst_ip']} are answered up to {la} "
                    f"bytes and never from {su} bytes on ({s['requests'] - s['answered']} of "
                    f"{s['requests']} unanswered): "
                    + (
                        f"the path MTU is {la} bytes."
                        if su == la + 1
                        else f"the path MTU is between {la} and {su - 1} bytes."
                    ),
                    entry,
                    "Some hop between these hosts drops packets above this size. Compare with "
                    "the MTU configured on the hosts (9000 for jumbo) and on each switch and "
                    "vSwitch port (9216 on most switches); a NIC 'Jumbo Packet' value above "
                    "what the switch accepts gives exactly this picture.",
                )
            )
    ctx.report["icmp"] = section
