"""Helpers shared by the tests of exported datasets (test_dataset.py, test_spark.py): the
captures exported, a reference DuckDB connection built straight from :func:`lmcap.connect`
(without Parquet), and row comparison across engines."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from conftest import CAPTURES_DIR

import lmcap
from lmcap import dataset, queries

#: Several shipped captures that between them give every table and every dataset query rows:
#: live migrations over TCP 6600 and SMB (multichannel, interfaces offered, SMB Direct over
#: RoCE), ARP duplicates and moves, unregistered multicast, NLB, VLAN trunks, jumbo frames.
DATASET_CAPTURES = [
    CAPTURES_DIR / rel
    for rel in (
        "throughput/jagged-6600.pcap",
        "throughput/steady-6600.pcap",
        "smb/multichannel-transfer.pcapng",
        "smb/multichannel-rdma-advertised.pcapng",
        "rdma/roce-v2-smbdirect.pcap",
        "arp/duplicate-ip.pcap",
        "arp/ip-moved.pcap",
        "igmp/igmpv2-unregistered.pcap",
        "nlb/nlb-multicast.pcap",
        "vlan/net-trunk-100-200.pcap",
        "jumbo/partial.pcap",
        # rows for the TCP evidence tables: a black hole (tcp_unacked_resends) and a capture
        # taken on a host with segmentation offload (tcp_oversize_segments)
        "mtu/blackhole.pcap",
        "offload/tso-gso-on.pcap",
    )
]


def reference_connection(paths: list[Path]) -> duckdb.DuckDBPyConnection:
    """Every exported table of each capture as lmcap.connect loads it (no Parquet involved),
    with the ``capture`` column the dataset's partitions add, ``timestamp_ns`` and the views
    of the dataset queries others read, as lmcap.dataset.connect and lmcap.spark add them."""
    per_table: dict[str, list[pa.Table]] = {t: [] for t in dataset.exported_tables()}
    for path in paths:
        name = dataset.capture_name(path)
        con = lmcap.connect(path)
        try:
            for t in per_table:
                table = con.table(t).to_arrow_table()
                per_table[t].append(
                    table.append_column("capture", pa.array([name] * table.num_rows, pa.string()))
                )
        finally:
            con.close()
    ref = duckdb.connect()
    ref.execute("SET TimeZone = 'UTC'")
    for t, parts in per_table.items():
        ref.register(f"_{t}", pa.concat_tables(parts, promote_options="permissive"))
        extra = (
            ', epoch_ns("timestamp") AS timestamp_ns'
            if "timestamp" in parts[0].column_names
            else ""
        )
        ref.execute(f"CREATE VIEW {t} AS SELECT *{extra} FROM _{t}")
    for name in queries.spark_query_views():  # as lmcap.dataset.connect makes them
        ref.execute(
            f"CREATE VIEW {name} AS {queries.spark_queries()[name].sql.rstrip().rstrip(';')}"
        )
    return ref


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def normalized(rows: list[tuple]) -> list[tuple]:
    """Rows comparable across engines: Decimal (Spark's wide sums) as int or float, in one
    order (engines break ties of ORDER BY differently)."""
    out = [tuple(_value(v) for v in row) for row in rows]
    return sorted(out, key=lambda r: tuple(_sort_key(v) for v in r))


def _sort_key(v: Any) -> tuple:
    if v is None:
        return (2, 0.0, "")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def assert_same_rows(got: list[tuple], want: list[tuple], what: str) -> None:
    got, want = normalized(got), normalized(want)
    assert len(got) == len(want), f"{what}: {len(got)} rows, expected {len(want)}"
    for g, w in zip(got, want):
        same = len(g) == len(w) and all(
            math.isclose(a, b, rel_tol=1e-9)
            if isinstance(a, float) or isinstance(b, float)
            else a == b
            for a, b in zip(g, w)
        )
        assert same, f"{what}: row {g} differs from {w}"
