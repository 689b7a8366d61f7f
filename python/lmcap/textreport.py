"""Render the report for people: plain text for a terminal and Markdown for a ticket.

The same facts as the JSON report (docs/report.md), worst first: a one-line verdict, the
findings (errors, then warnings, then info, each with its evidence and advice), then the
sections. Sections are built once as :class:`Section` blocks (lines of prose and tables) and
written out as text (fitted to a width: long cells wrap inside their column) or as Markdown
(pipe tables). Long lists stop after ``top`` rows with a line saying how many were left out;
the JSON report is never cut by ``top``.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from lmcap.findings import SEVERITIES
from lmcap.fmt import agree, human_bps, human_bytes, human_duration, plural, sparkline

#: Rows of each list shown by default (`lmcap analyze --top N`; 0 shows every row).
DEFAULT_TOP = 20
#: Width of the text report when standard output is not a terminal (a file, a pipe, a CI log).
NOT_A_TERMINAL_WIDTH = 100
#: No narrower than this, however small the terminal: below it tables are unreadable anyway.
MIN_WIDTH = 60
#: Items of one evidence list shown under a finding (the JSON report has them all).
EVIDENCE_ITEMS = 5
#: Characters of a flow's rate line under the throughput table (its series, down-sampled).
SPARKLINE_WIDTH = 40
#: Spaces between table columns.
COLUMN_GAP = 2
#: A column is not narrowed below this by breaking words (only by wrapping at spaces).
HARD_BREAK_MIN = 8


# --------------------------------------------------------------------------------------------
# Numbers as people read them


def human_count(n: int) -> str:
    """1234567 -> '1.2 M' (counts below 10 000 stay exact)."""
    if abs(n) < 10_000:
        return str(n)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return str(n)  # pragma: no cover - unreachable


def _vlan(v: int | None) -> str:
    return "untagged" if v is None else str(v)


def _short(items: list[Any], n: int = 3) -> str:
    s = ", ".join(str(x) for x in items[:n])
    return s + (f" +{len(items) - n}" if len(items) > n else "") if items else "-"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


# --------------------------------------------------------------------------------------------
# Blocks: what a section is made of


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]
    #: Rows of the report's list left out by ``top``.
    hidden: int = 0
    #: Rows the JSON report itself does not list (it keeps the largest N of a longer list).
    beyond_report: int = 0
    #: How many rows the JSON report keeps, when ``beyond_report`` is not 0.
    report_keeps: int = 0

    def more_line(self) -> str | None:
        """'… and 490 more (--top to show more)', or None when every row is shown."""
        left_out = self.hidden + self.beyond_report
        if not left_out:
            return None
        if self.hidden and self.beyond_report:
            why = f"--top to show more, up to the {self.report_keeps} the report keeps"
        elif self.hidden:
            why = "--top to show more"
        else:
            why = f"the report keeps the first {self.report_keeps}"
        return f"… and {left_out} more ({why})"


Block = Union[str, Table]


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


def table(
    headers: list[str],
    items: list[Any],
    to_row: Callable[[Any], list[Any]],
    top: int,
    total: int | None = None,
) -> Table:
    """A table of the first ``top`` items (all when ``top`` is 0). ``total`` is the length of
    the full list when the report keeps only part of it (e.g. ``flow_count``)."""
    shown = items if not top else items[:top]
    beyond = max(0, (total or 0) - len(items))
    return Table(
        headers,
        [to_row(x) for x in shown],
        hidden=len(items) - len(shown),
        beyond_report=beyond,
        report_keeps=len(items),
    )


# --------------------------------------------------------------------------------------------
# The verdict and the findings


def ordered_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors, then warnings, then info; the report's order within a severity."""
    return sorted(report["findings"], key=lambda f: SEVERITIES.index(f["severity"]))


def _plural(n: int, word: str) -> str:
    """A severity count: ``2 warnings``, but ``2 info``."""
    return plural(n, word, "info" if word == "info" else None)


def severity_counts(report: dict[str, Any]) -> dict[str, int]:
    counts = {s: 0 for s in SEVERITIES}
    for f in report["findings"]:
        counts[f["severity"]] += 1
    return counts


