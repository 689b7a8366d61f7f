"""Shared pytest fixtures and helpers for the lmcap test suite.

Kept generic so other test modules can build on them:

- paths: ``REPO_ROOT``, ``CAPTURES_DIR`` (the project's own captures), ``PUBLIC_CORPUS``
  (``../shared/captures/public`` next to the repository; may be absent);
- capture lists: :func:`own_captures`, :func:`public_manifest`, plus :func:`load_expect`
  and :func:`load_public_oracle` for the sidecar JSON files;
- tshark: :data:`TSHARK` (None when not installed), the ``requires_tshark`` marker and
  the session-scoped ``tshark`` fixture, which runs ``tshark -T fields`` once per
  (file, fields, options) in a small thread pool and caches the result;
- lmcap reading: :func:`read_tables_lenient` (strict=False, warnings captured);
- the report: :func:`analyze` (``lmcap.report.build`` of one capture, cached, thresholds as
  keyword arguments; skips when the capture is absent).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import subprocess
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CAPTURES_DIR = REPO_ROOT / "captures"
PUBLIC_CORPUS = REPO_ROOT.parent / "shared" / "captures" / "public"
TSHARK = shutil.which("tshark")

requires_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
requires_public_corpus = pytest.mark.skipif(
    not (PUBLIC_CORPUS / "MANIFEST.tsv").is_file(),
    reason=f"public capture corpus not found at {PUBLIC_CORPUS}",
)

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".pcap.gz", ".pcap.zst", ".pcapng.gz", ".pcapng.zst")


# --------------------------------------------------------------------------------------------
# capture lists and sidecar files


def own_captures() -> list[Path]:
    """Every capture under captures/ (``*.pcap*``), sorted; ``*.expect.json`` excluded."""
    if not CAPTURES_DIR.is_dir():
        return []
    return sorted(
        p
        for p in CAPTURES_DIR.rglob("*.pcap*")
        if p.is_file() and not p.name.endswith(".expect.json")
    )


def rel_capture(path: Path) -> str:
    """Path relative to captures/ with forward slashes (stable test ids)."""
    return path.relative_to(CAPTURES_DIR).as_posix()


def load_expect(path: Path) -> dict | None:
    """The generator's ``<file>.expect.json`` next to a capture, or None (real traffic)."""
    side = path.with_name(path.name + ".expect.json")
    if not side.is_file():
        return None
    return json.loads(side.read_text(encoding="utf-8"))


def public_manifest() -> list[dict]:
    """Rows of the public corpus MANIFEST.tsv ([] when the corpus is absent)."""
    man = PUBLIC_CORPUS / "MANIFEST.tsv"
    if not man.is_file():
        return []
    with man.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh, delimiter="\t") if row.get("path")]


def load_public_oracle(rel: str) -> dict:
    """The stored tshark summary ``oracle/<rel>.json`` of a public corpus file."""
    return json.loads((PUBLIC_CORPUS / "oracle" / (rel + ".json")).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# lmcap


def read_tables_lenient(path: Path | str) -> tuple[dict, list[str]]:
    """``lmcap.read_tables(path, strict=False)`` with its CaptureWarnings captured.

    Returns (tables, warning messages)."""
    import lmcap

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", lmcap.CaptureWarning)
        tables = lmcap.read_tables(str(path), strict=False)
    msgs = [str(w.message) for w in caught if issubclass(w.category, lmcap.CaptureWarning)]
    return tables, msgs


def analyze(capture: Path | str, *, strict: bool = True, **params) -> dict:
    """The report of one capture as ``lmcap analyze --format json`` builds it
    (``lmcap.report.build``), cached per capture, strictness and thresholds.

    ``capture`` is a path, or a path relative to captures/; ``params`` set fields of
    :class:`lmcap.diagnostics.Params` (``analyze("mtu/blackhole.pcap", blackhole_min_sends=5)``).
    Skips the test when the capture is absent (e.g. a public-corpus file). The report is shared
    between callers: do not change it."""
    path = Path(capture)
    if not path.is_absolute() and not path.exists():
        path = CAPTURES_DIR / path
    if not path.is_file():
        pytest.skip(f"capture {path} not present")
    return _analyze(str(path), strict, tuple(sorted(params.items())))


@functools.cache
def _analyze(path: str, strict: bool, params: tuple) -> dict:
    import lmcap
    from lmcap.diagnostics import Params
    from lmcap.report import build

    # the way `lmcap analyze` loads a capture: the detail frames, not all of packets, the
    # traffic evidence cut as the bucket asks (None: as finely as the scan can hold)
    p = Params(**dict(params))
    con = lmcap.connect(
        path,
        strict=strict,
        packets="detail",
        bucket_ns=p.bucket_ns,
        switch_max_frame=p.switch_max_frame,
    )
    return build(con, p)


# --------------------------------------------------------------------------------------------
# tshark


@dataclass
class TsharkResult:
    """Output of one ``tshark -T fields`` run: one dict per frame (field -> str, '' = absent)."""

    rows: list[dict]
    returncode: int
    stderr: str
    fields: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors

    @property
    def errors(self) -> list[str]:
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip()
            and "could be dangerous" not in line
            and "WARNING" not in line
            and "Dissector bug" not in line
        ]


