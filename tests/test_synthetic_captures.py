"""lmcap against the expectations the synthetic-capture generator wrote beside each file
(captures/scripts/synth/make_synth.py computes them from what it wrote, not from any reader).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import lmcap

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
EXPECT_FILES = sorted(CAPTURES.rglob("*.expect.json"))

# The generator's names for file-level stops -> lmcap's CaptureError.kind.
ERROR_KINDS = {
    "bad_magic": "unknown_format",
    "caplen_too_large": "bad_length",
    "caplen_past_eof": "cut_short",
    "block_length_too_small": "bad_length",
    "block_length_not_multiple_of_4": "bad_length",
    "block_length_past_eof": "cut_short",
    "unsupported_section_version": "bad_header",
    "block_trailer_length_mismatch": "bad_length",
    "truncated_file_header": "cut_short",
    "truncated_record_data": "cut_short",
    "truncated_record_header": "cut_short",
}

# The generator's names for per-frame stops -> lmcap's decode_status.
STOPS = {
    "bad_arp_hardware_length": "unsupported_arp_format",
    "truncated_ethernet_header": "truncated_ethernet",
    "igmp_record_count_exceeds_frame": "bad_igmp_record_count",
    "igmp_source_count_exceeds_frame": "bad_igmp_record_count",
    "bad_ip_header_length": "bad_ipv4_header_length",
    "ip_version_mismatch": "bad_ip_version",
    "ip_total_length_exceeds_frame": "bad_ip_total_length",
    "ipv6_ext_chain_too_long": "ipv6_ext_chain_too_long",
    "truncated_ipv6_ext_header": "bad_ipv6_ext_header_length",
    "bad_tcp_header_length": "bad_tcp_header_length",
    "tcp_header_exceeds_frame": "bad_tcp_header_length",
    "empty_frame": "empty_frame",
    "unsupported_link_type": "unknown_link_type",
    # An ICMP error whose quotation is cut is still a decoded ICMP message: lmcap keeps the
    # type/code and leaves the quoted-header columns null (checked below).
    "truncated_icmp_quote": "ok",
}

# Where lmcap deliberately reads more than the generator (and tshark) expect.
DELIBERATE = {
    # An EPB naming an undescribed interface: tshark stops the file; lmcap keeps reading and
    # counts the frame with decode_status 'unknown_interface' (nothing lost, nothing guessed).
    "ng-bad-ifid.pcapng": "unknown_interface",
}


def _read(path: Path):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return lmcap.read_tables(path, strict=False)


@pytest.mark.parametrize("expect", EXPECT_FILES, ids=lambda p: str(p.relative_to(CAPTURES)))
def test_matches_generator_expectations(expect: Path) -> None:
    exp = json.loads(expect.read_text())
    capture = expect.with_name(expect.name[: -len(".expect.json")])
    tables = _read(capture)
    packets = tables["packets"].drop_columns(["timestamp"]).to_pylist()
    files = tables["capture_files"].to_pylist()[0]

    if capture.name in DELIBERATE:
        status = DELIBERATE[capture.name]
        assert [p["decode_status"] for p in packets].count(status) >= 1
        assert files["error_kind"] is None
        return

    assert len(packets) == exp["packets"], "frame count"
    if exp.get("link_types"):
        assert sorted({int(x) for x in files["link_types"].split(",") if x}) == sorted(
            exp["link_types"]
        )

    err = exp.get("error")
    if err is None:
        assert files["error_kind"] is None, files["error_message"]
    else:
        assert files["error_kind"] == ERROR_KINDS[err["reason"]], files["error_message"]
        assert files["error_offset"] == err["offset"], files["error_message"]
        with pytest.raises(lmcap.CaptureError) as info:
            lmcap.read(capture)
        assert info.value.offset == err["offset"]
        assert str(capture) in str(info.value)
        assert info.value.partial.num_rows == exp["packets"]

    for f in exp.get("frames", []):
        row = packets[f["index"] - 1]
        where = f"frame {f['index']}"
        assert row["cap_len"] == f["cap_len"], where
        assert row["wire_len"] == f["wire_len"], where
        if "vlan_ids" in f:
            ids = f["vlan_ids"]
            assert row["vlan_tags"] == len(ids), where
            assert row["vlan_id"] == (ids[0] if ids else None), where
            assert row["inner_vlan_id"] == (ids[1] if len(ids) > 1 else None), where
        if "ethertype" in f:
            assert row["ethertype"] == f["ethertype"], where
        if "link_type" in f:
            assert row["link_type"] == f["link_type"], where

    ts_ns = tables["packets"].column("timestamp").cast("int64").to_pylist()
    for f in exp.get("frames", []):
        if f.get("timestamp_ns") is not None:
            assert ts_ns[f["index"] - 1] == f["timestamp_ns"], f"frame {f['index']} timestamp"

    for d in exp.get("decoded", []):
        row = packets[d["frame"] - 1]
        assert row["decode_status"] == STOPS[d["stop"]], f"frame {d['frame']}: {d}"
        if d["stop"] == "truncated_icmp_quote":
            assert row["icmp_type"] is not None and row["icmp_quoted_src_ip"] is None

    if "per_outer_vlan" in exp:
        counts: dict[str, int] = {}
        for p in packets:
            key = "untagged" if p["vlan_id"] is None else str(p["vlan_id"])
            counts[key] = counts.get(key, 0) + 1
        assert counts == exp["per_outer_vlan"]


def test_rotated_files_merge_in_time_order() -> None:
    exp = json.loads((CAPTURES / "formats" / "rot-0.pcap.expect.json").read_text())["merge"]
    paths = [CAPTURES / "formats" / name for name in exp["files"]]
    t = lmcap.read(paths)
    got = list(
        zip(
            t.column("file_index").to_pylist(),
            t.column("timestamp").cast("int64").to_pylist(),
        )
    )
    want = [(exp["files"].index(o["file"]), o["timestamp_ns"]) for o in exp["order"]]
    assert got == want
    assert t.column("frame_number").to_pylist() == list(range(1, len(want) + 1))
