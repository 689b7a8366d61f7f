"""Captures as a Parquet dataset: ``lmcap export`` writes it, DuckDB, pyarrow, polars and
Spark (:mod:`lmcap.spark`) read it back.

Layout (docs/scale-out.md): one folder per table, one hive partition per capture::

    DIR/<table>/capture=<name>/part-0.parquet

``<name>`` is the capture's file name without its capture and compression suffixes
(``ring-0007.pcapng.zst`` -> ``ring-0007``), any character outside ``A-Z a-z 0-9 . _ + -``
replaced by ``_``, after an optional prefix (``--name-prefix host07-``) that keeps the same
file names of several hosts apart. Every table of :func:`lmcap.table_names` is written, and
the three :func:`lmcap.connect` derives (``scan_settings``, ``flooded_frames``,
``analysis_window``), each with a file (zero rows when the capture had none) so that every
capture has every table. The Arrow schema is the table's own (docs/schema.md, nanosecond
timestamps kept); the file's key-value metadata holds ``lmcap.version``, ``lmcap.table``,
``lmcap.capture`` and ``lmcap.source`` (the capture's path when exported).

A capture is exported in bounded memory: the scan's batches are written as they come, a row
group at a time. Its tables are written into ``DIR/.lmcap-tmp/`` and each moved into place
by a rename once complete, so a reader never sees a half-written partition (an export that
is interrupted leaves its files in ``.lmcap-tmp``, which readers skip); exporting the same
capture name again replaces its partitions.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lmcap import _core
from lmcap import queries as q
from lmcap.api import _SCAN_SETTINGS, _scanner, scan_settings, schema, table_names

#: Rows per Parquet row group: large enough for fast scans and good compression (Spark and
#: DuckDB parallelise by row group), small enough that a writer holds only some 20 MB of
#: packets at a time.
ROW_GROUP_ROWS = 131_072
#: Batch size of the scan while exporting (two batches make a row group).
EXPORT_BATCH_ROWS = 65_536
#: Batches waiting for the writer thread: the scan runs at most this far ahead of it.
WRITE_QUEUE_BATCHES = 4
#: zstd: a fifth smaller than snappy on packet tables, a third slower to write (measured on
#: bench/gen_capture.c --profile small), and read by every Parquet reader.
COMPRESSION = "zstd"
#: The only data file of a partition.
PART_FILE = "part-0.parquet"
#: Where partitions are written before they are renamed into place (skipped by readers:
#: Spark, pyarrow and polars ignore names starting with '.', and the globs below never
#: reach it).
TEMP_FOLDER = ".lmcap-tmp"
#: The hive partition key.
PARTITION_KEY = "capture"
#: Tables :func:`lmcap.connect` derives, exported too so the dataset answers the same SQL.
DERIVED_EXPORTS = ("scan_settings", "flooded_frames", "analysis_window")
#: Suffixes left out of a capture's name, outermost first.
_COMPRESSION_SUFFIXES = (".gz", ".zst")
_CAPTURE_SUFFIXES = (".pcapng", ".pcap", ".cap")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._+-]")


def exported_tables() -> list[str]:
    """Every table of the dataset, in documentation order."""
    return [*table_names(), *DERIVED_EXPORTS]


def capture_name(path: str | os.PathLike[str], prefix: str = "") -> str:
    """The partition name of a capture: its file name without suffixes, made safe for a
    folder name and a hive partition value.

    >>> capture_name("/var/ring/host7-0003.pcapng.zst", prefix="dc1-")
    'dc1-host7-0003'
    """
    name = os.path.basename(os.fspath(path))
    for suffixes in (_COMPRESSION_SUFFIXES, _CAPTURE_SUFFIXES):
        for suffix in suffixes:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
    name = _UNSAFE_NAME_CHARS.sub("_", prefix + name)
    # '.' and '_' first would hide the partition from Spark, pyarrow and polars
    return "x" + name if name[0] in "._" else name


def capture_names(paths: list[str], prefix: str = "") -> list[str]:
    """:func:`capture_name` of each path; ValueError when two would be the same."""
    names = [capture_name(p, prefix) for p in paths]
    seen: dict[str, str] = {}
    for p, n in zip(paths, names):
        if n in seen:
            raise ValueError(
                f"{seen[n]} and {p} would both be exported as {PARTITION_KEY}={n}; rename one "
                "or export them in separate runs with different --name-prefix"
            )
        seen[n] = p
    return names


def partition_dir(root: str | os.PathLike[str], table: str, name: str) -> Path:
    return Path(root) / table / f"{PARTITION_KEY}={name}"


@dataclass
class ExportResult:
    """What one capture's export wrote."""

    path: str
    name: str
    #: Rows written per table.
    rows: dict[str, int] = field(default_factory=dict)
    #: Bytes of the capture read (uncompressed) and of the Parquet files written.
    bytes_read: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    #: The process that exported it (one per capture when several run in parallel).
    pid: int = 0
    #: File-level errors of the scan (a capture cut short): what was read is exported.
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: The source of the partition this export replaced, when it was another file (two
    #: files with the same name: the partition now holds this one).
    replaced_source: str | None = None


class _TableWriter:
    """One table's Parquet file, written a row group at a time."""

    def __init__(self, path: Path, table: str, arrow_schema: pa.Schema, metadata: dict) -> None:
        self.path = path
        self.schema = arrow_schema.with_metadata(
            {**(arrow_schema.metadata or {}), **metadata, b"lmcap.table": table.encode()}
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(path, self.schema, compression=COMPRESSION)
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        if self.pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            t = pa.Table.from_batches(self.pending)
            self.writer.write_table(t, row_group_size=ROW_GROUP_ROWS)
            self.rows += t.num_rows
        self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        if self.writer.is_open:
            self._flush()
            self.writer.close()


class _WriterThread:
    """Encodes and compresses Parquet on a thread of its own while the scan reads on (both
    release the GIL), through a queue of at most ``WRITE_QUEUE_BATCHES`` batches: memory stays
    bounded when writing is the slower side."""

    def __init__(self, writers: dict[str, _TableWriter]) -> None:
        import queue
        import threading

        self.writers = writers
        self.queue: queue.Queue = queue.Queue(maxsize=WRITE_QUEUE_BATCHES)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="lmcap-export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:  # after an error, drain the queue so put() never blocks
                try:
                    self.writers[item[0]].add(item[1])
                except BaseException as e:  # re-raised in the scanning thread
                    self.error = e

    def put(self, table: str, batch: pa.RecordBatch) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((table, batch))

    def finish(self) -> None:
        """Wait for every batch to be written; raise the writer's error, if any."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _scan_into(writers: dict[str, _TableWriter], scanner: _core.Scanner) -> None:
    """Write the scan's packets batches and the event batches made with them as they come."""
    out = _WriterThread(writers)
    try:
        while (batch := scanner.next_batch()) is not None:
            out.put("packets", pa.record_batch(batch))
            for name, b in scanner.take_events():
                out.put(name, pa.record_batch(b))
        for name, b in scanner.take_events():
            out.put(name, pa.record_batch(b))
        out.put("capture_files", pa.record_batch(scanner.files()))
    finally:
        out.finish()


def _derive(work: Path, metadata: dict, writers: dict[str, _TableWriter]) -> None:
    """Write the tables :func:`lmcap.connect` derives in SQL, by their shipped queries run in
    DuckDB over the files just written, streamed back a row group at a time (DuckDB reads the
    packets from the file; nothing holds them all)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for t in ("packets", "igmp_records", "traffic"):
            path = str(work / t / PART_FILE).replace("'", "''")
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
        # the export keeps every frame: the detail frames the shipped queries read are all of them
        con.execute("CREATE VIEW detail_frames AS SELECT * FROM packets")
        for name in DERIVED_EXPORTS:
            if name in writers:  # scan_settings: from the scanner, not SQL
                continue
            sql = q.get(name).sql.strip().rstrip(";")
            reader = con.sql(sql).to_arrow_reader(ROW_GROUP_ROWS)
            writers[name] = _TableWriter(work / name / PART_FILE, name, reader.schema, metadata)
            for batch in reader:
                writers[name].add(batch)
            writers[name].close()
    finally:
        con.close()


def export_capture(
    path: str,
    root: str | os.PathLike[str],
    name: str,
    *,
    bucket_ns: int = 1_000_000_000,
    switch_max_frame: int = 9216,
) -> ExportResult:
    """Export one capture as partition ``capture=<name>`` of every table under ``root``
    (replacing one of that name). Runs in a worker process of :func:`export`."""
    from lmcap import __version__

    started = time.monotonic()
    root = Path(root)
    work = root / TEMP_FOLDER / f"{name}-{uuid.uuid4().hex[:12]}"
    metadata = {
        b"lmcap.version": __version__.encode(),
        b"lmcap.capture": name.encode(),
        b"lmcap.source": os.fspath(path).encode(),
    }
    writers: dict[str, _TableWriter] = {}
    try:
        for t in table_names():
            writers[t] = _TableWriter(work / t / PART_FILE, t, schema(t), metadata)
        scanner = _scanner(
            [path],
            None,
            batch_rows=EXPORT_BATCH_ROWS,
            bucket_ns=bucket_ns,
            switch_max_frame=switch_max_frame,
        )
        _scan_into(writers, scanner)
        for w in writers.values():
            w.close()
        settings = _TableWriter(
            work / "scan_settings" / PART_FILE, "scan_settings", _SCAN_SETTINGS, metadata
        )
        writers["scan_settings"] = settings
        settings.add(scan_settings(scanner, None, bucket_ns, switch_max_frame).to_batches()[0])
        settings.close()
        _derive(work, metadata, writers)
        result = ExportResult(
            path=os.fspath(path), name=name, pid=os.getpid(), errors=scanner.errors()
        )
        previous = _exported_source(root, name)
        if previous is not None and previous != result.path:
            result.replaced_source = previous
        for t, w in writers.items():
            result.rows[t] = w.rows
            result.bytes_written += w.path.stat().st_size
            _publish(work / t, partition_dir(root, t, name), work)
        files = pa.record_batch(scanner.files()).to_pylist()
        result.bytes_read = sum(f["bytes_read"] or 0 for f in files)
        result.seconds = time.monotonic() - started
        return result
    finally:
        for w in writers.values():
            w.writer.close()  # after an error: free the file (a no-op when closed)
        shutil.rmtree(work, ignore_errors=True)


def _exported_source(root: Path, name: str) -> str | None:
    """``lmcap.source`` of the capture already exported as ``name`` (None when none is)."""
    existing = partition_dir(root, "capture_files", name) / PART_FILE
    try:
        metadata = pq.read_schema(existing).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    source = metadata.get(b"lmcap.source")
    return source.decode() if source is not None else None


def _publish(built: Path, final: Path, work: Path) -> None:
    """Move a complete partition folder into place, replacing an older one: renames only, so
    readers see the old partition or the new one, never part of one."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = work / f"replaced-{final.parent.name}"
        os.rename(final, old)
    os.rename(built, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export(
    paths: Iterable[str | os.PathLike[str]],
    root: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    name_prefix: str = "",
    bucket_ns: int = 1_000_000_000,
    switch_max_frame: int = 9216,
) -> Iterator[ExportResult]:
    """Export each capture (one partition per file, see the module docstring) under ``root``,
    up to ``jobs`` at a time, each in its own process (default: one per core). Yields each
    capture's :class:`ExportResult` as it finishes.

    >>> for r in lmcap.dataset.export(["a.pcap", "b.pcap"], "dataset/"):  # doctest: +SKIP
    ...     print(r.name, r.rows["packets"])

    Raises ValueError when two inputs would get the same capture name.
    """
    paths = [os.fspath(p) for p in paths]
    names = capture_names(paths, name_prefix)
    Path(root).mkdir(parents=True, exist_ok=True)
    kwargs = {"bucket_ns": bucket_ns, "switch_max_frame": switch_max_frame}
    workers = min(len(paths), jobs or os.cpu_count() or 1)
    if workers <= 1:
        for p, n in zip(paths, names):
            yield export_capture(p, root, n, **kwargs)
        _remove_if_empty(Path(root) / TEMP_FOLDER)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent may hold DuckDB's and Arrow's threads, which a forked child
    # would inherit half-stopped
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(export_capture, p, root, n, **kwargs) for p, n in zip(paths, names)]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    _remove_if_empty(Path(root) / TEMP_FOLDER)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (another export is running) or already gone
        pass


def table_glob(root: str, table: str) -> str:
    """The files of one table of a dataset at ``root`` (a folder or an object-store URL)."""
    return f"{root.rstrip('/')}/{table}/{PARTITION_KEY}=*/*.parquet"


def connect(root: str | os.PathLike[str], con=None):
    """A DuckDB connection with a view per table of the dataset at ``root`` (a folder, or an
    object-store URL such as ``s3://bucket/lmcap`` once DuckDB's httpfs is set up), with the
    ``capture`` partition column, and ``timestamp_ns`` (nanoseconds since the epoch, BIGINT)
    next to every ``timestamp`` as :mod:`lmcap.spark` has it: the SQL of
    ``lmcap/queries/spark`` runs on both (those other queries read, such as
    ``arp_claim_runs``, are views too).

    >>> con = lmcap.dataset.connect("dataset/")  # doctest: +SKIP
    >>> con.sql("SELECT capture, count(*) FROM packets GROUP BY ALL").show()  # doctest: +SKIP

    Tables with no file under ``root`` get no view; FileNotFoundError when no table has one.
    For object storage, pass a connection ``con`` with its credentials set up
    (``CREATE SECRET``).
    """
    import duckdb

    root = os.fspath(root)
    con = con or duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    local = "://" not in root
    found = []
    for t in exported_tables():
        if local and not (Path(root) / t).is_dir():
            continue
        glob = table_glob(root, t).replace("'", "''")
        source = (
            f"read_parquet('{glob}', hive_partitioning = true, "
            f"hive_types = {{'{PARTITION_KEY}': VARCHAR}})"
        )
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        except duckdb.IOException as e:
            if "No files found" in str(e):
                continue  # no file of this table (object storage: listed by trying)
            raise  # e.g. access denied: not the same as an empty dataset
        extra = ', epoch_ns("timestamp") AS timestamp_ns' if "timestamp" in cols else ""
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT *{extra} FROM {source}")
        found.append(t)
    if "packets" in found:
        # as lmcap.connect does: the shipped queries read the detail frames, here every frame
        con.execute("CREATE OR REPLACE VIEW detail_frames AS SELECT * FROM packets")
    if not found:
        raise FileNotFoundError(
            f"no lmcap dataset at {root}: no <table>/{PARTITION_KEY}=<name>/*.parquet "
            "(write one with `lmcap export FILE... -o DIR`)"
        )
    for name in q.spark_query_views():
        sql = q.spark_queries()[name].sql.strip().rstrip(";")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    return con


# --------------------------------------------------------------------------------------------
# The command line: `lmcap export`


def add_parser(sub, parse_bucket) -> None:
    """Register ``lmcap export`` on the CLI's subparsers (the CLI hands over its --bucket
    parser; this module does not import the CLI above it)."""
    e = sub.add_parser(
        "export",
        help="write every table of each capture as a Parquet dataset (for Spark, DuckDB, "
        "pyarrow, polars)",
        description="Scan each capture and write every table (see `lmcap schema`, plus "
        "scan_settings, flooded_frames and analysis_window) as Parquet, hive-partitioned by "
        "capture: DIR/<table>/capture=<name>/part-0.parquet, <name> being the file name "
        "without .pcap/.pcapng/.cap/.gz/.zst. Each file is its own capture (rotated files are "
        "not merged); several are exported in parallel, one process each, in bounded memory. "
        "Exporting a capture name again replaces its partitions; an interrupted export leaves "
        "no partial partition. Read it back with lmcap.dataset.connect (DuckDB) or "
        "lmcap.spark.register (Spark SQL): docs/scale-out.md.",
    )
    e.add_argument("files", nargs="+", metavar="FILE", help="captures, each its own partition")
    e.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR",
        help="the dataset folder (made when missing; the folder it is in must exist)",
    )
    e.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="captures exported at once, each in its own process (default: one per core)",
    )
    e.add_argument(
        "--name-prefix",
        default="",
        metavar="PREFIX",
        help='put before every capture name, e.g. the host (--name-prefix "$(hostname)-"): '
        "the ring files of several hosts have the same names",
    )
    e.add_argument(
        "--bucket",
        type=parse_bucket,
        default=1_000_000_000,
        metavar="DURATION",
        help="time bucket of the traffic evidence table (default 1s; 1ms to 1h)",
    )
    e.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 when a capture is cut short or corrupt after some frames (what was read "
        "is exported either way, and capture_files says where reading stopped)",
    )
    e.set_defaults(func=cmd_export)


