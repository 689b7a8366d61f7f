"""The Python API: scan, read and query captures.

Every function takes one path or several (``str``, ``os.PathLike``, or ``"-"`` for standard
input); several files are merged in time order, as rotated ``tcpdump -C/-G`` captures need.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable, Union

import pyarrow as pa

from lmcap import _core
from lmcap.filters import Filter
from lmcap.memory import (
    ANALYZE_MEMORY_LIMIT,
    LOAD_MEMORY_LIMIT_BYTES,
    TEMPORARY_DATABASE,
    size_bytes,
)

PathArg = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]

#: Tables produced alongside ``packets`` from the same frames (``flows``, one row per TCP
#: connection and UDP flow, comes with the last batch).
EVENT_TABLES = (
    "arp",
    "igmp_records",
    "nlb_heartbeats",
    "smb_pdus",
    "smb_interfaces",
    "stream_gaps",
    "rdma_segments",
    "flows",
    "traffic",
    "tcp_resends",
    "tcp_unacked_resends",
    "tcp_oversize_segments",
    "ipv4_claim_runs",
)

#: Tables :func:`connect` derives in SQL from the others (the query of the same name in
#: ``lmcap/queries``): ``flooded_frames``, every frame a switch floods with the reason;
#: ``analysis_window``, one row: the stretch of time rates are measured over (outlying
#: timestamps left out); ``frag_datagrams``, every fragmented datagram, seen whole or not
#: (the fragmentation queries read it, so its window walk over the fragments runs once).
DERIVED_TABLES = ("flooded_frames", "analysis_window", "frag_datagrams")


#: Raised when the scanner stops on a bug of lmcap (a Rust panic) while reading a capture: the
#: message names each file and how far it was read. The interpreter keeps running; a scanner
#: that raised it raises it again rather than go on past the frames it lost.
ScanPanic = _core.ScanPanic


class CaptureError(Exception):
    """A capture file could not be read to its end.

    Attributes:
        errors: one dict per failing file with ``path``, ``offset`` (byte offset in the
            uncompressed stream where reading stopped), ``kind`` and ``message``.
        path, offset, kind: those of the first failing file.
        partial: what could be read (a ``pyarrow.Table`` for :func:`read`, a dict of tables for
            :func:`read_tables`), or None when raised by :func:`scan` after its last batch.
    """

    def __init__(self, errors: list[dict], partial: object = None) -> None:
        self.errors = errors
        self.partial = partial
        first = errors[0]
        self.path: str = first["path"]
        self.offset: int = first["offset"]
        self.kind: str = first["kind"]
        more = f" (and {len(errors) - 1} more file(s))" if len(errors) > 1 else ""
        super().__init__(first["message"] + more)


class CaptureWarning(UserWarning):
    """Issued instead of :class:`CaptureError` when ``strict=False``."""


def _paths(paths: PathArg) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    out = [os.fspath(p) for p in paths]
    if not out:
        raise ValueError("no capture file given")
    return out


def _report_errors(
    scanner: _core.Scanner | list[dict], strict: bool, partial: object = None
) -> None:
    errors = scanner if isinstance(scanner, list) else scanner.errors()
    if not errors:
        return
    if strict:
        raise CaptureError(errors, partial)
    for e in errors:
        warnings.warn(e["message"], CaptureWarning, stacklevel=3)


def table_names() -> list[str]:
    """Names of every table lmcap produces.

    >>> "packets" in lmcap.table_names()
    True
    """
    return list(_core.table_names())


def schema(table: str = "packets") -> pa.Schema:
    """The Arrow schema of a table (documented in docs/schema.md).

    >>> lmcap.schema("packets").field("wire_len").type
    DataType(uint32)
    """
    return pa.schema(_core.table_schema(table))


def _scanner(paths: PathArg, filter: Filter | None = None, **kwargs: Any) -> _core.Scanner:
    """A native scanner over ``paths`` keeping what ``filter`` keeps."""
    extra = filter.scanner_kwargs() if filter is not None else {}
    return _core.Scanner(_paths(paths), **kwargs, **extra)


def scan(
    paths: PathArg,
    *,
    strict: bool = True,
    batch_rows: int = 65_536,
    filter: Filter | None = None,
    columns: Sequence[str] | None = None,
) -> pa.RecordBatchReader:
    """Stream the ``packets`` table batch by batch, in bounded memory.

    >>> reader = lmcap.scan("trace.pcap.zst")  # doctest: +SKIP
    >>> sum(b.num_rows for b in reader)  # doctest: +SKIP
    >>> narrow = ["timestamp", "src_ip", "dst_ip", "wire_len"]
    >>> lmcap.scan("trace.pcap", columns=narrow)  # doctest: +SKIP

    ``columns`` builds only those columns of ``packets``, in the order given (projection
    pushdown: the layers behind the others are not turned into values, so a narrow read costs
    a fraction of the full one). With ``strict=True`` a file that cannot be read to its end
    raises :class:`CaptureError` after the last batch (everything readable has been yielded by
    then); with ``strict=False`` a :class:`CaptureWarning` is issued instead.
    """
    names = _columns(columns)
    scanner = _scanner(paths, filter, batch_rows=batch_rows, packets_only=True, columns=names)
    out_schema = _packets_schema(names)

    def batches() -> Iterator[pa.RecordBatch]:
        yield from _packets_only(scanner, names)
        _report_errors(scanner, strict)

    return pa.RecordBatchReader.from_batches(out_schema, batches())


def _columns(columns: Sequence[str] | None) -> list[str] | None:
    """``columns`` checked: None for all; a ValueError names an unknown or repeated one."""
    if columns is None:
        return None
    if isinstance(columns, str):
        raise TypeError("columns takes a list of column names, not one string")
    names = list(columns)
    if not names:
        raise ValueError("columns: name at least one column (or None for all of them)")
    known = schema("packets").names
    unknown = [c for c in names if c not in known]
    if unknown:
        raise ValueError(f"packets has no column {unknown[0]!r}; its columns: {', '.join(known)}")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise ValueError(f"column(s) named twice: {', '.join(repeated)}")
    return names


def _packets_schema(names: list[str] | None) -> pa.Schema:
    """The schema of ``packets``, or of the columns ``names`` in that order."""
    full = schema("packets")
    if names is None:
        return full
    return pa.schema([full.field(n) for n in names])


def _packets_only(
    scanner: _core.Scanner, names: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The ``packets`` batches of a ``packets_only`` scanner (its projection's columns in the
    order of ``names``: the scanner builds them in the table's order)."""
    out_schema = _packets_schema(names)
    while (batch := scanner.next_batch()) is not None:
        scanner.take_events()  # whatever the scan still queues is not wanted here
        b = pa.record_batch(batch)
        if names is not None:
            b = pa.record_batch([b.column(n) for n in names], schema=out_schema)
        yield b


