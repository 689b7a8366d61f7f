"""The findings layer: ids are a closed, documented catalogue; long lists fold."""

from __future__ import annotations

import dataclasses
import re

import pytest
from conftest import REPO_ROOT

from lmcap.diagnostics import Params
from lmcap.findings import FINDING_IDS, REGISTRY, finding, fold

FINDINGS_DOC = REPO_ROOT / "docs" / "findings.md"


def test_unknown_ids_and_severities_are_refused() -> None:
    with pytest.raises(ValueError):
        finding("not-a-finding", "info", "s", {}, "a")
    with pytest.raises(ValueError):
        finding("arp-storm", "fatal", "s", {}, "a")
    # a severity the registry does not give the id
    with pytest.raises(ValueError, match="duplicate-ip cannot be 'info'"):
        finding("duplicate-ip", "info", "s", {}, "a")


def doc_entries() -> dict[str, tuple[str, str]]:
    """docs/findings.md by id: (the heading's severity text, the entry's text together with
    the introduction of its chapter)."""
    text = FINDINGS_DOC.read_text(encoding="utf-8")
    entries: dict[str, tuple[str, str]] = {}
    for chapter in re.split(r"^## ", text, flags=re.M)[1:]:
        intro, *parts = re.split(r"^### ", chapter, flags=re.M)
        for part in parts:
            heading, _, body = part.partition("\n")
            m = re.fullmatch(r"`([a-z0-9-]+)` — (.+)", heading.strip())
            assert m, f"docs/findings.md: heading '### {heading}' is not '### `id` — severity'"
            entries[m.group(1)] = (m.group(2), intro + body)
    return entries


def test_registry_and_docs_agree() -> None:
    """Each registered finding has an entry headed '### `id` — <its severity rule>' naming
    every Params threshold it uses, and the page documents no other id."""
    entries = doc_entries()
    problems = []
    for kind in REGISTRY.values():
        want = f"### `{kind.id}` — {kind.severity}"
        if kind.id not in entries:
            problems.append(f"add an entry to docs/findings.md headed: {want}")
            continue
        severity, text = entries[kind.id]
        if severity != kind.severity:
            problems.append(f"docs/findings.md: make the heading of {kind.id} read: {want}")
        for name in kind.params:
            if f"Params.{name}" not in text:
                problems.append(
                    f"docs/findings.md: {kind.id} uses `Params.{name}`; name it in its entry"
                )
    for fid in entries.keys() - REGISTRY.keys():
        problems.append(
            f"docs/findings.md documents `{fid}`, which lmcap.findings.REGISTRY does not have"
        )
    assert not problems, "\n".join(problems)


def test_registry_params_are_params_fields() -> None:
    fields = {f.name for f in dataclasses.fields(Params)}
    unknown = {k.id: sorted(set(k.params) - fields) for k in REGISTRY.values()}
    assert {k: v for k, v in unknown.items() if v} == {}


def test_registry_names_the_diagnostic_that_emits_each_id() -> None:
    diagnostics = REPO_ROOT / "python" / "lmcap" / "diagnostics"
    for kind in REGISTRY.values():
        source = (diagnostics / f"{kind.diagnostic}.py").read_text(encoding="utf-8")
        assert f'"{kind.id}"' in source, f"{kind.id} is not emitted by {kind.diagnostic}.py"
    assert list(FINDING_IDS) == list(REGISTRY)


def test_fold_keeps_the_worst_first_and_counts_the_rest() -> None:
    many = [finding("ip-fragmentation", "info", f"flow {i}", {}, "advice") for i in range(30)]
    many.append(finding("ip-fragmentation", "warning", "the bad one", {}, "advice"))
    many.append(finding("arp-storm", "error", "storm", {}, "advice"))
    per_id = Params().findings_per_id
    out = fold(many, per_id, max_summaries=5)
    frag = [f for f in out if f["id"] == "ip-fragmentation"]
    assert len(frag) == per_id + 1
    assert frag[0]["summary"] == "the bad one"  # warnings before infos
    folded = [f for f in frag if f["evidence"].get("more")]
    assert len(folded) == 1 and folded[0]["evidence"]["more"] == 31 - per_id
    assert len(folded[0]["evidence"]["summaries"]) == 5
    assert out[0]["id"] == "arp-storm"  # errors first
