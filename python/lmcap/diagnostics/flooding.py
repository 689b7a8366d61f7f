"""Flooding: what a switch sends to every port, and `unregistered-multicast`.

Fills ``report["flooding"]``:

- ``unregistered_multicast``: IPv4 multicast sent to a group that no host joined in the
  capture on that VLAN (link-local 224.0.0.0/24 excluded): ``group``, ``vlan``, ``senders``,
  ``sender_macs``, ``frames``, ``bytes``, ``first_seen``, ``last_seen``, ``first_frame``,
  ``duration_s``, ``pps``, ``bps`` (rate over the group's active span, at least 1 s)
  (query ``flooding_unregistered_multicast``);
- ``volume``: per kind (``broadcast``, ``unregistered_multicast``, ``link_local_multicast``,
  ``nlb_unicast``, ``nlb_multicast``, ``nlb_igmp_multicast``): frames, bytes, senders,
  average ``fps``/``bps`` over the capture, the busiest calendar second (``peak_fps``,
  ``peak_second``) and the share of all frames and bytes (query ``flooding_volume``);
- ``total``: the same summed over the kinds;
- ``top_senders``: per source MAC and kind, the 20 biggest (query ``flooding_top_senders``).

`unregistered-multicast` is one finding for all such groups. Severity ``warning`` when the
capture proves nobody is a member: it holds a general query and the response window that
follows it (every member answers a general query within its max response time); ``info``
otherwise, since members that joined before the capture started only show up when a
querier asks.
"""

from __future__ import annotations

from typing import Any

from lmcap.findings import finding
from lmcap.fmt import iso_ns

DEFAULT_MAX_RESP_S = 10.0


def _max_resp_s(code: int | None) -> float:
    """Max response time of a query in seconds (RFC 3376 4.1.1; v2 codes equal it below 128)."""
    if code is None or code == 0:
        return DEFAULT_MAX_RESP_S
    if code < 128:
        return code / 10.0
    exp, mant = (code >> 4) & 0x7, code & 0xF
    return ((mant | 0x10) << (exp + 3)) / 10.0


def _membership_confirmed(ctx) -> tuple[bool, dict[str, Any] | None]:
    """True when a general query and its full response window lie inside the capture (its
    analysis window: a frame stamped years later proves nothing about the members)."""
    end = ctx.run("analysis_window_bounds")[0]["end_ns"]
    if end is None:
        return False, None
    for q in ctx.run("igmp_queriers"):
        if q["general_queries"] and q["first_ns"] is not None:
            if q["first_ns"] + int(_max_resp_s(q["max_resp_code"]) * 1e9) <= end:
                return True, {
                    "querier": q["querier"],
                    "vlan": q["vlan"],
                    "first_query": iso_ns(q["first_ns"]),
                    "frame": q["first_frame"],
                }
    return False, None


def _rate(pps: float | None) -> str:
    return "-" if pps is None else f"{pps:.1f} pkt/s"


def run(ctx) -> None:
    section: dict[str, Any] = ctx.report["flooding"]
    groups = [
        {
            "group": g["group"],
            "vlan": g["vlan"],
            "senders": g["senders"],
            "sender_macs": g["sender_macs"],
            "frames": g["frames"],
            "bytes": g["bytes"],
            "first_seen": iso_ns(g["first_ns"]),
            "last_seen": iso_ns(g["last_ns"]),
            "first_frame": g["first_frame"],
            "duration_s": g["duration_s"],
            "pps": g["pps"],
            "bps": g["bps"],
        }
        for g in ctx.run("flooding_unregistered_multicast")
    ]
    section["unregistered_multicast"] = groups
    volume = ctx.run("flooding_volume")
    for v in volume:
        v["peak_second"] = iso_ns(v.pop("peak_second_ns"))
    section["volume"] = volume
    section["total"] = {
        "frames": sum(v["frames"] for v in volume),
        "bytes": sum(v["bytes"] for v in volume),
        "fps": round(sum(v["fps"] for v in volume), 3),
        "bps": round(sum(v["bps"] for v in volume), 1),
        "share_frames": round(sum(v["share_frames"] for v in volume), 6),
        "share_bytes": round(sum(v["share_bytes"] for v in volume), 6),
    }
    section["top_senders"] = ctx.run("flooding_top_senders")

    if not groups:
        return
    confirmed, query = _membership_confirmed(ctx)
    frames = sum(g["frames"] for g in groups)
    nbytes = sum(g["bytes"] for g in groups)
    senders = sorted({s for g in groups for s in g["senders"]})
    named = "; ".join(
        f"{g['group']} from {', '.join(g['senders'][:3])} ({g['frames']} frames, {_rate(g['pps'])})"
        for g in groups[:3]
    )
    more = f" and {len(groups) - 3} more" if len(groups) > 3 else ""
    basis = (
        "a general query was answered by no member"
        if confirmed
        else "no IGMP report for it in the capture (members that joined earlier are only "
        "seen when a querier asks)"
    )
    ctx.add(
        finding(
            "unregistered-multicast",
            "warning" if confirmed else "info",
            f"{len(groups)} multicast group(s) with no IGMP member are flooded to every port: "
            f"{named}{more}",
            {
                "groups": groups[: ctx.params.evidence_list_max],
                "groups_total": len(groups),
                "frames": frames,
                "bytes": nbytes,
                "senders": senders,
                "membership_confirmed_by_query": query,
                "basis": basis,
            },
            "Stop the sender(s) if nobody needs this stream, or have the receivers join the "
            "group. Switches flood multicast with no registered receiver to every port of the "
            "VLAN (or drop it, with 'unregistered multicast flooding' disabled); confirm IGMP "
            "snooping and a querier are active on the VLAN.",
        )
    )
