"""Throughput of live migration and other bulk transfers: per flow, host pair, NIC and VLAN,
steadiness, utilization of the link, concurrent migrations, and the TCP troubles that cut a
transfer short. Fills ``throughput`` and ``tcp``; emits ``link-underused``,
``throughput-unstable``, ``jumbo-unused``, ``tcp-resets``, ``tcp-retransmissions`` and
``zero-window``. Python sees only the flows it reports or judges (query
``throughput_notable_flows``: the largest, bulk candidates, TCP connections that may make a
finding) and their directions' rates (``throughput_flow_stats``, filtered in DuckDB); the
counts come from ``throughput_flow_totals``, so a capture of millions of flows stays in SQL.

``live_migrations`` counts migrations, not connections (query
``throughput_migration_connections``, :func:`_migrations`): the connections of one host pair
or one SMB session moving at least ``Params.bulk_min_bytes`` over an interval (gaps of at most
``Params.migration_gap_s``), with ``max_concurrent_migrations``; ``max_concurrent`` (data
connections per bucket) stays as it was.

``jumbo-unused`` (info; warning when ``--link-speed`` is given and the transfer's mean rate is
below ``Params.underused_ratio`` of it): a live-migration or SMB transfer (query
``throughput_jumbo_unused``) whose MSS and largest segments are at the standard size, so jumbo
frames would carry it with a sixth of the packets (15-20% more live-migration throughput).
Never for a transfer with any jumbo segment or a jumbo MSS on either side (those are
``jumbo-partial`` and ``mtu-mismatch``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lmcap import queries as q
from lmcap.diagnostics import DEFAULT_BUCKET_NS, Context, Params
from lmcap.findings import finding
from lmcap.fmt import flow_text, human_bps, human_bytes, human_duration, iso_ns, percent

#: The widths the throughput bucket is chosen from (nanoseconds): 1, 2 and 5 times a power of
#: ten, from the finest --bucket takes (1 ms) to the default (1 s).
BUCKET_LADDER_NS = tuple(m * 10**e for e in range(6, 9) for m in (1, 2, 5)) + (10**9,)


def resolve_bucket(con, p: Params) -> tuple[Params, dict[str, Any]]:
    """``p`` with its ``bucket_ns`` set, and how it was set (``throughput.bucket`` of the
    report). A given bucket stays. None is chosen from the capture: the coarsest width of
    :data:`BUCKET_LADDER_NS` that is a multiple of the width the scan cut ``traffic`` at
    (``scan_settings.bucket_ns``: 1 ms on a short capture, up to 1 s on a long one) over which
    the shortest bulk transfer spans at least ``Params.unstable_min_buckets`` interior buckets,
    so that the spread of every bulk transfer's rate means something. A bulk transfer is a flow
    of query ``throughput_bulk_spans``, measured over its transfer (query
    ``throughput_transfer_shape`` at the scan's width: a session's set-up and idle tail left
    out). Transfers too short for that even at the scan's width do not count (their spread
    statistics stay null); with none left it is 1 s, or the scan's finest width when there are
    bulk flows but all too short (for their series)."""
    scan_ns = q.scan_cut(con).get("bucket_ns", DEFAULT_BUCKET_NS)
    need = p.unstable_min_buckets
    choice: dict[str, Any] = {
        "auto": p.bucket_ns is None,
        "scan_bucket_ns": scan_ns,
        "min_buckets": need,
        "shortest_bulk": None,
    }
    if p.bucket_ns is not None:
        choice["bucket_ns"] = p.bucket_ns
        choice["reason"] = "given (--bucket or Params.bucket_ns)"
        return p, choice
    bulk = q.run(con, "throughput_bulk_spans", **p.sql_params())
    spans = _transfer_spans(con, [b["flow_id"] for b in bulk], scan_ns, p)
    # interior buckets: the partly covered first and last one are not judged
    fits = sorted(
        (spans[b["flow_id"]], b["flow_id"], b)
        for b in bulk
        if spans.get(b["flow_id"], 0) // scan_ns >= need + 2
    )
    ladder = _ladder(scan_ns)
    if fits:
        span, _, shortest = fits[0]
        chosen = _coarsest(ladder, span, need) or ladder[0]
        choice["shortest_bulk"] = {
            "flow_id": shortest["flow_id"],
            "flow": f"{shortest['client']} -> {shortest['server']}",
            "class": shortest["class"],
            "span_s": round(span / 1e9, 6),
        }
        reason = (
            f"chosen: the shortest bulk transfer ({shortest['client']} -> {shortest['server']}, "
            f"{human_duration(span / 1e9)}) spans {span // chosen} buckets of "
            f"{human_duration(chosen / 1e9)}"
        )
    else:
        # none at all: the default; only ones too short to judge: the finest there is, for
        # the plots and series
        chosen = ladder[0] if bulk else ladder[-1]
        reason = (
            "chosen: no bulk transfer"
            if not bulk
            else f"chosen: no bulk transfer spans {need + 2} buckets of "
            f"{human_duration(scan_ns / 1e9)}, the finest this scan kept"
        )
    if scan_ns > BUCKET_LADDER_NS[0]:
        reason += (
            f" (the scan cut traffic at {human_duration(scan_ns / 1e9)}: a long or busy capture "
            "keeps no finer buckets; --bucket 10ms asks for finer ones)"
        )
    choice["bucket_ns"] = chosen
    choice["reason"] = reason
    return dataclasses.replace(p, bucket_ns=chosen), choice


def _coarsest(ladder: list[int], span_ns: int, need: int) -> int | None:
    """The coarsest width of ``ladder`` over which ``span_ns`` holds ``need`` interior buckets
    (the partly covered first and last one are not judged); None when none does."""
    return max((w for w in ladder if span_ns // w >= need + 2), default=None)


def _ladder(floor_ns: int) -> list[int]:
    """The steps of :data:`BUCKET_LADDER_NS` from ``floor_ns`` up that are its multiples."""
    return [w for w in BUCKET_LADDER_NS if w >= floor_ns and w % floor_ns == 0] or [floor_ns]


def _transfer_spans(con, flow_ids: list[int], bucket_ns: int, p: Params) -> dict[int, int]:
    """Flow id -> the span in nanoseconds of the transfer of its data direction (the one with
    more wire bytes), from query ``throughput_transfer_shape`` at ``bucket_ns``."""
    if not flow_ids:
        return {}
    at = {**p.sql_params(), "bucket_ns": bucket_ns}
    with q.variable(con, "lmcap_flow_ids", flow_ids):
        rows = q.run(con, "throughput_transfer_shape", **at)
    best: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r["flow_id"] not in best or r["bytes"] > best[r["flow_id"]]["bytes"]:
            best[r["flow_id"]] = r
    return {fid: r["transfer_end_ns"] - r["transfer_start_ns"] for fid, r in best.items()}


def _grouping(groups: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """One grouping's rows of query ``throughput_groups`` (its ``report_list_max`` largest)."""
    return [
        {k: v for k, v in g.items() if k != "keys_total"} for g in groups if g["grouping"] == name
    ]


