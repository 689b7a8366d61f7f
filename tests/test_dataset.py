"""lmcap export / lmcap.dataset: every table of each capture as a hive-partitioned Parquet
dataset, read back with the same rows by pyarrow, DuckDB and polars; partitions replaced on
re-export and never visible half-written; the CLI's exit codes. (Spark: test_spark.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import CAPTURES_DIR
from dataset_checks import DATASET_CAPTURES, assert_same_rows, reference_connection

import lmcap
from lmcap import dataset, queries
from lmcap.exitcodes import EXIT_CAPTURE_ERROR, EXIT_OK, EXIT_USAGE

JAGGED = CAPTURES_DIR / "throughput" / "jagged-6600.pcap"
CUT_SHORT = CAPTURES_DIR / "malformed" / "trunc-record-data.pcap"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    results = list(dataset.export(DATASET_CAPTURES, root, jobs=2))
    return root, results


@pytest.fixture(scope="module")
def reference():
    return reference_connection(DATASET_CAPTURES)


def lmcap_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmcap", *args], capture_output=True, text=True, timeout=300
    )


def partitions(root, table: str) -> list[str]:
    return sorted(p.name for p in (root / table).iterdir())


def test_capture_names():
    assert dataset.capture_name("/ring/host7-0003.pcapng.zst") == "host7-0003"
    assert dataset.capture_name("a b/c=d.pcap.gz", prefix="dc1/") == "dc1_c_d"
    assert dataset.capture_name("trace.pcap1") == "trace.pcap1"  # tcpdump -C: kept apart
    assert dataset.capture_name(".hidden.pcap") == "x.hidden"  # readers skip '.' names
    with pytest.raises(ValueError, match="both be exported as capture=jagged-6600"):
        dataset.capture_names(["a/jagged-6600.pcap", "b/jagged-6600.pcap.gz"])


def test_layout_every_table_every_capture(exported):
    root, results = exported
    names = sorted(dataset.capture_name(p) for p in DATASET_CAPTURES)
    assert sorted(r.name for r in results) == names
    for t in dataset.exported_tables():
        assert partitions(root, t) == [f"capture={n}" for n in names], t
        for n in names:
            assert os.listdir(root / t / f"capture={n}") == [dataset.PART_FILE]
    assert not (root / dataset.TEMP_FOLDER).exists()


def test_parallel_export_runs_one_process_per_capture(exported):
    _, results = exported
    assert len({r.pid for r in results}) == 2  # jobs=2
    assert os.getpid() not in {r.pid for r in results}


def test_pyarrow_reads_each_table_as_the_scan_made_it(exported):
    """Each partition holds exactly the rows, columns and types lmcap.read_tables gives."""
    root, _ = exported
    for path in DATASET_CAPTURES:
        tables = lmcap.read_tables(path)
        name = dataset.capture_name(path)
        for t, want in tables.items():
            got = pq.read_table(dataset.partition_dir(root, t, name) / dataset.PART_FILE)
            assert got.schema.remove_metadata() == lmcap.schema(t).remove_metadata(), t
            assert got.equals(want), f"{name}/{t}"


def test_file_metadata(exported):
    root, _ = exported
    name = dataset.capture_name(JAGGED)
    for t in dataset.exported_tables():
        f = pq.ParquetFile(dataset.partition_dir(root, t, name) / dataset.PART_FILE)
        meta = f.schema_arrow.metadata
        assert meta[b"lmcap.version"] == lmcap.__version__.encode()
        assert meta[b"lmcap.table"] == t.encode()
        assert meta[b"lmcap.capture"] == name.encode()
        assert meta[b"lmcap.source"] == str(JAGGED).encode()


def test_pyarrow_dataset_reads_partitions(exported, reference):
    root, _ = exported
    part = ds.partitioning(flavor="hive")
    for t in dataset.exported_tables():
        d = ds.dataset(root / t, format="parquet", partitioning=part)
        got = d.to_table(columns=["capture"]).group_by("capture").aggregate([([], "count_all")])
        want = reference.sql(f"SELECT capture, count(*) FROM {t} GROUP BY ALL").fetchall()
        assert_same_rows([tuple(r.values()) for r in got.to_pylist()], want, t)


def test_duckdb_reads_the_same_rows(exported, reference):
    """read_parquet with hive_partitioning gives every row of every table, values included."""
    root, _ = exported
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for t in dataset.exported_tables():
        glob = dataset.table_glob(str(root), t)
        got = con.sql(
            f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
        ).to_arrow_table()
        con.register("got", got)
        ref = reference.sql(
            f"SELECT * EXCLUDE (timestamp_ns) FROM {t}"
            if "timestamp" in got.column_names
            else f"SELECT * FROM {t}"
        ).to_arrow_table()
        con.register("want", ref)
        cols = ", ".join(f'"{c}"' for c in ref.column_names)
        diff = con.sql(
            f"(SELECT {cols} FROM got EXCEPT ALL SELECT {cols} FROM want) UNION ALL "
            f"(SELECT {cols} FROM want EXCEPT ALL SELECT {cols} FROM got)"
        ).fetchall()
        assert got.num_rows == ref.num_rows and not diff, f"{t}: {diff[:3]}"
        con.unregister("got")
        con.unregister("want")


def test_dataset_connect_runs_shipped_sql(exported, reference):
    """lmcap.dataset.connect: views over the dataset, with the capture and timestamp_ns
    columns, answer the dataset queries as the captures loaded directly do."""
    root, _ = exported
    con = dataset.connect(root)
    for name, q in queries.spark_queries().items():
        got = con.sql(q.sql).fetchall()
        assert got, f"{name}: no rows, nothing compared"
        assert_same_rows(got, reference.sql(q.sql).fetchall(), name)


def test_polars_reads_the_same_rows(exported, reference):
    pl = pytest.importorskip("polars", reason="pip install polars")
    root, _ = exported
    frame = pl.scan_parquet(str(root / "packets" / "**" / "*.parquet"), hive_partitioning=True)
    got = frame.select(
        "capture", "frame_number", pl.col("timestamp").dt.epoch("ns"), "wire_len", "src_ip"
    ).collect()
    want = reference.sql(
        "SELECT capture, frame_number, timestamp_ns, wire_len, src_ip FROM packets"
    ).fetchall()
    assert_same_rows(got.rows(), want, "packets via polars")


def test_row_groups_are_bounded(tmp_path, monkeypatch):
    """Packets are written a row group at a time: never one group holding the capture."""
    monkeypatch.setattr(dataset, "ROW_GROUP_ROWS", 1000)
    monkeypatch.setattr(dataset, "EXPORT_BATCH_ROWS", 300)
    (r,) = dataset.export([JAGGED], tmp_path, jobs=1)
    f = pq.ParquetFile(dataset.partition_dir(tmp_path, "packets", r.name) / dataset.PART_FILE)
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]
    assert r.rows["packets"] == sum(sizes) == 5323
    assert max(sizes) <= 1000 + 300 and len(sizes) >= 5323 // 1300
    assert f.read().equals(lmcap.read(JAGGED))


def test_reexport_replaces_the_partition(tmp_path):
    other = CAPTURES_DIR / "throughput" / "steady-6600.pcap"
    (first,) = dataset.export([JAGGED], tmp_path)
    # another capture under the same name: its rows replace the first one's, none stay
    renamed = tmp_path / "in" / JAGGED.name
    renamed.parent.mkdir()
    shutil.copy(other, renamed)
    (second,) = dataset.export([renamed], tmp_path / "out")
    (again,) = dataset.export([JAGGED], tmp_path / "out")
    (last,) = dataset.export([renamed], tmp_path / "out")
    assert first.name == again.name == last.name
    assert (second.replaced_source, again.replaced_source) == (None, str(renamed))
    assert last.replaced_source == str(JAGGED)
    con = dataset.connect(tmp_path / "out")
    assert con.sql("SELECT count(*) FROM packets").fetchall()[0][0] == lmcap.read(other).num_rows
    assert con.sql("SELECT DISTINCT capture FROM flows").fetchall() == [(first.name,)]
    assert os.listdir(tmp_path / "out" / "packets" / f"capture={first.name}") == ["part-0.parquet"]


def test_interrupted_export_leaves_no_partition(tmp_path, monkeypatch):
    """Interrupted after the packets are written: no partition of a new capture shows, the
    partition of a capture exported before stays whole (not replaced by part of the new
    export under its name), and the work folder is gone."""
    out = tmp_path / "out"
    (before,) = dataset.export([JAGGED], out)
    before_rows = pq.read_table(dataset.partition_dir(out, "packets", before.name)).num_rows
    same_name = tmp_path / "in" / JAGGED.name  # other frames, the same capture name
    same_name.parent.mkdir()
    shutil.copy(CAPTURES_DIR / "throughput" / "steady-6600.pcap", same_name)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset, "_derive", interrupted)
    for capture in (CAPTURES_DIR / "arp" / "ip-moved.pcap", same_name):
        with pytest.raises(KeyboardInterrupt):
            list(dataset.export([capture], out, jobs=1))
    for t in dataset.exported_tables():
        assert partitions(out, t) == [f"capture={before.name}"], t
        assert os.listdir(dataset.partition_dir(out, t, before.name)) == [dataset.PART_FILE]
    after = pq.read_table(dataset.partition_dir(out, "packets", before.name))
    assert after.num_rows == before_rows
    assert after.equals(lmcap.read(JAGGED))
    assert not os.listdir(out / dataset.TEMP_FOLDER)


def test_cli_export(tmp_path):
    out = tmp_path / "ds"
    r = lmcap_cli(
        "export",
        str(JAGGED),
        str(CAPTURES_DIR / "arp" / "ip-moved.pcap"),
        "-o",
        str(out),
        "-j",
        "2",
    )
    assert r.returncode == EXIT_OK, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and any("capture=jagged-6600: 5,323 frames" in x for x in lines)
    assert partitions(out, "arp") == ["capture=ip-moved", "capture=jagged-6600"]
    r = lmcap_cli("export", str(JAGGED), "-o", str(out), "--name-prefix", "host7-")
    assert r.returncode == EXIT_OK and "capture=host7-jagged-6600" in r.stdout
    assert not r.stderr
    other = tmp_path / "elsewhere" / JAGGED.name
    other.parent.mkdir()
    shutil.copy(JAGGED, other)
    r = lmcap_cli("export", str(other), "-o", str(out))
    assert r.returncode == EXIT_OK
    assert f"replaced capture=jagged-6600, which was exported from {JAGGED}" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.pcap"], "missing.pcap: no such file"),
        ([str(CAPTURES_DIR / "malformed" / "bad-magic.pcap")], "bad-magic.pcap"),
        (["-"], "standard input has no file name"),
        ([str(JAGGED), str(JAGGED)], "would both be exported as capture=jagged-6600"),
    ],
)
def test_cli_export_refuses_bad_input(tmp_path, args, message):
    r = lmcap_cli("export", *args, "-o", str(tmp_path / "ds"))
    assert r.returncode == EXIT_USAGE
    assert r.stderr.startswith("lmcap: error: ") and message in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "ds" / "packets").exists()


def test_cli_export_output_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    r = lmcap_cli("export", str(JAGGED), "-o", str(target))
    assert r.returncode == EXIT_USAGE and "not a folder" in r.stderr


def test_cli_export_cut_short_capture(tmp_path):
    """What was read is exported, with a warning; --strict makes it exit 3."""
    r = lmcap_cli("export", str(CUT_SHORT), "-o", str(tmp_path / "ds"))
    assert r.returncode == EXIT_OK and "lmcap: warning:" in r.stderr
    r = lmcap_cli("export", str(CUT_SHORT), "-o", str(tmp_path / "ds"), "--strict")
    assert r.returncode == EXIT_CAPTURE_ERROR
    files = pq.read_table(tmp_path / "ds" / "capture_files").to_pylist()
    assert files[0]["error_kind"] is not None
    packets = pq.read_table(tmp_path / "ds" / "packets")
    with pytest.warns(lmcap.CaptureWarning):
        assert packets.num_rows == lmcap.read(CUT_SHORT, strict=False).num_rows > 0


def test_arp_verdicts_agree_with_the_report(exported):
    """The dataset's ARP question names the IPs lmcap analyze reports as duplicate-ip
    (conflict) and ip-moved (moved), capture by capture."""
    root, _ = exported
    rows = dataset.connect(root).sql(queries.spark_queries()["arp_ip_owners"].sql).fetchall()
    by_verdict = {
        v: {(r[0], r[1]) for r in rows if r[-1] == v} for v in ("conflict", "moved", "single")
    }
    reported: dict[str, set] = {"duplicate-ip": set(), "ip-moved": set()}
    for path in DATASET_CAPTURES:
        for f in lmcap.analyze(path)["findings"]:
            if f["id"] in reported:
                reported[f["id"]].add((dataset.capture_name(path), f["evidence"]["ip"]))
    assert reported["duplicate-ip"] and reported["ip-moved"], "nothing to compare"
    assert by_verdict["conflict"] == reported["duplicate-ip"]
    assert by_verdict["moved"] == reported["ip-moved"]


def test_write_error_stops_the_export(tmp_path, monkeypatch):
    """A write that fails on the writer thread (a full disk) stops the scan and the export
    raises it; nothing is published and the work folder is gone."""
    real_add = dataset._TableWriter.add

    def add(self, batch):
        if self.rows + self.pending_rows > 2000:
            raise OSError(28, "No space left on device", str(self.path))
        real_add(self, batch)

    monkeypatch.setattr(dataset._TableWriter, "add", add)
    monkeypatch.setattr(dataset, "EXPORT_BATCH_ROWS", 500)
    with pytest.raises(OSError, match="No space left"):
        list(dataset.export([JAGGED], tmp_path, jobs=1))
    assert not (tmp_path / "packets").exists()
    assert not os.listdir(tmp_path / dataset.TEMP_FOLDER)


def test_dataset_connect_refuses_a_folder_without_dataset(tmp_path):
    with pytest.raises(FileNotFoundError, match="no lmcap dataset at"):
        dataset.connect(tmp_path)
