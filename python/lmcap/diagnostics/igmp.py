"""IGMP: messages, group membership over time, queriers, and `igmp-no-querier`.

Fills ``report["igmp"]``:

- ``messages``: per IGMP version and type (query 0x11, v1 report 0x12, v2 report 0x16,
  leave 0x17, v3 report 0x22): messages, group records, senders (query ``igmp_messages``);
- ``groups``: per group the hosts that joined (``members``), ``joins``, ``leaves``,
  ``members_at_end`` and the ``timeline`` of joins and leaves (query
  ``igmp_membership_events``). An IGMPv3 TO_IN/IS_IN record with no sources is a leave;
- ``queriers``: who sent queries, per VLAN (query ``igmp_queriers``);
- ``querier_check``: whether the capture shows a working querier (see below) and the
  stretches without a query longer than the query interval (query ``igmp_query_gaps``).

`igmp-no-querier` (warning) fires per VLAN when there are membership reports or leaves and no
query for longer than ``Params.igmp_query_interval_s``: between the start of the analysis window
(``capture.analysis_window``: outlying timestamps left out), each query and the window's end,
a stretch longer than the interval that holds reports or leaves. A capture no
longer than the interval that holds reports and no query at all cannot tell a missing querier
from one that has not spoken yet: no finding, ``querier_check.verdict`` is ``inconclusive``.
"""

from __future__ import annotations

from typing import Any

from lmcap.findings import finding
from lmcap.fmt import iso_ns


def _groups(events: list[dict[str, Any]], max_timeline: int) -> list[dict[str, Any]]:
    by_group: dict[str, dict[str, Any]] = {}
    for e in events:
        g = by_group.setdefault(
            e["group"],
            {
                "group": e["group"],
                "members": set(),
                "joins": 0,
                "leaves": 0,
                "state": {},
                "vlans": set(),
                "versions": set(),
                "timeline": [],
            },
        )
        key = (e["vlan"], e["host"])
        if e["action"] == "join":
            g["joins"] += 1
            g["members"].add(e["host"])
            g["state"][key] = True
        else:
            g["leaves"] += 1
            g["state"][key] = False
        if e["vlan"] is not None:
            g["vlans"].add(e["vlan"])
        g["versions"].add(e["version"])
        if len(g["timeline"]) < max_timeline:
            g["timeline"].append(
                {
                    "host": e["host"],
                    "mac": e["src_mac"],
                    "vlan": e["vlan"],
                    "action": e["action"],
                    "version": e["version"],
                    "time": iso_ns(e["time_ns"]),
                    "frame": e["frame_number"],
                }
            )
    out = []
    for name in sorted(by_group, key=_ip_key):
        g = by_group[name]
        out.append(
            {
                "group": name,
                "link_local": name.startswith("224.0.0."),
                "members": sorted(g["members"], key=_ip_key),
                "joins": g["joins"],
                "leaves": g["leaves"],
                "members_at_end": sorted(
                    {h for (_, h), on in g["state"].items() if on}, key=_ip_key
                ),
                "vlans": sorted(g["vlans"]),
                "versions": sorted(g["versions"]),
                "timeline": g["timeline"],
                "timeline_truncated": g["joins"] + g["leaves"] > len(g["timeline"]),
            }
        )
    return out


def _ip_key(ip: str | None) -> tuple:
    if ip is None:
        return (1,)
    try:
        return (0, *(int(x) for x in ip.split(".")))
    except ValueError:
        return (0, ip)


def _vlan_name(vlan: int | None) -> str:
    return "the untagged segment" if vlan is None else f"VLAN {vlan}"