def _grouping_total(groups: list[dict[str, Any]], name: str) -> int:
    return next((g["keys_total"] for g in groups if g["grouping"] == name), 0)


def _flow_row(f: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "flow_id", "proto", "class", "client", "server", "vlan", "packets_c2s", "packets_s2c",
        "wire_bytes_c2s", "wire_bytes_s2c", "payload_bytes_c2s", "payload_bytes_s2c",
        "unique_bytes_c2s", "unique_bytes_s2c", "retrans_bytes_c2s", "retrans_bytes_s2c",
        "resets_by_client", "resets_by_server", "fin_c2s", "fin_s2c", "syn_seen", "client_mss",
        "server_mss", "client_wscale", "server_wscale", "zero_windows_by_client",
        "zero_windows_by_server", "handshake_rtt_ms", "duration_s", "unacked_bytes_c2s",
        "unacked_bytes_s2c", "resumed",
    )  # fmt: skip
    row = {k: f[k] for k in keys}
    row["start"] = iso_ns(f["start_ns"])
    row["end"] = iso_ns(f["end_ns"])
    return row


def run(ctx: Context) -> None:
    p = ctx.params
    # Not every flow: the largest, the bulk candidates and the TCP connections that may make
    # a finding (a SYN flood's millions of flows stay in DuckDB); counts come from SQL.
    flows = ctx.run("throughput_notable_flows")
    totals = ctx.run("throughput_flow_totals")
    by_id = {f["flow_id"]: f for f in flows}
    top = p.report_list_max
    largest = sorted(flows, key=lambda f: -(f["wire_bytes_c2s"] + f["wire_bytes_s2c"]))[:top]
    # the directions of the largest flows (their rate in the report) and of bulk transfers
    ids = ", ".join(str(f["flow_id"]) for f in largest) or "NULL"
    # Computed for the notable flows only (a superset: their payload counts every frame, the
    # statistics' only those inside the analysis window), each at its bucket.
    buckets = _flow_buckets(ctx.con, flows, ctx.bucket_choice, p)
    stats: list[dict[str, Any]] = []
    series: dict[tuple[int, str], dict[str, Any]] = {}
    shapes: dict[tuple[int, str], dict[str, Any]] = {}
    shown = {f["flow_id"] for f in largest}
    for width, fids in sorted(buckets.items()):
        at = {**p.sql_params(), "bucket_ns": width}
        with q.variable(ctx.con, "lmcap_flow_ids", fids):
            stats += q.run_rows(
                ctx.con,
                "throughput_flow_stats",
                f"payload_bytes >= {int(p.bulk_min_bytes)} OR flow_id IN ({ids})",
                "bytes DESC, flow_id, direction",
                **at,
            )
            for r in q.run(ctx.con, "throughput_transfer_shape", **at):
                shapes[(r["flow_id"], r["direction"])] = r
                if r["flow_id"] in shown:
                    series[(r["flow_id"], r["direction"])] = _series(r)
    stats.sort(key=lambda s: (-s["bytes"], s["flow_id"], s["direction"]))
    width_of = {fid: width for width, fids in buckets.items() for fid in fids}
    groups = ctx.run("throughput_groups")
    concurrent = ctx.run("throughput_migrations_concurrent")

    # The data direction of each flow: the one that carried more payload.
    data_dir: dict[int, dict[str, Any]] = {}
    for s in stats:
        best = data_dir.get(s["flow_id"])
        if best is None or s["payload_bytes"] > best["payload_bytes"]:
            shape = shapes.get((s["flow_id"], s["direction"]))
            data_dir[s["flow_id"]] = _with_spread(s, shape, p, width_of[s["flow_id"]])

    flow_rows = []
    for f in largest:
        row = _flow_row(f)
        s = data_dir.get(f["flow_id"])
        row["rate"] = (
            None
            if s is None
            else {
                **{
                    k: s[k]
                    for k in (
                        "direction",
                        "mean_bps",
                        "peak_bps",
                        "p5_bps",
                        "p95_bps",
                        "cov",
                        "utilization",
                        "buckets",
                        "active_buckets",
                        "spread_buckets",
                        "transfer_start",
                        "transfer_end",
                        "transfer_s",
                    )  # fmt: skip
                },
                "bucket_s": s["bucket_s"],
                "series": series.get((f["flow_id"], s["direction"])),
            }
        )
        flow_rows.append(row)

    migrations = _migrations(
        ctx.run("throughput_migration_connections"), ctx.run("smb_channels"), p
    )
    most, most_at = _max_concurrent(migrations)
    peak = max(concurrent, key=lambda r: r["flows"], default=None)
    ctx.report["throughput"] = {
        "bucket_s": p.bucket_ns / 1e9,
        "bucket": {**ctx.bucket_choice, "bucket_s": p.bucket_ns / 1e9},
        "link_speed_bps": p.link_speed_bps or None,
        "flows": flow_rows,
        "flow_count": sum(t["flows"] for t in totals),
        "classes": {t["class"]: t["flows"] for t in totals},
        "host_pairs": _grouping(groups, "host_pair"),
        "host_pairs_total": _grouping_total(groups, "host_pair"),
        "nics": _grouping(groups, "nic"),
        "nics_total": _grouping_total(groups, "nic"),
        "vlans": _grouping(groups, "vlan"),
        "vlans_total": _grouping_total(groups, "vlan"),
        "live_migrations": {
            "max_concurrent": peak["flows"] if peak else 0,
            "at": iso_ns(peak["bucket_start_ns"]) if peak else None,
            "series": [
                {"t": iso_ns(r["bucket_start_ns"]), "flows": r["flows"], "bytes": r["bytes"]}
                for r in concurrent[: p.timeline_max_points]
            ],
            "migration_count": len(migrations),
            "max_concurrent_migrations": most,
            "max_concurrent_migrations_at": most_at,
            "migrations": migrations[:top],
        },
    }
    tcp = [f for f in flows if f["proto"] == "tcp"]
    ctx.report["tcp"] = {
        "connections": sum(t["tcp_connections"] for t in totals),
        "handshakes_seen": sum(t["handshakes_seen"] for t in totals),
        "payload_bytes": sum(t["payload_bytes"] for t in totals),
        "retransmitted_bytes": sum(t["retransmitted_bytes"] for t in totals),
        "resets": sum(t["resets"] for t in totals),
        "zero_windows": sum(t["zero_windows"] for t in totals),
    }

    for fid, s in data_dir.items():
        f = by_id[fid]
        if not _is_bulk(s, p):
            continue
        rate = {
            k: s[k]
            for k in ("mean_bps", "peak_bps", "p5_bps", "p95_bps", "cov", "buckets",
                      "spread_buckets", "bucket_s")
        }  # fmt: skip
        ev = {
            "flow": f"{s['src']} -> {s['dst']}",
            "class": f["class"],
            "vlan": f["vlan"],
            "bytes": s["bytes"],
            **rate,
            "start": iso_ns(f["start_ns"]),
            "end": iso_ns(f["end_ns"]),
        }
        if p.link_speed_bps and s["mean_bps"] < p.underused_ratio * p.link_speed_bps:
            ctx.add(
                finding(
                    "link-underused",
                    "warning",
                    f"{s['src']} -> {s['dst']} ({f['class']}) averaged {human_bps(s['mean_bps'])}"
                    f" (peak {human_bps(s['peak_bps'])}), "
                    f"{percent(s['mean_bps'] / p.link_speed_bps)} of the "
                    f"{human_bps(p.link_speed_bps)} link.",
                    {**ev, "link_speed_bps": p.link_speed_bps, "utilization": s["utilization"]},
                    _UNDERUSED_ADVICE.get(f["class"], _UNDERUSED_ADVICE["other"]),
                )
            )
        # judged per unstable_min_bucket_ns or coarser: finer, TCP's own bursts are the swing
        judged = s["bucket_s"] * 1e9 >= p.unstable_min_bucket_ns
        if judged and s["spread_buckets"] and s["cov"] is not None and s["cov"] > p.unstable_cov:
            ctx.add(
                finding(
                    "throughput-unstable",
                    "warning",
                    f"{s['src']} -> {s['dst']} ({f['class']}) is jagged: its rate per "
                    f"{human_duration(s['bucket_s'])} varies by {100 * s['cov']:.0f}% around "
                    f"its mean {human_bps(s['mean_bps'])} over {s['spread_buckets']} buckets (p5 "
                    f"{human_bps(s['p5_bps'])}, p95 {human_bps(s['p95_bps'])}).",
                    ev,
                    "A saw-tooth rate means the sender keeps stalling and restarting: look for "
                    "losses and retransmissions, zero windows (a slow receiver), buffer "
                    "exhaustion on a switch (microbursts, pause frames), or contention with "
                    "other traffic on the same NIC; a steady transfer has a flat line near the "
                    "link speed.",
                )
            )

    for j in ctx.run("throughput_jumbo_unused"):
        if j["flow_id"] in data_dir and _is_bulk(data_dir[j["flow_id"]], p):
            ctx.add(_jumbo_unused_finding(j, data_dir[j["flow_id"]], p))

    loss_sides: dict[int, list[dict[str, Any]]] | None = None  # queried when needed
    for f in tcp:
        sent = f["payload_bytes_c2s"] + f["payload_bytes_s2c"]
        resets = f["resets_by_client"] + f["resets_by_server"]
        unacked = f["unacked_bytes_c2s"] + f["unacked_bytes_s2c"]
        # A reset *during* a transfer: data was still unacknowledged when it came. A reset
        # after everything was acknowledged is an abortive close (iperf3 and many
        # applications end that way) and is not a failure.
        if resets and sent > 0 and unacked > 0:
            by = [f["client"]] * bool(f["resets_by_client"]) + [f["server"]] * bool(
                f["resets_by_server"]
            )
            ctx.add(
                finding(
                    "tcp-resets",
                    "warning",
                    f"{f['client']} -> {f['server']} ({f['class']}) was reset by "
                    f"{' and '.join(by)} with {human_bytes(unacked)} still unacknowledged (after "
                    f"{human_bytes(sent)} of payload): on Windows this is 'An existing connection "
                    "was forcibly closed by the remote host'.",
                    {**_flow_row(f), "reset_by": by},
                    "A reset during a transfer means one side gave up or refused the "
                    "connection. Look before it: repeated retransmissions of large segments "
                    "(an MTU black hole, see mtu-blackhole), a timeout on the destination, a "
                    "firewall or load balancer, or the migration being cancelled.",
                )
            )
        retrans = f["retrans_bytes_c2s"] + f["retrans_bytes_s2c"]
        if sent and retrans / sent > p.retrans_ratio:
            if loss_sides is None:
                loss_sides = {}
                for r in ctx.run("tcp_loss_sides"):
                    loss_sides.setdefault(r["flow_id"], []).append(r)
            sides = loss_sides.get(f["flow_id"], [])
            ctx.add(
                finding(
                    "tcp-retransmissions",
                    "warning",
                    f"{f['client']} -> {f['server']} ({f['class']}) retransmitted "
                    f"{human_bytes(retrans)} of {human_bytes(sent)} of payload "
                    f"({100 * retrans / sent:.1f}%)"
                    + "".join(_loss_side_text(r) for r in sides)
                    + ".",
                    {
                        **_flow_row(f),
                        "retransmitted_share": round(retrans / sent, 4),
                        "loss_sides": [_loss_side(r) for r in sides],
                    },
                    "Retransmissions mean loss: check interface error and discard counters on "
                    "both hosts and the switch ports between them, MTU consistency (large "
                    "segments lost, small ones not), and congestion on shared uplinks.",
                )
            )
        # One finding per side that stalled: in a read/write exchange both ends may.
        for who, zw in ((f["server"], f["zero_windows_by_server"]),
                        (f["client"], f["zero_windows_by_client"])):  # fmt: skip
            if not zw:
                continue
            ctx.add(
                finding(
                    "zero-window",
                    "warning",
                    f"{who} advertised a zero TCP window {zw} time(s) on {f['client']} -> "
                    f"{f['server']} ({f['class']}): the receiver could not keep up and the "
                    "sender had to stop.",
                    {**_flow_row(f), "zero_windows": zw, "receiver": who},
                    "The receiving application or host is the bottleneck (CPU, disk, memory "
                    "pressure, a full receive buffer): check the destination host's load "
                    "during the transfer and its receive-side scaling and buffer settings.",
                )
            )


