"""ARP: requests, replies, gratuitous ARP, probes, and `duplicate-ip`, `ip-moved`, `arp-storm`.

Fills ``report["arp"]``:

- ``requests``, ``replies``, ``gratuitous`` (sender IP = target IP, request or reply form),
  ``probes`` (request from 0.0.0.0): each ``{"total", "hosts", "timeline"}`` where ``hosts``
  lists the senders (``mac``, ``ip``, ``vlan``, ``count``) and ``timeline`` the count per
  bucket (``start``, ``count``; ``bucket_s`` wide: 1 s, widened so the capture fits in 60
  buckets) (queries ``arp_counts``, ``arp_hosts``, ``arp_timeline``);
- ``peak``: the busiest 1-second window (query ``arp_rate_peak``);
- ``duplicate_ips``: ``ip``, ``vlan``, ``macs`` (each ``mac``, ``first_seen``, ``last_seen``,
  ``first_frame``, ``last_frame``, ``claims``, ``frames``: ARP frame numbers, at most 10);
- ``moves``: ``ip``, ``from_mac``, ``to_mac``, ``from_vlan``, ``to_vlan``, ``at``, ``frame``
  (first claim by the new owner), ``announced_by`` (the gratuitous ARP frame and time, or
  null), ``old_last_seen``/``old_last_frame``.

Claims (query ``arp_claim_runs``): an ARP packet sent with the IP as sender address, or an IP
packet from the IP by a MAC that also claimed it in ARP. A claimant is a (MAC, VLAN).

- ``duplicate-ip`` (error): two MACs on the same VLAN claim the IP at the same time: their
  claim intervals (first to last claim) overlap. A move and a move back are not a duplicate
  when every hand-over between the two MACs starts with a gratuitous ARP from the new owner
  and hand-overs are at least ``Params.arp_move_min_stay_s`` apart.
- ``ip-moved`` (info; warning when the VLAN changed): consecutive claim runs by different
  claimants that are not a duplicate (the old owner is silent once the new one speaks), e.g.
  a live-migrated VM announcing itself with gratuitous ARP from its new MAC or host VLAN.
- ``arp-storm`` (warning; error at ``Params.arp_storm_error_factor`` times the threshold): more
  than ``Params.arp_storm_pps`` ARP
  packets in a sliding 1-second window (queries ``arp_rate_peak``, ``arp_storm_senders``).

- ``arp-poisoning`` (error): a MAC claims an address that is not its own: only in replies
  nobody asked for (no request for it from the reply's target within
  ``Params.arp_reply_window_s``) or in requests sent to one host's MAC more often than in
  replies to requests (in at least ``Params.arp_poison_min_frames`` frames), and never by
  broadcast request or gratuitous ARP; and besides it speaks for an
  address of its own, or another MAC claims the address too, or one target got
  ``Params.arp_poison_flood_replies`` such replies (query ``arp_claims_by_kind``). Listed in
  ``poisoning``: ``mac``, ``vlan``, ``own_ips``, ``claimed_ips`` (``ip``,
  ``unsolicited_replies``, ``directed_requests``, ``also_claimed_by``, ``why``,
  ``first_seen``, ``first_frame``), ``victims`` (``ip``, ``mac``, ``frames``), ``frames``
  (up to 20).

NLB cluster MACs and the IPs they answer for are left to the ``nlb`` section.
"""

from __future__ import annotations

from itertools import combinations, groupby
from typing import Any

from lmcap import queries as q
from lmcap.findings import finding
from lmcap.fmt import iso_ns


def _vlan_txt(vlan: int | None) -> str:
    return "the untagged segment" if vlan is None else f"VLAN {vlan}"


def _by_kind(counts, hosts, timeline, key: str, bucket_s: int, cut: int) -> dict[str, Any]:
    senders = [h for h in hosts if h[key]]
    return {
        "total": counts.get(key, 0) if counts else 0,
        "hosts": [
            {"mac": h["mac"], "ip": h["ip"], "vlan": h["vlan"], "count": h[key]}
            for h in sorted(senders, key=lambda h: (-h[key], h["mac"] or "", h["ip"] or ""))[:cut]
        ],
        "hosts_total": len(senders),
        "bucket_s": bucket_s,
        "timeline": [{"start": iso_ns(b["bucket_start_ns"]), "count": b[key]} for b in timeline],
    }