def verdict(report: dict[str, Any]) -> str:
    """'lmcap: 2 errors, 3 warnings in trace.pcap (1.2 M frames, 14.3 s): <the worst
    finding's summary>'."""
    cap = report["capture"]
    files = cap["files"]
    where = os.path.basename(files[0]["path"]) if len(files) == 1 else f"{len(files)} files"
    frames = agree(cap["packets"], "frame", "frames")
    scope = f"{where} ({human_count(cap['packets'])} {frames}, {cap['duration_s']:.1f} s)"
    counts = severity_counts(report)
    tally = ", ".join(_plural(n, s) for s, n in counts.items() if n)
    if not tally:
        return f"lmcap: no findings in {scope}"
    if not counts["error"] and not counts["warning"]:
        tally = f"no errors or warnings, {tally}"
    worst = ordered_findings(report)[0]
    # The id first: when a narrow terminal cuts the line, it still names the problem.
    return f"lmcap: {tally} in {scope}: [{worst['id']}] {worst['summary']}"


def _scalar(v: Any, nested: bool = False) -> str:
    """An evidence value on one line: a dict as k=v pairs (in braces when inside another)."""
    if isinstance(v, dict):
        pairs = ", ".join(f"{k}={_scalar(x, True)}" for k, x in v.items() if x is not None)
        return "{" + pairs + "}" if nested else pairs
    if isinstance(v, list):
        return (
            "[" + ", ".join(_scalar(x, True) for x in v) + "]"
            if nested
            else ", ".join(_scalar(x, True) for x in v)
        )
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:  # JSON null: no value (an untagged frame's VLAN, a flow without a handshake)
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


@dataclass
class Evidence:
    """A finding's evidence laid out for reading: scalars, then each list's first items."""

    scalars: list[str]
    #: (key, first items as text, how many more the JSON report has)
    lists: list[tuple[str, list[str], int]]


def evidence(ev: dict[str, Any], max_items: int = EVIDENCE_ITEMS) -> Evidence:
    scalars = [f"{k}={_scalar(v)}" for k, v in ev.items() if not isinstance(v, (list, dict))]
    lists = []
    for k, v in ev.items():
        if isinstance(v, list) and v:
            lists.append((k, [_scalar(x) for x in v[:max_items]], max(0, len(v) - max_items)))
        elif isinstance(v, dict) and v:
            lists.append((k, [_scalar(v)], 0))
    return Evidence(scalars, lists)


def _findings_more(hidden: list[dict[str, Any]]) -> str:
    counts = {s: 0 for s in SEVERITIES}
    for f in hidden:
        counts[f["severity"]] += 1
    kinds = ", ".join(_plural(n, s) for s, n in counts.items() if n)
    return f"… and {len(hidden)} more findings ({kinds}; --top to show more)"


# --------------------------------------------------------------------------------------------
# Sections


def capture_section(report: dict[str, Any]) -> Section:
    cap = report["capture"]
    s = Section(f"Capture (lmcap {report['lmcap_version']})")
    for f in cap["files"]:
        status = "read to the end" if f["error"] is None else f"STOPPED: {f['error']['message']}"
        comp = "" if f["compression"] == "none" else f" ({_expanded(f)})"
        s.blocks.append(
            f"[{f['index']}] {f['path']}: {f['format'] or '?'}{comp}, {f['packets']} frames, "
            f"{status}"
        )
    s.blocks.append(
        f"{cap['packets']} frames, {human_bytes(cap['wire_bytes'])} on the wire, "
        f"{human_bytes(cap['captured_bytes'])} captured, {cap['duration_s']:.3f} s"
    )
    if cap["start"] is not None:
        s.blocks.append(f"from {cap['start']} to {cap['end']}")
    elif cap["packets"]:
        s.blocks.append("no frame with a timestamp")
    s.blocks += _filter_lines(cap)
    s.blocks += _timestamp_lines(cap)
    links = ", ".join(f"{lt['name']} ({lt['frames']})" for lt in cap["link_types"])
    s.blocks.append(f"link types: {links or '-'}")
    if cap["truncated_frames"]:
        s.blocks.append(f"{cap['truncated_frames']} frames cut by the snaplen (cap_len < wire_len)")
    not_ok = {k: v for k, v in cap["decode_status"].items() if k != "ok"}
    stopped = "; stopped early: " + ", ".join(f"{k} {v}" for k, v in not_ok.items())
    s.blocks.append(
        f"decoded fully: {cap['decode_status'].get('ok', 0)}{stopped if not_ok else ''}"
    )
    return s