def _flow_buckets(con, flows: list[dict[str, Any]], choice: dict[str, Any], p: Params
                  ) -> dict[int, list[int]]:  # fmt: skip
    """The bucket each flow's statistics and series are taken at: flow ids by width.

    A given bucket (``--bucket``) is every flow's. A chosen one is the capture's floor: each
    flow gets the coarsest step of :data:`BUCKET_LADDER_NS` from it up to 1 s over which its
    transfer (:func:`_transfer_spans` at the scan's width) holds ``Params.unstable_min_buckets``
    interior buckets, so that a one-minute migration is judged per second while a 2 s SMB copy
    beside it is judged per 50 ms (judging the minute per 2 ms would call its packet bursts a
    saw-tooth)."""
    width = p.bucket_ns
    ids = [f["flow_id"] for f in flows]
    ladder = _ladder(width)
    if not choice.get("auto") or len(ladder) == 1:
        # given, or nothing coarser to choose (a long capture: the scan cut 1 s buckets)
        return {width: ids} if ids else {}
    spans = _transfer_spans(con, ids, choice["scan_bucket_ns"], p)
    out: dict[int, list[int]] = {}
    for fid in ids:
        chosen = _coarsest(ladder, spans.get(fid, 0), p.unstable_min_buckets) or width
        out.setdefault(chosen, []).append(fid)
    return out