class TsharkRunner:
    """Runs ``tshark -n -r FILE -T fields`` in a thread pool and caches the results.

    ``prefetch`` queues many runs at once so tshark start-up (which dominates) overlaps;
    ``fields`` waits for (or starts) one run. Keys are (path, fields, options).
    """

    def __init__(self, exe: str, workers: int | None = None, timeout: float = 120.0) -> None:
        self.exe = exe
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers or max(2, (os.cpu_count() or 2) + 1))
        self._jobs: dict[tuple, Future] = {}
        self._lock = Lock()

    def _run(self, path: str, fields: tuple[str, ...], options: tuple[str, ...]) -> TsharkResult:
        cmd = [
            self.exe,
            "-n",
            "-r",
            path,
            *options,
            "-T",
            "fields",
            "-E",
            "header=n",
            "-E",
            "separator=/t",
            "-E",
            "quote=n",
        ]
        for f in fields:
            cmd += ["-e", f]
        env = dict(os.environ, LC_ALL="C")
        p = subprocess.run(cmd, capture_output=True, timeout=self.timeout, env=env)
        rows = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            cols = line.split("\t")
            if len(cols) != len(fields):
                raise AssertionError(
                    f"tshark printed {len(cols)} columns for {len(fields)} fields: {line!r}"
                )
            rows.append(dict(zip(fields, cols)))
        return TsharkResult(rows, p.returncode, p.stderr.decode("utf-8", "replace"), fields)

    def submit(self, path, fields, options=()) -> Future:
        key = (str(path), tuple(fields), tuple(options))
        with self._lock:
            fut = self._jobs.get(key)
            if fut is None:
                fut = self._pool.submit(self._run, *key)
                self._jobs[key] = fut
        return fut

    def prefetch(self, paths, fields, options=()) -> None:
        for p in paths:
            self.submit(p, fields, options)

    def fields(self, path, fields, options=()) -> TsharkResult:
        return self.submit(path, fields, options).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def tshark():
    """Session-wide :class:`TsharkRunner`; skips the test when tshark is not installed."""
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    runner = TsharkRunner(TSHARK)
    yield runner
    runner.close()


# --------------------------------------------------------------------------------------------
# small value helpers shared by differential tests


def to_int(value: str | None):
    """tshark field text -> int (decimal or 0x hex); '' / None -> None."""
    if value is None or value == "":
        return None
    try:
        return int(value, 0)
    except ValueError:
        return int(value)


def format_mismatches(title: str, mismatches: list, limit: int = 20) -> str:
    head = [f"{title}: {len(mismatches)} mismatch(es)"]
    head += [f"  {m}" for m in mismatches[:limit]]
    if len(mismatches) > limit:
        head.append(f"  ... and {len(mismatches) - limit} more")
    return "\n".join(head)
