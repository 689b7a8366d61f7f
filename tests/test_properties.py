"""Property tests of the readers and decoders (issue 12), with hypothesis: for any bytes,
reading never fails but with a CaptureError/CaptureWarning, every record is a row, every
decode_status is a documented one and no decoded length points outside its frame; a real
frame cut short anywhere decodes to a prefix of what the whole frame decodes to, stopped by a
truncation reason (never a different value, never a reason the whole frame does not have).

The fuzz targets (fuzz/, docs/fuzzing.md) run the same code for far longer; these run in the
test suite on every change. Under CI (the CI environment variable set) the examples are
derandomized, so a run is repeatable; locally each run draws new ones.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
from functools import cache
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, REPO_ROOT

import lmcap

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: The link types lmcap decodes (rust/lmcap-core/src/wire/link.rs), and one it does not.
LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276, 147]


@cache
def decode_statuses() -> frozenset[str]:
    """The documented decode_status values (docs/schema.md, generated from the Rust enum)."""
    text = (REPO_ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    table = text.split("## `decode_status` values", 1)[1]
    return frozenset(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.M))


def truncation_reasons() -> frozenset[str]:
    return frozenset(s for s in decode_statuses() if s.startswith("truncated_")) | {"empty_frame"}


def pcap(link_type: int, records: list[tuple[bytes, int]]) -> bytes:
    """A little-endian microsecond pcap: (captured bytes, wire length) per record."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262_144, link_type)]
    for i, (data, wire_len) in enumerate(records):
        out.append(struct.pack("<IIII", 1_700_000_000 + i, i, len(data), wire_len))
        out.append(data)
    return b"".join(out)


def read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        # (nanosecond timestamps do not convert to datetime: not needed here)
        return lmcap.read(str(path), strict=False).drop_columns(["timestamp"]).to_pylist()


@SETTINGS
@given(
    link_type=st.sampled_from(LINK_TYPES),
    records=st.lists(
        st.tuples(st.binary(max_size=200), st.integers(min_value=0, max_value=400)), max_size=12
    ),
)
def test_any_record_bytes_give_a_row_each_with_lengths_inside_the_frame(
    tmp_path: Path, link_type: int, records: list[tuple[bytes, int]]
) -> None:
    records = [(data, max(wire, len(data))) for data, wire in records]
    path = tmp_path / "any.pcap"
    path.write_bytes(pcap(link_type, records))
    rows = read(path)
    assert len(rows) == len(records)
    for n, (row, (data, wire)) in enumerate(zip(rows, records), start=1):
        assert row["frame_number"] == n
        assert (row["cap_len"], row["wire_len"]) == (len(data), wire)
        assert row["decode_status"] in decode_statuses(), row["decode_status"]
        if row["l3_len"] is not None:
            assert row["l3_len"] <= row["wire_len"]
        if row["ip_header_len"] is not None:
            # a decoded IP header lies inside the captured bytes
            assert row["ip_header_len"] <= row["cap_len"]
        if row["decode_status"] == "empty_frame":
            assert not data


@SETTINGS
@given(data=st.data())
def test_any_file_bytes_never_fail_but_with_a_capture_error(tmp_path: Path, data) -> None:
    # A real capture with bytes overwritten, cut or appended anywhere: reading it gives rows
    # and at most a file error naming an offset inside the file, never another exception.
    seed = sorted((CAPTURES_DIR / "formats").glob("*.pcap*"))
    source = data.draw(st.sampled_from([p for p in seed if not p.name.endswith(".json")]))
    raw = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        at = data.draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))
        raw[at : at + 4] = data.draw(st.binary(min_size=1, max_size=4))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    path = tmp_path / ("mutated" + "".join(source.suffixes))
    path.write_bytes(bytes(raw[:cut]))
    try:
        rows = read(path)
    except lmcap.CaptureError:
        return  # nothing readable at all (e.g. a broken file header): said, not crashed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        con = lmcap.connect(str(path), strict=False, derived=())
    files = con.execute(
        "SELECT packets, error_offset, bytes_read, compression FROM capture_files"
    ).fetchall()
    assert sum(f[0] for f in files) == len(rows)
    for _, offset, bytes_read, compression in files:
        # offsets count bytes of the uncompressed stream
        assert offset is None or 0 <= offset <= bytes_read
        if compression in (None, "none"):
            assert bytes_read <= path.stat().st_size
    for row in rows:
        assert row["decode_status"] in decode_statuses()


@cache
def real_frames() -> list[tuple[int, bytes, int]]:
    """(link type, bytes, wire length) of the first frames of every capture in captures/
    that lmcap reads whole: Ethernet, VLAN, IP, ICMP, IGMP, ARP, TCP, UDP, SMB, RDMA."""
    frames = []
    for path in sorted(CAPTURES_DIR.rglob("*.pcap")):
        if "malformed" in path.parts:
            continue
        raw = path.read_bytes()
        if len(raw) < 24 or raw[:4] != b"\xd4\xc3\xb2\xa1":
            continue
        link_type = struct.unpack_from("<I", raw, 20)[0]
        at = 24
        for _ in range(8):
            if at + 16 > len(raw):
                break
            incl, orig = struct.unpack_from("<II", raw, at + 8)
            frames.append((link_type, raw[at + 16 : at + 16 + incl], orig))
            at += 16 + incl
    return frames


#: Columns a frame cut short may leave unset, but never set to another value.
PREFIX_COLUMNS = (
    "src_mac", "dst_mac", "vlan_id", "inner_vlan_id", "ethertype", "ip_version", "src_ip",
    "dst_ip", "ip_proto", "ip_header_len", "ttl", "ip_id", "src_port", "dst_port", "tcp_seq",
    "tcp_flags", "icmp_type", "icmp_code", "igmp_type", "arp_opcode",
)  # fmt: skip


@SETTINGS
@given(data=st.data())
def test_a_real_frame_cut_short_decodes_to_a_prefix_of_the_whole(tmp_path: Path, data) -> None:
    link_type, frame, wire = data.draw(st.sampled_from(real_frames()))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(frame)), min_size=1, max_size=6))))
    path = tmp_path / "cuts.pcap"
    path.write_bytes(pcap(link_type, [(frame, wire)] + [(frame[:c], wire) for c in cuts]))
    whole, *parts = read(path)
    allowed = truncation_reasons() | {whole["decode_status"]}
    for cut, part in zip(cuts, parts):
        status = part["decode_status"]
        assert status in allowed, (cut, status, whole["decode_status"])
        if cut == len(frame):
            assert part["decode_status"] == whole["decode_status"]
        for col in PREFIX_COLUMNS:
            if part[col] is not None:
                assert part[col] == whole[col], (cut, col, part[col], whole[col])
