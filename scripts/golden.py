#!/usr/bin/env python3
"""Golden copies of the `lmcap analyze --format json` report of every capture.

Refactors that must not change what lmcap reports (issues 9 and 10) are checked against these:
tests/test_golden_reports.py recomputes each report and prints the JSON paths that changed.

    python scripts/golden.py --update          # record every corpus again
    python scripts/golden.py --update own      # only captures/
    python scripts/golden.py --check           # compare without pytest, print the differences

Corpora: ``own`` (every ``*.pcap*`` under captures/) and ``public`` (the files of
../shared/captures/public/MANIFEST.tsv; skipped when that folder is absent). Each is stored as
one gzip'd JSON-lines file, tests/golden/<corpus>.jsonl.gz, one line per capture
(``{"capture": path relative to the corpus root, "report": ...}``), sorted by path and written
byte-for-byte reproducibly (gzip mtime 0) so an unchanged report gives an unchanged file.

What is not compared: ``lmcap_version``; absolute paths (written relative to the corpus
root); float noise (floats rounded to 6 significant digits).

After a deliberate change of a report, run ``--update`` and say in the commit message why the
reports changed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
CORPORA = {
    "own": REPO_ROOT / "captures",
    "public": REPO_ROOT.parent / "shared" / "captures" / "public",
}
#: Significant digits floats are compared to: rounding noise (a sum taken in another order by
#: DuckDB's threads) stays below it, a changed figure does not.
FLOAT_DIGITS = 6
#: At most this many changed paths are listed per capture.
MAX_DIFF_LINES = 40
UPDATE_HINT = (
    "If the change is deliberate, record the reports again with "
    "`python scripts/golden.py --update` and say in the commit message why they changed."
)


def golden_path(corpus: str) -> Path:
    return GOLDEN_DIR / f"{corpus}.jsonl.gz"


def captures(corpus: str) -> list[str]:
    """The captures of a corpus, relative to its root, sorted ([] when the corpus is absent)."""
    root = CORPORA[corpus]
    if corpus == "public":
        manifest = root / "MANIFEST.tsv"
        if not manifest.is_file():
            return []
        with manifest.open(encoding="utf-8", newline="") as fh:
            return sorted(row["path"] for row in csv.DictReader(fh, delimiter="\t") if row["path"])
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.pcap*")
        if p.is_file() and not p.name.endswith(".json")
    )


def normalise(value: Any, root: str) -> Any:
    """Floats to FLOAT_DIGITS significant digits, the corpus root taken out of strings."""
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, str):
        return value.replace(root, "")
    if isinstance(value, dict):
        return {k: normalise(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v, root) for v in value]
    return value


def report_of(corpus: str, rel: str) -> dict[str, Any]:
    """The normalised report of one capture, as `lmcap analyze --format json` builds it."""
    import lmcap
    from lmcap import report as rep
    from lmcap.diagnostics import Params

    root = CORPORA[corpus]
    # Errors propagate: a capture lmcap cannot read still gives a report (its capture.files
    # entry says why), so an exception is a bug to see, never a golden answer.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        # as `lmcap analyze` without --bucket: the scan chooses the width of traffic
        con = lmcap.connect(str(root / rel), strict=False, packets="detail", bucket_ns=None)
    try:
        report = rep.build(con, Params())
    finally:
        con.close()
    report.pop("lmcap_version", None)
    # the same round trip as `lmcap analyze --format json` (tuples to lists, str() of others)
    return normalise(json.loads(json.dumps(report, default=str)), str(root) + "/")


def load(corpus: str) -> dict[str, dict[str, Any]]:
    """The stored goldens of a corpus: capture -> report ({} when none are stored)."""
    path = golden_path(corpus)
    if not path.is_file():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = (json.loads(line) for line in fh if line.strip())
        return {r["capture"]: r["report"] for r in rows}


def save(corpus: str, reports: dict[str, dict[str, Any]]) -> Path:
    path = golden_path(corpus)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(
        json.dumps({"capture": rel, "report": reports[rel]}, separators=(",", ":")) + "\n"
        for rel in sorted(reports)
    )
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())
    return path


def _short(value: Any, width: int = 80) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 3] + "..."


def diff(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """``path: old -> new`` for every leaf that differs (keys and list items walked)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                yield f"{sub}: {_short(old[key])} -> (absent)"
            elif key not in old:
                yield f"{sub}: (absent) -> {_short(new[key])}"
            else:
                yield from diff(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            yield f"{path}: {len(old)} items -> {len(new)} items"
        for i, (a, b) in enumerate(zip(old, new)):
            yield from diff(a, b, f"{path}[{i}]")
    elif old != new or type(old) is not type(new):
        yield f"{path or '(report)'}: {_short(old)} -> {_short(new)}"


def diff_text(capture: str, old: Any, new: Any) -> str | None:
    """A readable list of the changed paths of one capture's report, or None when equal."""
    lines = list(diff(old, new))
    if not lines:
        return None
    shown = lines[:MAX_DIFF_LINES]
    more = len(lines) - len(shown)
    return "\n".join(
        [f"{capture}: {len(lines)} changed path(s) in the report"]
        + [f"  {line}" for line in shown]
        + ([f"  ... and {more} more"] if more else [])
        + [UPDATE_HINT]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true", help="record the golden reports again")
    mode.add_argument("--check", action="store_true", help="compare and print differences")
    ap.add_argument("corpora", nargs="*", help=f"some of {', '.join(CORPORA)} (default: all)")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.corpora) - set(CORPORA))
    if unknown:
        ap.error(f"unknown corpus {', '.join(unknown)}: choose from {', '.join(CORPORA)}")
    failed = 0
    for corpus in args.corpora or list(CORPORA):
        names = captures(corpus)
        if not names:
            print(f"{corpus}: no captures at {CORPORA[corpus]}, skipped")
            continue
        t0 = time.perf_counter()
        reports, slow = {}, []
        for rel in names:
            t = time.perf_counter()
            reports[rel] = report_of(corpus, rel)
            slow.append((time.perf_counter() - t, rel))
        took = time.perf_counter() - t0
        slowest = ", ".join(f"{rel} {s:.1f}s" for s, rel in sorted(slow, reverse=True)[:3])
        if args.update:
            path = save(corpus, reports)
            print(
                f"{corpus}: {len(reports)} reports in {took:.1f}s -> "
                f"{path.relative_to(REPO_ROOT)} ({path.stat().st_size} bytes); slowest: {slowest}"
            )
            continue
        golden = load(corpus)
        for rel in sorted(set(golden) | set(reports)):
            if rel not in golden:
                text = f"{rel}: no golden report (a new capture?). {UPDATE_HINT}"
            elif rel not in reports:
                text = f"{rel}: golden report of a capture that is gone. {UPDATE_HINT}"
            else:
                text = diff_text(rel, golden[rel], reports[rel])
            if text:
                failed += 1
                print(text)
        print(f"{corpus}: {len(reports)} reports compared in {took:.1f}s; slowest: {slowest}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
