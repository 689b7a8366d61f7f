"""Render the report as one self-contained HTML page with plots (`lmcap analyze --html`).

The page reads the same report dict as the text report (docs/report.md): the verdict, the
findings worst first (each with its evidence and advice), then plots drawn from the evidence
tables of the connection, then the text report's sections as tables. Everything is inline: the
styles, the charts (SVG drawn here, in Python) and a few lines of script that only record
errors; viewing it needs no network. Every plot series is down-sampled to at most
:data:`MAX_POINTS_PER_SERIES` points (the smallest and largest value of each slice of time
kept, so peaks and stalls survive), and each chart shows at most :data:`MAX_SERIES` series or
:data:`MAX_LANES` lanes, so the page stays small however large the capture. docs/html-report.md
says why SVG and what each plot shows.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lmcap import queries as q
from lmcap import textreport
from lmcap.fmt import human_bps, iso_ns

#: Points kept per plotted series (a line, or the markers of one lane of a timeline).
MAX_POINTS_PER_SERIES = 600
#: Lines drawn per throughput chart: the biggest series by bytes (the rest are named in a note).
MAX_SERIES = 8
#: Lanes per timeline or bar chart (IGMP groups, ARP addresses, host and VLAN pairs).
MAX_LANES = 30
#: A page of any capture should stay below this (tests/test_html_report.py checks it).
PAGE_BUDGET_BYTES = 2_000_000
#: When the busiest series peaks below this share of --link-speed, the y axis fits the data
#: (so a saw-tooth stays visible) and the link speed is written above the chart instead.
LINK_ON_SCALE_MIN_SHARE = 0.1

PLOT_WIDTH = 960
PLOT_HEIGHT = 280
MARGIN_LEFT = 90
MARGIN_RIGHT = 20
MARGIN_TOP = 16
MARGIN_BOTTOM = 40
LANE_HEIGHT = 22
LANE_LABEL_WIDTH = 260
#: Height of a lane's bars, and the narrowest bar drawn (a run of one claim lasts no time).
BAR_HEIGHT = 14
BAR_MIN_WIDTH = 3.0
#: A throughput plot of a capture spanning fewer buckets than this says so, and suggests a
#: --bucket giving about SUGGESTED_BUCKETS of them.
MIN_BUCKETS = 3
SUGGESTED_BUCKETS = 50
#: The finest --bucket the scan takes (lmcap.cli.parse_bucket), in seconds.
BUCKET_MIN_S = 1e-3
#: Series with this many points or fewer get a dot on each point (a line of 1 point is not seen).
DOTS_MAX_POINTS = 60

#: Colours of series, in order (Okabe-Ito, readable by colour-blind readers).
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
)

SEVERITY_COLOURS = {"error": "#c0392b", "warning": "#d68910", "info": "#2e86c1"}

# --------------------------------------------------------------------------------------------
# Series and down-sampling


@dataclass
class Series:
    label: str
    points: list[tuple[int, float]]  # (time in ns since the epoch, value), in time order


def fill_idle(points: list[tuple[int, float]], bucket_ns: int) -> list[tuple[int, float]]:
    """Busy buckets only -> a line that drops to 0 across the idle buckets between them (two
    points per gap, however long it is: a gap of a year adds two points, not millions)."""
    out: list[tuple[int, float]] = []
    for t, v in points:
        if out and t - out[-1][0] > bucket_ns:
            prev = out[-1][0]
            out.append((prev + bucket_ns, 0.0))
            if t - bucket_ns > prev + bucket_ns:
                out.append((t - bucket_ns, 0.0))
        out.append((t, v))
    return out


def downsample(
    points: list[tuple[int, float]], max_points: int = MAX_POINTS_PER_SERIES
) -> list[tuple[int, float]]:
    """At most ``max_points`` points: time is cut into ``max_points // 2`` equal slices and each
    keeps its lowest and highest point (in time order), so a peak or a stall never vanishes."""
    if len(points) <= max_points:
        return points
    slices = max(1, max_points // 2)
    t0, t1 = points[0][0], points[-1][0]
    width = (t1 - t0) / slices or 1
    kept: dict[int, list[tuple[int, float]]] = {}
    for p in points:
        i = min(slices - 1, int((p[0] - t0) / width))
        lo_hi = kept.get(i)
        if lo_hi is None:
            kept[i] = [p, p]
        else:
            if p[1] < lo_hi[0][1]:
                lo_hi[0] = p
            if p[1] > lo_hi[1][1]:
                lo_hi[1] = p
    out: list[tuple[int, float]] = []
    for i in sorted(kept):
        lo, hi = kept[i]
        out += [lo] if lo == hi else sorted((lo, hi))
    return out


def series_by(rows: list[dict[str, Any]], key: str, label, bucket_ns: int, value: str) -> list:
    """Rows ordered by ``key`` (a rank) and time -> Series, idle buckets filled, down-sampled.
    Each bucket's value is drawn at the middle of the bucket, the time it is the mean over."""
    out: dict[Any, Series] = {}
    for r in rows:
        s = out.get(r[key])
        if s is None:
            s = out[r[key]] = Series(label(r), [])
        s.points.append((r["bucket_start_ns"] + bucket_ns // 2, float(r[value])))
    for s in out.values():
        s.points = downsample(fill_idle(s.points, bucket_ns))
    return list(out.values())


# --------------------------------------------------------------------------------------------
# Axes


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks over span."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power  # pragma: no cover - the loop always returns


def _ticks(lo: float, hi: float, ticks: int = 5) -> list[float]:
    step = nice_step(hi - lo, ticks)
    first = math.ceil(lo / step) * step
    n = int((hi - first) / step + 1e-9) + 1
    return [first + i * step for i in range(max(0, n))]


def _seconds(x: float) -> str:
    return f"{x:g} s" if abs(x) >= 1 or x == 0 else f"{x * 1000:g} ms"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _rate(unit: str):
    return human_bps if unit == "bit/s" else (lambda v: f"{_num(v)} {unit}")


def _share(part: float, whole: float) -> str:
    share = 100 * part / whole
    return "under 0.1%" if 0 < share < 0.1 else f"{share:.1f}%"


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


@dataclass
class TimeAxis:
    """Maps capture time (ns) to x pixels; ticks are seconds from ``t0``."""

    t0: int
    t1: int
    left: float
    right: float

    def x(self, t: int) -> float:
        span = max(1, self.t1 - self.t0)
        return self.left + (t - self.t0) / span * (self.right - self.left)

    def svg(self, top: float, bottom: float) -> list[str]:
        out = []
        span_s = max(1e-9, (self.t1 - self.t0) / 1e9)
        for s in _ticks(0, span_s):
            x = self.x(self.t0 + round(s * 1e9))
            out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}"/>')
            out.append(
                f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{_seconds(s)}</text>'
            )
        out.append(
            f'<text x="{(self.left + self.right) / 2:.1f}" y="{bottom + 32}" '
            f'text-anchor="middle" class="axis-title">time from {esc(iso_ns(self.t0))}</text>'
        )
        return out


# --------------------------------------------------------------------------------------------
# Charts


def _svg(kind: str, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg class="plot {kind}" data-plot="{esc(title)}" '
        f'viewBox="0 0 {PLOT_WIDTH} {height:.0f}" '
        f'width="{PLOT_WIDTH}" height="{height:.0f}" role="img" aria-label="{esc(title)}">'
        + "".join(body)
        + "</svg>"
    )


def _legend(items: Iterable[tuple[str, str]]) -> str:
    return (
        '<ul class="legend">'
        + "".join(
            f'<li><span style="background:{c}"></span>{esc(label)}</li>' for label, c in items
        )
        + "</ul>"
    )


def _span(t0: int, t1: int, times: list[int]) -> tuple[int, int]:
    """The time axis: the analysis window (``t0``, ``t1``; 0 when unknown) widened to every
    time plotted (a bucket starts before the window when the window does not start on a
    bucket boundary)."""
    if times:
        t0 = min(t0, min(times)) if t0 else min(times)
        t1 = max(t1, max(times))
    return t0, max(t1, t0 + 1)


def line_chart(
    title: str,
    series: list[Series],
    unit: str,
    t0: int,
    t1: int,
    link_bps: int = 0,
) -> str:
    """Lines of a value over time, one colour per series; the link speed as a dashed line
    (or named above the chart when it would squash the lines flat)."""
    fmt = _rate(unit)
    if t0 and t1 > t0:
        # a bucket's middle can fall outside a window that starts or ends inside the bucket
        series = [Series(s.label, [(min(max(t, t0), t1), v) for t, v in s.points]) for s in series]
    t0, t1 = _span(t0, t1, [t for s in series for t, _ in s.points])
    peak = max((v for s in series for _, v in s.points), default=0.0)
    link_on_scale = bool(link_bps) and peak >= LINK_ON_SCALE_MIN_SHARE * link_bps
    top_value = max(peak, link_bps if link_on_scale else 0) * 1.05 or 1.0
    bottom = PLOT_HEIGHT - MARGIN_BOTTOM
    axis = TimeAxis(t0, t1, MARGIN_LEFT, PLOT_WIDTH - MARGIN_RIGHT)

    def y(v: float) -> float:
        return bottom - v / top_value * (bottom - MARGIN_TOP)

    body = axis.svg(MARGIN_TOP, bottom)
    for v in _ticks(0, top_value):
        body.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{axis.right}" '
            f'y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
        )
        body.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{esc(fmt(v))}</text>'
        )
    body.append(
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{axis.right}" y1="{bottom}" y2="{bottom}"/>'
    )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        d = " ".join(
            f"{'M' if j == 0 else 'L'}{axis.x(t):.1f},{y(v):.1f}"
            for j, (t, v) in enumerate(s.points)
        )
        body.append(
            f'<path class="mark" d="{d}" stroke="{colour}"><title>{esc(s.label)}</title></path>'
        )
        if len(s.points) <= DOTS_MAX_POINTS:
            for t, v in s.points:
                body.append(
                    f'<circle class="mark" cx="{axis.x(t):.1f}" cy="{y(v):.1f}" r="2.5" '
                    f'fill="{colour}"><title>{esc(s.label)}: {esc(fmt(v))}</title></circle>'
                )
    note = ""
    if link_bps and link_on_scale:
        body.append(
            f'<line class="link" x1="{MARGIN_LEFT}" x2="{axis.right}" y1="{y(link_bps):.1f}" '
            f'y2="{y(link_bps):.1f}"><title>link speed {esc(human_bps(link_bps))}</title></line>'
        )
        body.append(
            f'<text class="link-label" x="{axis.right - 4}" y="{y(link_bps) - 4:.1f}" '
            f'text-anchor="end">link {esc(human_bps(link_bps))}</text>'
        )
    elif link_bps:
        note = (
            f'<p class="note">The link ({esc(human_bps(link_bps))}, --link-speed) is off this '
            f"scale: the busiest series peaks at {_share(peak, link_bps)} of it, so the "
            "axis fits the data to keep its shape visible.</p>"
        )
    legend = _legend((s.label, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series))
    return note + _svg("line", PLOT_HEIGHT, body, title) + legend