def _claimant_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    frames: list[int] = []
    for r in runs:
        frames.extend(r["arp_frames"])
    return {
        "mac": runs[0]["mac"],
        "vlan": runs[0]["vlan"],
        "first_seen": iso_ns(min(r["start_ns"] for r in runs)),
        "last_seen": iso_ns(max(r["end_ns"] for r in runs)),
        "first_frame": min(r["first_frame"] for r in runs),
        "last_frame": max(r["last_frame"] for r in runs),
        "claims": sum(r["claims"] for r in runs),
        "arp_claims": sum(r["arp_claims"] for r in runs),
        "frames": sorted(frames)[:10],
    }


def _clean_handovers(seq: list[dict[str, Any]], min_stay_s: float) -> bool:
    """Every change of owner in ``seq`` (runs of two claimants) is a GARP-announced move."""
    last_change = None
    for prev, cur in zip(seq, seq[1:]):
        if (prev["mac"], prev["vlan"]) == (cur["mac"], cur["vlan"]):
            continue
        if cur["garp_ns"] is None or cur["garp_ns"] != cur["start_ns"]:
            return False
        if last_change is not None and (cur["start_ns"] - last_change) / 1e9 < min_stay_s:
            return False
        last_change = cur["start_ns"]
    return True


def _analyse_ip(ip: str, runs: list[dict[str, Any]], min_stay_s: float):
    """Duplicates and moves for one IP from its claim runs (time order)."""
    by_claimant: dict[tuple, list[dict[str, Any]]] = {}
    for r in runs:
        by_claimant.setdefault((r["mac"], r["vlan"]), []).append(r)
    span = {
        k: (min(r["start_ns"] for r in v), max(r["end_ns"] for r in v))
        for k, v in by_claimant.items()
    }
    conflicting: set[frozenset] = set()  # pairs that overlap: a duplicate, or reuse per VLAN
    dup_pairs: list[tuple] = []
    for a, b in combinations(by_claimant, 2):
        (a0, a1), (b0, b1) = span[a], span[b]
        if a0 > b1 or b0 > a1:
            continue
        if a[1] != b[1]:  # the same IP used on two VLANs at once: separate segments
            conflicting.add(frozenset((a, b)))
            continue
        if a[0] == b[0]:
            continue
        pair_seq = [r for r in runs if (r["mac"], r["vlan"]) in (a, b)]
        if _clean_handovers(pair_seq, min_stay_s):
            continue
        conflicting.add(frozenset((a, b)))
        dup_pairs.append((a, b))

    dups = []
    if dup_pairs:
        by_vlan: dict[Any, set] = {}
        for a, b in dup_pairs:
            by_vlan.setdefault(a[1], set()).update((a, b))
        for vlan, members in by_vlan.items():
            macs = [_claimant_summary(by_claimant[k]) for k in members]
            macs.sort(key=lambda m: (m["first_frame"], m["mac"]))
            dups.append({"ip": ip, "vlan": vlan, "macs": macs})

    moves = []
    for prev, cur in zip(runs, runs[1:]):
        a, b = (prev["mac"], prev["vlan"]), (cur["mac"], cur["vlan"])
        if a == b or frozenset((a, b)) in conflicting:
            continue
        moves.append(
            {
                "ip": ip,
                "from_mac": prev["mac"],
                "to_mac": cur["mac"],
                "from_vlan": prev["vlan"],
                "to_vlan": cur["vlan"],
                "at": iso_ns(cur["start_ns"]),
                "frame": cur["first_frame"],
                "announced_by": None
                if cur["garp_frame"] is None
                else {"frame": cur["garp_frame"], "time": iso_ns(cur["garp_ns"])},
                "old_last_seen": iso_ns(prev["end_ns"]),
                "old_last_frame": prev["last_frame"],
                "silence_s": round((cur["start_ns"] - prev["end_ns"]) / 1e9, 6),
            }
        )
    return dups, moves


def _duplicate_finding(d: dict[str, Any]) -> dict[str, Any]:
    macs = ", ".join(f"{m['mac']} ({m['claims']} claims)" for m in d["macs"])
    return finding(
        "duplicate-ip",
        "error",
        f"{d['ip']} is claimed by {len(d['macs'])} MACs at the same time on "
        f"{_vlan_txt(d['vlan'])}: {macs}",
        {"ip": d["ip"], "vlan": d["vlan"], "macs": d["macs"]},
        "Two hosts use this address: find both ports in the switch MAC address table "
        "('show mac address-table address <MAC>') and re-address one of them. Check static "
        "addresses against the DHCP scope, cloned VMs, and a VM left running on the source host "
        "after a failed live migration.",
    )