def _expanded(f: dict[str, Any]) -> str:
    """A compressed file's compression and how far it expanded: a small file that expands a
    thousandfold (a bomb of empty records) shows here."""
    on_disk = f.get("file_bytes")
    if on_disk is None:
        return f"{f['compression']}, {human_bytes(f['bytes_read'])} decompressed"
    return f"{f['compression']}, {human_bytes(on_disk)} expanded to {human_bytes(f['bytes_read'])}"


def _filter_lines(cap: dict[str, Any]) -> list[str]:
    """What the scan kept, when it was told to keep only part of the capture."""
    f = cap.get("filter") or {}
    kept = []
    since = f.get("since") or (
        f"{f['since_offset_s']} s after the first frame"
        if f.get("since_offset_s") is not None
        else None
    )
    until = f.get("until") or (
        f"{f['until_offset_s']} s after the first frame"
        if f.get("until_offset_s") is not None
        else None
    )
    if since:
        kept.append(f"from {since}")
    if until:
        kept.append(f"before {until}")
    if f.get("vlans"):
        kept.append("VLAN " + " or ".join(str(v) for v in f["vlans"]))
    if f.get("hosts"):
        kept.append("to or from " + " or ".join(f["hosts"]))
    if not kept:
        return []
    return [
        f"filtered: kept frames {', '.join(kept)}; {f['frames_filtered']} frame(s) read and "
        "dropped (frame numbers are those of the file)"
    ]


def _timestamp_lines(cap: dict[str, Any]) -> list[str]:
    """The timestamp troubles and the analysis window, when there is something to say."""
    ts, win = cap.get("timestamps") or {}, cap.get("analysis_window") or {}
    out = []
    if ts.get("outlying"):
        out.append(
            f"{ts['outlying']} frame(s) stamped far outside the rest (first: frame "
            f"{ts['outlying_first_frame']} at {ts['outlying_first_time']}); rates are measured "
            f"over {win['start']} to {win['end']} ({win['duration_s']:.3f} s)"
        )
    if ts.get("out_of_order"):
        out.append(
            f"{ts['out_of_order']} frame(s) stamped earlier than the frame before them "
            f"(first: frame {ts['out_of_order_first_frame']})"
        )
    if ts.get("missing"):
        out.append(
            f"{ts['missing']} frame(s) without a usable timestamp (first: frame "
            f"{ts['missing_first_frame']}), left out of every rate and timeline"
        )
    return out


def frame_size_sections(report: dict[str, Any], top: int) -> list[Section]:
    classes = report["frame_sizes"]["classes"]
    out = [
        Section(
            "Frame sizes (network-layer packet: standard <= 1500, jumbo 1501-9000, "
            "oversize > 9000)",
            [
                table(
                    ["class", "frames", "bytes"],
                    list(classes.items()),
                    lambda c: [c[0], c[1]["frames"], human_bytes(c[1]["bytes"])],
                    0,
                )
            ],
        )
    ]
    hosts = report["frame_sizes"]["hosts"]
    if hosts:
        out.append(
            Section(
                f"Hosts (by source MAC, {report['frame_sizes'].get('hosts_total', len(hosts))})",
                [
                    table(
                        ["mac", "ips", "frames", "max frame", "jumbo", "mss"],
                        hosts,
                        lambda h: [
                            h["mac"],
                            _short(h["ips"]),
                            h["frames"],
                            h["max_wire_len"],
                            h["jumbo_frames"],
                            h["mss"],
                        ],
                        top,
                        report["frame_sizes"].get("hosts_total"),
                    )
                ],
            )
        )
    out.append(
        Section(
            f"VLANs ({len(report['vlans'])})",
            [
                table(
                    ["vlan", "frames", "bytes", "max frame"],
                    report["vlans"],
                    lambda v: [
                        _vlan(v["vlan"]),
                        v["frames"],
                        human_bytes(v["bytes"]),
                        v["max_wire_len"],
                    ],
                    top,
                )
            ],
        )
    )
    return out


