"""The flow map and the SMB framers stay bounded (issue 10): a flow idle past the timeout in
capture time is written out, and one that comes back gets a second row marked ``resumed``; past
``MAX_OPEN_FLOWS`` open flows the longest idle are written out early; past ``MAX_DIRECTIONS``
SMB connection directions new ones are counted, not framed. Every case is a crafted capture
checked against what it must give, and the report names what the bounds did.
"""

from __future__ import annotations

import struct
from pathlib import Path

import lmcap
from lmcap import _core

LIMITS = _core.evidence_limits()
MAX_OPEN_FLOWS = LIMITS["flows_max_open"]
IDLE_S = LIMITS["flows_idle_timeout_s"]
UDP_IDLE_S = LIMITS["flows_udp_idle_timeout_s"]
MAX_DIRECTIONS = LIMITS["stream_max_directions"]


def _syn(i: int, dport: int = 80) -> bytes:
    """A SYN from its own source address and port: every ``i`` a new flow."""
    src = bytes([198, 51, 100, i % 256])
    dst = bytes([203, 0, 113, 1])
    tcp = struct.pack("!HHIIBBHHH", 1024 + i // 256, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst)
    return bytes.fromhex("0200000000020200000000010800") + ip + tcp


def _udp(sport: int) -> bytes:
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    )
    return bytes.fromhex("0200000000020200000000010800") + ip + struct.pack("!HHHH", sport, 7, 8, 0)


def _write(path: Path, frames: list[tuple[float, bytes]]) -> None:
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, frame in frames:
            sec = 1_700_000_000 + int(t)
            usec = int(round((t - int(t)) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def _flows(path: Path, **kwargs) -> tuple[list[dict], dict]:
    scanner = _core.Scanner([str(path)], **kwargs)
    rows = []
    while scanner.next_batch() is not None:
        for name, batch in scanner.take_events():
            if name == "flows":
                import pyarrow as pa

                rows += pa.record_batch(batch).to_pylist()
    return rows, scanner.evidence_bounds()


def test_an_idle_flow_is_written_out_and_its_return_marked(tmp_path: Path) -> None:
    # flow A at t=0, then a frame of flow B every 5 s until past the timeout, then A again
    frames = [(0.0, _udp(1000))]
    frames += [(5.0 * k, _udp(2000)) for k in range(1, UDP_IDLE_S // 5 + 4)]
    back = frames[-1][0] + 1
    frames.append((back, _udp(1000)))
    path = tmp_path / "idle.pcap"
    _write(path, frames)
    # one frame per chunk: the idle clock moves with each chunk
    rows, bounds = _flows(path, batch_rows=1)
    a = [r for r in rows if 1000 in (r["client_port"], r["server_port"])]
    b = [r for r in rows if 2000 in (r["client_port"], r["server_port"])]
    assert len(a) == 2 and len(b) == 1, rows
    first, again = sorted(a, key=lambda r: r["start_ns"])
    assert (first["resumed"], again["resumed"]) == (False, True)
    assert first["packets_c2s"] + first["packets_s2c"] == 1
    assert again["packets_c2s"] + again["packets_s2c"] == 1
    assert not b[0]["resumed"] and b[0]["packets_c2s"] + b[0]["packets_s2c"] == len(frames) - 2
    # every frame in exactly one row, and the rows numbered 1..n with no gap
    assert sum(r["packets_c2s"] + r["packets_s2c"] for r in rows) == len(frames)
    assert sorted(r["flow_id"] for r in rows) == list(range(1, len(rows) + 1))
    assert bounds["flows_idle_expired"] >= 1 and bounds["flows_resumed"] == 1
    assert bounds["flows_memcap_evicted"] == 0


def test_a_tcp_connection_idles_longer_than_udp(tmp_path: Path) -> None:
    # a TCP connection and a UDP flow, both silent for longer than the UDP timeout and less
    # than the TCP one, while other traffic moves the clock: only the UDP flow is split
    assert UDP_IDLE_S < IDLE_S
    gap = (UDP_IDLE_S + IDLE_S) // 2
    frames = [(0.0, _syn(1, dport=6600)), (0.0, _udp(1000))]
    frames += [(5.0 * k, _udp(2000)) for k in range(1, gap // 5 + 1)]
    frames += [(gap + 1.0, _syn(1, dport=6600)), (gap + 1.0, _udp(1000))]
    path = tmp_path / "tcp-udp.pcap"
    _write(path, frames)
    rows, bounds = _flows(path, batch_rows=1)
    tcp = [r for r in rows if r["proto"] == "tcp"]
    udp_a = [r for r in rows if 1000 in (r["client_port"], r["server_port"])]
    assert len(tcp) == 1 and tcp[0]["packets_c2s"] + tcp[0]["packets_s2c"] == 2
    assert len(udp_a) == 2 and sorted(r["resumed"] for r in udp_a) == [False, True]
    assert bounds["flows_idle_expired"] == 1


def test_within_the_timeout_nothing_is_written_early(tmp_path: Path) -> None:
    frames = [(0.0, _udp(1000))] + [(5.0 * k, _udp(2000)) for k in range(1, 10)]
    frames.append((60.0, _udp(1000)))
    path = tmp_path / "short.pcap"
    _write(path, frames)
    rows, bounds = _flows(path, batch_rows=1)
    assert len(rows) == 2 and not any(r["resumed"] for r in rows)
    assert bounds["flows_idle_expired"] == 0 and bounds["flows_resumed"] == 0


def test_a_syn_flood_holds_at_most_max_open_flows(tmp_path: Path) -> None:
    n = MAX_OPEN_FLOWS + 20_000
    path = tmp_path / "flood.pcap"
    _write(path, [(i * 1e-6, _syn(i)) for i in range(n)])
    rows, bounds = _flows(path)
    # nothing lost, nothing merged: one row per SYN
    assert len(rows) == n and sum(r["packets_c2s"] for r in rows) == n
    assert sorted(r["flow_id"] for r in rows) == list(range(1, n + 1))
    assert bounds["flows_memcap_evicted"] > 0 and bounds["flows_resumed"] == 0
    # never more than the bound open: at least the flood's excess went out early (an
    # eighth at a time, as each new flow would pass the bound, not once per chunk)
    assert bounds["flows_memcap_evicted"] >= n - MAX_OPEN_FLOWS
    # the oldest went first: the rows written early are the flood's first SYNs
    by_id = sorted(rows, key=lambda r: r["flow_id"])
    early, rest = by_id[: bounds["flows_memcap_evicted"]], by_id[bounds["flows_memcap_evicted"] :]
    assert max(r["start_ns"] for r in early) < min(r["start_ns"] for r in rest)
    report = lmcap.analyze(str(path))
    assert (
        report["capture"]["evidence"]["bounds"]["flows_memcap_evicted"]
        == bounds["flows_memcap_evicted"]
    )
    assert report["throughput"]["flow_count"] == n
    assert report["tcp"]["connections"] == n and report["tcp"]["handshakes_seen"] == n
    [bounded] = [f for f in report["findings"] if f["id"] == "evidence-bounded"]
    assert f"{MAX_OPEN_FLOWS:,} were open when another began" in bounded["summary"]


def test_smb_directions_beyond_the_bound_are_counted(tmp_path: Path) -> None:
    n = MAX_DIRECTIONS + 500
    path = tmp_path / "smb-flood.pcap"
    _write(path, [(i * 1e-6, _syn(i, dport=445)) for i in range(n)])
    _, bounds = _flows(path)
    assert bounds["stream_directions_untracked"] == 500
