"""DuckDB's memory caps and where its tables live: the default of the commands that analyse,
the share it gets while a scan loads it, the temporary database they use, and reading the
sizes DuckDB writes. Kept apart from :mod:`lmcap.api` so the
command line can name its defaults without importing pyarrow."""

from __future__ import annotations

import re

#: DuckDB's memory cap of ``lmcap analyze``, ``lmcap check`` and :func:`lmcap.analyze`
#: (``--memory-limit``): they load the evidence and the detail frames, not every frame, into a
#: temporary database file. 384MB keeps the 8 GiB bench capture and a 10 M-flow SYN flood under
#: 1 GiB (docs/performance.md); a diagnostic that overruns it runs again on one thread
#: (:func:`lmcap.report.run_diagnostic`), and past that a query that cannot spill ends with
#: exit 5 and the advice to raise it.
ANALYZE_MEMORY_LIMIT = "384MB"

#: DuckDB's memory while a ``packets="detail"`` scan loads it (at most the caller's limit):
#: the tables are only appended to then, and spill to disk past it. 64 MB rather than 128 MB:
#: 60 MB less at the peak of a SYN flood's load, for about a tenth more time loading the 1 GiB
#: bench capture (docs/performance.md).
LOAD_MEMORY_LIMIT_BYTES = 64 << 20


#: ``connect(database=TEMPORARY_DATABASE)``: a DuckDB file in a fresh temporary folder, removed
#: with the connection (``lmcap analyze`` and ``lmcap check`` use one).
TEMPORARY_DATABASE = "temporary"

_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def size_bytes(text: str) -> int | None:
    """Bytes of a memory size as DuckDB writes or reads it ("488.2 MiB", "512MB"); None if
    it is not one."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text, re.IGNORECASE)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
