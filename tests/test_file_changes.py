"""A capture that changes while lmcap reads it (a ring-buffer file rewritten, ``tcpdump -w``
restarted on the same name, a copy still in progress) must never take the Python process down:
lmcap once memory-mapped plain files, and a truncation under the mapping raised SIGBUS, which
killed the interpreter (exit 135, no exception). Now the reader reports ``file_changed`` with the
file and the offset, and keeps every frame it read whole."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lmcap

FRAME_LEN = 100


def write_pcap(path: Path, frames: int) -> int:
    """A classic pcap of ``frames`` identical 100-byte UDP frames; returns the size of a record."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    eth = bytes.fromhex("020000000001020000000002") + b"\x08\x00"
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, FRAME_LEN - 14, 0, 0x4000, 64, 17, 0,
        bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]),
    )  # fmt: skip
    udp = struct.pack("!HHHH", 1000, 2000, FRAME_LEN - 34, 0)
    frame = eth + ip + udp + bytes(FRAME_LEN - 42)
    record = struct.pack("<IIII", 1_700_000_000, 0, FRAME_LEN, FRAME_LEN) + frame
    path.write_bytes(header + record * frames)
    return len(record)


def test_truncated_between_batches_raises_file_changed_and_keeps_the_frames_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One thread, small batches: the reader has read only its first 8 MiB window when the
    # file is cut to 1 MB, so the rest of the file is gone by the time it is needed.
    monkeypatch.setenv("LMCAP_THREADS", "1")
    path = tmp_path / "ring.pcap"
    record_len = write_pcap(path, 200_000)  # 23 MB
    size = path.stat().st_size
    reader = lmcap.scan(path, batch_rows=1000)
    rows = reader.read_next_batch().num_rows
    os.truncate(path, 1_000_000)
    with pytest.raises(lmcap.CaptureError) as caught:
        for batch in reader:
            rows += batch.num_rows
    e = caught.value
    assert e.kind == "file_changed"
    assert e.path == str(path)
    assert f"{size} bytes when opened, 1000000 now" in str(e)
    # Every frame of the first window was read whole before the cut, and nothing after it.
    window = 8 << 20
    assert rows == (window - 24) // record_len
    assert e.offset == 24 + rows * record_len


CHILD = r"""
import sys, lmcap
try:
    t = lmcap.read(sys.argv[1])
    print("rows", t.num_rows)
except lmcap.CaptureError as e:
    print("error", e.kind, e.partial.num_rows)
"""


@pytest.mark.parametrize("delay_s", [0.05, 0.15, 0.3, 0.6])
def test_truncated_while_read_by_parallel_workers_never_kills_the_process(
    tmp_path: Path, delay_s: float
) -> None:
    # The situation users met: another process truncates the file while lmcap.read runs with
    # parallel decode workers. Whenever the cut lands, the process must survive and either have
    # read everything (the cut came after) or report the change.
    path = tmp_path / "ring.pcap"
    frames = 1_000_000  # 116 MB: reading takes longer than the longest delay
    write_pcap(path, frames)
    env = {**os.environ, "LMCAP_THREADS": "2"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(delay_s)
    os.truncate(path, 5_000_000)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, f"child died with {child.returncode}: {err[-2000:]}"
    words = out.split()
    if words[0] == "rows":  # read whole before the cut
        assert int(words[1]) == frames
    else:  # cut while reading, or before the file was opened (then a record is cut short)
        assert words[:2] in (["error", "file_changed"], ["error", "cut_short"]), out


@pytest.mark.parametrize("compress", [False, True])
def test_a_pipe_given_as_a_path_is_read_as_a_stream(tmp_path: Path, compress: bool) -> None:
    # `lmcap analyze <(zcat trace.pcap.gz)` hands lmcap /dev/fd/63, a pipe that cannot seek
    # back over the magic bytes the reader sniffs (it once failed with "illegal seek").
    import gzip
    import threading

    capture = Path(__file__).resolve().parents[1] / "captures" / "mtu" / "blackhole.pcap"
    data = capture.read_bytes()
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as w:
            w.write(gzip.compress(data) if compress else data)

    writer = threading.Thread(target=feed)
    writer.start()
    got = lmcap.read(fifo)
    writer.join(timeout=30)
    assert got.num_rows == lmcap.read(capture).num_rows > 0