def throughput_sections(report: dict[str, Any], top: int) -> list[Section]:
    t = report.get("throughput") or {}
    flows = t.get("flows") or []
    if not flows:
        return []
    speed = t.get("link_speed_bps")
    link = f", link {human_bps(speed)}" if speed else ""

    def row(f: dict[str, Any]) -> list[Any]:
        r = f.get("rate") or {}
        retrans = f["retrans_bytes_c2s"] + f["retrans_bytes_s2c"]
        return [
            f"{f['client']} -> {f['server']}",
            f["class"],
            human_bytes(f["wire_bytes_c2s"] + f["wire_bytes_s2c"]),
            human_bps(r.get("mean_bps")),
            human_bps(r.get("peak_bps")),
            "-" if r.get("cov") is None else f"{r['cov']:.2f}",
            human_bytes(retrans) if retrans else "-",
            f["resets_by_client"] + f["resets_by_server"] or "-",
        ]

    bucket = t.get("bucket") or {}
    s = Section(
        f"Throughput ({t['flow_count']} flows, largest first, "
        f"{human_duration(t['bucket_s'])} buckets{link})",
        [
            table(
                ["flow", "class", "bytes", "mean", "peak", "cov", "retrans", "resets"],
                flows,
                row,
                top,
                total=t["flow_count"],
            ),
            # which buckets the spread (cov) covers
            f"buckets of {human_duration(t['bucket_s'])}: {bucket.get('reason', 'given')}; "
            f"cov over at least {bucket.get('min_buckets', '?')} interior buckets ('-' when a "
            "transfer spans fewer)",
        ],
    )
    lines = _rate_lines(flows, top)
    if lines:
        s.blocks.append("rate over time (data direction, first to last packet; · idle):")
        s.blocks.extend(lines)
    lm = t.get("live_migrations") or {}
    if lm.get("migration_count"):
        # migrations (host pairs moving bulk data), not the connections each one opens
        # and the connections: a migration with its control connection, or SMB multichannel,
        # is several at once (the JSON's max_concurrent), which the text named nowhere
        s.blocks.append(
            f"live migrations: {lm['migration_count']}, at most "
            f"{lm['max_concurrent_migrations']} at once (at {lm['max_concurrent_migrations_at']}); "
            f"at most {plural(lm.get('max_concurrent') or 0, 'migration connection')} carrying "
            f"data in one bucket" + (f" (at {lm['at']})" if lm.get("at") else "")
        )
        s.blocks.append(
            table(
                ["migration", "bytes", "seconds", "connections", "classes", "start"],
                lm["migrations"],
                lambda m: [
                    f"{m['source']} -> {m['destination']}",
                    human_bytes(m["bytes"]),
                    f"{m['duration_s']:g}",
                    len(m["connections"]),
                    ", ".join(m["classes"]),
                    m["start"],
                ],
                top,
                total=lm["migration_count"],
            )
        )
    return [s]


def _rate_lines(flows: list[dict[str, Any]], top: int) -> list[str]:
    """One line per flow with a rate series: the flow, its sparkline, the point width."""
    out = []
    for f in flows if not top else flows[:top]:
        series = (f.get("rate") or {}).get("series")
        if not series or len(series["bps"]) < 2:
            continue
        flow = f"{f['client']} -> {f['server']}"
        if f["rate"]["direction"] == "server_to_client":
            flow = f"{f['server']} -> {f['client']}"
        out.append(
            f"  {flow}  {sparkline(series['bps'], SPARKLINE_WIDTH)}  "
            f"(peak {human_bps(max(series['bps']))}, {len(series['bps'])} x "
            f"{human_duration(series['point_s'])})"
        )
    return out