def _with_spread(
    s: dict[str, Any], shape: dict[str, Any] | None, p: Params, bucket_ns: int
) -> dict[str, Any]:
    """A ``throughput_flow_stats`` row (taken at ``bucket_ns``) with ``bucket_s``, the
    transfer (``transfer_start``, ``transfer_end``, ``transfer_s``: query
    ``throughput_transfer_shape``, the stretch that carried the middle ``transfer_share`` of its
    bytes) and its spread: ``p5_bps``, ``p95_bps`` and ``cov`` over the transfer's interior
    buckets (idle ones included), ``spread_buckets`` their number; all four None when they are
    fewer than ``Params.unstable_min_buckets``: over a handful of buckets a spread says
    nothing (a 2 s transfer in 1 s buckets has one interior bucket), and over a whole SMB
    session the set-up and the idle tail would make one burst read as a saw-tooth."""
    out = {**s, "bucket_s": bucket_ns / 1e9, "transfer_start": None, "transfer_end": None,
           "transfer_s": None}  # fmt: skip
    spread = {"spread_buckets": None, "p5_bps": None, "p95_bps": None, "cov": None}
    if shape is not None:
        out["transfer_start"] = iso_ns(shape["transfer_start_ns"])
        out["transfer_end"] = iso_ns(shape["transfer_end_ns"])
        out["transfer_s"] = round((shape["transfer_end_ns"] - shape["transfer_start_ns"]) / 1e9, 6)
        if shape["spread_buckets"] >= p.unstable_min_buckets:
            spread = {k: shape[k] for k in spread}
    return {**out, **spread}


