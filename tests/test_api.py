"""The Python API: scan / read / read_tables / connect, strictness, the Arrow boundary."""

from __future__ import annotations

import gzip
import subprocess
import sys
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import CAPTURES_DIR as CAPTURES

import lmcap
from lmcap import _core

PCAP = CAPTURES / "formats" / "eth-le-us.pcap"
CUT = CAPTURES / "malformed" / "trunc-record-data.pcap"


def test_read_returns_one_row_per_frame() -> None:
    t = lmcap.read(PCAP)
    assert t.schema.equals(lmcap.schema("packets"))
    assert t.column("frame_number").to_pylist() == list(range(1, t.num_rows + 1))
    assert t.num_rows == 9


def test_scan_streams_small_batches() -> None:
    reader = lmcap.scan(PCAP, batch_rows=2)
    sizes = [b.num_rows for b in reader]
    assert sizes == [2, 2, 2, 2, 1]


#: Projections touching every group of columns the builder fills together (frame facts,
#: MAC, VLAN, L3, IP addresses, IP header, ports, TCP, payload, ICMP/IGMP/ARP), alone and mixed.
PROJECTIONS = [
    ["frame_number"],
    ["src_ip", "dst_ip", "ip_proto", "src_port", "dst_port"],
    ["dst_port", "timestamp", "src_ip"],
    ["dst_mac_kind", "vlan_id", "inner_vlan_id", "ethertype", "l3_len"],
    ["ttl", "is_fragment", "frag_offset", "tcp_flags", "tcp_mss", "payload_len"],
    ["icmp_type", "icmp_quoted_src_ip", "igmp_group", "arp_opcode", "decode_status"],
]


@pytest.mark.parametrize(
    "capture",
    [
        "icmp/frag-needed.pcap",
        "igmp/igmpv3-unregistered.pcap",
        "vlan/net-qinq-300-100.pcap",
        "arp/garp-request.pcap",
        "tcp/loss-sides.pcap",
    ],
)
def test_a_projection_gives_the_columns_of_the_full_read(capture: str) -> None:
    path = CAPTURES / capture
    full = lmcap.read(path, strict=False)
    for names in PROJECTIONS:
        got = lmcap.read(path, strict=False, columns=names)
        assert got.column_names == names
        assert got.equals(full.select(names)), names
        streamed = pa.Table.from_batches(list(lmcap.scan(path, strict=False, columns=names)))
        assert streamed.equals(got)


def test_a_projection_names_real_columns_once() -> None:
    with pytest.raises(ValueError, match="no column 'src_addr'.*frame_number"):
        lmcap.read(PCAP, columns=["src_ip", "src_addr"])
    with pytest.raises(ValueError, match="named twice: src_ip"):
        lmcap.read(PCAP, columns=["src_ip", "src_ip"])
    with pytest.raises(TypeError, match="list of column names"):
        lmcap.read(PCAP, columns="src_ip")
    with pytest.raises(ValueError, match='no column "nope"'):
        _core.Scanner([str(PCAP)], columns=["nope"])
    with pytest.raises(ValueError, match="at least one column"):
        lmcap.read(PCAP, columns=[])


def test_several_paths_and_pathlike() -> None:
    t = lmcap.read([PCAP, str(PCAP)])
    assert t.num_rows == 18
    assert set(t.column("file_index").to_pylist()) == {0, 1}


def test_compressed_and_stdin_read_like_plain(tmp_path: Path) -> None:
    plain = lmcap.read(PCAP)
    gz = tmp_path / "x.pcap.gz"
    gz.write_bytes(gzip.compress(PCAP.read_bytes()))
    assert lmcap.read(gz).drop_columns(["file_index"]).equals(plain.drop_columns(["file_index"]))
    code = (
        "import lmcap,sys; t=lmcap.read('-'); "
        "print(t.num_rows, sum(t.column('wire_len').to_pylist()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=gz.read_bytes(), capture_output=True, check=True
    )
    assert out.stdout.split() == [b"9", str(sum(plain.column("wire_len").to_pylist())).encode()]


def test_strict_error_names_file_and_offset_and_keeps_partial() -> None:
    with pytest.raises(lmcap.CaptureError) as info:
        lmcap.read(CUT)
    e = info.value
    assert e.path == str(CUT) and e.offset == 258 and e.kind == "cut_short"
    assert str(CUT) in str(e) and "258" in str(e)
    assert e.partial.num_rows == 3


def test_lenient_read_warns_and_returns_partial() -> None:
    with pytest.warns(lmcap.CaptureWarning, match="258"):
        t = lmcap.read(CUT, strict=False)
    assert t.num_rows == 3


def test_scan_raises_after_last_batch() -> None:
    reader = lmcap.scan(CUT, batch_rows=1)
    rows = 0
    with pytest.raises(lmcap.CaptureError):
        for b in reader:
            rows += b.num_rows
    assert rows == 3


