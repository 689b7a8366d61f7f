"""The built wheel (scripts/setup.sh leaves it in dist/): one abi3 wheel for CPython 3.9+,
carrying the native module, the type stubs, py.typed and every shipped SQL file inside the
``lmcap`` package."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEELS = sorted((ROOT / "dist").glob("lmcap-*.whl"))

pytestmark = pytest.mark.skipif(not WHEELS, reason="no wheel in dist/ (run scripts/setup.sh)")


def test_one_abi3_wheel_for_cpython_39_and_later() -> None:
    assert len(WHEELS) == 1, WHEELS
    assert "-cp39-abi3-" in WHEELS[0].name


def test_wheel_carries_module_stubs_and_queries() -> None:
    names = set(zipfile.ZipFile(WHEELS[0]).namelist())
    assert any(n.startswith("lmcap/_core.") and n.endswith(".so") for n in names), names
    for required in (
        "lmcap/_core.pyi",
        "lmcap/py.typed",
        "lmcap/__init__.py",
        "lmcap/cli.py",
        "lmcap/report.schema.json",  # `lmcap schema --report` reads it from the package
    ):
        assert required in names
    # every SQL file, the subfolders' (spec/, spark/) too, at the same place
    shipped = {n.removeprefix("lmcap/queries/") for n in names if n.startswith("lmcap/queries/")}
    sql_dir = ROOT / "python" / "lmcap" / "queries"
    in_repo = {p.relative_to(sql_dir).as_posix() for p in sql_dir.rglob("*.sql")}
    assert shipped == in_repo
    assert not any(n.startswith("queries/") for n in names), "SQL must live inside lmcap/"
