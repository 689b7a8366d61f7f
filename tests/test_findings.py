"""The findings layer: ids are a closed, documented catalogue; long lists fold."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmcap.findings import FINDING_IDS, MAX_PER_ID, finding, fold

ROOT = Path(__file__).resolve().parents[1]


def test_unknown_ids_and_severities_are_refused() -> None:
    with pytest.raises(ValueError):
        finding("not-a-finding", "info", "s", {}, "a")
    with pytest.raises(ValueError):
        finding("arp-storm", "fatal", "s", {}, "a")


def test_every_finding_id_is_documented() -> None:
    doc = (ROOT / "docs" / "findings.md").read_text()
    missing = [fid for fid in FINDING_IDS if f"### `{fid}`" not in doc]
    assert missing == []


def test_fold_keeps_the_worst_first_and_counts_the_rest() -> None:
    many = [finding("ip-fragmentation", "info", f"flow {i}", {}, "advice") for i in range(30)]
    many.append(finding("ip-fragmentation", "warning", "the bad one", {}, "advice"))
    many.append(finding("arp-storm", "error", "storm", {}, "advice"))
    out = fold(many)
    frag = [f for f in out if f["id"] == "ip-fragmentation"]
    assert len(frag) == MAX_PER_ID + 1
    assert frag[0]["summary"] == "the bad one"  # warnings before infos
    folded = [f for f in frag if f["evidence"].get("more")]
    assert len(folded) == 1 and folded[0]["evidence"]["more"] == 31 - MAX_PER_ID
    assert out[0]["id"] == "arp-storm"  # errors first
