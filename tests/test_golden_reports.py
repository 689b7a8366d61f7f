"""Every capture's `lmcap analyze --format json` report equals its golden copy.

The goldens (tests/golden/<corpus>.jsonl.gz, recorded by scripts/golden.py) guard refactors
that must not change what lmcap reports. A difference is printed as the JSON paths that
changed (``path: old -> new``). After a deliberate change: ``python scripts/golden.py
--update``, and the commit message says why the reports changed. Public-corpus captures are
skipped when ../shared/captures/public is absent.

The reports are computed once per session in two worker processes (about 0.5 s per capture,
some 240 captures).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import golden  # noqa: E402

WORKERS = max(1, min(2, os.cpu_count() or 1))


def _cases() -> list:
    out = []
    for corpus in golden.CORPORA:
        stored = golden.load(corpus)
        out += [pytest.param(corpus, rel, id=f"{corpus}/{rel}") for rel in sorted(stored)]
    return out


def _available(corpus: str) -> bool:
    return bool(golden.captures(corpus))


@pytest.fixture(scope="module")
def current(request) -> dict[tuple[str, str], dict]:
    """Reports of the captures whose golden test is selected, computed in parallel."""
    wanted = sorted(
        {
            (item.callspec.params["corpus"], item.callspec.params["rel"])
            for item in request.session.items
            if getattr(item, "originalname", None) == "test_report_equals_golden"
            and _available(item.callspec.params["corpus"])
        }
    )
    # spawn, not fork: the test process may already hold DuckDB threads
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=ctx) as pool:
        futures = {key: pool.submit(golden.report_of, *key) for key in wanted}
        return {key: f.result() for key, f in futures.items()}


@pytest.mark.parametrize(("corpus", "rel"), _cases())
def test_report_equals_golden(corpus: str, rel: str, current) -> None:
    if not _available(corpus):
        pytest.skip(f"{corpus} corpus not found at {golden.CORPORA[corpus]}")
    if not (golden.CORPORA[corpus] / rel).is_file():
        pytest.fail(f"{corpus}/{rel}: the capture is gone. {golden.UPDATE_HINT}")
    text = golden.diff_text(f"{corpus}/{rel}", golden.load(corpus)[rel], current[(corpus, rel)])
    if text:
        pytest.fail(text, pytrace=False)  # the changed paths, not the whole report


@pytest.mark.parametrize("corpus", list(golden.CORPORA))
def test_every_capture_has_a_golden_report(corpus: str) -> None:
    on_disk = set(golden.captures(corpus))
    if not on_disk:
        pytest.skip(f"{corpus} corpus not found at {golden.CORPORA[corpus]}")
    stored = set(golden.load(corpus))
    new, gone = sorted(on_disk - stored), sorted(stored - on_disk)
    assert not new and not gone, (
        f"{corpus}: captures without a golden report: {new}; golden reports of captures that "
        f"are gone: {gone}. {golden.UPDATE_HINT}"
    )
