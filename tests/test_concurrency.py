"""Several scans at once (the GIL is released while the Rust core reads and decodes): Python
threads reading different captures get exactly the tables they get one at a time, and a scan
dropped before its end stops its decode threads instead of leaking them."""

from __future__ import annotations

import gc
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
from conftest import CAPTURES_DIR

import lmcap
from lmcap import _core

CAPTURES = [
    CAPTURES_DIR / rel
    for rel in (
        "throughput/jagged-6600.pcap",
        "smb/multichannel-transfer.pcapng",
        "arp/ip-moved.pcap",
        "jumbo/partial.pcap",
        "rdma/roce-v2-smbdirect.pcap",
        "frag/ipv4-fragments.pcap",
    )
]


def _tables(path) -> dict[str, pa.Table]:
    # small batches: many chunks, so the threads interleave inside each scan
    scanner = _core.Scanner([str(path)], batch_rows=64)
    batches: dict[str, list] = {}
    while (b := scanner.next_batch()) is not None:
        batches.setdefault("packets", []).append(pa.record_batch(b))
        for name, e in scanner.take_events():
            batches.setdefault(name, []).append(pa.record_batch(e))
    for name, e in scanner.take_events():
        batches.setdefault(name, []).append(pa.record_batch(e))
    return {name: pa.Table.from_batches(bs).combine_chunks() for name, bs in batches.items()}


def _sorted(t: pa.Table) -> list:
    # flows and traffic come out of hash maps: compare as sets of rows (nanosecond timestamps
    # as integers: Python's datetime stops at microseconds)
    for i, field in enumerate(t.schema):
        if pa.types.is_timestamp(field.type):
            t = t.set_column(i, field.name, t.column(i).cast(pa.int64()))
    return sorted(map(repr, t.to_pylist()))


def test_threads_reading_different_captures_get_the_same_tables() -> None:
    alone = [_tables(p) for p in CAPTURES]
    with ThreadPoolExecutor(max_workers=len(CAPTURES)) as pool:
        together = list(pool.map(_tables, CAPTURES * 2))
    for i, got in enumerate(together):
        want = alone[i % len(CAPTURES)]
        assert got.keys() == want.keys(), CAPTURES[i % len(CAPTURES)]
        for name in want:
            assert _sorted(got[name]) == _sorted(want[name]), (CAPTURES[i % len(CAPTURES)], name)


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_a_scan_dropped_early_stops_its_threads() -> None:
    big = CAPTURES_DIR / "throughput" / "jagged-6600.pcap"
    before = _threads()
    for _ in range(5):
        scanner = _core.Scanner([str(big)], batch_rows=16)
        assert scanner.next_batch() is not None  # workers started, most of the file unread
        del scanner
        gc.collect()
    deadline = time.monotonic() + 10
    while _threads() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads() <= before, "decode threads left running after their scans were dropped"


def test_connect_from_threads_gives_the_same_report_inputs() -> None:
    def flows(path):
        con = lmcap.connect(str(path), packets="detail")
        try:
            return con.execute("SELECT * FROM flows ORDER BY flow_id").fetchall()
        finally:
            con.close()

    alone = [flows(p) for p in CAPTURES]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(flows, CAPTURES)) == alone