def smb_sections(report: dict[str, Any], top: int) -> list[Section]:
    smb = report.get("smb") or {}
    if not smb.get("messages"):
        return []
    protos = ", ".join(f"{k} {v}" for k, v in smb["protocols"].items() if v)
    s = Section(
        f"SMB ({smb['messages']} messages: {protos}; {smb['established_sessions']} of "
        f"{smb['session_count']} sessions established)"
    )
    established = [x for x in smb["sessions"] if x["established"]]
    shown = established if not top else established[:top]
    rows = []
    for sess in shown:
        for i, c in enumerate(sess["channels"]):
            rows.append(
                [
                    sess["session_id"] if i == 0 else "",
                    (sess["dialect"] or "-") if i == 0 else "",
                    f"{c['client']} -> {c['server']}" + (" (bound)" if c["bound"] else ""),
                    human_bytes(c["smb_bytes"]),
                    f"{100 * c['share']:.0f}%",
                    human_bytes(c["read_bytes"] + c["write_bytes"]),
                    human_bps(c["throughput_bps"]),
                ]
            )
    if rows:
        s.blocks.append(
            Table(
                ["session", "dialect", "channel", "smb bytes", "share", "read+write", "rate"],
                rows,
                hidden=len(established) - len(shown),
            )
        )
    for srv in smb.get("interfaces") or []:
        s.blocks.append(f"interfaces advertised by {srv['server']}:")
        for i in srv["interfaces"]:
            caps = "+".join(
                n for n, on in (("RSS", i["rss_capable"]), ("RDMA", i["rdma_capable"])) if on
            )
            s.blocks.append(
                f"  if {i['if_index']}: {', '.join(i['addresses']) or '-'} "
                f"({human_bps(i['link_speed_bps'])}{', ' + caps if caps else ''})"
            )
    gaps = {k: v for k, v in smb["stream_gaps"]["totals"].items() if v["events"]}
    if gaps:
        s.blocks.append(
            "not framed: "
            + ", ".join(f"{k} {v['events']}x ({human_bytes(v['bytes'])})" for k, v in gaps.items())
        )
    if smb.get("smb1"):
        used = sum(1 for r in smb["smb1"] if r["smb1_in_use"])
        s.blocks.append(f"SMB1: on {len(smb['smb1'])} connection(s), in use on {used}")
    return [s]


def rdma_sections(report: dict[str, Any], top: int) -> list[Section]:
    rdma = report.get("rdma") or {}
    if not rdma.get("transports"):
        return []
    kinds = ", ".join(f"{t['transport']} {t['segments']}" for t in rdma["transports"])
    sd = rdma["smb_direct"]

    def row(qp: dict[str, Any]) -> list[Any]:
        where = (
            f"{qp['src']} -> {qp['dst']} QP {qp['dest_qp']}"
            if qp["dest_qp"] is not None
            else f"{qp['src']}:{qp['src_port']} -> {qp['dst']}:{qp['dst_port']}"
        )
        return [
            where,
            qp["transport"],
            qp["packets"],
            human_bytes(qp["payload_bytes"]),
            human_bytes(qp["write_bytes"]),
            human_bytes(qp["read_bytes"]),
            human_bps(qp["rate_bps"]),
            qp["ce_marked"],
            qp["cnps"],
        ]

    s = Section(
        f"RDMA ({kinds}; SMB Direct: {sd['negotiate_requests']} negotiate request(s), "
        f"{sd['negotiate_responses']} response(s), {sd['data_transfers']} data transfer(s))",
        [
            table(
                ["queue pair", "transport", "packets", "bytes", "write", "read", "rate", "CE"]
                + ["CNP"],
                rdma["queue_pairs"],
                row,
                top,
            )
        ],
    )
    for g in rdma["psn_gaps"][: top or None]:
        s.blocks.append(
            f"PSN gaps on {g['src']} -> {g['dst']} QP {g['dest_qp']}: {g['gaps']} "
            f"({g['missing_packets']} missing), {g['retransmitted_packets']} retransmitted"
        )
    return [s]


def igmp_sections(report: dict[str, Any], top: int) -> list[Section]:
    igmp = report.get("igmp") or {}
    if not igmp.get("messages"):
        return []
    out = [
        Section(
            "IGMP messages",
            [
                table(
                    ["version", "type", "messages", "records", "senders"],
                    igmp["messages"],
                    lambda m: [m["version"], m["type"], m["messages"], m["records"], m["senders"]],
                    0,
                )
            ],
        )
    ]
    groups = igmp.get("groups") or []
    if groups:
        out.append(
            Section(
                f"IGMP groups ({igmp.get('groups_total', len(groups))})",
                [
                    table(
                        ["group", "members", "joins", "leaves", "members at end"],
                        groups,
                        lambda g: [
                            g["group"],
                            _short(g["members"]),
                            g["joins"],
                            g["leaves"],
                            _short(g["members_at_end"]),
                        ],
                        top,
                        igmp.get("groups_total"),
                    )
                ],
            )
        )
    queriers = igmp.get("queriers") or []
    s = Section(f"IGMP queriers ({len(queriers)})")
    if queriers:
        s.blocks.append(
            table(
                ["querier", "vlan", "version", "queries", "first", "last"],
                queriers,
                lambda q: [
                    q["querier"],
                    _vlan(q["vlan"]),
                    q["version"],
                    q["queries"],
                    q["first_seen"],
                    q["last_seen"],
                ],
                top,
            )
        )
    else:
        s.blocks.append("none seen")
    note = (igmp.get("querier_check") or {}).get("note")
    if note:
        s.blocks.append(note)
    out.append(s)
    return out