def _series(r: dict[str, Any]) -> dict[str, Any]:
    """A ``throughput_transfer_shape`` row's rate over time: ``start`` (of the first point),
    ``point_s`` (the width of a point: a bucket, or several summed when the flow spans more
    than ``Params.series_max_points`` buckets) and ``bps`` (the wire rate of each point, idle
    ones 0)."""
    point_bytes = [0] * r["series_points"]
    for point, n in zip(r["series_point"], r["series_bytes"]):
        point_bytes[point] += n
    return {
        "start": iso_ns(r["series_start_ns"]),
        "point_s": r["series_point_ns"] / 1e9,
        "bps": [round(n * 8 * 1e9 / r["series_point_ns"]) for n in point_bytes],
    }


def _loss_side(r: dict[str, Any]) -> dict[str, Any]:
    """Where a direction's retransmitted segments were lost (query ``tcp_loss_sides``):
    ``downstream`` the original passed the capture point (lost between here and the receiver),
    ``upstream`` it never did (lost between the sender and here)."""
    return {
        "sender": r["src"],
        "receiver": r["dst"],
        "retransmitted_segments": r["retransmitted_segments"],
        "downstream": {
            "segments": r["downstream_segments"],
            "bytes": r["downstream_bytes"],
            "first_frame": r["first_downstream_frame"],
        },
        "upstream": {
            "segments": r["upstream_segments"],
            "bytes": r["upstream_bytes"],
            "first_frame": r["first_upstream_frame"],
        },
    }


