"""examples/analysis.ipynb runs headless from top to bottom (nbclient), as a new user would
run it in Jupyter: any error in a cell fails the test. Its plots and the report's HTML must
be there. Skipped when the notebook tooling is not installed (pip install 'lmcap[notebook]')."""

from __future__ import annotations

from html import escape

import pytest
from conftest import REPO_ROOT

import lmcap
from lmcap.textreport import verdict

nbformat = pytest.importorskip("nbformat", reason="pip install nbformat")
nbclient = pytest.importorskip("nbclient", reason="pip install nbclient")
pytest.importorskip("ipykernel", reason="pip install ipykernel")
pytest.importorskip("matplotlib", reason="pip install matplotlib")

NOTEBOOK = REPO_ROOT / "examples" / "analysis.ipynb"


def outputs_of(nb, kind: str) -> list:
    return [
        out["data"][kind]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if kind in out.get("data", {})
    ]


def test_notebook_runs_without_error():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # Jupyter runs it from there
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    # both plots were drawn, and the report shown as HTML, with its verdict
    assert len(outputs_of(nb, "image/png")) == 2
    html = [h for h in outputs_of(nb, "text/html") if "lmcap-report" in h]
    assert len(html) == 1
    report = lmcap.analyze(
        REPO_ROOT / "captures/throughput/jagged-6600.pcap", bucket_ns=100_000_000
    )
    assert escape(verdict(report)) in html[0]
    for f in report["findings"]:
        assert f"<code>{escape(f['id'])}</code>" in html[0]
    # the three shipped queries ran by name
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert sources.count("lmcap.query(") >= 3


def test_notebook_is_stored_without_outputs():
    """Outputs are made by running it: a stored output could be stale or leak a path."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