def flooding_sections(report: dict[str, Any], top: int) -> list[Section]:
    fl = report.get("flooding") or {}
    if not fl.get("volume"):
        return []
    out = [
        Section(
            "Flooded traffic (sent to every port)",
            [
                table(
                    ["kind", "frames", "bytes", "frames/s", "peak/s", "% frames", "% bytes"],
                    fl["volume"],
                    lambda v: [
                        v["kind"],
                        v["frames"],
                        v["bytes"],
                        v["fps"],
                        v["peak_fps"],
                        _pct(v["share_frames"]),
                        _pct(v["share_bytes"]),
                    ],
                    0,
                )
            ],
        )
    ]
    unregistered = fl.get("unregistered_multicast") or []
    if unregistered:
        out.append(
            Section(
                f"Multicast to groups nobody joined ({len(unregistered)})",
                [
                    table(
                        ["group", "vlan", "senders", "frames", "bytes", "pkt/s"],
                        unregistered,
                        lambda g: [
                            g["group"],
                            _vlan(g["vlan"]),
                            _short(g["senders"]),
                            g["frames"],
                            g["bytes"],
                            g["pps"],
                        ],
                        top,
                    )
                ],
            )
        )
    senders = fl.get("top_senders") or []
    if senders:
        out.append(
            Section(
                "Top flooding senders",
                [
                    table(
                        ["mac", "ips", "kind", "frames", "bytes"],
                        senders,
                        lambda s: [
                            s["src_mac"],
                            _short(s["ips"]),
                            s["kind"],
                            s["frames"],
                            s["bytes"],
                        ],
                        top,
                    )
                ],
            )
        )
    return out


def nlb_sections(report: dict[str, Any], top: int) -> list[Section]:
    clusters = (report.get("nlb") or {}).get("clusters") or []
    if not clusters:
        return []
    return [
        Section(
            "Windows NLB clusters",
            [
                table(
                    ["vip", "mode", "cluster mac", "hosts", "client frames", "% bytes"],
                    clusters,
                    lambda c: [
                        c["vip"],
                        c["mode"],
                        c["cluster_mac"],
                        _short([f"{h['host_id']}:{h['dedicated_ip']}" for h in c["hosts"]]),
                        c["traffic"]["client_frames"],
                        _pct(c["traffic"]["share_bytes"]),
                    ],
                    top,
                )
            ],
        )
    ]


def arp_sections(report: dict[str, Any], top: int) -> list[Section]:
    arp = report.get("arp") or {}
    if not arp.get("frames"):
        return []
    peak = arp.get("peak") or {}
    s = Section("ARP")
    s.blocks.append(
        f"{arp['frames']} frames: {arp['requests']['total']} requests, "
        f"{arp['replies']['total']} replies, {arp['gratuitous']['total']} gratuitous, "
        f"{arp['probes']['total']} probes; busiest second {peak.get('frames', 0)} "
        f"(from {peak.get('start')})"
    )
    duplicates = arp.get("duplicate_ips") or []
    if duplicates:
        s.blocks.append(
            table(
                ["duplicate ip", "vlan", "macs (first seen .. last seen)"],
                duplicates,
                lambda d: [
                    d["ip"],
                    _vlan(d["vlan"]),
                    ", ".join(
                        f"{m['mac']} {m['first_seen']} .. {m['last_seen']}" for m in d["macs"][:4]
                    ),
                ],
                top,
            )
        )
    moves = arp.get("moves") or []
    if moves:
        s.blocks.append(
            table(
                ["moved ip", "from", "to", "at", "gratuitous ARP"],
                moves,
                lambda m: [
                    m["ip"],
                    f"{m['from_mac']} ({_vlan(m['from_vlan'])})",
                    f"{m['to_mac']} ({_vlan(m['to_vlan'])})",
                    m["at"],
                    f"frame {m['announced_by']['frame']}" if m["announced_by"] else "-",
                ],
                top,
            )
        )
    return [s]