def _move_finding(ip: str, moves: list[dict[str, Any]]) -> dict[str, Any]:
    last = moves[-1]
    vlan_changed = any(m["from_vlan"] != m["to_vlan"] for m in moves)
    what = []
    if last["from_mac"] != last["to_mac"]:
        what.append(f"from {last['from_mac']} to {last['to_mac']}")
    if last["from_vlan"] != last["to_vlan"]:
        what.append(f"from {_vlan_txt(last['from_vlan'])} to {_vlan_txt(last['to_vlan'])}")
    how = (
        f"announced by gratuitous ARP in frame {last['announced_by']['frame']}"
        if last["announced_by"]
        else f"first claimed in frame {last['frame']}, no gratuitous ARP"
    )
    times = f" ({len(moves)} moves)" if len(moves) > 1 else ""
    return finding(
        "ip-moved",
        "warning" if vlan_changed else "info",
        f"{ip} moved {' and '.join(what)} at {last['at']}{times}, {how}; "
        f"the old owner was last seen {last['silence_s']:.3f} s before",
        {"ip": ip, "moves": moves},
        (
            "The address now lives in another VLAN: check the VM's VLAN setting on the "
            "destination host and the switch port's allowed VLANs."
            if vlan_changed
            else "Expected after a live migration or NIC failover. If clients lose the host "
            "right after, check that switches and routers learned the new MAC (the gratuitous "
            "ARP reached them) and that no stale static ARP entries remain."
        ),
    )


