"""RDMA: RoCE v1/v2 packets and iWARP FPDUs in ``rdma_segments``, SMB Direct recognised in
Sends, queue pairs, PSN gaps and congestion signals, checked against what the per-spec
generator wrote (``captures/rdma/*.expect.json``) and against tshark on the same files."""

from __future__ import annotations

import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, TSHARK, requires_tshark

import lmcap
from lmcap import queries as q
from lmcap.report import build

RDMA = CAPTURES_DIR / "rdma"
ROCE = ["roce-v2-smbdirect", "roce-v1"]


def expect(name: str) -> dict:
    return json.loads((RDMA / f"{name}.pcap.expect.json").read_text())


def segments(name: str) -> list[dict]:
    t = lmcap.read_tables(RDMA / f"{name}.pcap")["rdma_segments"]
    return t.drop(["timestamp"]).to_pylist()


@pytest.mark.parametrize("name", ROCE)
def test_roce_opcodes_queue_pairs_and_smb_direct_match_the_generator(name):
    rows, e = segments(name), expect(name)["roce"]
    assert all(r["status"] == "ok" for r in rows)
    assert dict(Counter(r["opcode_name"] for r in rows)) == e["opcodes"]
    per_qp: dict[str, dict[str, int]] = defaultdict(lambda: {"packets": 0, "payload_bytes": 0})
    for r in rows:
        per_qp[str(r["dest_qp"])]["packets"] += 1
        per_qp[str(r["dest_qp"])]["payload_bytes"] += r["payload_len"]
    assert dict(per_qp) == e["per_dest_qp"]
    kinds = Counter(r["smbd_kind"] for r in rows if r["smbd_kind"])
    sd = e["smb_direct"]
    assert kinds["negotiate_request"] == sd["negotiate_request"]
    assert kinds["negotiate_response"] == sd["negotiate_response"]
    assert kinds["data_transfer"] == sd["data_transfer"]
    assert [r["frame_number"] for r in rows if r["smbd_kind"]] == [
        m["frame"] for m in sd["messages"]
    ]
    assert sorted(r["frame_number"] for r in rows if r["ecn"] == 3) == e["ce_marked"]["frames"]
    assert [(r["frame_number"], r["dest_qp"]) for r in rows if r["is_cnp"]] == [
        (c["frame"], c["dest_qp"]) for c in e["cnps"]["packets"]
    ]


@pytest.mark.parametrize("name", ROCE)
def test_psn_gaps_and_retransmissions_match_the_generator(name):
    e = expect(name)["roce"]
    gaps = q.run(lmcap.connect(RDMA / f"{name}.pcap"), "rdma_psn_gaps")
    found = [
        {"frame": g["first_gap_frame"], "dest_qp": g["dest_qp"], "expected_psn": g["expected_psn"],
         "psn": g["seen_psn"], "missing": g["missing_packets"]}
        for g in gaps if g["gaps"]
    ]  # fmt: skip
    assert found == e["psn_gaps"]
    assert {str(g["dest_qp"]): g["retransmitted_packets"] for g in gaps} == e[
        "psn_retransmitted_packets"
    ]