def _packet_batches(
    scanner: _core.Scanner,
    events: dict[str, list[pa.RecordBatch]],
    progress: Callable[[list[dict]], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The ``packets`` batches of a scan; the event-table batches made with each one are
    appended to ``events`` by table name as the scan goes. ``progress``, when given, is called
    after each batch with the ``capture_files`` rows so far (frames and bytes read per file)."""
    while (batch := scanner.next_batch()) is not None:
        for name, b in scanner.take_events():
            events[name].append(pa.record_batch(b))
        if progress is not None:
            progress(pa.record_batch(scanner.files()).to_pylist())
        yield pa.record_batch(batch)


def _read_all(
    paths: PathArg, filter: Filter | None = None
) -> tuple[_core.Scanner, dict[str, pa.Table]]:
    scanner = _scanner(paths, filter)
    events: dict[str, list[pa.RecordBatch]] = {name: [] for name in EVENT_TABLES}
    packets = list(_packet_batches(scanner, events))
    tables = {"packets": pa.Table.from_batches(packets, schema("packets"))}
    for name, bs in events.items():
        tables[name] = pa.Table.from_batches(bs, schema(name))
    tables["capture_files"] = pa.Table.from_batches([pa.record_batch(scanner.files())])
    return scanner, tables


def read(
    paths: PathArg,
    *,
    strict: bool = True,
    filter: Filter | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Read the ``packets`` table into memory: one row per frame.

    >>> t = lmcap.read("captures/arp/gratuitous.pcap")  # doctest: +SKIP
    >>> t.group_by("decode_status").aggregate([([], "count_all")])  # doctest: +SKIP
    >>> ports = lmcap.read("trace.pcap", columns=["src_port", "dst_port"])  # doctest: +SKIP

    ``columns``: only those columns, in that order, and only they are built (see
    :func:`scan`).
    """
    names = _columns(columns)
    # packets only: the event tables, evidence and flows would be built and thrown away
    scanner = _scanner(paths, filter, packets_only=True, columns=names)
    packets = pa.Table.from_batches(list(_packets_only(scanner, names)), _packets_schema(names))
    _report_errors(scanner, strict, packets)
    return packets


def read_tables(
    paths: PathArg, *, strict: bool = True, filter: Filter | None = None
) -> dict[str, pa.Table]:
    """Read every table (``packets``, the ``EVENT_TABLES`` such as ``arp`` and ``flows``,
    ``capture_files``) in one pass.

    >>> tables = lmcap.read_tables(["rot-0.pcap", "rot-1.pcap"])  # doctest: +SKIP
    >>> tables["arp"].num_rows  # doctest: +SKIP
    """
    scanner, tables = _read_all(paths, filter)
    _report_errors(scanner, strict, tables)
    return tables


def connect(
    paths: PathArg,
    *,
    strict: bool = True,
    database: str = ":memory:",
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    derived: Iterable[str] | None = None,
    bucket_ns: int | None = 1_000_000_000,
    switch_max_frame: int = 9216,
    progress: Callable[[list[dict]], None] | None = None,
    filter: Filter | None = None,
    packets: str = "all",
):
    """A DuckDB connection with every table loaded (and ``DERIVED_TABLES`` derived), ready for SQL.

    >>> con = lmcap.connect("trace.pcapng")  # doctest: +SKIP
    >>> con.sql("SELECT vlan_id, count(*) FROM packets GROUP BY ALL").fetchall()  # doctest: +SKIP

    ``packets`` streams into DuckDB batch by batch; with ``packets="detail"`` every table does,
    as the scan makes it. ``memory_limit`` (e.g. ``"2GB"``) caps DuckDB's memory: past it,
    DuckDB spills to ``temp_directory`` (a fresh temporary folder by default, removed with the
    connection), which keeps memory flat on captures larger than RAM at some cost in speed.
    ``database`` is where the tables live: ``":memory:"`` (the default), a file, or
    ``TEMPORARY_DATABASE`` (``"temporary"``): a file in a fresh temporary folder, removed with
    the connection. A file's tables are compressed and spill cheaply; ``lmcap analyze`` uses
    one (on the 8 GiB bench capture the in-memory tables left too little of a 384MB limit to
    the queries). ``derived`` names the derived
    tables to build (default: all of ``DERIVED_TABLES``); pass ``()`` when only the scanned
    tables are needed. ``bucket_ns`` and ``switch_max_frame`` cut the ``traffic`` evidence table
    (time bucket width; the frame size counted as over the switch limit), as the analysis
    parameters of the same names do; ``bucket_ns=None`` lets the scan choose the width (what
    ``lmcap analyze`` does without ``--bucket``): the finest of 1 ms, 10 ms, 100 ms and 1 s
    that keeps the table under 65,536 rows held, 1 s past that (``scan_settings.bucket_ns``
    says which). ``progress`` is called as the scan goes with the
    ``capture_files`` rows so far (see :class:`lmcap.progress.Progress`). ``filter``
    (:class:`lmcap.Filter`) keeps only the frames of a time range, VLANs or hosts, in every
    table. The one-row table ``scan_settings`` records how the scan was cut and filtered:
    ``bucket_ns`` (the width ``traffic`` was cut at), ``bucket_auto`` (the scan chose it),
    ``switch_max_frame``, the filter, ``frames_filtered`` (read but dropped)
    ``traffic_cap_flushes``, ``out_of_order_frames`` and ``first_out_of_order_frame`` (frames
    stamped earlier than the one before them in their file), ``missing_timestamp_frames`` and
    ``first_missing_timestamp_frame``, ``decode_status_frames`` (every frame counted per
    ``decode_status``, a list of structs), and what the bounds of the evidence
    tables dropped (``tcp_open_evicted``, ``tcp_cover_evicted``, ``tcp_resets_dropped``,
    ``claim_runs_dropped``, ``claims_untracked``, and of the flow map: ``flows_idle_expired``,
    ``flows_memcap_evicted``, ``flows_resumed``, ``flows_evicted_forgotten``,
    ``mss_hosts_untracked``, and of the SMB/iWARP framers: ``stream_directions_expired``,
    ``stream_directions_untracked``, ``stream_heads_cut``).

    With ``packets="detail"`` and a ``memory_limit``, DuckDB gets at most
    ``LOAD_MEMORY_LIMIT_BYTES`` while the scan runs (the scan's own state needs the rest) and
    the whole limit once it has ended.

    ``packets="detail"`` skips the ``packets`` table: the scan keeps only the detail frames
    (``detail_frames``: ARP, IGMP, ICMP, fragments, flooded frames, TCP handshakes and
    resets, offload super-segments, frames a decoder stopped on, and a sample of each hour's
    first frames; of the frames nothing could be decoded from, such as empty records, a sample
    of 20 per decode status in each chunk of the scan) and builds every other table from all
    frames, so memory grows with hosts, flows and time, not with frames. It is what
    ``lmcap analyze`` uses. With ``packets="all"`` (the default) ``detail_frames`` is a view of
    all of ``packets``: the diagnostics give the same answers either way.
    """
    import duckdb

    if packets not in ("all", "detail"):
        raise ValueError(f"packets must be 'all' or 'detail', not {packets!r}")
    detail = packets == "detail"
    folder = None
    if (memory_limit and not temp_directory) or database == TEMPORARY_DATABASE:
        import tempfile

        folder = tempfile.mkdtemp(prefix="lmcap-")
    temporary = database == TEMPORARY_DATABASE
    if temporary:
        database = os.path.join(folder, "lmcap.duckdb")
    con = duckdb.connect(database)
    if folder:
        # the spill files and the temporary database go with the connection
        import shutil
        import weakref

        weakref.finalize(con, shutil.rmtree, folder, ignore_errors=True)
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
        con.execute("SET temp_directory = ?", [temp_directory or folder])
        if detail:
            # While the scan runs, its own state (flows, claims, read windows) shares the
            # memory with DuckDB, which only appends then: it gets less, and the full limit
            # back for the queries once the scanner is gone.
            con.execute("SET memory_limit = ?", [_load_memory_limit(memory_limit)])
    scanner = _scanner(
        paths,
        filter,
        bucket_ns=bucket_ns,
        switch_max_frame=switch_max_frame,
        detail_only=detail,
    )
    events: dict[str, list[pa.RecordBatch]] = {name: [] for name in EVENT_TABLES}
    if detail:
        # Every table goes into DuckDB batch by batch as the scan makes it: nothing piles up
        # in Python, and past memory_limit DuckDB spills to disk.
        events["detail_frames"] = []
        for name in events:
            _load(con, name, schema("packets" if name == "detail_frames" else name).empty_table())
        with _BackgroundLoader(con) as loader:
            for batch in _packet_batches(scanner, events, progress):
                events["detail_frames"].append(batch)
                for name, bs in events.items():
                    # a row group per INSERT (see _APPEND_ROWS)
                    if sum(b.num_rows for b in bs) >= _APPEND_ROWS:
                        loader.append(name, pa.Table.from_batches(bs))
                        bs.clear()
                    elif len(bs) >= _COMPACT_BATCHES:
                        bs[:] = pa.Table.from_batches(bs).combine_chunks().to_batches()
    else:
        # packets streams in through one statement (DuckDB's bulk path: an INSERT per batch of
        # 59 columns costs several times more); the event batches wait for its end
        packets_stream = pa.RecordBatchReader.from_batches(
            schema("packets"), _packet_batches(scanner, events, progress)
        )
        con.register("_lmcap_packets_stream", packets_stream)
        con.execute("CREATE OR REPLACE TABLE packets AS SELECT * FROM _lmcap_packets_stream")
        con.unregister("_lmcap_packets_stream")
        for name in EVENT_TABLES:
            _load(con, name, schema(name).empty_table())
        con.execute("CREATE OR REPLACE VIEW detail_frames AS SELECT * FROM packets")
    files = pa.Table.from_batches([pa.record_batch(scanner.files())])
    settings = scan_settings(scanner, filter, bucket_ns, switch_max_frame)
    errors = scanner.errors()
    # the decode threads and read windows go now, not when the caller's queries end
    del scanner
    if detail and memory_limit:
        # and DuckDB gets its whole limit for what is left to load: the tables smaller than a
        # row group wait for the end, and under the load cap they spilled as they went in
        # (1 GiB bench capture: 2.7 s for those INSERTs under 64 MB)
        _release_freed_memory()
        con.execute("SET memory_limit = ?", [memory_limit])
    if detail and temporary:
        # The big tables went in as row groups and were checkpointed (compressed) as they
        # came; what is left is under a row group per table. Checkpointing a database that is
        # thrown away after the queries would only compress those again (1 s of the 1 GiB
        # bench capture's load). Nor at the close, which checkpoints by default: the rows
        # since the threshold went up, then the file is removed (1.1 s of the 1 GiB bench
        # capture's 9 s analyze, spent after the report was written).
        con.execute("SET checkpoint_threshold = '1TB'")
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    for name, bs in events.items():
        if bs:
            _load(con, name, pa.Table.from_batches(bs), append=True)
    _load(con, "capture_files", files)
    _load(con, "scan_settings", settings)
    from lmcap import queries

    for name in DERIVED_TABLES if derived is None else derived:
        sql = queries.get(name).sql.strip().rstrip(";")
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
    _report_errors(errors, strict, con)
    return con


#: The one-row ``scan_settings`` table :func:`connect` writes.
_SCAN_SETTINGS = pa.schema(
    [
        ("bucket_ns", pa.int64()),
        ("switch_max_frame", pa.int64()),
        ("since_ns", pa.int64()),
        ("until_ns", pa.int64()),
        ("since_offset_s", pa.float64()),
        ("until_offset_s", pa.float64()),
        ("vlans", pa.list_(pa.int64())),
        ("hosts", pa.list_(pa.string())),
        ("frames_filtered", pa.int64()),
        ("traffic_cap_flushes", pa.int64()),
        ("out_of_order_frames", pa.int64()),
        ("first_out_of_order_frame", pa.int64()),
        ("tcp_open_evicted", pa.int64()),
        ("tcp_cover_evicted", pa.int64()),
        ("tcp_resets_dropped", pa.int64()),
        ("claim_runs_dropped", pa.int64()),
        ("claims_untracked", pa.int64()),
        ("flows_idle_expired", pa.int64()),
        ("flows_memcap_evicted", pa.int64()),
        ("flows_resumed", pa.int64()),
        ("flows_evicted_forgotten", pa.int64()),
        ("mss_hosts_untracked", pa.int64()),
        ("stream_directions_expired", pa.int64()),
        ("stream_directions_untracked", pa.int64()),
        ("bucket_auto", pa.bool_()),
        ("stream_heads_cut", pa.int64()),
        ("missing_timestamp_frames", pa.int64()),
        ("first_missing_timestamp_frame", pa.int64()),
        (
            "decode_status_frames",
            pa.list_(pa.struct([("decode_status", pa.string()), ("frames", pa.int64())])),
        ),
    ]
)


def scan_settings(
    scanner: _core.Scanner, filter: Filter | None, bucket_ns: int | None, switch_max_frame: int
) -> pa.Table:
    """The one-row ``scan_settings`` table of a finished scan (how it was cut and filtered;
    ``bucket_ns`` None: the scan chose the width)."""
    out_of_order, first_out_of_order = scanner.out_of_order()
    missing, first_missing = scanner.missing_timestamps()
    settings = {
        "bucket_ns": scanner.traffic_bucket_ns(),
        "switch_max_frame": switch_max_frame,
        "bucket_auto": bucket_ns is None,
        **(filter or Filter()).describe(),
        "frames_filtered": scanner.filtered_frames(),
        "traffic_cap_flushes": scanner.traffic_cap_flushes(),
        "out_of_order_frames": out_of_order,
        "first_out_of_order_frame": first_out_of_order,
        "missing_timestamp_frames": missing,
        "first_missing_timestamp_frame": first_missing,
        "decode_status_frames": [
            {"decode_status": s, "frames": n} for s, n in scanner.decode_status_counts()
        ],
        **scanner.evidence_bounds(),
    }
    return pa.Table.from_pylist([settings], schema=_SCAN_SETTINGS)


def _load_memory_limit(memory_limit: str) -> str:
    """The lower of ``memory_limit`` and LOAD_MEMORY_LIMIT_BYTES, as a setting (``memory_limit``
    itself when it is not a size this module reads)."""
    limit_bytes = size_bytes(memory_limit)
    if limit_bytes is None:
        return memory_limit
    return f"{min(limit_bytes, LOAD_MEMORY_LIMIT_BYTES) >> 10}KiB"


def _release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``): the scan's
    state is freed by then, but glibc keeps it for reuse, and DuckDB allocates with its own
    allocator, which cannot reuse it."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        pass


#: Rows of a table gathered in Python before one INSERT into DuckDB (connect(packets="detail")):
#: DuckDB's row group size. An INSERT of fewer rows costs time that grows with the table (2 M
#: flows in 64 k-row INSERTs: 9.5 s; in 122,880-row ones: 0.9 s); more rows only hold more
#: in Python.
_APPEND_ROWS = 122_880

#: Batches of a table held before they are copied into one: each batch keeps the capacity of
#: the builder it came from alive (a chunk's detail builder starts at 2,048 rows), so a scan
#: whose chunks hold a few detail rows each (a capture of empty records: a sample of 20 per
#: chunk) held 3,000 batches before _APPEND_ROWS rows came together, 820 MB for 20 M records.
_COMPACT_BATCHES = 64


class _BackgroundLoader:
    """Appends tables to DuckDB on a thread of its own while the scan goes on.

    The scan's in-order pass (flows, claims, TCP evidence) runs on the calling thread inside
    ``next_batch``; appending on that thread too stopped the scan for every INSERT (1 GiB bench
    capture: loading 12.2 s, of which the bare scan is 3.9 s). While it loads, DuckDB runs on
    one thread (``SET threads = 1``): on two cores its parallel append fought the scan's decode
    threads and took 2.8× as long (7.3 s → 2.6 s for the same tables). The queue holds
    ``_LOADER_QUEUE`` tables at most, so memory stays bounded when DuckDB is the slower side.
    An error of DuckDB (out of memory) is raised on the calling thread at the next append or
    at the end.
    """

    def __init__(self, con) -> None:
        import queue
        import threading

        self._con = con
        self._cursor = con.cursor()
        self._queue: queue.Queue = queue.Queue(maxsize=_LOADER_QUEUE)
        self._error: BaseException | None = None
        con.execute("SET threads = 1")
        self._thread = threading.Thread(target=self._run, name="lmcap-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:  # after an error, drain the queue so append never blocks
                try:
                    _load(self._cursor, *item, append=True)
                except BaseException as e:  # noqa: BLE001 - raised again on the caller's thread
                    self._error = e

    def append(self, name: str, table: pa.Table) -> None:
        """Queue ``table`` to be appended to the DuckDB table ``name``."""
        self._raise_error()
        self._queue.put((name, table))

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> _BackgroundLoader:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._queue.put(None)
        self._thread.join()
        self._cursor.close()
        self._con.execute("RESET threads")
        if exc_type is None:
            self._raise_error()


#: Tables waiting for the background loader at most (see _BackgroundLoader).
_LOADER_QUEUE = 2


def _load(con, name: str, table: pa.Table, *, append: bool = False) -> None:
    """``table`` as the DuckDB table ``name``, or added to its rows with ``append``."""
    view = f"_lmcap_load_{name}"
    con.register(view, table)
    if append:
        con.execute(f"INSERT INTO {name} SELECT * FROM {view}")
    else:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
    con.unregister(view)


def _params(caller: str, params: dict[str, Any]):
    """:class:`lmcap.diagnostics.Params` from keyword arguments; TypeError naming any unknown
    one and the known ones."""
    import dataclasses

    from lmcap.diagnostics import Params

    known = {f.name for f in dataclasses.fields(Params)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise TypeError(
            f"{caller}() got unknown analysis parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return Params(**params)


def analyze(
    paths: PathArg,
    *,
    strict: bool = True,
    memory_limit: str | None = ANALYZE_MEMORY_LIMIT,
    filter: Filter | None = None,
    progress: Callable[[list[dict]], None] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """The report of ``lmcap analyze``, as the dict ``--format json`` writes (docs/report.md,
    schema in ``lmcap/report.schema.json``): keys, values and types are those of the JSON.

    >>> report = lmcap.analyze("migration.pcap", link_speed_bps=10_000_000_000)  # doctest: +SKIP
    >>> [f["id"] for f in report["findings"] if f["severity"] == "error"]  # doctest: +SKIP

    ``params`` are the analysis parameters, by the names of
    :class:`lmcap.diagnostics.Params` (documented in docs/findings.md): ``bucket_ns``
    (throughput bucket, default 1 s), ``link_speed_bps`` (0: unknown), ``arp_storm_pps``,
    ``igmp_query_interval_s``, ... ; an unknown name raises TypeError. With ``strict=True`` a
    file that cannot be read to its end raises :class:`CaptureError`; with ``strict=False``
    a :class:`CaptureWarning` is issued and the report covers what was read (its
    ``capture.files[].error`` says where reading stopped). ``memory_limit`` caps DuckDB's
    memory as ``lmcap analyze --memory-limit`` does (``ANALYZE_MEMORY_LIMIT``, its default; None:
    DuckDB's own).
    """
    import json

    from lmcap.report import build

    p = _params("analyze", params)
    con = connect(
        paths,
        strict=strict,
        database=TEMPORARY_DATABASE,
        memory_limit=memory_limit,
        bucket_ns=p.bucket_ns,
        switch_max_frame=p.switch_max_frame,
        progress=progress,
        filter=filter,
        packets="detail",
    )
    try:
        # Through JSON and back: exactly the values `--format json` writes (no Decimal,
        # datetime or tuple that a script comparing with a stored report would trip on).
        return json.loads(json.dumps(build(con, p), default=str))
    finally:
        con.close()


def query(name: str, con, **params: Any):
    """A shipped query (``lmcap queries`` lists them) as a lazy DuckDB relation over a
    connection from :func:`connect`: show it, ``.df()``, ``.arrow()``, or build on it
    (``.filter()``, ``.aggregate()``, SQL over it).

    >>> con = lmcap.connect("captures/throughput/jagged-6600.pcap")  # doctest: +SKIP
    >>> lmcap.query("throughput_flow_stats", con, link_speed_bps=10**10).arrow()  # doctest: +SKIP

    ``params`` are analysis parameters by their :class:`lmcap.diagnostics.Params` names; the
    query gets those its ``-- params:`` line names, each the Params default unless given.
    ``bucket_ns`` and ``switch_max_frame`` default to what the connection's scan was cut by
    (its ``scan_settings``), and a ``bucket_ns`` that is not a multiple of the scan's is
    refused: the ``traffic`` evidence cannot be cut finer after the scan. An unknown query
    name raises :class:`ValueError` (with the closest names), an unknown parameter TypeError.
    """
    import difflib

    from lmcap import queries
    from lmcap.diagnostics import Params

    shipped = queries.all_queries()
    if name not in shipped:
        close = difflib.get_close_matches(name, list(shipped), n=4, cutoff=0.6)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise ValueError(
            f"no shipped query named {name!r}{hint}; lmcap.queries.all_queries() lists them"
        )
    _params("query", params)
    scan = queries.scan_cut(con)
    for key in queries.SCAN_CUT_PARAMS:
        if key in scan:
            params.setdefault(key, scan[key])
    if "bucket_ns" in scan and params["bucket_ns"] % scan["bucket_ns"]:
        raise ValueError(
            f"bucket_ns={params['bucket_ns']} is not a multiple of the bucket the capture was "
            f"scanned with ({scan['bucket_ns']} ns): pass bucket_ns={params['bucket_ns']} to "
            "lmcap.connect() to cut the traffic evidence that finely"
        )
    q = shipped[name]
    values = {k: v for k, v in Params(**params).sql_params().items() if k in q.params}
    return con.sql(q.sql, params=values) if values else con.sql(q.sql)
