"""lmcap against the stored tshark oracle of the public capture corpus (no tshark needed).

For every file of ../shared/captures/public/MANIFEST.tsv the per-file counts of
``oracle/<path>.json`` (definitions in that folder's oracle.py) are recomputed from lmcap's
tables and compared. Where tshark stopped on an error (``ok: false``) only the frames it
read before the error are compared, and lmcap must raise CaptureError in strict mode.
Deliberate differences are in oracle_disagreements.py (PUBLIC_COUNT_DISAGREEMENTS).
"""

from __future__ import annotations

import re
from collections import Counter

import pyarrow.compute as pc
import pytest
from conftest import (
    PUBLIC_CORPUS,
    format_mismatches,
    load_public_oracle,
    public_manifest,
    read_tables_lenient,
)
from oracle_disagreements import CUSTOM_BLOCK_FILES, PUBLIC_COUNT_BUGS, PUBLIC_COUNT_DISAGREEMENTS

import lmcap

ETHERNET = 1
ETHERTYPE_ARP = (0x0806, 0x8035)
COLUMNS = [
    "frame_number",
    "link_type",
    "cap_len",
    "wire_len",
    "vlan_tags",
    "ethertype",
    "ip_version",
    "ip_proto",
    "is_fragment",
    "tcp_flags",
    "src_port",
    "igmp_type",
    "igmp_version",
]


def _cases():
    out = []
    for row in public_manifest():
        rel = row["path"]
        marks = []
        bugs = {k: v for (f, k), v in PUBLIC_COUNT_BUGS.items() if f == rel}
        if bugs:
            marks.append(
                pytest.mark.xfail(
                    strict=True, reason="; ".join(f"{k}: {v}" for k, v in bugs.items())
                )
            )
        out.append(pytest.param(rel, id=rel, marks=marks))
    return out


def lmcap_summary(tables: dict, n_frames: int | None) -> dict:
    """The oracle's counters, computed from lmcap's tables (first n_frames frames only)."""
    packets = tables["packets"].select(COLUMNS)
    if n_frames is not None:
        packets = packets.slice(0, n_frames)
    rows = packets.to_pylist()
    frames = {r["frame_number"] for r in rows}
    buckets = Counter({"le_1518": 0, "1519_9018": 0, "gt_9018": 0})
    for r in rows:
        w = r["wire_len"]
        buckets["le_1518" if w <= 1518 else "1519_9018" if w <= 9018 else "gt_9018"] += 1
    igmp_type: Counter = Counter()
    igmp_ver: Counter = Counter()
    for r in rows:
        if r["igmp_type"] is not None:
            igmp_type["0x{:02x}".format(r["igmp_type"])] += 1
            if r["igmp_version"] is not None:
                igmp_ver[str(r["igmp_version"])] += 1
    arp = tables["arp"]
    garp = sum(
        1
        for a in arp.select(["frame_number", "gratuitous"]).to_pylist()
        if a["frame_number"] in frames and a["gratuitous"]
    )
    return {
        "packets": len(rows),
        "bytes_wire": sum(r["wire_len"] for r in rows),
        "bytes_captured": sum(r["cap_len"] for r in rows),
        "frame_len_buckets": dict(buckets),
        "vlan_frames": sum(1 for r in rows if r["link_type"] == ETHERNET and r["vlan_tags"]),
        "arp_frames": sum(1 for r in rows if r["ethertype"] in ETHERTYPE_ARP),
        "garp_frames": garp,
        "igmp_by_type": dict(igmp_type),
        "igmp_by_version": dict(igmp_ver),
        "ipv4_fragment_frames": sum(1 for r in rows if r["ip_version"] == 4 and r["is_fragment"]),
        "tcp_frames": sum(1 for r in rows if r["tcp_flags"] is not None),
        "udp_frames": sum(1 for r in rows if r["tcp_flags"] is None and r["src_port"] is not None),
    }