def test_missing_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(lmcap.CaptureError) as info:
        lmcap.read(tmp_path / "nope.pcap")
    assert info.value.kind == "io_error"


def test_read_tables_has_every_table() -> None:
    tables = lmcap.read_tables(PCAP)
    assert set(tables) == set(lmcap.table_names())
    for name, t in tables.items():
        assert t.schema.equals(lmcap.schema(name)), name
    assert (
        tables["arp"].num_rows
        == tables["packets"].filter(pc.is_valid(tables["packets"].column("arp_opcode"))).num_rows
    )


def test_connect_registers_tables_for_sql() -> None:
    con = lmcap.connect(CAPTURES / "vlan" / "qinq.pcap")
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert set(lmcap.table_names()) <= tables
    (n,) = con.execute("SELECT count(*) FROM packets WHERE vlan_id = 300").fetchone()
    assert n == 5


def test_arrow_c_stream_is_consumed_directly() -> None:
    # pyarrow and duckdb read the scanner through __arrow_c_stream__, batch by batch.
    reader = pa.RecordBatchReader.from_stream(_core.Scanner([str(PCAP)], 4))
    assert reader.read_all().num_rows == 9
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    stream = pa.RecordBatchReader.from_stream(_core.Scanner([str(PCAP)]))  # noqa: F841 (read by name)
    assert con.execute("SELECT count(*) FROM stream").fetchone()[0] == 9


def test_polars_reads_the_stream() -> None:
    pl = pytest.importorskip("polars")
    df = pl.from_arrow(pa.RecordBatchReader.from_stream(_core.Scanner([str(PCAP)])))
    assert df.height == 9


@pytest.mark.parametrize("limit", ["1GB", "100MB"])
def test_a_detail_load_caps_duckdb_lower_then_gives_the_limit_back(limit: str) -> None:
    # while the scan runs DuckDB gets at most LOAD_MEMORY_LIMIT_BYTES; the queries after it
    # get the caller's whole limit
    from lmcap.memory import LOAD_MEMORY_LIMIT_BYTES, size_bytes

    con = lmcap.connect(CAPTURES / "vlan" / "qinq.pcap", packets="detail", memory_limit=limit)
    (now,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    # DuckDB writes the limit back in binary units, rounded to a tenth
    assert size_bytes(now) == pytest.approx(size_bytes(limit), rel=0.01)
    assert LOAD_MEMORY_LIMIT_BYTES < size_bytes("1GB")


def test_a_detail_load_runs_duckdb_on_one_thread_and_gives_the_threads_back() -> None:
    import duckdb

    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    con = lmcap.connect(CAPTURES / "vlan" / "qinq.pcap", packets="detail", memory_limit="1GB")
    assert con.execute("SELECT current_setting('threads')").fetchone()[0] == default
    frames = con.execute("SELECT sum(packets) FROM capture_files").fetchone()[0]
    assert frames > 0 and con.execute("SELECT count(*) FROM traffic").fetchone()[0] > 0


def test_an_error_of_the_background_load_is_raised_on_the_callers_thread() -> None:
    import duckdb

    from lmcap.api import _BackgroundLoader

    con = duckdb.connect()
    table = pa.table({"x": [1, 2, 3]})
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        with _BackgroundLoader(con) as loader:
            loader.append("no_such_table", table)
    # the loader drained its queue and gave the threads back: the connection still works
    con.execute("CREATE TABLE t (x BIGINT)")
    with _BackgroundLoader(con) as loader:
        for _ in range(10):
            loader.append("t", table)
    assert con.execute("SELECT count(*), sum(x) FROM t").fetchone() == (30, 60)


def test_memory_sizes_parse_as_duckdb_writes_them() -> None:
    from lmcap.memory import size_bytes

    assert size_bytes("512MB") == 512 * 10**6
    assert size_bytes("488.2 MiB") == int(488.2 * 2**20)
    assert size_bytes("2GiB") == 2 << 30
    assert size_bytes("12XB") is None


def test_unknown_link_type_is_counted_not_fatal() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = lmcap.read(CAPTURES / "linktypes" / "user0-147.pcap")
    assert t.column("decode_status").to_pylist() == ["unknown_link_type"] * 2


def test_connect_with_a_memory_limit_spills_and_gives_the_same_answers(tmp_path: Path) -> None:
    src = CAPTURES / "jumbo" / "iperf-1500.pcap"
    q = "SELECT count(*), sum(wire_len), count(DISTINCT src_ip) FROM packets"
    free = lmcap.connect(src).execute(q).fetchone()
    capped = lmcap.connect(src, memory_limit="64MB", temp_directory=str(tmp_path))
    assert capped.execute("SELECT current_setting('memory_limit')").fetchone()[0] != ""
    assert capped.execute(q).fetchone() == free
