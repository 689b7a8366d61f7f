"""The TCP loss evidence built in the scan (`tcp_resends`, `tcp_unacked_resends`;
rust/lmcap-core/src/evidence/tcp.rs): it answers the loss-side and black-hole questions
on the shipped captures that have them (tests/test_evidence.py proves the answers equal to
the packet-level specifications on every capture), and each piece of per-direction state
stays within its documented bound, counting what it forgot, on crafted captures that would
otherwise grow it without end."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

from conftest import CAPTURES_DIR

import lmcap
from lmcap import _core, queries
from lmcap.diagnostics import Params

#: The bounds of rust/lmcap-core/src/evidence/tcp.rs.
MAX_OPEN_SEGMENTS = _core.evidence_limits()["tcp_max_open_segments"]
MAX_COVER_RANGES = _core.evidence_limits()["tcp_max_cover_ranges"]

ACK, PSH = 0x10, 0x08


def _ipv4_tcp(seq: int, ack: int, flags: int, payload: int, *, reverse: bool = False) -> bytes:
    src, dst = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    sport, dport = 49152, 6600
    if reverse:
        src, dst, sport, dport = dst, src, dport, sport
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    eth = bytes.fromhex("0200000000020200000000010800")
    return eth + ip + tcp + bytes(payload)


def _write_pcap(path: Path, frames: list[bytes]) -> None:
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000, i % 1_000_000, len(frame), len(frame)))
            f.write(frame)


def _connect(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        return lmcap.connect(str(path), strict=False)


def _settings(con) -> dict:
    cur = con.execute("SELECT * FROM scan_settings")
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def test_the_shipped_loss_captures_give_rows() -> None:
    # The equality tests compare answers; here the answers must exist at all.
    con = _connect(CAPTURES_DIR / "mtu" / "blackhole.pcap")
    rows = queries.run(con, "mtu_blackhole", **Params().sql_params())
    assert len(rows) == 1 and rows[0]["sends"] >= 3 and rows[0]["ended"] in ("reset", "silence")
    con = _connect(CAPTURES_DIR / "tcp" / "loss-sides.pcap")
    sides = queries.run(con, "tcp_loss_sides")
    assert sum(r["downstream_segments"] for r in sides) > 0
    assert sum(r["upstream_segments"] for r in sides) > 0


def test_unacknowledged_segments_stay_bounded(tmp_path: Path) -> None:
    # One direction of a capture that never sees the acknowledgements (a one-way tap):
    # every segment stays open until the bound forgets the oldest.
    sent = MAX_OPEN_SEGMENTS + 500
    frames = [_ipv4_tcp(1000 + i * 100, 1, ACK | PSH, 100) for i in range(sent)]
    # the newest segment sent twice more: still open, so it is an unacked re-send
    last = 1000 + (sent - 1) * 100
    frames += [_ipv4_tcp(last, 1, ACK | PSH, 100)] * 2
    path = tmp_path / "one-way.pcap"
    _write_pcap(path, frames)
    con = _connect(path)
    settings = _settings(con)
    assert settings["tcp_open_evicted"] == sent - MAX_OPEN_SEGMENTS
    assert settings["tcp_cover_evicted"] == 0
    unacked = con.execute("SELECT tcp_seq, sends FROM tcp_unacked_resends").fetchall()
    assert unacked == [(last, 3)]
    resends = con.execute("SELECT count(*), bool_and(original_seen) FROM tcp_resends").fetchone()
    assert resends == (2, True)


def test_acknowledged_segments_are_forgotten(tmp_path: Path) -> None:
    # The same stream with every segment acknowledged: nothing stays open, nothing evicted.
    sent = MAX_OPEN_SEGMENTS + 500
    frames = []
    for i in range(sent):
        seq = 1000 + i * 100
        frames.append(_ipv4_tcp(seq, 1, ACK | PSH, 100))
        frames.append(_ipv4_tcp(1, seq + 100, ACK, 0, reverse=True))
    path = tmp_path / "acked.pcap"
    _write_pcap(path, frames)
    con = _connect(path)
    settings = _settings(con)
    assert settings["tcp_open_evicted"] == 0
    assert con.execute("SELECT count(*) FROM tcp_unacked_resends").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM tcp_resends").fetchone()[0] == 0


def test_holes_stay_bounded(tmp_path: Path) -> None:
    # Every other segment lost before the capture point and never re-sent: one hole per
    # segment, until the bound forgets the lowest ranges.
    ranges = MAX_COVER_RANGES + 76
    frames = [_ipv4_tcp(1000 + i * 200, 1, ACK | PSH, 100) for i in range(ranges)]
    # re-send the first segment (its range forgotten) and the last (still known)
    frames.append(_ipv4_tcp(1000, 1, ACK | PSH, 100))
    frames.append(_ipv4_tcp(1000 + (ranges - 1) * 200, 1, ACK | PSH, 100))
    path = tmp_path / "holes.pcap"
    _write_pcap(path, frames)
    con = _connect(path)
    # 76 ranges past the bound, and the re-sent first segment's range once more
    assert _settings(con)["tcp_cover_evicted"] == 77
    seen = con.execute("SELECT tcp_seq, original_seen FROM tcp_resends ORDER BY frame_number")
    # Forgotten: the first re-send reads as lost upstream (documented in the bound's note);
    # the packet-level specification, which keeps everything, says downstream for both.
    assert seen.fetchall() == [(1000, False), (1000 + (ranges - 1) * 200, True)]


def test_a_bound_reached_is_a_finding(tmp_path: Path) -> None:
    # the one-way capture again: the report says the TCP evidence dropped state
    sent = MAX_OPEN_SEGMENTS + 10
    path = tmp_path / "one-way.pcap"
    _write_pcap(path, [_ipv4_tcp(1000 + i * 100, 1, ACK | PSH, 100) for i in range(sent)])
    report = lmcap.analyze(str(path))
    assert report["capture"]["evidence"]["bounds"]["tcp_open_evicted"] == 10
    bounded = [f for f in report["findings"] if f["id"] == "evidence-bounded"]
    assert len(bounded) == 1 and bounded[0]["evidence"]["bounds"] == {"tcp_open_evicted": 10}
    assert "10 unacknowledged TCP segments forgotten" in bounded[0]["summary"]
    # a capture within every bound says nothing
    ok = lmcap.analyze(str(CAPTURES_DIR / "tcp" / "loss-sides.pcap"))
    assert not [f for f in ok["findings"] if f["id"] == "evidence-bounded"]