def oracle_summary(oracle: dict, rel: str) -> dict:
    out = {
        k: oracle[k]
        for k in (
            "packets",
            "bytes_wire",
            "bytes_captured",
            "frame_len_buckets",
            "vlan_frames",
            "arp_frames",
            "garp_frames",
            "ipv4_fragment_frames",
            "tcp_frames",
            "udp_frames",
        )
    }
    out["frame_len_buckets"] = dict(out["frame_len_buckets"])
    out["igmp_by_type"] = {k.split()[0].lower(): v for k, v in oracle["igmp_by_type"].items()}
    out["igmp_by_version"] = dict(oracle["igmp_by_version"])
    return out


@pytest.mark.skipif(
    not (PUBLIC_CORPUS / "MANIFEST.tsv").is_file(),
    reason=f"public corpus not found at {PUBLIC_CORPUS}",
)
@pytest.mark.parametrize("rel", _cases())
def test_counts_match_oracle(rel):
    path = PUBLIC_CORPUS / rel
    oracle = load_public_oracle(rel)
    tables, warns = read_tables_lenient(path)
    expected = oracle_summary(oracle, rel)
    n = None if oracle["ok"] else oracle["packets"]
    got = lmcap_summary(tables, n)

    # tshark lists pcapng custom blocks as frames (empty, length = block body)
    skipped_blocks = CUSTOM_BLOCK_FILES.get(rel, 0)
    known = {k: v for (f, k), v in PUBLIC_COUNT_DISAGREEMENTS.items() if f == rel}
    mismatches = []
    for key, exp in expected.items():
        if key in known:
            exp = known[key][0]
        elif skipped_blocks and key in (
            "packets",
            "bytes_wire",
            "bytes_captured",
            "frame_len_buckets",
        ):
            continue  # checked below, after removing the custom-block records
        if got[key] != exp:
            mismatches.append(f"{rel} {key}: oracle={exp!r} lmcap={got[key]!r}")
    if skipped_blocks:
        if got["packets"] != oracle["packets"] - skipped_blocks:
            mismatches.append(
                f"{rel} packets: oracle={oracle['packets']} minus "
                f"{skipped_blocks} custom blocks != lmcap={got['packets']}"
            )
    if not oracle["ok"] and tables["packets"].num_rows < oracle["packets"]:
        mismatches.append(
            f"{rel}: lmcap read {tables['packets'].num_rows} frames, tshark "
            f"{oracle['packets']} before its error"
        )
    assert not mismatches, format_mismatches(f"lmcap vs oracle on {rel}", mismatches)


def _error_cases():
    return [
        pytest.param(r["path"], id=r["path"])
        for r in public_manifest()
        if not load_public_oracle(r["path"])["ok"]
    ]


@pytest.mark.parametrize("rel", _error_cases())
def test_strict_read_raises_where_tshark_errors(rel):
    """Files tshark cannot read to the end: lmcap.read(strict=True) raises CaptureError
    naming the file and a byte offset; its partial table holds what tshark read."""
    path = PUBLIC_CORPUS / rel
    oracle = load_public_oracle(rel)
    with pytest.raises(lmcap.CaptureError) as info:
        lmcap.read(str(path), strict=True)
    err = info.value
    msg = str(err)
    assert path.name in msg, f"error message does not name the file: {msg!r}"
    assert isinstance(err.offset, int) and err.offset >= 0
    assert re.search(rf"\b{err.offset}\b", msg), f"message lacks byte offset {err.offset}: {msg!r}"
    assert err.path.endswith(rel.split("/")[-1])
    assert err.partial is not None and err.partial.num_rows >= oracle["packets"]
    # the frames before the error have tshark's lengths
    part = err.partial.slice(0, oracle["packets"])
    assert (pc.sum(part["wire_len"]).as_py() or 0) == oracle["bytes_wire"]


def test_summary_can_fail():
    """A corrupted oracle value is reported (guards against a vacuous comparison)."""
    rel = "arkime/igmp.pcap"
    if not (PUBLIC_CORPUS / rel).is_file():
        pytest.skip("public corpus not present")
    oracle = load_public_oracle(rel)
    tables, _ = read_tables_lenient(PUBLIC_CORPUS / rel)
    got = lmcap_summary(tables, None)
    exp = oracle_summary(oracle, rel)
    assert got["igmp_by_type"] == exp["igmp_by_type"]
    exp["igmp_by_type"]["0x22"] = exp["igmp_by_type"].get("0x22", 0) + 1
    assert got["igmp_by_type"] != exp["igmp_by_type"]
