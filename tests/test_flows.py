"""The `flows` table the scan builds (rust/lmcap-core/src/flows.rs) against its specification,
python/lmcap/queries/flows.sql run over `packets`: same columns, types and rows, in the same
order, on every capture of captures/ and of the public corpus (when present)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, PUBLIC_CORPUS, own_captures, public_manifest

import lmcap
from lmcap import queries

# A few captures whose flows are not all trivial, to be sure the comparison has rows to compare.
MUST_HAVE_FLOWS = ["throughput/jagged-6600.pcap", "jumbo/iperf-9000.pcap"]


def _cases() -> list:
    out = [pytest.param(p, id=p.relative_to(CAPTURES_DIR).as_posix()) for p in own_captures()]
    out += [
        pytest.param(PUBLIC_CORPUS / row["path"], id="public/" + row["path"])
        for row in public_manifest()
    ]
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b and type(a) is type(b)


def compare_with_spec(path: Path) -> int:
    """Assert the scanned `flows` equals flows.sql on the same capture; the number of rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        con = lmcap.connect(str(path), strict=False, derived=())
    spec = queries.get("flows").sql.strip().rstrip(";")
    want = con.execute(spec)
    want_cols = [(d[0], str(d[1])) for d in want.description]
    want_rows = want.fetchall()
    got = con.execute("SELECT * FROM flows")
    got_cols = [(d[0], str(d[1])) for d in got.description]
    got_rows = got.fetchall()
    assert got_cols == want_cols
    assert len(got_rows) == len(want_rows)
    names = [c for c, _ in want_cols]
    diffs = [
        f"flow_id {w[0]} {name}: scan {g[i]!r}, flows.sql {w[i]!r}"
        for g, w in zip(got_rows, want_rows)
        for i, name in enumerate(names)
        if not _same(g[i], w[i])
    ]
    assert not diffs, f"{len(diffs)} difference(s), first: " + "; ".join(diffs[:10])
    return len(want_rows)


@pytest.mark.parametrize("path", _cases())
def test_flows_equal_their_specification(path: Path) -> None:
    compare_with_spec(path)


@pytest.mark.parametrize("rel", MUST_HAVE_FLOWS)
def test_flows_comparison_has_rows(rel: str) -> None:
    assert compare_with_spec(CAPTURES_DIR / rel) > 0
