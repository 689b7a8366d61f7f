"""IGMP: messages, group membership over time, queriers, and `igmp-no-querier`.

Fills ``report["igmp"]``:

- ``messages``: per IGMP version and type (query 0x11, v1 report 0x12, v2 report 0x16,
  leave 0x17, v3 report 0x22): messages, group records, senders (query ``igmp_messages``);
- ``groups``: per group the hosts that joined (``members``), ``joins``, ``leaves``,
  ``members_at_end`` and the ``timeline`` of joins and leaves (query ``igmp_groups``); the
  ``Params.section_list_max`` groups with the most events, ``groups_total`` counts all. An
  IGMPv3 TO_IN/IS_IN record with no sources is a leave;
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


def _groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``groups`` list from the rows of query ``igmp_groups``, in address order."""
    out = []
    for g in sorted(rows, key=lambda g: _ip_key(g["group"])):
        timeline = [
            {
                "host": e["host"],
                "mac": e["mac"],
                "vlan": e["vlan"],
                "action": e["action"],
                "version": e["version"],
                "time": iso_ns(e["time_ns"]),
                "frame": e["frame"],
            }
            for e in g["timeline"]
        ]
        out.append(
            {
                "group": g["group"],
                "link_local": g["group"].startswith("224.0.0."),
                "members": sorted(g["members"], key=_ip_key),
                "joins": g["joins"],
                "leaves": g["leaves"],
                "members_at_end": sorted(g["members_at_end"], key=_ip_key),
                "vlans": sorted(g["vlans"]),
                "versions": sorted(g["versions"]),
                "timeline": timeline,
                "timeline_truncated": g["joins"] + g["leaves"] > len(timeline),
            }
        )
    return out


def _gap(g: dict[str, Any]) -> dict[str, Any]:
    """One ``querier_check.gaps`` entry from a row of query ``igmp_query_gaps``."""
    return {
        "vlan": g["vlan"],
        "start": iso_ns(g["gap_start_ns"]),
        "end": iso_ns(g["gap_end_ns"]),
        "seconds": g["gap_s"],
        "after_query": g["starts_at_query"],
        "until_query": g["ends_at_query"],
        "reports": g["reports"],
        "leaves": g["leaves"],
        "hosts": g["hosts"],
        "hosts_total": g["hosts_total"],
        "groups": g["groups"],
        "groups_total": g["groups_total"],
        "first_frame": g["first_frame"],
        "last_frame": g["last_frame"],
    }


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
    groups = ctx.run("igmp_groups")
    queriers = ctx.run("igmp_queriers")
    section: dict[str, Any] = ctx.report["igmp"]
    section["messages"] = messages
    section["groups"] = _groups(groups)
    section["groups_total"] = groups[0]["groups_total"] if groups else 0
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
        "gaps": [_gap(g) for g in gaps[: ctx.params.section_list_max]],
        "gaps_total": len(gaps),
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
    for g in gaps:
        by_vlan.setdefault(g["vlan"], []).append(g)
    cut = ctx.params.evidence_list_max
    for vlan, rows in by_vlan.items():
        vgaps = [_gap(g) for g in rows]
        longest = max(vgaps, key=lambda g: g["seconds"])
        hosts = sorted({h for g in vgaps for h in g["hosts"]}, key=_ip_key)[:cut]
        groups = sorted({x for g in vgaps for x in g["groups"]}, key=_ip_key)[:cut]
        hosts_total = rows[0]["vlan_hosts_total"]
        groups_total = rows[0]["vlan_groups_total"]
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
                f"(query interval {interval:g} s) while {hosts_total} host(s) sent {reports} "
                f"report(s) and {leaves} leave(s) for {groups_total} group(s): {state}",
                {
                    "vlan": vlan,
                    "query_interval_s": interval,
                    "longest_gap_s": longest["seconds"],
                    "gaps": vgaps[:cut],
                    "gaps_total": len(vgaps),
                    "hosts": hosts,
                    "hosts_total": hosts_total,
                    "groups": groups,
                    "groups_total": groups_total,
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