def run(ctx) -> None:
    messages = ctx.run("igmp_messages")
    events = ctx.run("igmp_membership_events")
    queriers = ctx.run("igmp_queriers")
    section: dict[str, Any] = ctx.report["igmp"]
    section["messages"] = messages
    section["groups"] = _groups(events, ctx.params.igmp_timeline_max)
    section["queriers"] = [
        {
            "querier": q["querier"],
            "mac": q["src_mac"],
            "vlan": q["vlan"],
            "version": q["version"],
            "queries": q["queries"],
            "general_queries": q["general_queries"],
            "group_queries": q["group_queries"],
            "max_resp_code": q["max_resp_code"],
            "first_seen": iso_ns(q["first_ns"]),
            "last_seen": iso_ns(q["last_ns"]),
            "first_frame": q["first_frame"],
        }
        for q in queriers
    ]

    interval = float(ctx.params.igmp_query_interval_s)
    membership = sum(m["messages"] for m in messages if m["msg_type"] != 0x11)
    # the analysis window: a frame stamped years away must not make a short capture look long
    duration = float(ctx.report["capture"]["analysis_window"]["duration_s"])
    gaps = ctx.run("igmp_query_gaps") if membership else []
    check: dict[str, Any] = {
        "query_interval_s": interval,
        "capture_s": duration,
        "membership_messages": membership,
        "queries": sum(q["queries"] for q in queriers),
        "gaps": [
            {
                "vlan": g["vlan"],
                "start": iso_ns(g["gap_start_ns"]),
                "end": iso_ns(g["gap_end_ns"]),
                "seconds": g["gap_s"],
                "after_query": g["starts_at_query"],
                "until_query": g["ends_at_query"],
                "reports": g["reports"],
                "leaves": g["leaves"],
                "hosts": g["hosts"],
                "groups": g["groups"],
                "first_frame": g["first_frame"],
                "last_frame": g["last_frame"],
            }
            for g in gaps
        ],
    }
    if not membership:
        check["verdict"] = "no_membership"
    elif gaps:
        check["verdict"] = "no_querier"
    elif not queriers:
        check["verdict"] = "inconclusive"
        check["note"] = (
            f"reports but no query in a {duration:.1f} s capture, no longer than the "
            f"{interval:g} s query interval: capture longer to tell"
        )
    else:
        check["verdict"] = "ok"
    section["querier_check"] = check

    by_vlan: dict[Any, list[dict[str, Any]]] = {}
    for g in check["gaps"]:
        by_vlan.setdefault(g["vlan"], []).append(g)
    for vlan, vgaps in by_vlan.items():
        longest = max(vgaps, key=lambda g: g["seconds"])
        hosts = sorted({h for g in vgaps for h in g["hosts"]}, key=_ip_key)
        groups = sorted({x for g in vgaps for x in g["groups"]}, key=_ip_key)
        reports = sum(g["reports"] for g in vgaps)
        leaves = sum(g["leaves"] for g in vgaps)
        vq = [q for q in section["queriers"] if q["vlan"] == vlan]
        if vq:
            state = "the querier " + ", ".join(q["querier"] for q in vq) + " went silent"
        else:
            state = "no querier at all"
        ctx.add(
            finding(
                "igmp-no-querier",
                "warning",
                f"No IGMP query for {longest['seconds']:.0f} s on {_vlan_name(vlan)} "
                f"(query interval {interval:g} s) while {len(hosts)} host(s) sent {reports} "
                f"report(s) and {leaves} leave(s) for {len(groups)} group(s): {state}",
                {
                    "vlan": vlan,
                    "query_interval_s": interval,
                    "longest_gap_s": longest["seconds"],
                    "gaps": vgaps,
                    "hosts": hosts,
                    "groups": groups,
                    "reports": reports,
                    "leaves": leaves,
                    "queriers": vq,
                },
                "Enable an IGMP querier on this VLAN (the multicast router, or the switch's "
                "IGMP snooping querier, e.g. 'ip igmp snooping querier'). Without one, "
                "snooping switches age out group memberships (about 260 s) and then drop or "
                "flood the multicast; hosts also stop refreshing their reports.",
            )
        )
