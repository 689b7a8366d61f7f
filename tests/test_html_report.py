"""`lmcap analyze --html`: the page opened in a real browser (headless Chromium).

Each page of several shipped captures is written by the command line, opened by Chromium
(`--dump-dom`), and fails the test on any script error, console message, resource load (the
page must need no network), plot without a visible mark, plot missing although its evidence
table has rows, or page over the size budget. A screenshot of each is kept in
$LMCAP_TEST_ARTIFACTS (default target/test-artifacts/html-report, ignored by git). The tests
skip when Chromium is missing (scripts/setup.sh installs it with apt-get when run as root).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import lmcap
from lmcap import htmlreport
from lmcap.cli import main
from lmcap.htmlreport import MAX_POINTS_PER_SERIES, PAGE_BUDGET_BYTES, Series

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
ARTIFACTS = Path(
    os.environ.get("LMCAP_TEST_ARTIFACTS", ROOT / "target" / "test-artifacts" / "html-report")
)
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
requires_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)
#: Seconds Chromium may take to load one page before the test gives up.
BROWSER_TIMEOUT_S = 120

PAGES = [
    "throughput/jagged-6600.pcap",
    "smb/multichannel-transfer.pcapng",
    "igmp/clean-querier.pcap",
    "igmp/no-querier.pcap",
    "arp/duplicate-ip.pcap",
    "arp/ip-moved.pcap",
    "rdma/roce-v2-smbdirect.pcap",
    "rdma/iwarp-smbdirect.pcap",
    "mtu/blackhole.pcap",
]

#: Plot title -> SQL counting the evidence it is drawn from: with rows, the plot must be drawn.
EVIDENCE_OF_PLOT = {
    "Throughput per flow": "SELECT count(*) FROM flows",
    "Throughput per NIC (source MAC)": "SELECT count(*) FROM traffic WHERE src_mac IS NOT NULL",
    "Throughput per SMB channel": "SELECT count(*) FROM flows WHERE server_port IN (445, 139)",
    "Frame sizes per host and VLAN": "SELECT count(*) FROM packets",
    "IGMP membership per group": "SELECT count(*) FROM igmp_records",
    "Flooding rate by kind": "SELECT count(*) FROM flooded_frames",
    "ARP: who claimed each address": "SELECT count(*) FROM arp WHERE sender_ip <> '0.0.0.0'",
    "RDMA throughput per queue pair": "SELECT count(*) FROM rdma_segments WHERE status = 'ok'",
}


@dataclass
class Browsed:
    html_attrs: dict[str, str]
    console: list[str]

    def attr_json(self, name: str) -> list:
        return json.loads(self.html_attrs.get(name, "[]"))


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )


def browse(page: Path, profile: Path) -> Browsed:
    """Open ``page`` in headless Chromium: the attributes of <html> once loaded (what the
    page's scripts recorded) and every console message Chromium logged."""
    run = _chromium(["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()], profile)
    tag = re.search(r"<html\b[^>]*>", run.stdout)
    assert tag, f"Chromium returned no document for {page}: {run.stderr[-2000:]}"
    attrs = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}
    console = re.findall(r":CONSOLE[:(]\d+\)?\] (.*)", run.stderr)
    return Browsed(attrs, console)


def screenshot(page: Path, png: Path, profile: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    _chromium(["--window-size=1100,2400", f"--screenshot={png}", page.as_uri()], profile)
    assert png.is_file(), f"Chromium wrote no screenshot of {page}"


def png_distinct_bytes(png: Path) -> int:
    """Distinct byte values of a PNG's decompressed image data: a blank page has a handful
    (the white of every pixel and the row filters), a page with text and plots far more."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def evidence_rows(capture: Path) -> dict[str, int]:
    con = lmcap.connect(str(capture), strict=False)
    return {title: con.execute(sql).fetchone()[0] for title, sql in EVIDENCE_OF_PLOT.items()}


@requires_chromium
@pytest.mark.parametrize("name", PAGES)
def test_html_report_opens_clean_in_chromium(name: str, tmp_path: Path) -> None:
    capture = CAPTURES / name
    page = tmp_path / "report.html"
    assert main(
        [
            "analyze",
            str(capture),
            "--html",
            str(page),
            "--link-speed",
            "10G",
            "-o",
            str(tmp_path / "report.txt"),
        ]
    ) in (0, 4)
    text = page.read_text(encoding="utf-8")
    assert len(text.encode()) < PAGE_BUDGET_BYTES, f"{name}: page of {len(text)} bytes"
    # Self-contained: nothing is fetched from anywhere (the policy would refuse it anyway).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), name

    got = browse(page, tmp_path / "profile")
    assert got.html_attrs.get("data-checked") == "1", f"{name}: the page's check did not run"
    assert got.attr_json("data-js-errors") == [], f"{name}: script errors"
    assert got.console == [], f"{name}: console messages: {got.console}"
    assert got.attr_json("data-empty-plots") == [], f"{name}: plots with nothing drawn"
    drawn = set(re.findall(r'<svg class="plot [^"]*" data-plot="([^"]*)"', text))
    assert int(got.html_attrs["data-plots"]) == len(re.findall(r'<svg class="plot ', text))
    rows = evidence_rows(capture)
    expected = {title for title, n in rows.items() if n}
    assert expected <= {html.unescape(t) for t in drawn}, f"{name}: rows {rows}, drawn {drawn}"
    for title in set(EVIDENCE_OF_PLOT) - expected:
        assert re.search(
            rf"<h3>{re.escape(html.escape(title))}</h3><p>[^<]*</p><p class=\"none\">none seen",
            text,
        ), f"{name}: {title} has no evidence and should say 'none seen'"

    png = ARTIFACTS / (name.replace("/", "_") + ".png")
    screenshot(page, png, tmp_path / "profile")
    assert png_distinct_bytes(png) > 50, f"{png} looks blank"


@requires_chromium
def test_the_browser_check_catches_errors_empty_plots_and_network(tmp_path: Path) -> None:
    """The checks above can fail: a page with a script error, a console.error, an image from
    the network and a plot with nothing in it is caught on every count."""
    page = tmp_path / "report.html"
    assert main(
        [
            "analyze",
            str(CAPTURES / "arp" / "duplicate-ip.pcap"),
            "--html",
            str(page),
            "-o",
            str(tmp_path / "report.txt"),
        ]
    ) in (0, 4)
    broken = page.read_text(encoding="utf-8").replace(
        "</body>",
        '<script>noSuchFunction()</script><script>console.error("boom")</script>'
        '<img src="https://example.invalid/x.png"><svg class="plot" data-plot="empty one"></svg>'
        "</body>",
    )
    page.write_text(broken, encoding="utf-8")
    got = browse(page, tmp_path / "profile")
    errors = " | ".join(got.attr_json("data-js-errors"))
    assert "noSuchFunction" in errors and "boom" in errors and "example.invalid" in errors
    assert got.attr_json("data-empty-plots") == ["empty one"]
    assert any("noSuchFunction" in line for line in got.console)


def test_downsample_keeps_peaks_and_stalls_within_the_bound() -> None:
    n = 100_000
    points = [(i * 1_000_000, float(i % 97)) for i in range(n)]
    points[31_337] = (points[31_337][0], 1e9)  # one spike
    points[77_777] = (points[77_777][0], -5.0)  # one stall below everything
    kept = htmlreport.downsample(points)
    assert len(kept) <= MAX_POINTS_PER_SERIES
    assert (points[31_337] in kept) and (points[77_777] in kept)
    assert kept == sorted(kept) and kept[0][0] >= points[0][0] and kept[-1][0] <= points[-1][0]
    assert htmlreport.downsample(points[:10]) == points[:10]


def test_idle_buckets_drop_to_zero_with_two_points_per_gap() -> None:
    second = 1_000_000_000
    busy = [(0, 5.0), (second, 5.0), (10**6 * second, 7.0)]  # then idle for ~11.6 days
    filled = htmlreport.fill_idle(busy, second)
    assert filled == [
        (0, 5.0),
        (second, 5.0),
        (2 * second, 0.0),
        ((10**6 - 1) * second, 0.0),
        (10**6 * second, 7.0),
    ]


def test_a_huge_series_makes_a_small_chart() -> None:
    """The size budget holds whatever the capture: 8 series of a million points each."""
    series = [
        Series(
            f"flow {k}",
            htmlreport.downsample([(i * 10**6, float((i * k) % 1000)) for i in range(1_000_000)]),
        )
        for k in range(1, htmlreport.MAX_SERIES + 1)
    ]
    svg = htmlreport.line_chart("big", series, "bit/s", 0, 10**12, link_bps=10**10)
    assert len(svg) < PAGE_BUDGET_BYTES / 10
    assert svg.count("<path") == htmlreport.MAX_SERIES


def test_capture_text_is_escaped(tmp_path: Path) -> None:
    """A file name is capture-controlled text: it reaches the page escaped, never as markup."""
    src = tmp_path / "<img src=x onerror=alert(1)>.pcap"
    shutil.copy(CAPTURES / "arp" / "ip-moved.pcap", src)
    page = tmp_path / "r.html"
    assert main(["analyze", str(src), "--html", str(page), "-o", str(tmp_path / "r.txt")]) in (0, 4)
    text = page.read_text(encoding="utf-8")
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_html_and_output_must_differ(tmp_path: Path, capsys) -> None:
    same = str(tmp_path / "r.html")
    assert (
        main(["analyze", str(CAPTURES / "arp" / "ip-moved.pcap"), "--html", same, "-o", same]) == 2
    )
    assert "same file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["throughput/jagged-6600.pcap", "smb/multichannel-transfer.pcapng", "vlan/jumbo.pcap"]
)
def test_plotted_flow_series_add_up_to_the_throughput_figures(name: str) -> None:
    """Every flow direction's plotted buckets add up to the bytes throughput_flow_stats (the
    report's throughput section) counts for it, and an SMB channel's to both directions'."""
    from lmcap import queries
    from lmcap.diagnostics import Params

    params = Params(bucket_ns=10**9)  # the bucket the connection's traffic is cut at
    con = lmcap.connect(str(CAPTURES / name), strict=False)
    want = {
        (r["flow_id"], r["direction"][0] + "2" + r["direction"].split("_")[-1][0]): r["bytes"]
        for r in queries.run(con, "throughput_flow_stats", **params.sql_params())
    }
    got: dict[tuple, float] = {}
    for r in queries.run(con, "plot_flow_throughput", **params.sql_params()):
        key = (r["flow_id"], r["direction"])
        got[key] = got.get(key, 0) + r["bps"] * params.bucket_ns / 8e9
    assert want and got.keys() == want.keys()
    assert all(round(got[k]) == want[k] for k in want), (got, want)
    for r in queries.run(con, "plot_smb_channel_throughput", **params.sql_params()):
        got[(r["flow_id"], "both")] = got.get((r["flow_id"], "both"), 0) + r["bps"] / 8
    smb = {k[0] for k in got if k[1] == "both"}
    assert ("smb" in name) == bool(smb)
    for flow in smb:
        both = want.get((flow, "c2s"), 0) + want.get((flow, "s2c"), 0)
        assert round(got[(flow, "both")] * params.bucket_ns / 1e9) == both


MALFORMED = sorted(
    p for p in (CAPTURES / "malformed").glob("*.pcap*") if not p.name.endswith(".expect.json")
)


@pytest.mark.parametrize("capture", MALFORMED, ids=lambda p: p.name)
def test_broken_captures_still_make_a_page(capture: Path, tmp_path: Path) -> None:
    """Captures are untrusted: a cut, corrupt or lying capture still gets its page (or the
    one-line error of an unreadable input, exit 2, and no page), never a traceback."""
    page = tmp_path / "r.html"
    code = main(["analyze", str(capture), "--html", str(page), "-o", str(tmp_path / "r.txt")])
    if code == 2:
        assert not page.exists()
        return
    assert code in (0, 4)
    text = page.read_text(encoding="utf-8")
    assert len(text.encode()) < PAGE_BUDGET_BYTES
    sections = re.findall(r'<section class="plot-section">(.*?)</section>', text, re.S)
    assert len(sections) == len(EVIDENCE_OF_PLOT)
    assert all(('<svg class="plot' in s) != ("none seen" in s) for s in sections)
