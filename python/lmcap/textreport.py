"""Render the report for a terminal: the same facts as the JSON, readable."""

from __future__ import annotations

from typing import Any


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"


def text_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*r) for r in cells]
    return ["  " + line.rstrip() for line in lines]


def _scalar(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_scalar(x)}" for k, x in v.items() if x is not None) + "}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _evidence_lines(ev: dict[str, Any], width: int = 100, max_items: int = 5) -> list[str]:
    """Evidence in a few lines: scalars on one line, then each list with its first items."""
    scalars = [f"{k}={_scalar(v)}" for k, v in ev.items() if not isinstance(v, (list, dict))]
    lines: list[str] = []
    line = "evidence:"
    for part in scalars:
        if len(line) + len(part) + 1 > width:
            lines.append(line)
            line = "  "
        line += " " + part
    lines.append(line)
    for k, v in ev.items():
        if isinstance(v, list) and v:
            more = f" (+{len(v) - max_items} more in the JSON report)" if len(v) > max_items else ""
            lines.append(f"{k}:{more}")
            lines += [f"  - {_scalar(x)}" for x in v[:max_items]]
        elif isinstance(v, dict) and v:
            lines.append(f"{k}: {_scalar(v)}")
    return lines


def _throughput_lines(report: dict[str, Any], max_rows: int) -> list[str]:
    from lmcap.fmt import human_bps

    t = report.get("throughput") or {}
    flows = t.get("flows") or []
    if not flows:
        return []
    speed = t.get("link_speed_bps")
    out = [
        "",
        f"Throughput (top {min(len(flows), max_rows)} of {t['flow_count']} flows, "
        f"{t['bucket_s']:g}s buckets" + (f", link {human_bps(speed)}" if speed else "") + ")",
    ]
    rows = []
    for f in flows[:max_rows]:
        r = f.get("rate") or {}
        retrans = f["retrans_bytes_c2s"] + f["retrans_bytes_s2c"]
        rows.append(
            [
                f"{f['client']} -> {f['server']}",
                f["class"],
                _human_bytes(f["wire_bytes_c2s"] + f["wire_bytes_s2c"]),
                human_bps(r.get("mean_bps")),
                human_bps(r.get("peak_bps")),
                "-" if r.get("cov") is None else f"{r['cov']:.2f}",
                _human_bytes(retrans) if retrans else "-",
                f["resets_by_client"] + f["resets_by_server"] or "-",
            ]
        )
    out += text_table(["flow", "class", "bytes", "mean", "peak", "cov", "retrans", "resets"], rows)
    lm = t.get("live_migrations") or {}
    if lm.get("max_concurrent"):
        out.append(f"  live migrations at once: at most {lm['max_concurrent']} (at {lm['at']})")
    return out


def _smb_lines(report: dict[str, Any], max_rows: int) -> list[str]:
    from lmcap.fmt import human_bps

    smb = report.get("smb") or {}
    if not smb.get("messages"):
        return []
    protos = ", ".join(f"{k} {v}" for k, v in smb["protocols"].items() if v)
    out = [
        "",
        f"SMB ({smb['messages']} messages: {protos}; {smb['established_sessions']} of "
        f"{smb['session_count']} sessions established)",
    ]
    rows = []
    for s in smb["sessions"][:max_rows]:
        if not s["established"]:
            continue
        for i, c in enumerate(s["channels"]):
            rows.append(
                [
                    s["session_id"] if i == 0 else "",
                    (s["dialect"] or "-") if i == 0 else "",
                    f"{c['client']} -> {c['server']}" + (" (bound)" if c["bound"] else ""),
                    _human_bytes(c["smb_bytes"]),
                    f"{100 * c['share']:.0f}%",
                    _human_bytes(c["read_bytes"] + c["write_bytes"]),
                    human_bps(c["throughput_bps"]),
                ]
            )
    if rows:
        out += text_table(
            ["session", "dialect", "channel", "smb bytes", "share", "read+write", "rate"], rows
        )
    for srv in smb.get("interfaces") or []:
        out.append(f"  interfaces advertised by {srv['server']}:")
        for i in srv["interfaces"]:
            caps = "+".join(
                n for n, on in (("RSS", i["rss_capable"]), ("RDMA", i["rdma_capable"])) if on
            )
            out.append(
                f"    if {i['if_index']}: {', '.join(i['addresses']) or '-'} "
                f"({human_bps(i['link_speed_bps'])}{', ' + caps if caps else ''})"
            )
    gaps = {k: v for k, v in smb["stream_gaps"]["totals"].items() if v["events"]}
    if gaps:
        out.append(
            "  not framed: "
            + ", ".join(f"{k} {v['events']}x ({_human_bytes(v['bytes'])})" for k, v in gaps.items())
        )
    if smb.get("smb1"):
        used = sum(1 for r in smb["smb1"] if r["smb1_in_use"])
        out.append(f"  SMB1: on {len(smb['smb1'])} connection(s), in use on {used}")
    return out


