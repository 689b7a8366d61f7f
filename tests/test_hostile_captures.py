"""Hostile resource use (issue 12): captures crafted to make a reader hoard state are read to
their end, every frame comes out, and where a bound exists the report counts what it did.

The captures come from ``bench/gen_hostile.py`` (its docstring has the full-size runs and
their timings); here smaller versions, a few seconds each:

- ``interfaces``: one section with many Interface Description Blocks, then packets naming the
  highest interface ids and some naming interfaces never described;
- ``sections``: many sections, little- and big-endian in turn, one interface each;
- ``smb-streams``: half-open SMB connections that each announce a 16 MiB (- 1) message and send its
  first 36 bytes, more of them than the stream stage follows at once;
- ``empty-records``: a gzip file of records that hold no bytes (a decompression bomb).

No test here asserts a time: timings belong in the benchmark, not in CI.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import REPO_ROOT

import lmcap
from lmcap import _core


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_hostile", REPO_ROOT / "bench" / "gen_hostile.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

MAX_DIRECTIONS = _core.evidence_limits()["stream_max_directions"]

INTERFACES = 20_000
INTERFACE_PACKETS = 500
SECTIONS = 2_000
# Two directions per connection: past MAX_DIRECTIONS / 2 connections, later ones go untracked.
SMB_CONNECTIONS = MAX_DIRECTIONS // 2 + 300


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """``kind -> (path, generator metadata)``, each capture written once for the module."""
    out = tmp_path_factory.mktemp("hostile")
    made: dict[str, tuple[Path, dict]] = {}

    def make(kind: str) -> tuple[Path, dict]:
        if kind not in made:
            count = {"interfaces": INTERFACES, "sections": SECTIONS, "smb-streams": SMB_CONNECTIONS}
            path = out / f"{kind}.{'pcap' if kind == 'smb-streams' else 'pcapng'}"
            meta = gen.generate(kind, count[kind], path, packets=INTERFACE_PACKETS)
            made[kind] = (path, meta)
        return made[kind]

    return make


def _check_report(report: dict, frames: int) -> dict:
    capture = report["capture"]
    assert capture["packets"] == frames
    [f] = capture["files"]
    assert f["error"] is None, f["error"]
    assert f["packets"] == frames
    return capture


def _packets(path: Path) -> list[dict]:
    """``lmcap.read`` rows: interface id, link type and timestamp in ns since the epoch."""
    t = lmcap.read(str(path))
    cols = {
        "interface_id": t.column("interface_id").to_pylist(),
        "link_type": t.column("link_type").to_pylist(),
        "timestamp_ns": t.column("timestamp").cast(pa.int64()).to_pylist(),
    }
    return [dict(zip(cols, row)) for row in zip(*cols.values())]


def _file_row(path: Path) -> dict:
    [row] = lmcap.read_tables(path)["capture_files"].to_pylist()
    return row


@pytest.mark.parametrize("kind", ["interfaces", "sections", "smb-streams"])
def test_every_frame_is_read(hostile, kind: str) -> None:
    path, meta = hostile(kind)
    assert lmcap.read(str(path)).num_rows == meta["frames"]


def test_many_interfaces(hostile) -> None:
    path, meta = hostile("interfaces")
    row = _file_row(path)
    assert (row["sections"], row["interfaces"]) == (1, INTERFACES)
    assert row["error_kind"] is None
    packets = _packets(path)
    described = [p for p in packets if p["interface_id"] < INTERFACES]
    never = [p for p in packets if p["interface_id"] >= INTERFACES]
    assert len(never) == meta["undescribed_interface_frames"]
    assert max(p["interface_id"] for p in never) == 0xFFFFFFFF
    assert all(p["link_type"] is None for p in never)
    assert all(p["link_type"] == 1 for p in described)
    # the packets name the top 1% of interface ids, in both timestamp resolutions
    assert min(p["interface_id"] for p in described) >= INTERFACES - INTERFACES // 100
    stamps = [p["timestamp_ns"] for p in packets]
    assert stamps == [gen.T0_NS + k * gen.STEP_NS for k in range(len(packets))]

    capture = _check_report(lmcap.analyze(path), meta["frames"])
    assert capture["decode_status"].get("unknown_interface") == len(never)
    # no bound is involved: the interface list is the file's own
    assert not any(capture["evidence"]["bounds"].values())


def test_many_sections(hostile) -> None:
    path, meta = hostile("sections")
    row = _file_row(path)
    assert (row["sections"], row["interfaces"]) == (SECTIONS, SECTIONS)
    assert row["error_kind"] is None
    packets = _packets(path)
    # ids are numbered across sections: section s's one interface is s (one packet in even
    # sections, two in odd ones); byte order and resolution alternate, timestamps must not
    expected_ids = [s for s in range(SECTIONS) for _ in range(1 + s % 2)]
    assert [p["interface_id"] for p in packets] == expected_ids
    assert [p["timestamp_ns"] for p in packets] == [
        gen.T0_NS + k * gen.STEP_NS for k in range(len(packets))
    ]
    assert {p["link_type"] for p in packets} == {1}

    capture = _check_report(lmcap.analyze(path), meta["frames"])
    assert capture["decode_status"] == {"ok": meta["frames"]}
    assert not any(capture["evidence"]["bounds"].values())


def test_half_open_smb_streams_past_the_direction_bound(hostile) -> None:
    path, meta = hostile("smb-streams")
    assert meta["directions"] > MAX_DIRECTIONS
    report = lmcap.analyze(path)
    capture = _check_report(report, meta["frames"])
    assert capture["decode_status"] == {"ok": meta["frames"]}
    bounds = capture["evidence"]["bounds"]
    # the first MAX_DIRECTIONS / 2 connections are followed (client and server direction
    # each); every frame (SYN, SYN-ACK, data) of the later ones is counted, not framed
    untracked = 3 * (SMB_CONNECTIONS - MAX_DIRECTIONS // 2)
    assert bounds["stream_directions_untracked"] == untracked
    # within the flow map's bound: no flow is written out early
    assert bounds["flows_memcap_evicted"] == 0
    assert capture["evidence"]["stream_directions_expired"] == 0
    assert "evidence-bounded" in {f["id"] for f in report["findings"]}


def test_a_message_announced_but_never_completed_is_a_cut_row(tmp_path: Path) -> None:
    # Each half-open stream announces a 16 MiB WRITE and sends its first 36 bytes: the stream
    # ends (end of capture) inside the head. That message is a row of smb_pdus marked
    # truncated, with its announced length: once it vanished without a row or a gap.
    path = tmp_path / "three.pcap"
    meta = gen.generate("smb-streams", 3, path)
    tables = lmcap.read_tables(str(path))
    pdus = tables["smb_pdus"].to_pylist()
    assert len(pdus) == meta["connections"]
    assert all(p["truncated"] and p["message_length"] == 0xFFFFFF for p in pdus)
    assert {p["command_name"] for p in pdus} == {"write"}
    assert tables["stream_gaps"].num_rows == 0


def test_a_pcapng_section_of_too_many_interfaces_stops_with_an_error(tmp_path: Path) -> None:
    # Interfaces are kept while their section is read: a section of more than
    # MAX_SECTION_INTERFACES (1 Mi) is no capture, and reading stops there with an error that
    # names the offset, keeping what was read before.
    limit = 1 << 20
    path = tmp_path / "idbs.pcapng"
    block = gen._block("<", gen.IDB, struct.pack("<HHI", 1, 0, 65535))
    with path.open("wb") as f:
        f.write(gen.shb())
        f.write(gen.idb())
        f.write(gen.epb("<", 0, 0, gen._packet_frame(0)))
        f.write(block * limit)
    with pytest.warns(lmcap.CaptureWarning, match="more than 1048576 interfaces"):
        tables = lmcap.read_tables(str(path), strict=False)
    assert tables["packets"].num_rows == 1
    [row] = tables["capture_files"].to_pylist()
    assert row["error_kind"] == "bad_header"
    assert row["error_offset"] == path.stat().st_size - len(block)


def test_message_heads_of_all_connections_share_a_budget(tmp_path: Path) -> None:
    # 1,100 connections each collecting the 64 KiB head of an IOCTL at once: 71 MB of heads,
    # past the 64 MiB budget. The later ones are handed over cut (counted), every message is
    # still a row, and the report says the evidence was bounded.
    path = tmp_path / "heads.pcap"
    meta = gen.generate("smb-heads", 1_100, path)
    budget = _core.evidence_limits()["stream_heads_budget_bytes"]
    assert meta["connections"] * gen.BIG_HEAD_SEGMENT > budget
    report = lmcap.analyze(path)
    capture = _check_report(report, meta["frames"])
    cut = capture["evidence"]["bounds"]["stream_heads_cut"]
    fit = budget // gen.BIG_HEAD_SEGMENT
    assert 0 < cut <= meta["connections"] - fit // 2
    pdus = lmcap.read_tables(str(path))["smb_pdus"].to_pylist()
    assert len(pdus) == meta["connections"] and all(p["truncated"] for p in pdus)
    assert "evidence-bounded" in {f["id"] for f in report["findings"]}


def test_a_bomb_of_empty_records_is_counted_not_loaded(tmp_path: Path) -> None:
    # A gzip file of 3 M records that hold no bytes, a real UDP frame after each million: a
    # decompression bomb in small. Every record is counted per decode status in the scan; the
    # detail frames keep a sample of the empty ones (20 per chunk), so what is loaded does not
    # grow with them; the report says how far the file expanded and what the records were.
    path = tmp_path / "bomb.pcap.gz"
    meta = gen.generate("empty-records", 3_000_000, path)
    assert meta["real_frames"] == 3
    report = lmcap.analyze(path)
    capture = _check_report(report, meta["frames"])
    [f] = capture["files"]
    assert f["compression"] == "gzip"
    assert f["bytes_read"] == meta["bytes"]
    assert f["file_bytes"] == path.stat().st_size
    assert f["file_bytes"] * 100 < f["bytes_read"]
    assert capture["decode_status"] == {"empty_frame": 3_000_000, "ok": 3}
    [undecoded] = [x for x in report["findings"] if x["id"] == "frames-undecoded"]
    assert undecoded["severity"] == "warning"
    [status] = undecoded["evidence"]["statuses"]
    assert status["decode_status"] == "empty_frame"
    assert status["frames"] == 3_000_000
    assert status["first_frames"] == list(range(1, 21))
    assert "expanded from" in undecoded["summary"]
    con = lmcap.connect(str(path), packets="detail")
    [(kept,)] = con.execute(
        "SELECT count(*) FROM detail_frames WHERE decode_status::VARCHAR = 'empty_frame'"
    ).fetchall()
    # a chunk of a detail scan holds 16,384 frames: each keeps 20 to 40 empty ones (the bare
    # sample and the hour sample), a few thousand of 3 M
    assert 20 <= kept <= 40 * (meta["frames"] // 16_384 + 1)
    assert kept * 100 < meta["frames"]


def test_frames_far_apart_in_a_file_do_not_pin_its_windows(tmp_path: Path) -> None:
    # 200 small packets, each followed by a 16 MiB block no reader knows (a hole of a sparse
    # file: 3.4 GB, a few KB on disk). Each frame lies in a read window of its own; a chunk of
    # the scan keeps at most 64 MiB of windows alive (scan::CHUNK_MAX_WINDOW_BYTES), where it
    # kept one window per frame: 1.7 GB at the peak. Peak memory of a child reading it, which
    # stays under 1 GiB (the bound of issue 12), not a time.
    import subprocess
    import sys

    path = tmp_path / "sparse.pcapng"
    meta = gen.generate("sparse-blocks", 200, path)
    assert path.stat().st_size > 3 << 30
    # VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across execve, so a child
    # forked from a large pytest process reports the parent's size
    code = (
        "import lmcap, sys; t = lmcap.read(sys.argv[1]); "
        "assert t.num_rows == int(sys.argv[2]), t.num_rows; "
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path), str(meta["frames"])],
        check=True,
        capture_output=True,
        text=True,
    )
    peak_kib = int(run.stdout.split()[-1])
    assert peak_kib < 1 << 20, f"peak {peak_kib >> 10} MiB"


def test_a_stream_of_tiny_smb_messages_gives_a_row_each_in_bounded_batches(tmp_path: Path) -> None:
    # 300,000 messages of 8 bytes on one connection: a row each, handed over in batches of at
    # most 65,536 rows as they fill (a chunk of them held 1.5 GB of row structs before).
    path = tmp_path / "tiny.pcap"
    meta = gen.generate("smb-tiny", 300_000, path)
    pdus = lmcap.read_tables(str(path))["smb_pdus"]
    assert pdus.num_rows == meta["messages"]
    assert max(len(c) for c in pdus.column("frame_number").chunks) <= 65_536
    frames = pdus.column("frame_number").to_pylist()
    assert frames == sorted(frames)
    assert set(pdus.column("src_ip").to_pylist()) == {"198.51.100.1"}


def test_an_analysis_scan_hands_over_event_rows_in_small_chunks(tmp_path: Path) -> None:
    # 2,000 jumbo IGMPv3 reports of 1,120 group records each: a row per 8 bytes. A chunk of an
    # analysis scan (detail_only) ends at 4 MiB of frames (scan::DETAIL_CHUNK_MAX_BYTES), so a
    # step hands over at most ~0.5 M rows, where a 32 MiB chunk made 4.2 M (440 MB) and a
    # capture of them peaked at 2.3 GB with the chunks in flight.
    path = tmp_path / "igmp.pcap"
    meta = gen.generate("igmp-records", 2_000, path)
    scanner = _core.Scanner([str(path)], detail_only=True)
    per_step, total = [], 0
    while scanner.next_batch() is not None:
        rows = sum(
            pa.record_batch(b).num_rows
            for name, b in scanner.take_events()
            if name == "igmp_records"
        )
        per_step.append(rows)
        total += rows
    assert total == meta["records"]
    most = (4 << 20) // 8 + gen.IGMP_RECORDS_PER_REPORT
    assert 0 < max(per_step) <= most, max(per_step)