def sections(report: dict[str, Any], top: int = DEFAULT_TOP) -> list[Section]:
    """Every section of the report after the findings, in reading order."""
    out = [capture_section(report)]
    for build in (
        frame_size_sections,
        throughput_sections,
        smb_sections,
        rdma_sections,
        igmp_sections,
        flooding_sections,
        nlb_sections,
        arp_sections,
    ):
        out += build(report, top)
    return out


# --------------------------------------------------------------------------------------------
# Text


#: A cell that reads as a quantity (42, 0.098, 56.5%, 17.84 MB, 44.72 Mbit/s, 1.2 s, -): such
#: columns are right-aligned so that magnitudes line up.
QUANTITY = re.compile(r"^([-?]|[-+]?\d+(\.\d+)?( ?(%|[kKMGT]?B|[kMGT]?bit/s|bit/s|s|ms))?)$")


def _numeric_columns(t: Table) -> list[bool]:
    """Columns of quantities only (and at least one): right-aligned in text and Markdown."""
    return [
        any(_is_number(r[i]) and r[i] != "-" for r in t.rows)
        and all(_is_number(r[i]) or r[i] is None for r in t.rows)
        for i in range(len(t.headers))
    ]


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, float)) or (isinstance(v, str) and bool(QUANTITY.match(v)))


def _cell(v: Any) -> str:
    return "-" if v is None else str(v)


def _column_widths(natural: list[int], floor: list[int], room: int) -> list[int]:
    """Narrow the widest columns, never below their floor, until the row fits ``room``."""
    widths = list(natural)
    while sum(widths) + COLUMN_GAP * (len(widths) - 1) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _row_width(widths: list[int]) -> int:
    return sum(widths) + COLUMN_GAP * (len(widths) - 1)


def _records(t: Table, cells: list[list[str]], width: int, indent: str) -> list[str]:
    """A table too wide for columns, one row after the other: the first cell on its line, then
    'header: value' pairs wrapped below it."""
    out = []
    for row in cells:
        out += _wrap(row[0], width, indent, indent + "    ")
        pairs = "; ".join(f"{h}: {c}" for h, c in zip(t.headers[1:], row[1:]))
        out += _wrap(pairs, width, indent + "    ", indent + "    ")
    more = t.more_line()
    if more:
        out.append(indent + more)
    return out


def _wrap_cell(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def text_table(t: Table, width: int, indent: str = "  ") -> list[str]:
    """A table in columns that fit ``width``: a cell too wide for its column wraps onto more
    lines of the same row (nothing is cut off); numbers are right-aligned."""
    cells = [[_cell(v) for v in row] for row in t.rows]
    numeric = _numeric_columns(t)
    columns = [[h] + [r[i] for r in cells] for i, h in enumerate(t.headers)]
    natural = [max(len(c) for c in col) for col in columns]
    room = width - len(indent)
    # Wrap at spaces first ("a -> b (bound)"); break a word (a timestamp, a MAC) only when the
    # table cannot fit otherwise.
    longest_word = [max(len(w) for c in col for w in c.split() or [""]) for col in columns]
    widths = _column_widths(natural, longest_word, room)
    if _row_width(widths) > room:
        # Quantities are never broken ("118.89 KB" on two lines reads as two numbers).
        floor = [n if num else min(n, HARD_BREAK_MIN) for n, num in zip(natural, numeric)]
        widths = _column_widths(widths, floor, room)
    if _row_width(widths) > room:
        return _records(t, cells, width, indent)

    def lines_of(row: list[str]) -> list[str]:
        wrapped = [_wrap_cell(c, w) for c, w in zip(row, widths)]
        height = max(len(w) for w in wrapped)
        out = []
        for k in range(height):
            parts = []
            for i, w in enumerate(widths):
                piece = wrapped[i][k] if k < len(wrapped[i]) else ""
                parts.append(piece.rjust(w) if numeric[i] else piece.ljust(w))
            out.append((indent + (" " * COLUMN_GAP).join(parts)).rstrip())
        return out

    out = lines_of(list(t.headers))
    out.append((indent + (" " * COLUMN_GAP).join("-" * w for w in widths)).rstrip())
    for row in cells:
        out += lines_of(row)
    more = t.more_line()
    if more:
        out.append(indent + more)
    return out


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=True,
    ) or [first.rstrip()]


