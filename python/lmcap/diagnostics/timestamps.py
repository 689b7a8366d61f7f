"""Timestamps far from the rest of the capture: `timestamps-outlying`.

Reads ``report["capture"]["timestamps"]`` and ``["analysis_window"]`` (filled by
:func:`lmcap.report.timestamps_section` from the queries ``capture_timestamps`` and
``analysis_window``) and names the outlying frames with the flows they belong to (query
``timestamps_outlying_frames``). Outlying frames are left out of every rate and timeline
(throughput, live migrations, ARP timeline, IGMP query gaps, flooding averages): one frame
stamped 2061 among frames of 2015 would otherwise stretch a flow over 46 years and divide its
bytes by that span. They stay in every count and in the ``flows`` table.
"""

from __future__ import annotations

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import flow_text, iso_ns


def run(ctx: Context) -> None:
    ts = ctx.report["capture"]["timestamps"]
    window = ctx.report["capture"]["analysis_window"]
    if not ts["outlying"]:
        return
    frames = ctx.run("timestamps_outlying_frames")
    flows = sorted({f["flow"] for f in frames if f["flow"] is not None})
    gap_days = window["outlying_gap_s"] / 86400
    ctx.add(
        finding(
            "timestamps-outlying",
            "info",
            f"{ts['outlying']} frame(s) are stamped more than {gap_days:g} day(s) of silence "
            f"away from the rest of the capture (first: frame {ts['outlying_first_frame']} at "
            f"{ts['outlying_first_time']}, while the other {window['frames']} timestamped "
            f"frames lie between {window['start']} and {window['end']}); they are left out "
            "of every rate and timeline"
            + (f", including those of {', '.join(flows)}." if flows else "."),
            {
                "outlying_frames": ts["outlying"],
                "frames": [
                    {
                        "frame": f["frame_number"],
                        "time": iso_ns(f["time_ns"]),
                        "packet": flow_text(f["src_ip"], f["src_port"], f["dst_ip"], f["dst_port"]),
                        "flow": f["flow"],
                    }
                    for f in frames
                ],
                "flows": flows,
                "analysis_window": window,
            },
            "A clock or capture-writer glitch (a wrong pcapng timestamp offset or resolution, a "
            "clock jump on the capturing host) or files of different days merged together. "
            "lmcap measures rates over the analysis window only; the flows listed keep the "
            "outlying frame in their start, end and duration_s. Check the capture host's "
            "clock and, for merged files, analyse each session on its own.",
        )
    )
