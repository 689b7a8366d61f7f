"""The evidence tables the scan builds (rust/lmcap-core/src/evidence/) against their
specifications in SQL over `packets`, and every shipped query rewritten to read evidence
against the packet-level query it replaced (python/lmcap/queries/spec/): the same answers on
every capture of captures/ and of the public corpus (when present), so `lmcap analyze` can
stop scanning every packet again without a verdict changing."""

from __future__ import annotations

import dataclasses
import math
import warnings
from importlib import resources
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, PUBLIC_CORPUS, own_captures, public_manifest

import lmcap
from lmcap import queries
from lmcap.diagnostics import Params

#: The grain of `traffic`: a key can be split over several rows (late frames, early flushes),
#: so rows are compared after summing per key.
TRAFFIC_KEY = (
    "bucket_start_ns, vlan_id, src_mac, dst_mac, src_ip, dst_ip, ip_proto, src_port, dst_port, "
    "size_class, link_type"
)
TRAFFIC_SUMS = (
    "sum(frames), sum(wire_bytes), sum(captured_bytes), sum(truncated_frames), "
    "sum(payload_bytes), sum(payload_frames), sum(payload_wire_bytes), sum(over_switch_max), "
    "max(max_wire_len), max(max_l3_len), max(max_tcp_mss), min(first_ns), max(last_ns), "
    "min(first_frame), sum(fit_payload_frames), sum(fit_payload_wire_bytes), "
    "max(fit_payload_max_l3_len), max(truncated_max_wire_len), max(truncated_max_cap_len), "
    "min(truncated_first_frame)"
)


#: (capture, query) pairs where the evidence answers differently from the packet-level
#: specification by design, with the reason; each must still differ (no stale entry).
KNOWN_DIFFERENCES = {
    ("public/pcapplusplus/pcapng-example.pcapng", "mtu_capture_offload"): (
        "frame 74, a 2896-byte segment from 130.217.250.13, comes before frame 90, the first "
        "SYN announcing an MSS (1460) to that host: one pass judges a segment by the MSS "
        "announced before it, the specification by any announced in the whole capture"
    ),
}


def spec_names() -> list[str]:
    folder = resources.files("lmcap").joinpath("queries").joinpath("spec")
    return sorted(e.name[: -len(".sql")] for e in folder.iterdir() if e.name.endswith(".sql"))


def spec_sql(name: str) -> str:
    folder = resources.files("lmcap").joinpath("queries").joinpath("spec")
    return folder.joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _cases() -> list:
    out = [pytest.param(p, id=p.relative_to(CAPTURES_DIR).as_posix()) for p in own_captures()]
    out += [
        pytest.param(PUBLIC_CORPUS / row["path"], id="public/" + row["path"])
        for row in public_manifest()
    ]
    return out


def _case_id(path: Path) -> str:
    """The test id of a capture, as _cases() names it."""
    if path.is_relative_to(CAPTURES_DIR):
        return path.relative_to(CAPTURES_DIR).as_posix()
    return "public/" + path.relative_to(PUBLIC_CORPUS).as_posix()