@dataclass
class Lane:
    label: str
    #: (start ns, end ns, colour, tooltip)
    bars: list[tuple[int, int, str, str]] = field(default_factory=list)
    #: (time ns, shape: 'dot', 'cross', 'tick', colour, tooltip)
    marks: list[tuple[int, str, str, str]] = field(default_factory=list)


def thin_marks(marks: list[tuple[int, str, str, str]], t0: int, t1: int) -> list:
    """At most :data:`MAX_POINTS_PER_SERIES` marks: one per slice of time and kind of mark."""
    if len(marks) <= MAX_POINTS_PER_SERIES:
        return marks
    slices = max(1, MAX_POINTS_PER_SERIES // 4)
    width = max(1, t1 - t0) / slices
    seen: dict[tuple[int, str, str], tuple[int, str, str, str]] = {}
    for m in marks:
        seen.setdefault((int((m[0] - t0) / width), m[1], m[2]), m)
    return sorted(seen.values())


def thin_bars(bars: list[tuple[int, int, str, str]], t0: int, t1: int) -> list:
    """At most :data:`MAX_POINTS_PER_SERIES` bars: bars of one colour starting in the same
    slice of time merge into one."""
    if len(bars) <= MAX_POINTS_PER_SERIES:
        return bars
    slices = max(1, MAX_POINTS_PER_SERIES // 4)
    width = max(1, t1 - t0) / slices
    merged: dict[tuple[int, str], tuple[int, int, str, str]] = {}
    for b in bars:
        k = (int((b[0] - t0) / width), b[2])
        old = merged.get(k)
        merged[k] = b if old is None else (old[0], max(old[1], b[1]), b[2], old[3])
    return sorted(merged.values())


def lane_chart(
    title: str, lanes: list[Lane], t0: int, t1: int, rules: list[tuple[int, str]] = ()
) -> str:
    """One row per lane: bars (spans of time) and marks (events); ``rules`` are events drawn
    across every lane (IGMP general queries). Bars of different colours in one lane get a
    band each, so that two MACs claiming an address at the same moment are both seen."""
    times = [t for lane in lanes for b in lane.bars for t in b[:2]]
    times += [m[0] for lane in lanes for m in lane.marks] + [t for t, _ in rules]
    t0, t1 = _span(t0, t1, times)
    top = MARGIN_TOP
    bottom = top + LANE_HEIGHT * len(lanes)
    height = bottom + MARGIN_BOTTOM
    axis = TimeAxis(t0, t1, LANE_LABEL_WIDTH, PLOT_WIDTH - MARGIN_RIGHT)
    body = axis.svg(top, bottom)
    for t, _, _, tip in thin_marks([(t, "rule", "#555", tip) for t, tip in rules], t0, t1):
        x = axis.x(t)
        body.append(
            f'<line class="mark rule" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}">'
            f"<title>{esc(tip)}</title></line>"
        )
    for i, lane in enumerate(lanes):
        mid = top + LANE_HEIGHT * i + LANE_HEIGHT / 2
        body.append(
            f'<text x="{LANE_LABEL_WIDTH - 6}" y="{mid + 4:.1f}" text-anchor="end">'
            f"{esc(lane.label)}</text>"
        )
        bands = list(dict.fromkeys(b[2] for b in lane.bars))
        band_height = BAR_HEIGHT / max(1, len(bands))
        for start, end, colour, tip in thin_bars(lane.bars, t0, t1):
            x0, x1 = axis.x(start), axis.x(end)
            y0 = mid - BAR_HEIGHT / 2 + bands.index(colour) * band_height
            body.append(
                f'<rect class="mark" x="{x0:.1f}" y="{y0:.1f}" '
                f'width="{max(BAR_MIN_WIDTH, x1 - x0):.1f}" '
                f'height="{band_height:.1f}" fill="{colour}"><title>{esc(tip)}</title></rect>'
            )
        for t, shape, colour, tip in thin_marks(lane.marks, t0, t1):
            x = axis.x(t)
            tip_el = f"<title>{esc(tip)}</title>"
            if shape == "dot":
                body.append(
                    f'<circle class="mark" cx="{x:.1f}" cy="{mid:.1f}" r="3.5" '
                    f'fill="{colour}">{tip_el}</circle>'
                )
            elif shape == "cross":
                body.append(
                    f'<path class="mark cross" d="M{x - 4:.1f},{mid - 4:.1f} '
                    f"L{x + 4:.1f},{mid + 4:.1f} M{x - 4:.1f},{mid + 4:.1f} "
                    f'L{x + 4:.1f},{mid - 4:.1f}" stroke="{colour}">{tip_el}</path>'
                )
            else:
                body.append(
                    f'<path class="mark tick" d="M{x:.1f},{mid - 9:.1f} L{x:.1f},{mid + 9:.1f}" '
                    f'stroke="{colour}">{tip_el}</path>'
                )
    return _svg("lanes", height, body, title)


def share_bars(title: str, rows: list[tuple[str, list[tuple[str, int, str]]]]) -> str:
    """One horizontal 100% bar per row, split by category: rows of (label, [(category,
    count, colour)])."""
    height = MARGIN_TOP + LANE_HEIGHT * len(rows) + 10
    left, right = LANE_LABEL_WIDTH, PLOT_WIDTH - MARGIN_RIGHT
    body = []
    for i, (label, parts) in enumerate(rows):
        mid = MARGIN_TOP + LANE_HEIGHT * i + LANE_HEIGHT / 2
        total = sum(n for _, n, _ in parts) or 1
        body.append(f'<text x="{left - 6}" y="{mid + 4:.1f}" text-anchor="end">{esc(label)}</text>')
        x = float(left)
        for category, n, colour in parts:
            w = n / total * (right - left)
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{mid - 8:.1f}" width="{max(1.0, w):.1f}" '
                f'height="16" fill="{colour}"><title>{esc(label)}: {n} frames {esc(category)} '
                f"({100 * n / total:.1f}%)</title></rect>"
            )
            x += w
    return _svg("bars", height, body, title)


# --------------------------------------------------------------------------------------------
# The plots of a capture


@dataclass
class Plot:
    title: str
    #: What the plot shows and how to read it.
    intro: str
    #: The chart(s) as HTML, or None: "none seen".
    chart: str | None
    #: What was left out (series beyond MAX_SERIES...), or a caveat.
    note: str = ""


def ns_from_iso(text: str | None) -> int:
    """'2026-11-26T12:50:39.000177000Z' (lmcap.fmt.iso_ns) -> ns since the epoch; None -> 0."""
    if not text:
        return 0
    seconds, _, fraction = text.rstrip("Z").partition(".")
    whole = datetime.strptime(seconds, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(whole.timestamp()) * 1_000_000_000 + int(fraction.ljust(9, "0")[:9] or 0)


def analysis_window_ns(report: dict[str, Any]) -> tuple[int, int]:
    """The report's analysis window (the span rates are measured over) in ns; (0, 0) when
    no frame had a timestamp. Plots span it, widened to any point they draw outside it."""
    w = report["capture"]["analysis_window"]
    return ns_from_iso(w["start"]), ns_from_iso(w["end"])


def _left_out(n: int, what: str) -> str:
    return f"{n} more {what} not drawn (the {MAX_SERIES} biggest are)." if n > 0 else ""


def _few_buckets(t0: int, t1: int, bucket_ns: int) -> str:
    """A note when the capture spans fewer than MIN_BUCKETS buckets: each point is then the
    mean over a bucket mostly empty, and a finer --bucket would show the shape."""
    span = t1 - t0
    if not t0 or span >= MIN_BUCKETS * bucket_ns:
        return ""
    finer = max(BUCKET_MIN_S, nice_step(span / 1e9, ticks=SUGGESTED_BUCKETS))
    advice = (
        f" Run with --bucket {_seconds(finer).replace(' ', '')} to see the shape."
        if finer * 1e9 < bucket_ns
        else ""
    )
    return (
        f"The capture spans {_seconds(round(span / 1e9, 6))}, under {MIN_BUCKETS} buckets of "
        f"{_seconds(bucket_ns / 1e9)}: each point is a whole bucket's mean.{advice}"
    )


def _throughput_plot(
    con, name: str, title: str, intro: str, label, what: str, params, t0: int, t1: int
) -> Plot:
    rows = q.run(con, name, **params.sql_params())
    ranks = {r["series_rank"] for r in rows}
    shown = [r for r in rows if r["series_rank"] <= MAX_SERIES]
    if not shown:
        return Plot(title, intro, None)
    series = series_by(shown, "series_rank", label, params.bucket_ns, "bps")
    chart = line_chart(title, series, "bit/s", t0, t1, params.link_speed_bps)
    notes = (_left_out(len(ranks) - MAX_SERIES, what), _few_buckets(t0, t1, params.bucket_ns))
    return Plot(title, intro, chart, " ".join(n for n in notes if n))


def _flow_label(r: dict[str, Any]) -> str:
    return f"{r['src']} -> {r['dst']} ({r['class']})"


def _frame_size_plot(con) -> Plot:
    title = "Frame sizes per host and VLAN"
    intro = (
        "Frames each source MAC sent on each VLAN, by wire length at the sizes MTUs make: "
        "1514 (MTU 1500, untagged), 1518 (1500 tagged), 9014 (jumbo 9000 untagged), 9018 "
        "(jumbo tagged), 9216 (what most switches forward). A host that should send jumbo "
        "frames and sits in '<= 1514' does not; frames above 9216 are dropped by most switches "
        "(or were coalesced by offload before the capture saw them). Counted per frame, from "
        "the packets table."
    )
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "packets" not in tables:
        return Plot(title, intro, None, "Needs the packets table, which this connection lacks.")
    rows = q.run(con, "plot_frame_size_bins")
    bins: dict[tuple[str, Any], list] = {}
    for r in rows:
        bins.setdefault((r["src_mac"], r["vlan"]), []).append(r)
    if not bins:
        return Plot(title, intro, None)
    colours = dict(
        zip(range(1, 7), ("#56b4e9", "#0072b2", "#e69f00", "#d55e00", "#cc79a7", "#000000"))
    )
    names = {r["bin_order"]: r["bin"] for r in rows}
    bars = [
        (
            f"{mac} vlan {textreport._vlan(vlan)} ({sum(r['frames'] for r in parts)})",
            [(r["bin"], r["frames"], colours[r["bin_order"]]) for r in parts],
        )
        for (mac, vlan), parts in list(bins.items())[:MAX_LANES]
    ]
    legend = _legend((names[o], colours[o]) for o in sorted(names))
    more = len(bins) - MAX_LANES
    note = f"{more} more host and VLAN pairs not drawn." if more > 0 else ""
    return Plot(title, intro, share_bars(title, bars) + legend, note)


def _igmp_plot(con, t0: int, t1: int) -> Plot:
    title = "IGMP membership per group"
    intro = (
        "One lane per group and VLAN: the bar is the time at least one host was a member (from "
        "its first report to the last leave); dots are reports (joins), crosses leaves and "
        "blocks, short ticks group-specific queries; grey lines across every lane are general "
        "queries. No grey lines means no querier: the switch ages memberships out and floods "
        "or drops the group."
    )
    rows = q.run(con, "plot_igmp_events")
    if not rows:
        return Plot(title, intro, None)
    rules, lanes = [], {}
    members: dict[tuple[str, Any], set] = {}
    since: dict[tuple[str, Any], int] = {}
    for r in rows:
        who = f"{r['host']} (IGMPv{r['version']}, frame {r['frame_number']})"
        if r["group"] is None:
            rules.append((r["time_ns"], f"general query from {who}"))
            continue
        key = (r["group"], r["vlan"])
        lane = lanes.setdefault(key, Lane(f"{r['group']} vlan {textreport._vlan(r['vlan'])}"))
        group_members = members.setdefault(key, set())
        if r["action"] == "query":
            lane.marks.append((r["time_ns"], "tick", "#555", f"group query from {who}"))
        elif r["action"] == "join":
            lane.marks.append((r["time_ns"], "dot", "#009e73", f"join by {who}"))
            if not group_members:
                since[key] = r["time_ns"]
            group_members.add(r["host"])
        elif r["action"] in ("leave", "block"):
            lane.marks.append((r["time_ns"], "cross", "#d55e00", f"{r['action']} by {who}"))
            if r["action"] == "leave" and r["host"] in group_members:
                group_members.discard(r["host"])
                if not group_members:
                    lane.bars.append((since.pop(key), r["time_ns"], "#b7e4c7", "members"))
    for key, start in since.items():
        lanes[key].bars.append(
            (start, t1, "#b7e4c7", f"members at the end: {', '.join(sorted(members[key]))}")
        )
    chosen = list(lanes.values())[:MAX_LANES]
    note = f"{len(lanes) - MAX_LANES} more groups not drawn." if len(lanes) > MAX_LANES else ""
    if not chosen:
        note = f"Only general queries ({len(rules)}), no group traffic."
        chosen = [Lane("general queries")]
    return Plot(title, intro, lane_chart(title, chosen, t0, t1, rules), note)


def _arp_plot(con, t0: int, t1: int) -> Plot:
    title = "ARP: who claimed each address"
    intro = (
        "One lane per IPv4 address, one colour per MAC that claimed it (ARP sender, or IP "
        "traffic from that MAC). A move is one colour giving way to another for good (a VM "
        "migrated, a NIC failed over); a conflict is colours alternating: two hosts answer for "
        "the same address. Addresses claimed by more than one MAC come first."
    )
    rows = q.run(con, "arp_claim_runs")
    if not rows:
        return Plot(title, intro, None)
    per_ip: dict[tuple[str, Any], list] = {}
    for r in rows:
        per_ip.setdefault((r["ip"], r["vlan"]), []).append(r)

    def verdict(runs: list) -> str:
        macs = [r["mac"] for r in sorted(runs, key=lambda r: r["run"])]
        distinct = len(set(macs))
        if distinct == 1:
            return "one MAC"
        return "conflict" if len(macs) > distinct else "move"

    order = sorted(
        per_ip.items(),
        key=lambda kv: (
            -len({r["mac"] for r in kv[1]}),
            -sum(r["claims"] for r in kv[1]),
            kv[0][0],
        ),
    )
    lanes, legend = [], []
    for (ip, vlan), runs in order[:MAX_LANES]:
        colours: dict[str, str] = {}
        lane = Lane(f"{ip} vlan {textreport._vlan(vlan)}: {verdict(runs)}")
        for r in runs:
            colour = colours.setdefault(r["mac"], PALETTE[len(colours) % len(PALETTE)])
            lane.bars.append(
                (
                    r["start_ns"],
                    r["end_ns"],
                    colour,
                    f"{ip} claimed by {r['mac']}: {r['claims']} claims, "
                    f"frames {r['first_frame']}-{r['last_frame']}",
                )
            )
        lanes.append(lane)
        if len(colours) > 1:
            legend += [(f"{ip}: {mac}", c) for mac, c in colours.items()]
    note = f"{len(per_ip) - MAX_LANES} more addresses not drawn." if len(per_ip) > MAX_LANES else ""
    return Plot(title, intro, lane_chart(title, lanes, t0, t1) + _legend(legend), note)


def plots(con, params=None, window: tuple[int, int] = (0, 0)) -> list[Plot]:
    """Every plot of the page for a connection from :func:`lmcap.connect`, in reading order.
    ``params`` (lmcap.diagnostics.Params) gives the bucket and the link speed; ``window``
    the time span to draw (ns since the epoch; by default the span of the points)."""
    from lmcap.diagnostics import Params

    params = params or Params()
    t0, t1 = window
    bucket = f"per {_seconds(params.bucket_ns / 1e9)} bucket (--bucket)"
    out = [
        _throughput_plot(
            con,
            "plot_flow_throughput",
            "Throughput per flow",
            f"Wire bits/s of the biggest flow directions, {bucket}. A steady transfer is a flat "
            "line near the link speed; a saw-tooth (bursts, then drops to zero) is a sender that "
            "keeps stalling: losses, zero windows, a congested switch.",
            _flow_label,
            "flow directions",
            params,
            t0,
            t1,
        ),
        _throughput_plot(
            con,
            "plot_nic_throughput",
            "Throughput per NIC (source MAC)",
            f"Wire bits/s each source MAC sent, all protocols, {bucket}. With several migration "
            "NICs, each should carry its share; one busy NIC and idle others means the traffic "
            "is not spread (one TCP stream, SMB multichannel not in use).",
            lambda r: r["src_mac"],
            "NICs",
            params,
            t0,
            t1,
        ),
        _throughput_plot(
            con,
            "plot_smb_channel_throughput",
            "Throughput per SMB channel",
            f"Wire bits/s of each TCP connection to SMB (port 445/139), both directions, {bucket}. "
            "SMB multichannel spreads a live migration over channels: they should run as flat "
            "lines of about equal height.",
            lambda r: f"{r['client']} -> {r['server']}",
            "SMB channels",
            params,
            t0,
            t1,
        ),
        _frame_size_plot(con),
        _igmp_plot(con, t0, t1),
        _flooding_plot(con, params, t0, t1, bucket),
        _arp_plot(con, t0, t1),
        _throughput_plot(
            con,
            "plot_rdma_throughput",
            "RDMA throughput per queue pair",
            f"Payload bits/s of each RoCE queue pair (source, destination, QP) and iWARP "
            f"connection, {bucket}. Drops to zero on one queue pair while others run point at "
            "congestion (see CNPs and ECN marks in the RDMA section).",
            _qp_label,
            "queue pairs",
            params,
            t0,
            t1,
        ),
    ]
    return out


def _qp_label(r: dict[str, Any]) -> str:
    if r["transport"] == "iwarp":
        return f"iwarp {r['src']}:{r['src_port']} -> {r['dst']}:{r['dst_port']}"
    return f"{r['transport']} {r['src']} -> {r['dst']} QP {r['dest_qp']}"


def _flooding_plot(con, params, t0: int, t1: int, bucket: str) -> Plot:
    title = "Flooding rate by kind"
    intro = (
        f"Frames per second a switch floods to every port, by why, {bucket}: broadcast, "
        "multicast to groups nobody joined, link-local multicast, NLB cluster MACs. A storm is "
        "a tall spike; a steady high floor is load every host on the VLAN pays for."
    )
    rows = q.run(con, "plot_flooding_rate", **params.sql_params())
    if not rows:
        return Plot(title, intro, None)
    series = series_by(rows, "kind", lambda r: r["kind"], params.bucket_ns, "fps")
    chart = line_chart(title, series, "frames/s", t0, t1)
    return Plot(title, intro, chart, _few_buckets(t0, t1, params.bucket_ns))


# --------------------------------------------------------------------------------------------
# The page


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;
padding:16px;color:#1b1b1b;background:#fff}
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 4px}
.verdict{font-weight:600;padding:8px 12px;border-radius:4px;background:#f4f4f4}
.finding{border-left:5px solid;padding:4px 12px;margin:10px 0;background:#fafafa}
.finding .sev{font-weight:700;text-transform:uppercase}
.finding code,.ev{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.ev{margin:4px 0;color:#333;overflow-wrap:anywhere}
.advice{margin:4px 0}
svg.plot{display:block;max-width:100%;height:auto;font-size:11px}
svg text{fill:#333}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#888}
svg path.mark{fill:none;stroke-width:1.6;stroke-opacity:.85}
svg path.cross,svg path.tick{stroke-width:2}
svg .rule{stroke:#999;stroke-dasharray:3 3}
svg .link{stroke:#c0392b;stroke-dasharray:6 4;stroke-width:1.5}
svg .link-label{fill:#c0392b;font-weight:600}
svg .axis-title{fill:#666}
.legend{list-style:none;padding:0;margin:4px 0 0 90px;display:flex;flex-wrap:wrap;
gap:4px 16px;font-size:12px}
.legend span{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-2px}
.none{color:#777;font-style:italic}.note{color:#555;font-size:12.5px}
table{border-collapse:collapse;margin:6px 0;font-size:12.5px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
"""

#: The page's only scripts. They record errors (a script error, a resource that failed to load
#: or was refused by the page's policy, a console.error) and, once the page has loaded, the
#: plots without a visible mark, into attributes of <html> that the browser test reads back
#: from the DOM. They change nothing the reader sees.
ERROR_RECORDER = """
(function(){var d=document.documentElement,errs=[];
function note(m){errs.push(String(m));d.setAttribute('data-js-errors',JSON.stringify(errs));}
window.addEventListener('error',function(e){var t=e.target;
note(e.message||('failed to load '+((t&&(t.src||t.href))||'?')));},true);
window.addEventListener('securitypolicyviolation',function(e){
note('blocked by the page policy: '+e.blockedURI);});
window.addEventListener('unhandledrejection',function(e){note('unhandled rejection: '+e.reason);});
var ce=console.error;console.error=function(){
note(Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
window.lmcapNoteError=note;})();
"""
PLOT_CHECK = """
window.addEventListener('load',function(){var empty=[],plots=document.querySelectorAll('svg.plot');
plots.forEach(function(svg){var drawn=0;svg.querySelectorAll('.mark').forEach(function(m){
var b=m.getBBox();if(b.width>0||b.height>0)drawn++;});
if(!drawn)empty.push(svg.getAttribute('data-plot'));});
var d=document.documentElement;d.setAttribute('data-plots',String(plots.length));
d.setAttribute('data-empty-plots',JSON.stringify(empty));d.setAttribute('data-checked','1');});
"""


def _finding_html(f: dict[str, Any]) -> str:
    colour = SEVERITY_COLOURS.get(f["severity"], "#777")
    out = [
        f'<div class="finding {esc(f["severity"])}" style="border-color:{colour}">',
        f'<div><span class="sev" style="color:{colour}">{esc(f["severity"])}</span> '
        f"<code>{esc(f['id'])}</code>: {esc(f['summary'])}</div>",
    ]
    ev = textreport.evidence(f.get("evidence") or {})
    if ev.scalars:
        out.append('<div class="ev">evidence: ' + esc(" ".join(ev.scalars)) + "</div>")
    for key, items, more in ev.lists:
        tail = f" (+{more} more in the JSON report)" if more else ""
        out.append(
            f'<div class="ev">{esc(key)}{esc(tail)}:<ul>'
            + "".join(f"<li>{esc(x)}</li>" for x in items)
            + "</ul></div>"
        )
    if f.get("advice"):
        out.append(f'<div class="advice"><b>Advice:</b> {esc(f["advice"])}</div>')
    out.append("</div>")
    return "".join(out)


def _table_html(t: textreport.Table) -> str:
    numeric = textreport._numeric_columns(t)
    head = "".join(f"<th>{esc(h)}</th>" for h in t.headers)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(textreport._cell(v))}</td>'
            if n
            else f"<td>{esc(textreport._cell(v))}</td>"
            for v, n in zip(row, numeric)
        )
        + "</tr>"
        for row in t.rows
    )
    more = t.more_line()
    return f"<table><tr>{head}</tr>{rows}</table>" + (
        f'<p class="note">{esc(more)}</p>' if more else ""
    )


def _section_html(s: textreport.Section) -> str:
    out = [f"<details><summary>{esc(s.title)}</summary>"]
    for block in s.blocks:
        out.append(
            _table_html(block)
            if isinstance(block, textreport.Table)
            else f"<p>{esc(block.strip())}</p>"
        )
    out.append("</details>")
    return "".join(out)


def _plot_html(p: Plot) -> str:
    body = p.chart if p.chart else '<p class="none">none seen</p>'
    note = f'<p class="note">{esc(p.note)}</p>' if p.note else ""
    return (
        f'<section class="plot-section"><h3>{esc(p.title)}</h3><p>{esc(p.intro)}</p>'
        f"{body}{note}</section>"
    )


def render_html(
    report: dict[str, Any], con=None, params=None, top: int = textreport.DEFAULT_TOP
) -> str:
    """The HTML page: verdict, findings worst first (all of them), the plots (drawn from
    ``con``, the connection the report was built on; left out when None), then the text
    report's sections as tables (lists cut at ``top`` rows, 0 for all)."""
    findings = textreport.ordered_findings(report)
    counts = textreport.severity_counts(report)
    tally = ", ".join(textreport._plural(n, s) for s, n in counts.items() if n) or "none"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may load from elsewhere: the page must read the same offline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{esc(textreport.verdict(report))}</title>",
        f"<style>{STYLE}</style>",
        f"<script>{ERROR_RECORDER}</script>",
        "</head><body>",
        f"<h1>lmcap report <small>(lmcap {esc(report['lmcap_version'])})</small></h1>",
        f'<p class="verdict">{esc(textreport.verdict(report))}</p>',
        f"<h2>Findings ({esc(tally)})</h2>",
    ]
    parts += [_finding_html(f) for f in findings] or ['<p class="none">none seen</p>']
    parts.append("<h2>Plots</h2>")
    if con is None:
        parts.append('<p class="none">No plots: they are drawn from the capture\'s tables.</p>')
    else:
        parts += [_plot_html(p) for p in plots(con, params, analysis_window_ns(report))]
    parts.append("<h2>Sections</h2>")
    parts += [_section_html(s) for s in textreport.sections(report, top)]
    parts += [f"<script>{PLOT_CHECK}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"
