"""Type stubs for the native module ``lmcap._core`` (rust/lmcap-py).

Use the Python API in ``lmcap`` (``scan``, ``read``, ``read_tables``, ``connect``); this
module is its engine: Arrow data crosses through the Arrow PyCapsule interface, one capsule
per batch or stream, never per packet.
"""

from collections.abc import Sequence
from os import PathLike
from typing import Any, final

__all__ = [
    "ArrowBatch",
    "ArrowSchema",
    "ScanPanic",
    "Scanner",
    "__version__",
    "evidence_limits",
    "schema_markdown",
    "table_names",
    "table_schema",
]
__version__: str

@final
class ArrowBatch:
    """One Arrow record batch; ``pyarrow.record_batch(obj)`` imports it without copying."""

    @property
    def num_rows(self) -> int: ...
    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[Any, Any]: ...
    def __arrow_c_schema__(self) -> Any: ...

@final
class ArrowSchema:
    """An Arrow schema; ``pyarrow.schema(obj)`` imports it."""

    def __arrow_c_schema__(self) -> Any: ...

class ScanPanic(RuntimeError):
    """The scanner stopped on a bug of lmcap (a Rust panic); names the files and how far each
    was read."""

@final
class Scanner:
    """Reads capture files (merged in time order) and decodes them batch by batch.

    >>> s = Scanner(["trace.pcap"])  # doctest: +SKIP
    >>> pyarrow.RecordBatchReader.from_stream(s).read_all().num_rows  # doctest: +SKIP
    """

    def __new__(
        cls,
        paths: Sequence[str | PathLike[str]],
        batch_rows: int = 65536,
        bucket_ns: int | None = 1_000_000_000,
        switch_max_frame: int = 9216,
        *,
        since_ns: int | None = None,
        until_ns: int | None = None,
        since_offset_ns: int | None = None,
        until_offset_ns: int | None = None,
        vlans: Sequence[int] = ...,
        hosts: Sequence[str] = ...,
        packets_only: bool = False,
        detail_only: bool = False,
        columns: Sequence[str] | None = None,
        _test_panic_at_chunk: int | None = None,
    ) -> Scanner: ...
    def filtered_frames(self) -> int:
        """Frames read but dropped by the filter so far."""
    def out_of_order(self) -> tuple[int, int | None]:
        """Frames stamped earlier than the frame before them in their file, and the first."""
    def missing_timestamps(self) -> tuple[int, int | None]:
        """Frames without a timestamp so far, and the first of them."""
    def decode_status_counts(self) -> list[tuple[str, int]]:
        """Frames per decode status so far (``ok`` included)."""
    def traffic_cap_flushes(self) -> int:
        """Times the ``traffic`` evidence wrote its open rows out early (bounded memory)."""
    def traffic_bucket_ns(self) -> int:
        """The bucket width of ``traffic``: ``bucket_ns``, or the one the scan chose with
        ``bucket_ns=None`` (1 ms, 10 ms, 100 ms or 1 s; final once the scan has ended)."""
    def evidence_bounds(self) -> dict[str, int]:
        """What the bounds of the evidence tables dropped, by ``scan_settings`` column."""
    def next_batch(self) -> ArrowBatch | None:
        """The next ``packets`` batch, or None at the end (event batches are queued); raises
        :class:`ScanPanic` on a bug of the scan, and again on every later call."""
    def take_events(self) -> list[tuple[str, ArrowBatch]]:
        """Event-table batches produced so far as (table name, batch); empties the queue."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> Any:
        """The ``packets`` table as an Arrow C stream."""
    def files(self) -> ArrowBatch:
        """The ``capture_files`` table."""
    def errors(self) -> list[dict[str, Any]]:
        """File-level errors: dicts with ``path``, ``offset``, ``kind`` and ``message``."""

def table_schema(name: str) -> ArrowSchema:
    """Schema of a table by name (see ``table_names()``)."""

def table_names() -> list[str]:
    """Every table lmcap produces, in documentation order."""

def schema_markdown() -> str:
    """docs/schema.md, generated from the Rust schema declaration."""

def evidence_limits() -> dict[str, int]:
    """The bounds of the state the scan keeps across frames, by name."""
