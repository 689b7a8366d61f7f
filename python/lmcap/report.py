"""The ``lmcap analyze`` report: a dict whose shape is the contract documented in
docs/report.md. Every figure comes from a query in ``lmcap/queries``, so each count can be
reproduced with ``lmcap sql FILE --query NAME``.

The report is built in one direction: the tables are loaded (:func:`lmcap.connect`), this
module writes the sections that are plain facts of the capture (``capture``, ``vlans``), then
each diagnostic of :data:`DIAGNOSTICS` writes its own section(s) and applies its rules
(findings), and :func:`lmcap.findings.fold` orders the findings. Each section has one writer;
the renderers (``lmcap.textreport``) only read the finished dict.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from lmcap import queries as q
from lmcap._core import __version__  # not `from lmcap`: lmcap.analyze imports this module
from lmcap.diagnostics import (
    Context,
    Params,
    arp,
    bounds,
    decoding,
    flooding,
    fragmentation,
    icmp,
    igmp,
    mtu,
    nlb,
    rdma,
    smb,
    throughput,
    timestamps,
)
from lmcap.findings import fold
from lmcap.fmt import iso_ns

#: Top-level keys, in order. Present in every report, empty when nothing applies.
SECTIONS = (
    "capture",
    "frame_sizes",
    "vlans",
    "throughput",
    "tcp",
    "fragmentation",
    "icmp",
    "igmp",
    "nlb",
    "flooding",
    "arp",
    "smb",
    "rdma",
    "findings",
)

#: The diagnostics, in the order they run; each writes the section(s) named in its docstring.
#: A diagnostic may read a section written before it (nlb reads igmp's groups, timestamps
#: reads the capture section), never one written after.
DIAGNOSTICS: tuple[Callable[[Context], None], ...] = (
    mtu.run,
    fragmentation.run,
    icmp.run,
    throughput.run,
    smb.run,
    rdma.run,
    igmp.run,
    nlb.run,
    flooding.run,
    arp.run,
    timestamps.run,
    decoding.run,
    bounds.run,
)


def _file_bytes(path: str) -> int | None:
    """The size of an input file on disk; None for standard input or a file gone since."""
    if path == "-":
        return None
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _files(con) -> list[dict[str, Any]]:
    return [
        {
            "index": f["file_index"],
            "path": f["path"],
            "format": f["format"],
            "compression": f["compression"],
            "link_types": [int(x) for x in f["link_types"].split(",") if x],
            "packets": f["packets"],
            "bytes_read": f["bytes_read"],
            "file_bytes": _file_bytes(f["path"]),
            "error": None
            if f["error_kind"] is None
            else {
                "kind": f["error_kind"],
                "offset": f["error_offset"],
                "message": f["error_message"],
            },
        }
        for f in q.run(con, "capture_file_list")
    ]


def capture_section(con) -> dict[str, Any]:
    s = q.run(con, "capture_summary")[0]
    return {
        "files": _files(con),
        "packets": s["packets"],
        "wire_bytes": s["wire_bytes"],
        "captured_bytes": s["captured_bytes"],
        "start": iso_ns(s["start_ns"]),
        "end": iso_ns(s["end_ns"]),
        "duration_s": round(float(s["duration_s"]), 9),
        "link_types": q.run(con, "capture_link_types"),
        "truncated_frames": s["truncated_frames"],
        "decode_status": {
            r["decode_status"]: r["frames"] for r in q.run(con, "capture_decode_status")
        },
        **timestamps_section(con),
        **scan_settings_section(con),
    }


def scan_settings_section(con) -> dict[str, Any]:
    """``filter`` (what the scan kept: time range, VLANs, hosts; frames it dropped) and
    ``evidence`` (how the evidence tables were cut, and what their bounds made them do)."""
    s = q.run(con, "capture_scan_settings")[0]
    return {
        "filter": {
            "since": iso_ns(s["since_ns"]),
            "until": iso_ns(s["until_ns"]),
            "since_offset_s": s["since_offset_s"],
            "until_offset_s": s["until_offset_s"],
            "vlans": list(s["vlans"]),
            "hosts": list(s["hosts"]),
            "frames_filtered": s["frames_filtered"],
        },
        "evidence": {
            "bucket_ns": s["bucket_ns"],
            # the scan chose bucket_ns (lmcap analyze without --bucket): see throughput.bucket
            "bucket_auto": s["bucket_auto"],
            "switch_max_frame": s["switch_max_frame"],
            "traffic_cap_flushes": s["traffic_cap_flushes"],
            # flows written out after the idle timeout: how the flow map stays bounded on a
            # long capture, not a loss (a flow that comes back is counted in flows_resumed)
            "flows_idle_expired": s["flows_idle_expired"],
            "stream_directions_expired": s["stream_directions_expired"],
            "bounds": {
                k: s[k]
                for k in (
                    "tcp_open_evicted",
                    "tcp_cover_evicted",
                    "tcp_resets_dropped",
                    "claim_runs_dropped",
                    "claims_untracked",
                    "flows_memcap_evicted",
                    "flows_resumed",
                    "flows_evicted_forgotten",
                    "mss_hosts_untracked",
                    "stream_directions_untracked",
                    "stream_heads_cut",
                )
            },
        },
    }


def timestamps_section(con) -> dict[str, Any]:
    """``timestamps`` (missing, out of order, outlying) and ``analysis_window``: the stretch of
    time the rate and timeline diagnostics measure, outlying frames left out."""
    t = q.run(con, "capture_timestamps")[0]
    return {
        "timestamps": {
            "missing": t["missing"],
            "missing_first_frame": t["missing_first_frame"],
            "out_of_order": t["out_of_order"],
            "out_of_order_first_frame": t["out_of_order_first_frame"],
            "outlying": t["outlying"],
            "outlying_first_frame": t["outlying_first_frame"],
            "outlying_first_time": iso_ns(t["outlying_first_ns"]),
            "outlying_frames": t["outlying_frame_numbers"],
        },
        "analysis_window": {
            "start": iso_ns(t["window_start_ns"]),
            "end": iso_ns(t["window_end_ns"]),
            "duration_s": round(float(t["window_duration_s"]), 9),
            "frames": t["window_frames"],
            "outlying_gap_s": t["outlying_gap_s"],
        },
    }


def filtered_to_nothing(report: dict[str, Any]) -> str | None:
    """A warning when the filters (--since, --until, --vlan, --host) kept none of the frames
    read: a report of nothing, which a CI check must not take for a clean capture."""
    cap = report["capture"]
    dropped = (cap.get("filter") or {}).get("frames_filtered") or 0
    if cap["packets"] or not dropped:
        return None
    return (
        f"the filters kept none of the {dropped:,} frames read: the report covers nothing "
        "(check --since/--until against the capture's times, and --vlan/--host)"
    )


def peak_rss_bytes() -> int:
    """The process's peak resident memory so far: ``VmHWM`` where the system has it (Linux),
    else ``ru_maxrss``. Linux keeps ``ru_maxrss`` across ``execve``, so lmcap started from a
    large process (a test suite, a notebook kernel's subprocess) would report that process's
    size; ``VmHWM`` belongs to this program's own memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    import resource

    # no /proc: ru_maxrss, in KiB on Linux and the BSDs
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_diagnostic(diagnostic: Callable[[Context], None], ctx: Context) -> None:
    """Run one diagnostic; when DuckDB runs out of memory in it, run it again, once, on one
    thread.

    Under its memory cap DuckDB spills most steps to disk, yet two threads aggregating at once
    can still overrun the cap now and then: on the 8 GiB bench capture, `throughput_groups`
    failed 2 of 3 runs under the analyze cap on two threads and none of 6 on one (each run
    2.4 s on two threads, 5.5 s on one; 2026-12-04, docs/performance.md). So a failure costs a
    slower second run, not the report; a second failure is raised as before (lmcap analyze
    exits 5 and says to raise --memory-limit). What the failed run wrote is put back first. A
    diagnostic assigns its own sections (or keys of them) and appends findings, so the first two
    levels of the report are all it can have changed: they are copied, not the whole report
    (8 MB of JSON for the 8 GiB capture, whose deep copy per diagnostic took 2.8 s in all).
    """
    import duckdb

    def two_levels(v: Any) -> Any:
        return dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v

    before = {k: two_levels(v) for k, v in ctx.report.items()}
    try:
        diagnostic(ctx)
        return
    except duckdb.OutOfMemoryException:
        ctx.report.clear()
        ctx.report.update(before)
    ctx.con.execute("SET threads = 1")
    try:
        diagnostic(ctx)
    finally:
        ctx.con.execute("RESET threads")


def build(con, params=None, timings: list[tuple[str, float, int]] | None = None) -> dict[str, Any]:
    """The whole report for a connection made by :func:`lmcap.connect`.

    ``params`` is a :class:`lmcap.diagnostics.Params` (thresholds); defaults when None. A
    ``bucket_ns`` of None is chosen from the capture (``throughput.bucket`` says how; the
    report's ``throughput.bucket.bucket_ns`` is the one every diagnostic used).
    ``frame_sizes`` and the sections after ``vlans`` are written by their diagnostic.
    ``timings``, when a list, gets (phase, seconds, peak RSS bytes so far) for the capture
    section and each diagnostic (``lmcap analyze --profile``).
    """
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        if timings is not None:
            timings.append((name, now - clock, peak_rss_bytes()))
        clock = now

    report: dict[str, Any] = {"lmcap_version": __version__}
    for key in SECTIONS:
        report[key] = [] if key in ("findings", "vlans") else {}
    report["capture"] = capture_section(con)
    report["vlans"] = q.run(con, "vlan_summary")
    lap("capture and vlans sections")
    # the throughput bucket, when not given, is chosen from the capture before any diagnostic
    # reads it (each reads params.bucket_ns)
    params, bucket_choice = throughput.resolve_bucket(con, params or Params())
    ctx = Context(con, report, params, bucket_choice)
    for diagnostic in DIAGNOSTICS:
        run_diagnostic(diagnostic, ctx)
        lap(f"diagnostic {diagnostic.__module__.rsplit('.', 1)[-1]}")
    report["findings"] = fold(report["findings"], params.findings_per_id, params.report_list_max)
    return report