def _rdma_lines(report: dict[str, Any], max_rows: int) -> list[str]:
    from lmcap.fmt import human_bps

    rdma = report.get("rdma") or {}
    if not rdma.get("transports"):
        return []
    kinds = ", ".join(f"{t['transport']} {t['segments']}" for t in rdma["transports"])
    sd = rdma["smb_direct"]
    out = [
        "",
        f"RDMA ({kinds}; SMB Direct: {sd['negotiate_requests']} negotiate request(s), "
        f"{sd['negotiate_responses']} response(s), {sd['data_transfers']} data transfer(s))",
    ]
    rows = []
    for qp in rdma["queue_pairs"][:max_rows]:
        where = (
            f"{qp['src']} -> {qp['dst']} QP {qp['dest_qp']}"
            if qp["dest_qp"] is not None
            else f"{qp['src']}:{qp['src_port']} -> {qp['dst']}:{qp['dst_port']}"
        )
        rows.append(
            [
                where,
                qp["transport"],
                qp["packets"],
                _human_bytes(qp["payload_bytes"]),
                _human_bytes(qp["write_bytes"]),
                _human_bytes(qp["read_bytes"]),
                human_bps(qp["rate_bps"]),
                qp["ce_marked"],
                qp["cnps"],
            ]
        )
    out += text_table(
        ["queue pair", "transport", "packets", "bytes", "write", "read", "rate", "CE", "CNP"],
        rows,
    )
    for g in rdma["psn_gaps"]:
        out.append(
            f"  PSN gaps on {g['src']} -> {g['dst']} QP {g['dest_qp']}: {g['gaps']} "
            f"({g['missing_packets']} missing), {g['retransmitted_packets']} retransmitted"
        )
    return out


def _timestamp_lines(cap: dict[str, Any]) -> list[str]:
    """The timestamp troubles and the analysis window, when there is something to say."""
    ts, win = cap.get("timestamps") or {}, cap.get("analysis_window") or {}
    out = []
    if ts.get("outlying"):
        out.append(
            f"  {ts['outlying']} frame(s) stamped far outside the rest (first: frame "
            f"{ts['outlying_first_frame']} at {ts['outlying_first_time']}); rates are measured "
            f"over {win['start']} to {win['end']} ({win['duration_s']:.3f} s)"
        )
    if ts.get("out_of_order"):
        out.append(
            f"  {ts['out_of_order']} frame(s) stamped earlier than the frame before them "
            f"(first: frame {ts['out_of_order_first_frame']})"
        )
    if ts.get("missing"):
        out.append(
            f"  {ts['missing']} frame(s) without a usable timestamp (first: frame "
            f"{ts['missing_first_frame']}), left out of every rate and timeline"
        )
    return out


def render(report: dict[str, Any], max_rows: int = 20) -> str:
    out: list[str] = []
    cap = report["capture"]
    out.append(f"lmcap {report['lmcap_version']}")
    out.append("")
    out.append("Capture")
    for f in cap["files"]:
        status = "read to the end" if f["error"] is None else f"STOPPED: {f['error']['message']}"
        out.append(
            f"  [{f['index']}] {f['path']}: {f['format'] or '?'}"
            f"{'' if f['compression'] == 'none' else ' (' + f['compression'] + ')'}, "
            f"{f['packets']} frames, {status}"
        )
    out.append(
        f"  {cap['packets']} frames, {_human_bytes(cap['wire_bytes'])} on the wire, "
        f"{_human_bytes(cap['captured_bytes'])} captured, {cap['duration_s']:.3f} s"
    )
    out.append(f"  from {cap['start']} to {cap['end']}")
    out += _timestamp_lines(cap)
    links = ", ".join(f"{lt['name']} ({lt['frames']})" for lt in cap["link_types"])
    out.append(f"  link types: {links or '-'}")
    if cap["truncated_frames"]:
        out.append(f"  {cap['truncated_frames']} frames cut by the snaplen (cap_len < wire_len)")
    not_ok = {k: v for k, v in cap["decode_status"].items() if k != "ok"}
    ok = cap["decode_status"].get("ok", 0)
    out.append(
        f"  decoded fully: {ok}"
        + (
            ""
            if not not_ok
            else "; stopped early: " + ", ".join(f"{k} {v}" for k, v in not_ok.items())
        )
    )

    out.append("")
    out.append(
        "Frame sizes (network-layer packet: standard <= 1500, jumbo 1501-9000, oversize > 9000)"
    )
    classes = report["frame_sizes"]["classes"]
    out += text_table(
        ["class", "frames", "bytes"],
        [[c, v["frames"], _human_bytes(v["bytes"])] for c, v in classes.items()],
    )
    hosts = report["frame_sizes"]["hosts"]
    if hosts:
        out.append("")
        out.append(f"Hosts (by source MAC, top {min(len(hosts), max_rows)} of {len(hosts)})")
        rows = []
        for h in hosts[:max_rows]:
            ips = ", ".join(h["ips"][:3]) + (f" +{len(h['ips']) - 3}" if len(h["ips"]) > 3 else "")
            rows.append(
                [h["mac"], ips or "-", h["frames"], h["max_wire_len"], h["jumbo_frames"], h["mss"]]
            )
        out += text_table(["mac", "ips", "frames", "max frame", "jumbo", "mss"], rows)

    out.append("")
    out.append("VLANs")
    out += text_table(
        ["vlan", "frames", "bytes", "max frame"],
        [
            [
                "untagged" if v["vlan"] is None else v["vlan"],
                v["frames"],
                _human_bytes(v["bytes"]),
                v["max_wire_len"],
            ]
            for v in report["vlans"][:max_rows]
        ],
    )

    out += _throughput_lines(report, max_rows)
    out += _smb_lines(report, max_rows)
    out += _rdma_lines(report, max_rows)

    from lmcap.diagnostics.l2text import render_l2

    out += render_l2(report, max_rows)

    findings = report["findings"]
    out.append("")
    out.append(f"Findings ({len(findings)})")
    if not findings:
        out.append("  none")
    for f in findings:
        out.append(f"  [{f['severity'].upper()}] {f['id']}: {f['summary']}")
        for line in _evidence_lines(f.get("evidence", {})):
            out.append(f"      {line}")
        if f.get("advice"):
            out.append(f"      advice: {f['advice']}")
    return "\n".join(out) + "\n"