def _loss_side_text(r: dict[str, Any]) -> str:
    parts = []
    if r["downstream_segments"]:
        parts.append(
            f"{r['downstream_segments']} segment(s) from {r['src']} passed the capture point and "
            f"were sent again (lost between here and {r['dst']}, first frame "
            f"{r['first_downstream_frame']})"
        )
    if r["upstream_segments"]:
        parts.append(
            f"{r['upstream_segments']} from {r['src']} arrived here only as a retransmission "
            f"(lost between {r['src']} and here, first frame {r['first_upstream_frame']})"
        )
    return "; " + "; ".join(parts) if parts else ""


def _is_bulk(s: dict[str, Any], p: Params) -> bool:
    """A bulk transfer tries to fill the link: at least ``Params.bulk_min_bytes`` of payload
    at a mean rate over its own span of at least ``Params.bulk_min_bps``. A megabyte of
    NTP, SSH or HTTP spread over ten minutes is a conversation, not a transfer to judge
    against the link (``s``: a ``throughput_flow_stats`` row, the data direction)."""
    return s["payload_bytes"] >= p.bulk_min_bytes and (s["mean_bps"] or 0) >= p.bulk_min_bps


_UNDERUSED_ADVICE = {
    "live-migration-tcp": "The migration did not fill the pipe. Look at what limits it: a "
    "single TCP stream (set the live-migration performance option to SMB to spread it over "
    "several connections and RSS queues, with SMB multichannel across all migration NICs), no "
    "jumbo frames (15-20% less), the source host's CPU or compression, retransmissions or zero "
    "windows in this capture, or a lower real link speed than configured.",
    "smb": "The SMB transfer did not fill the pipe. Look at what limits it: a single channel "
    "(SMB multichannel over several NICs or RSS queues), no jumbo frames, SMB signing or "
    "encryption on the CPU, the storage behind the server, retransmissions or zero windows in "
    "this capture, or a lower real link speed than configured; SMB Direct (RDMA) removes most "
    "of the CPU cost.",
    "smb-direct-iwarp": "The SMB Direct transfer did not fill the pipe: check that every "
    "RDMA-capable NIC is used (SMB multichannel), the iWARP offload's TCP retransmissions, and "
    "the storage behind the server.",
    "roce-v2": "The RDMA transfer did not fill the pipe: check PFC/ECN (congestion pauses the "
    "sender), that every RDMA NIC carries traffic, and the storage behind it.",
    "other": "The transfer did not fill the pipe. Look at what limits it: the application's "
    "own pace, a single TCP stream with a small window (window scaling, receive buffers), the "
    "sender's CPU, retransmissions or zero windows in this capture, or a lower real link speed "
    "than configured.",
}