@requires_tshark
@pytest.mark.parametrize("name", ROCE)
def test_roce_fields_equal_tshark_frame_by_frame(name):
    out = subprocess.run(
        [TSHARK, "-r", str(RDMA / f"{name}.pcap"), "-T", "fields", "-e", "frame.number",
         "-e", "infiniband.bth.opcode", "-e", "infiniband.bth.destqp", "-e", "infiniband.bth.psn",
         "-e", "infiniband.bth.a", "-e", "infiniband.bth.p_key"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    theirs = {}
    for line in out.splitlines():
        frame, op, qp, psn, ack, pkey = line.split("\t")
        if op:
            theirs[int(frame)] = (int(op), int(qp, 0), int(psn), ack in ("1", "True"), int(pkey, 0))
    ours = {
        r["frame_number"]: (r["opcode"], r["dest_qp"], r["psn"], r["ack_request"], r["pkey"])
        for r in segments(name)
    }
    assert ours == theirs


def test_iwarp_fpdus_match_the_generator():
    rows, e = segments("iwarp-smbdirect"), expect("iwarp-smbdirect")["iwarp"]
    client_port = next(r["src_port"] for r in rows if r["opcode_name"] == "mpa_request")
    for direction, want in e["per_direction"].items():
        port = client_port if direction == "a_to_b" else 5445
        mine = [r for r in rows if r["src_port"] == port and r["opcode"] is not None]
        assert len(mine) == want["fpdus"], direction
        assert dict(Counter(r["opcode_name"] for r in mine)) == want["opcodes"], direction
    fpdus = [r for r in rows if r["opcode"] is not None]
    assert [r["frame_number"] for r in fpdus] == sorted(f["first_frame"] for f in e["fpdus"])
    assert (
        sum(r["payload_len"] for r in fpdus if r["opcode_name"] == "rdma_write")
        == e["rdma_write_bytes"]
    )
    assert (
        sum(r["payload_len"] for r in fpdus if r["opcode_name"] == "rdma_read_response")
        == e["rdma_read_bytes"]
    )
    smbd = [(r["frame_number"], r["smbd_kind"]) for r in fpdus if r["smbd_kind"]]
    want_smbd = [(f["first_frame"], f["smbd"]) for f in e["fpdus"] if f.get("smbd")]
    assert sorted(smbd) == sorted(want_smbd)
    assert lmcap.read_tables(RDMA / "iwarp-smbdirect.pcap")["stream_gaps"].num_rows == 0


@requires_tshark
def test_iwarp_rdmap_opcodes_equal_tshark():
    # Wireshark gives TCP 5445 to ActiveMQ Artemis; MPA is heuristic only (README-synth.md).
    out = subprocess.run(
        [TSHARK, "-r", str(RDMA / "iwarp-smbdirect.pcap"), "--disable-protocol", "artemis",
         "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "tcp.srcport",
         "-e", "iwarp_rdma.opcode"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    theirs: Counter = Counter()
    for line in out.splitlines():
        port, ops = line.split("\t")
        for op in filter(None, ops.split("|")):
            theirs[(int(port), int(op, 0))] += 1
    ours = Counter(
        (r["src_port"], r["opcode"]) for r in segments("iwarp-smbdirect") if r["opcode"] is not None
    )
    assert ours == theirs


@pytest.mark.parametrize(
    "name, expected",
    [
        ("roce-v2-smbdirect", {"rdma-packet-loss": 1, "rdma-congestion": 2}),
        ("roce-v1", {}),
        ("iwarp-smbdirect", {}),
    ],
)
def test_rdma_findings_fire_where_they_should(name, expected):
    report = build(lmcap.connect(RDMA / f"{name}.pcap"))
    ids = Counter(f["id"] for f in report["findings"] if f["id"].startswith("rdma-"))
    assert dict(ids) == expected
    section = report["rdma"]
    assert section["queue_pairs"], "every RDMA capture has queue pairs"
    if name == "roce-v2-smbdirect":
        loss = next(f for f in report["findings"] if f["id"] == "rdma-packet-loss")
        assert loss["evidence"]["dest_qp"] == 17 and loss["evidence"]["missing_packets"] == 1


def test_clean_captures_have_no_rdma_rows():
    t = lmcap.read_tables(CAPTURES_DIR / "throughput" / "steady-6600.pcap")
    assert t["rdma_segments"].num_rows == 0
    report = build(lmcap.connect(CAPTURES_DIR / "throughput" / "steady-6600.pcap"))
    assert report["rdma"]["queue_pairs"] == [] and report["rdma"]["psn_gaps"] == []


def test_all_rdma_captures_are_exercised():
    assert sorted(p.name for p in Path(RDMA).glob("*.pcap")) == sorted(
        f"{n}.pcap" for n in [*ROCE, "iwarp-smbdirect"]
    )