def _positive_int(text: str) -> int:
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a count of processes: {text!r} (1 or more)")
    return int(text)


def cmd_export(args) -> int:
    import sys

    from lmcap.exitcodes import EXIT_CAPTURE_ERROR, EXIT_OK
    from lmcap.inputs import STDIN, UserError, check_inputs, os_error_reason

    if STDIN in args.files:
        raise UserError("export: standard input has no file name to name its partition by")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UserError(f"{args.output}: cannot write the dataset: not a folder")
    # the dataset folder is made when missing, but in a folder that exists (as `-o` of
    # analyze): a typo in the path must not build a tree somewhere unexpected
    if not out.exists() and not out.resolve().parent.is_dir():
        raise UserError(f"{args.output}: cannot write the dataset: no folder {str(out.parent)!r}")
    try:
        capture_names(args.files, args.name_prefix)
    except ValueError as e:
        raise UserError(str(e)) from e
    check_inputs(args.files)
    partial = False
    try:
        for r in export(
            args.files,
            out,
            jobs=args.jobs,
            name_prefix=args.name_prefix,
            bucket_ns=args.bucket,
        ):
            for err in r.errors:
                print(f"lmcap: warning: {err['message']}", file=sys.stderr)
            if r.replaced_source:
                print(
                    f"lmcap: warning: {r.path}: replaced {PARTITION_KEY}={r.name}, which was "
                    f"exported from {r.replaced_source} (--name-prefix keeps both)",
                    file=sys.stderr,
                )
            partial |= bool(r.errors)
            rate = r.bytes_read / 1e6 / r.seconds if r.seconds else 0.0
            print(
                f"{r.path} -> {PARTITION_KEY}={r.name}: {r.rows['packets']:,} frames, "
                f"{len(r.rows)} tables, {r.bytes_written / 1e6:.1f} MB written in "
                f"{r.seconds:.1f} s ({rate:.0f} MB/s read)"
            )
    except OSError as e:
        where = e.filename or args.output
        raise UserError(f"{where}: cannot write the dataset: {os_error_reason(e)}") from e
    return EXIT_CAPTURE_ERROR if partial and args.strict else EXIT_OK