def _sql_strings(values) -> str:
    """SQL string literals of ``values``, distinct and comma-separated."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(set(values)))


def _poisoners(ctx, min_frames: int, flood_replies: int) -> list[dict[str, Any]]:
    """MACs that claim addresses that are not their own (from ``arp_claims_by_kind``).

    A claim (MAC, IP) is foreign when the MAC never speaks for the IP the way an owner does
    (broadcast request, gratuitous announcement) and claims it more often in replies nobody
    asked for or requests sent to one host's MAC than in replies to requests, in at least
    ``min_frames`` frames (one stray or corrupted frame is no attack). It is poisoning when,
    besides, the MAC speaks for another address of its own, or another MAC claims the IP too
    (its MAC changed for the hosts that resolve it), or one target got ``flood_replies`` or
    more of those replies. A router answering for its secondary addresses replies to requests
    (solicited), a moved VM announces itself (gratuitous), and NLB cluster MACs are left out
    by the query.

    DuckDB picks the foreign claims without their lists, then the victims and frames of those
    claims' MACs and addresses only (the lists of every claim cost 8 s on the 8 GiB bench
    capture; filters on the grouping columns reach below DuckDB's aggregation); of the other
    claims only who claims what is fetched, and only when some claim is foreign: their victim
    lists, which a capture with many ARP senders makes hundreds of MB, stay in DuckDB.
    """
    order = "mac, vlan NULLS FIRST, ip"
    suspicious = "unsolicited_replies + directed_requests"
    lists = ("victims", "suspicious_frames")
    foreign_claims = q.run_rows(
        ctx.con,
        "arp_claims_by_kind",
        f"broadcast_requests = 0 AND gratuitous = 0 AND {suspicious} > solicited_replies "
        f"AND {suspicious} >= {int(min_frames)}",
        order,
        tuple(c for c in q.get("arp_claims_by_kind").columns if c not in lists),
        **ctx.params.sql_params(),
    )
    if not foreign_claims:
        return []
    lists_of = {
        (r["mac"], r["vlan"], r["ip"]): r
        for r in q.run_rows(
            ctx.con,
            "arp_claims_by_kind",
            f"mac IN ({_sql_strings(c['mac'] for c in foreign_claims)}) "
            f"AND ip IN ({_sql_strings(c['ip'] for c in foreign_claims)})",
            order,
            ("mac", "vlan", "ip", *lists),
            **ctx.params.sql_params(),
        )
    }
    for c in foreign_claims:
        c.update({k: lists_of[(c["mac"], c["vlan"], c["ip"])][k] for k in lists})
    ips_of_mac: dict[tuple, list[str]] = {}
    macs_of_ip: dict[tuple, set[str]] = {}
    for r in q.run_rows(
        ctx.con,
        "arp_claims_by_kind",
        "TRUE",
        order,
        ("mac", "vlan", "ip"),
        **ctx.params.sql_params(),
    ):
        ips_of_mac.setdefault((r["mac"], r["vlan"]), []).append(r["ip"])
        macs_of_ip.setdefault((r["ip"], r["vlan"]), set()).add(r["mac"])
    by_mac: dict[tuple, list[dict[str, Any]]] = {}
    for c in foreign_claims:
        by_mac.setdefault((c["mac"], c["vlan"]), []).append(c)
    out = []
    for (mac, vlan), claims in by_mac.items():
        foreign = []
        for c in claims:
            other_ips = [ip for ip in ips_of_mac[(mac, vlan)] if ip != c["ip"]]
            other_macs = sorted(macs_of_ip[(c["ip"], vlan)] - {mac})
            why = []
            if c["unsolicited_replies"] and other_ips:
                why.append(f"{mac} also speaks for {', '.join(other_ips[:3])}")
            if other_macs:
                why.append(f"{', '.join(other_macs[:3])} claims it too")
            if c["max_replies_to_one_target"] >= flood_replies:
                why.append(f"{c['max_replies_to_one_target']} unsolicited replies to one target")
            if why:
                foreign.append((c, other_macs, why))
        if not foreign:
            continue
        foreign_ips = {c["ip"] for c, _, _ in foreign}
        frames = sorted(f for c, _, _ in foreign for f in c["suspicious_frames"])
        victims: dict[tuple, int] = {}
        for c, _, _ in foreign:
            for v in c["victims"]:
                victims[(v["ip"], v["mac"])] = victims.get((v["ip"], v["mac"]), 0) + v["frames"]
        out.append(
            {
                "mac": mac,
                "vlan": vlan,
                "own_ips": sorted(ip for ip in ips_of_mac[(mac, vlan)] if ip not in foreign_ips),
                "claimed_ips": [
                    {
                        "ip": c["ip"],
                        "unsolicited_replies": c["unsolicited_replies"],
                        "directed_requests": c["directed_requests"],
                        "also_claimed_by": other_macs,
                        "why": "; ".join(why),
                        "first_seen": iso_ns(c["first_ns"]),
                        "first_frame": c["first_frame"],
                    }
                    for c, other_macs, why in foreign
                ],
                "victims": [
                    {"ip": ip, "mac": vmac, "frames": n}
                    for (ip, vmac), n in sorted(victims.items(), key=lambda kv: (-kv[1], kv[0]))
                ],
                "frames": frames[:20],
            }
        )
    return out


def _poisoning_finding(p: dict[str, Any], listed: int) -> dict[str, Any]:
    claimed = ", ".join(c["ip"] for c in p["claimed_ips"])
    own = f" besides its own {', '.join(p['own_ips'][:3])}" if p["own_ips"] else ""
    victims = ", ".join(v["ip"] for v in p["victims"][:5]) or "(no target address)"
    return finding(
        "arp-poisoning",
        "error",
        f"{p['mac']} on {_vlan_txt(p['vlan'])} claims {claimed}{own} in ARP replies nobody "
        f"asked for or requests sent to one host, towards {victims} "
        f"(frames {', '.join(str(f) for f in p['frames'][:5])}): ARP cache poisoning",
        {
            "mac": p["mac"],
            "vlan": p["vlan"],
            "own_ips": p["own_ips"],
            "claimed_ips": p["claimed_ips"][:listed],
            "victims": p["victims"][:listed],
            "frames": p["frames"],
        },
        "Someone redirects the victims' traffic through this MAC (a man in the middle, or a "
        "misconfigured host answering for the gateway): find its port in the switch MAC address "
        "table ('show mac address-table address <MAC>'), disconnect it, flush the victims' ARP "
        "caches, and turn on dynamic ARP inspection on the access VLAN.",
    )


def run(ctx) -> None:
    section: dict[str, Any] = ctx.report["arp"]
    counts_rows = ctx.run("arp_counts")
    counts = counts_rows[0] if counts_rows else {}
    hosts = ctx.run("arp_hosts")
    timeline = ctx.run("arp_timeline")
    bucket_s = int(timeline[0]["bucket_s"]) if timeline else 1
    section["frames"] = counts.get("frames", 0) or 0
    for key in ("requests", "replies", "gratuitous", "probes"):
        section[key] = _by_kind(counts, hosts, timeline, key, bucket_s, ctx.params.section_list_max)
    section["gratuitous"]["requests"] = counts.get("gratuitous_requests", 0) or 0
    section["gratuitous"]["replies"] = counts.get("gratuitous_replies", 0) or 0
    section["rarp"] = counts.get("rarp", 0) or 0

    peak_rows = ctx.run("arp_rate_peak")
    peak = peak_rows[0] if peak_rows else None
    section["peak"] = (
        None
        if peak is None
        else {
            "start": iso_ns(peak["window_start_ns"]),
            "end": iso_ns(peak["window_end_ns"]),
            "frames": peak["frames"],
            "first_frame": peak["first_frame"],
            "last_frame": peak["last_frame"],
            "threshold_pps": peak["threshold_pps"],
        }
    )

    dups: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    # one address's runs at a time (the query orders them by address): a capture of many
    # hosts has hundreds of thousands of runs, and only duplicates and moves are kept
    claim_runs = q.iter_rows(ctx.con, "arp_claim_runs", **ctx.params.sql_params())
    for ip, ip_runs in groupby(claim_runs, key=lambda r: r["ip"]):
        d, m = _analyse_ip(ip, list(ip_runs), ctx.params.arp_move_min_stay_s)
        dups += d
        moves += m
    section["duplicate_ips"] = dups
    section["moves"] = moves

    listed = ctx.params.arp_findings_listed
    for d in dups[:listed]:
        ctx.add(_duplicate_finding(d))
    if len(dups) > listed:
        rest = dups[listed:]
        ctx.add(
            finding(
                "duplicate-ip",
                "error",
                f"{len(rest)} more IPs are claimed by several MACs at once: "
                + ", ".join(d["ip"] for d in rest[:10]),
                {"duplicate_ips": rest},
                "See arp.duplicate_ips; many at once suggests proxy ARP or a loop.",
            )
        )
    moved: dict[str, list[dict[str, Any]]] = {}
    for m in moves:
        moved.setdefault(m["ip"], []).append(m)
    for ip in list(moved)[:listed]:
        ctx.add(_move_finding(ip, moved[ip]))
    if len(moved) > listed:
        rest_ips = list(moved)[listed:]
        ctx.add(
            finding(
                "ip-moved",
                "info",
                f"{len(rest_ips)} more IPs moved to another MAC or VLAN: "
                + ", ".join(rest_ips[:10]),
                {"moves": [m for ip in rest_ips for m in moved[ip]]},
                "Expected during live migrations; see arp.moves.",
            )
        )

    poisoners = _poisoners(
        ctx,
        ctx.params.arp_poison_min_frames,
        ctx.params.arp_poison_flood_replies,
    )
    section["poisoning"] = poisoners
    for p in poisoners[: ctx.params.findings_per_id]:
        ctx.add(_poisoning_finding(p, ctx.params.evidence_list_max))

    threshold = float(ctx.params.arp_storm_pps)
    if peak and peak["frames"] > threshold:
        senders = ctx.run("arp_storm_senders")
        top = senders[0] if senders else None
        who = ""
        if top:
            kind = (
                f"asking for {top['distinct_targets']} addresses"
                if top["distinct_targets"] > ctx.params.arp_sweep_min_targets
                else f"repeating {top['distinct_targets']} target(s): a loop or a stuck host"
            )
            who = (
                f"; top sender {top['src_mac']} ({', '.join(top['sender_ips'][:3])}) "
                f"{top['frames']} frames, {kind}"
            )
        ctx.add(
            finding(
                "arp-storm",
                "error"
                if peak["frames"] >= ctx.params.arp_storm_error_factor * threshold
                else "warning",
                f"ARP storm: {peak['frames']} ARP packets in 1 s from "
                f"{iso_ns(peak['window_start_ns'])} "
                f"(threshold {threshold:g}/s){who}",
                {
                    "rate_pps": peak["frames"],
                    "threshold_pps": threshold,
                    "peak_second": {
                        "start": iso_ns(peak["window_start_ns"]),
                        "end": iso_ns(peak["window_end_ns"]),
                        "first_frame": peak["first_frame"],
                        "last_frame": peak["last_frame"],
                    },
                    "top_senders": senders,
                    "total_arp_frames": section["frames"],
                },
                "Find the top sender: a host sweeping the subnet (scanner, misconfigured "
                "monitoring, a route pointing at an on-link prefix) or a bridging loop (the "
                "same requests repeated: check STP and port-channel state). Rate-limit ARP "
                "on the access ports (dynamic ARP inspection / storm control).",
            )
        )
