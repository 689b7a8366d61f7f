"""Timestamps far from the rest of a capture, and throughput statistics that stay sparse in time.

The public ``pcapplusplus/pcapng-example.pcapng`` (159 frames) has frame 2 stamped 2061 among
frames of 2015 and 100 frames on an interface whose timestamps do not fit 64-bit nanoseconds.
Before the sparse rewrite of ``throughput_flow_stats.sql`` one flow's 46-year span became a
row per 1 s bucket and ``lmcap analyze`` went past 13 GB of memory; now it must finish in a
small address space, report the outlying frame tshark shows, and measure the flow's rate
without it. The sparse statistics must equal the old dense ones (kept in
``tests/sql/throughput_flow_stats_dense.sql``) on real transfers.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, PUBLIC_CORPUS, requires_tshark

import lmcap
from lmcap import queries
from lmcap.fmt import iso_ns

EXAMPLE = PUBLIC_CORPUS / "pcapplusplus" / "pcapng-example.pcapng"
DENSE_SQL = Path(__file__).parent / "sql" / "throughput_flow_stats_dense.sql"
#: Address space for the analyze subprocess: Python, DuckDB and the extension need a few
#: hundred MB; the dense grid needed more than 13 GB.
ADDRESS_SPACE_LIMIT = 1536 * 1024 * 1024
DAY_NS = 86_400 * 10**9
#: The largest epoch second a 64-bit nanosecond timestamp holds (lmcap's `timestamp`).
MAX_EPOCH_S = (2**63 - 1) // 10**9

requires_example = pytest.mark.skipif(
    not EXAMPLE.is_file(), reason=f"public capture {EXAMPLE} not found"
)


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def _analyze_limited(path: Path, *args: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-m", "lmcap", "analyze", "--format", "json", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_address_space,
    )
    assert p.returncode == 0, (
        f"analyze failed under a {ADDRESS_SPACE_LIMIT >> 20} MB limit:\n{p.stderr[-3000:]}"
    )
    return json.loads(p.stdout)


def _tshark_times(path: Path) -> list[tuple[int, int | None, int, str]]:
    """(frame number, epoch ns or None when it does not fit 64 bits, frame.len, tcp.srcport)."""
    out = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.number",
         "-e", "frame.time_epoch", "-e", "frame.len", "-e", "tcp.srcport"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = []
    for line in out.splitlines():
        num, epoch, length, sport = line.split("\t")
        ns = int(Decimal(epoch) * 10**9)
        rows.append((int(num), ns if Decimal(epoch) <= MAX_EPOCH_S else None, int(length), sport))
    return rows


@requires_example
@requires_tshark
@pytest.mark.parametrize("bucket", ["1s", "1ms"])
def test_outlying_frame_reported_and_left_out_under_a_memory_limit(bucket: str) -> None:
    report = _analyze_limited(EXAMPLE, "--bucket", bucket)
    frames = _tshark_times(EXAMPLE)
    stamped = [(n, ns) for n, ns, _, _ in frames if ns is not None]
    median = statistics.median_low(ns for _, ns in stamped)
    # tshark's view: frames more than a day from the median; backwards steps; unusable stamps
    far = [(n, ns) for n, ns in stamped if abs(ns - median) > DAY_NS]
    backwards = [b for (_, a), (b, t) in zip(stamped, stamped[1:]) if t < a]
    missing = [n for n, ns, _, _ in frames if ns is None]
    assert far, "the public capture no longer has its 2061 frame"

    ts = report["capture"]["timestamps"]
    assert ts["outlying"] == len(far)
    assert ts["outlying_frames"] == [n for n, _ in far]
    assert ts["outlying_first_frame"] == far[0][0]
    assert ts["outlying_first_time"] == iso_ns(far[0][1])
    assert ts["outlying_first_time"].startswith("2061-")
    assert (ts["out_of_order"], ts["out_of_order_first_frame"]) == (len(backwards), backwards[0])
    assert (ts["missing"], ts["missing_first_frame"]) == (len(missing), missing[0])

    inside = [ns for n, ns in stamped if (n, ns) not in far]
    window = report["capture"]["analysis_window"]
    assert window["start"] == iso_ns(min(inside))
    assert window["end"] == iso_ns(max(inside))
    assert window["frames"] == len(inside)

    (f,) = [f for f in report["findings"] if f["id"] == "timestamps-outlying"]
    assert [e["frame"] for e in f["evidence"]["frames"]] == [n for n, _ in far]
    assert f"frame {far[0][0]}" in f["summary"]

    # The MySQL connection holding frame 2 is rated over its 2015 frames only: tshark's
    # bytes over tshark's span of the server's frames, the outlying one left out.
    (flow,) = [r for r in report["throughput"]["flows"] if r["server"] == "127.0.0.1:3306"]
    rate = flow["rate"]
    assert rate["direction"] == "server_to_client"
    far_numbers = {n for n, _ in far}
    sent = [(ns, ln) for n, ns, ln, sport in frames
            if sport == "3306" and ns is not None and n not in far_numbers]  # fmt: skip
    span = max(ns for ns, _ in sent) - min(ns for ns, _ in sent)
    assert rate["mean_bps"] == round(sum(ln for _, ln in sent) * 8 * 1e9 / span)
    assert flow["duration_s"] > 40 * 365 * 86400, "the flows table keeps the raw span"


@pytest.mark.skipif(not PUBLIC_CORPUS.is_dir(), reason="public capture corpus not found")
@pytest.mark.parametrize(
    "rel",
    [
        "ndpi/dns_fragmented.pcap",  # 19, 8 and 39 frames on three days: sessions, not glitches
        "pcapplusplus/igmp.pcapng",  # two frames of 2007, two of 2012: no bulk to stray from
        "pcapplusplus/null_loopback.pcap",  # two frames of 2013, one of 2014
    ],
)
def test_sessions_days_apart_are_not_outlying(rel: str) -> None:
    con = lmcap.connect(str(PUBLIC_CORPUS / rel), strict=False)
    (row,) = queries.run(con, "capture_timestamps")
    span_s = con.execute(
        "SELECT (max(epoch_ns(timestamp)) - min(epoch_ns(timestamp))) / 1e9 FROM packets"
    ).fetchone()[0]
    assert span_s > 86_400, f"{rel} no longer spans more than a day"
    assert row["outlying"] == 0
    assert row["window_duration_s"] == pytest.approx(span_s)


def _own(folder: str) -> list[Path]:
    return sorted((CAPTURES_DIR / folder).glob("*.pcap*"))


@pytest.mark.parametrize(
    "path",
    [p for d in ("throughput", "smb", "jumbo") for p in _own(d) if not p.name.endswith(".json")],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_sparse_flow_stats_equal_the_dense_ones(path: Path) -> None:
    dense = DENSE_SQL.read_text(encoding="utf-8")
    sparse = queries.get("throughput_flow_stats").sql
    compared = 0
    for bucket_ns in (1_000_000_000, 100_000_000, 1_000_000):
        # the scan cuts its evidence (the traffic table) at the analysis bucket
        con = lmcap.connect(str(path), strict=False, bucket_ns=bucket_ns)
        assert con.execute("SELECT outlying_frames FROM analysis_window").fetchone()[0] == 0
        params = {"bucket_ns": bucket_ns, "link_speed_bps": 10_000_000_000}
        want = con.execute(dense, params).fetchall()
        got = con.execute(sparse, params).fetchall()
        assert got == want, f"bucket {bucket_ns} ns: sparse statistics differ from the dense ones"
        compared += sum(1 for r in want if r[8] > 2)  # rows whose shape has idle or busy spread
    assert compared, f"{path.name}: no flow spans three buckets, nothing compared"