def _connect(path: Path, params: Params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        return lmcap.connect(
            str(path),
            strict=False,
            bucket_ns=params.bucket_ns,
            switch_max_frame=params.switch_max_frame,
        )


def _rows(con, sql: str, params: dict) -> list[tuple]:
    rel = con.execute(sql.strip().rstrip(";"), params)
    return sorted(rel.fetchall(), key=repr)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def assert_same_rows(got: list[tuple], want: list[tuple], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} rows, specification {len(want)}"
    diffs = [(g, w) for g, w in zip(got, want) if not _same(g, w)]
    assert not diffs, f"{what}: {len(diffs)} row(s) differ, first: {diffs[0][0]} vs {diffs[0][1]}"


def compare_traffic(con, params: Params) -> int:
    """The scanned `traffic` against traffic.sql, summed per key; the number of keys. Compared
    inside DuckDB (EXCEPT ALL both ways): a flood makes hundreds of thousands of keys."""
    sql_params = {"bucket_ns": params.bucket_ns, "switch_max_frame": params.switch_max_frame}
    spec = queries.get("traffic").sql.strip().rstrip(";")
    got = f"SELECT {TRAFFIC_KEY}, {TRAFFIC_SUMS} FROM traffic GROUP BY ALL"
    want = f"SELECT {TRAFFIC_KEY}, {TRAFFIC_SUMS} FROM ({spec}) GROUP BY ALL"
    only_scan = con.execute(f"({got}) EXCEPT ALL ({want}) LIMIT 3", sql_params).fetchall()
    only_spec = con.execute(f"({want}) EXCEPT ALL ({got}) LIMIT 3", sql_params).fetchall()
    assert not only_scan and not only_spec, f"traffic: scan {only_scan}, specification {only_spec}"
    return con.execute(f"SELECT count(*) FROM ({want})", sql_params).fetchone()[0]


def compare_rewritten_queries(con, params: Params, case: str = "") -> dict[str, int]:
    """Every query in spec/ against the shipped query of the same name; rows per query."""
    counts = {}
    for name in spec_names():
        q = queries.get(name)
        spec = queries._parse(name, spec_sql(name))
        values = params.sql_params()
        got = _rows(con, q.sql, {k: v for k, v in values.items() if k in q.params})
        want = _rows(con, spec.sql, {k: v for k, v in values.items() if k in spec.params})
        if (case, name) in KNOWN_DIFFERENCES:
            assert got != want, f"{case} {name}: no longer differs, drop it from KNOWN_DIFFERENCES"
        else:
            assert_same_rows(got, want, name)
        counts[name] = len(want)
    return counts


@pytest.mark.parametrize("path", _cases())
def test_evidence_equals_its_specification(path: Path) -> None:
    # bucket_ns None: the scan chooses the width of traffic (as lmcap analyze does); the
    # specification is cut at the width it chose
    params = Params()
    con = _connect(path, params)
    (width,) = con.execute("SELECT bucket_ns FROM scan_settings").fetchone()
    params = dataclasses.replace(params, bucket_ns=width)
    frames = con.execute("SELECT count(*) FROM packets").fetchone()[0]
    keys = compare_traffic(con, params)
    assert (keys == 0) == (frames == 0)
    compare_rewritten_queries(con, params, _case_id(path))


@pytest.mark.parametrize(
    "rel", ["throughput/jagged-6600.pcap", "jumbo/iperf-9000.pcap", "mtu/blackhole.pcap"]
)
@pytest.mark.parametrize("bucket_ns", [1_000_000, 100_000_000, 3_600_000_000_000])
def test_evidence_follows_the_bucket_and_switch_limit(rel: str, bucket_ns: int) -> None:
    # Other analysis parameters cut the evidence differently: still the same answers.
    params = Params(bucket_ns=bucket_ns, switch_max_frame=1514)
    con = _connect(CAPTURES_DIR / rel, params)
    assert compare_traffic(con, params) > 0
    counts = compare_rewritten_queries(con, params)
    assert counts["throughput_flow_stats"] > 0 and counts["frame_size_flows"] > 0
    over = con.execute("SELECT sum(over_switch_max) FROM traffic").fetchone()[0]
    assert over == con.execute("SELECT count(*) FROM packets WHERE wire_len > 1514").fetchone()[0]


def test_rows_of_one_key_split_by_an_early_flush_still_sum_right(tmp_path: Path) -> None:
    # More distinct keys than the open-row bound (a flood of source ports) within one bucket:
    # the scan writes its open rows out early and counts it; the sums per key stay exact.
    import struct

    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    frames = []
    n = 300_000  # distinct (address, port) keys: more than the 2^18 open rows kept
    # then the first keys again, after the flush: their sums are split over two rows
    for i in [*range(n), *range(70_000)]:
        eth = bytes.fromhex("020000000001020000000002") + b"\x08\x00"
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
            bytes([192, 0, 2, 1]), bytes([198, 51, 100, i // 65536]),
        )  # fmt: skip
        udp = struct.pack("!HHHH", i % 65536, 7, 8, 0)
        frame = eth + ip + udp
        frames.append(struct.pack("<IIII", 1_700_000_000, i % 1_000_000, 42, 42) + frame)
    path = tmp_path / "flood.pcap"
    path.write_bytes(header + b"".join(frames))
    scanner = lmcap._core.Scanner([str(path)])
    while scanner.next_batch() is not None:
        pass
    assert scanner.traffic_cap_flushes() >= 1
    params = Params(bucket_ns=10**9)
    con = _connect(path, params)
    rows = con.execute("SELECT count(*) FROM traffic").fetchone()[0]
    assert compare_traffic(con, params) == n
    assert rows > n


def test_an_adaptive_traffic_width_on_a_long_capture_ends_coarse_and_sums_right(
    tmp_path: Path,
) -> None:
    # Eighty hosts sending once every 200 ms for 20 minutes: 480 k rows at 1 ms, past the
    # 65,536 an adaptive scan holds, so it cuts coarser (10 ms: still 480 k; 100 ms: 480 k;
    # 1 s: 96 k); the rows equal the specification at the width it reached.
    import struct

    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    records = []
    for step in range(6000):
        for host in range(80):
            eth = bytes.fromhex("020000000001020000000002") + b"\x08\x00"
            ip = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                bytes([192, 0, 2, host + 1]), bytes([198, 51, 100, 1]),
            )  # fmt: skip
            frame = eth + ip + struct.pack("!HHHH", 5000, 7, 8, 0)
            us = step * 200_000 + host
            records.append(struct.pack("<IIII", 1_700_000_000 + us // 10**6, us % 10**6, 42, 42))
            records.append(frame)
    path = tmp_path / "long.pcap"
    path.write_bytes(header + b"".join(records))
    con = _connect(path, Params())
    width, auto = con.execute("SELECT bucket_ns, bucket_auto FROM scan_settings").fetchone()
    assert auto and width == 10**9
    assert compare_traffic(con, Params(bucket_ns=width)) == 80 * 1200