def _migrations(
    conns: list[dict[str, Any]], smb_channels: list[dict[str, Any]], p
) -> list[dict[str, Any]]:
    """Live migrations, not connections: the connections between one pair of hosts, or the
    channels of one SMB session (multichannel spreads a migration over several NICs, so over
    several address pairs), whose payload runs are at most ``Params.migration_gap_s`` apart
    make one migration when together they moved at least ``Params.bulk_min_bytes``. The
    source is the side (clients or servers) that sent more. A migration's small control
    connection beside its bulk one (iperf3 and real migration tools open both) is listed under
    it with the bulk one. Two migrations between the same two hosts at the same time are one
    here: the capture cannot tell them apart."""
    parent = {c["flow_id"]: c["flow_id"] for c in conns}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(links: dict[Any, list[int]]) -> None:
        for ids in links.values():
            for other in ids[1:]:
                parent[root(other)] = root(ids[0])

    pairs: dict[frozenset, list[int]] = {}
    for c in conns:
        pairs.setdefault(frozenset((c["client_ip"], c["server_ip"])), []).append(c["flow_id"])
    sessions: dict[Any, list[int]] = {}
    for ch in smb_channels:
        if ch["flow_id"] in parent:
            sessions.setdefault(ch["session_id"], []).append(ch["flow_id"])
    join(pairs)
    join(sessions)
    groups: dict[int, list[dict[str, Any]]] = {}
    for c in conns:
        groups.setdefault(root(c["flow_id"]), []).append(c)

    gap_ns = p.migration_gap_s * 1e9
    out = []
    for group in groups.values():
        runs: list[list[dict[str, Any]]] = []
        end = None
        for c in sorted(group, key=lambda c: (c["data_start_ns"], c["flow_id"])):
            if end is None or c["data_start_ns"] - end > gap_ns:
                runs.append([])
                end = c["data_end_ns"]
            runs[-1].append(c)
            end = max(end, c["data_end_ns"])
        out.extend(m for m in map(_migration, runs) if m["bytes"] >= p.bulk_min_bytes)
    out.sort(key=lambda m: (m["_start_ns"], m["source"], m["destination"]))
    return out


def _migration(run: list[dict[str, Any]]) -> dict[str, Any]:
    c2s = sum(c["payload_bytes_c2s"] for c in run)
    s2c = sum(c["payload_bytes_s2c"] for c in run)
    sent: dict[str, int] = {}
    for c in run:
        sent[c["client_ip"]] = sent.get(c["client_ip"], 0) + c["payload_bytes_c2s"]
        sent[c["server_ip"]] = sent.get(c["server_ip"], 0) + c["payload_bytes_s2c"]
    src_side, dst_side = ("client_ip", "server_ip") if c2s >= s2c else ("server_ip", "client_ip")
    by_sent = lambda ips: sorted(ips, key=lambda ip: (-sent[ip], ip))  # noqa: E731
    sources = by_sent({c[src_side] for c in run})
    destinations = by_sent({c[dst_side] for c in run})
    start = min(c["data_start_ns"] for c in run)
    stop = max(c["data_end_ns"] for c in run)
    return {
        "source": sources[0],
        "destination": destinations[0],
        "source_ips": sources,
        "destination_ips": destinations,
        "bytes": max(c2s, s2c),
        "bytes_back": min(c2s, s2c),
        "start": iso_ns(start),
        "end": iso_ns(stop),
        "duration_s": round((stop - start) / 1e9, 6),
        "classes": sorted({c["class"] for c in run}),
        "connections": [
            {
                "flow_id": c["flow_id"],
                "class": c["class"],
                "client": c["client"],
                "server": c["server"],
                "vlan": c["vlan"],
                "payload_bytes": c["payload_bytes_c2s"] + c["payload_bytes_s2c"],
                "start": iso_ns(c["data_start_ns"]),
                "end": iso_ns(c["data_end_ns"]),
            }
            for c in run
        ],
        "_start_ns": start,
        "_end_ns": stop,
    }