def _text_finding(f: dict[str, Any], width: int) -> list[str]:
    out = _wrap(f"[{f['severity'].upper()}] {f['id']}: {f['summary']}", width, "  ", "      ")
    ev = evidence(f.get("evidence") or {})
    if ev.scalars:
        out += _wrap("evidence: " + " ".join(ev.scalars), width, "      ", "        ")
    for key, items, more in ev.lists:
        note = f" (+{more} more in the JSON report)" if more else ""
        out.append(f"      {key}:{note}")
        for item in items:
            out += _wrap(item, width, "        - ", "          ")
    if f.get("advice"):
        out += _wrap(f"advice: {f['advice']}", width, "      ", "        ")
    return out


def _fit_verdict(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def render(
    report: dict[str, Any], top: int = DEFAULT_TOP, width: int = NOT_A_TERMINAL_WIDTH
) -> str:
    """The text report: the verdict on one line, the findings worst first, then the sections;
    no line longer than ``width`` (but for a word longer than the room left). Lists show their
    first ``top`` rows (0: all)."""
    width = max(width, MIN_WIDTH)
    out = [_fit_verdict(verdict(report), width), ""]
    findings = ordered_findings(report)
    shown = findings if not top else findings[:top]
    counts = severity_counts(report)
    tally = ", ".join(_plural(n, s) for s, n in counts.items() if n) or "none"
    out.append(f"Findings ({tally})")
    for f in shown:
        out += _text_finding(f, width)
    if len(shown) < len(findings):
        out.append("  " + _findings_more(findings[len(shown) :]))
    for s in sections(report, top):
        out.append("")
        out += _wrap(s.title, width, "", "  ")
        for block in s.blocks:
            if isinstance(block, Table):
                out += text_table(block, width)
            else:
                indent = "  " + " " * (len(block) - len(block.lstrip()))
                out += _wrap(block.lstrip(), width, indent, indent + "  ")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Markdown


def _md_escape(v: Any) -> str:
    return _cell(v).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(t: Table) -> list[str]:
    numeric = _numeric_columns(t)
    out = [
        "| " + " | ".join(_md_escape(h) for h in t.headers) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    out += ["| " + " | ".join(_md_escape(v) for v in row) + " |" for row in t.rows]
    more = t.more_line()
    if more:
        out += ["", f"*{more}*"]
    return out


def _md_finding(f: dict[str, Any]) -> list[str]:
    out = [f"### {f['severity'].upper()} `{f['id']}`", "", f["summary"], ""]
    ev = evidence(f.get("evidence") or {})
    if ev.scalars:
        out.append("- evidence: " + ", ".join(f"`{x}`" for x in ev.scalars))
    for key, items, more in ev.lists:
        note = f" (+{more} more in the JSON report)" if more else ""
        out.append(f"- {key}:{note}")
        out += [f"  - `{item}`" for item in items]
    if ev.scalars or ev.lists:
        out.append("")
    if f.get("advice"):
        out += [f"**Advice:** {f['advice']}", ""]
    return out


def render_markdown(report: dict[str, Any], top: int = DEFAULT_TOP) -> str:
    """The report in Markdown to paste into a ticket: the verdict, the findings worst first,
    then each section with its tables in pipe syntax. Lists show their first ``top`` rows."""
    out = [f"**{verdict(report)}**", ""]
    findings = ordered_findings(report)
    shown = findings if not top else findings[:top]
    out += ["## Findings", ""]
    if not findings:
        out += ["None.", ""]
    for f in shown:
        out += _md_finding(f)
    if len(shown) < len(findings):
        out += [f"*{_findings_more(findings[len(shown) :])}*", ""]
    for s in sections(report, top):
        out += [f"## {s.title}", ""]
        prose = False
        for block in s.blocks:
            if isinstance(block, Table):
                if prose:
                    out.append("")
                out += markdown_table(block) + [""]
                prose = False
            else:
                nested = "  " if block.startswith("  ") else ""
                out.append(f"{nested}- {block.strip()}")
                prose = True
        if prose:
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