def _max_concurrent(migrations: list[dict[str, Any]]) -> tuple[int, str | None]:
    """The most migrations running at one instant, and the first instant it happened; drops
    the private interval keys of :func:`_migrations`."""
    events = []
    for m in migrations:
        events.append((m.pop("_start_ns"), 0))  # a start sorts before an end at the same time
        events.append((m.pop("_end_ns"), 1))
    most, at, running = 0, None, 0
    for t, kind in sorted(events):
        running += 1 if kind == 0 else -1
        if running > most:
            most, at = running, t
    return most, iso_ns(at)


_JUMBO_ADVICE = {
    "live-migration-tcp": "Enable jumbo frames on the live-migration network end to end: "
    "'Jumbo Packet' 9014 on the physical NICs and the host vNICs used for migration, MTU 9216 "
    "on the switch ports, port channels and any SVI between the hosts; then verify from each "
    "host with 'ping -f -l 8972 <other host>'. Jumbo frames add 15-20% to live-migration "
    "throughput and cut the per-packet CPU cost on both hosts.",
    "smb": "Enable jumbo frames on the storage/SMB network end to end (NIC 'Jumbo Packet' 9014, "
    "switch MTU 9216), verify with 'ping -f -l 8972', and consider SMB Direct (RDMA) for "
    "large transfers: fewer, larger packets lower CPU cost and raise throughput.",
}
_JUMBO_ADVICE["smb-direct-iwarp"] = _JUMBO_ADVICE["smb"]


def _jumbo_unused_finding(j: dict[str, Any], rate: dict[str, Any] | None, p) -> dict[str, Any]:
    flow = flow_text(j["src_ip"], j["src_port"], j["dst_ip"], j["dst_port"])
    mss = j["receiver_mss"] or j["sender_mss"]
    hosts = {
        "src": {"ip": j["src_ip"], "jumbo_frames": j["src_jumbo_frames"],
                "max_mss": j["src_max_mss"]},
        "dst": {"ip": j["dst_ip"], "jumbo_frames": j["dst_jumbo_frames"],
                "max_mss": j["dst_max_mss"]},
    }  # fmt: skip
    jumbo_hosts = [
        h["ip"]
        for h in hosts.values()
        if h["jumbo_frames"] or (h["max_mss"] or 0) > p.standard_mtu - 40
    ]
    elsewhere = (
        f"{' and '.join(jumbo_hosts)} used jumbo frames elsewhere in this capture, so the "
        "path or this connection's interface is the one left at 1500"
        if jumbo_hosts
        else "neither host used jumbo frames anywhere in this capture"
    )
    mean = rate["mean_bps"] if rate else None
    short = bool(
        p.link_speed_bps and mean is not None and mean < p.underused_ratio * p.link_speed_bps
    )
    size = (
        f"MSS {mss}" if mss else "no handshake seen"
    ) + f", largest frame {j['max_wire_len']} bytes, IP packet {j['max_l3_len']}"
    offload = (
        f"; {j['offload_segments']} larger segments are segmentation offload at the capture "
        "point, cut at the MSS on the wire"
        if j["offload_segments"]
        else ""
    )
    speed = (
        f", averaging {human_bps(mean)}, {percent(mean / p.link_speed_bps)} of the "
        f"{human_bps(p.link_speed_bps)} link"
        if short
        else (f", averaging {human_bps(mean)}" if mean is not None else "")
    )
    return finding(
        "jumbo-unused",
        "warning" if short else "info",
        f"{flow} ({j['class']}) moved {human_bytes(j['payload_bytes'])} with standard frames "
        f"({size}{offload}){speed}; {elsewhere}.",
        {
            "flow": flow,
            "flow_id": j["flow_id"],
            "class": j["class"],
            "vlan": j["vlan"],
            "payload_bytes": j["payload_bytes"],
            "segments": j["segments"],
            "sender_mss": j["sender_mss"],
            "receiver_mss": j["receiver_mss"],
            "max_l3_len": j["max_l3_len"],
            "max_wire_len": j["max_wire_len"],
            "offload_segments": j["offload_segments"],
            "mean_bps": mean,
            "link_speed_bps": p.link_speed_bps or None,
            "hosts": hosts,
            "jumbo_elsewhere": jumbo_hosts,
        },
        _JUMBO_ADVICE[j["class"]],
    )
