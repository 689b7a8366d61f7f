"""The Python package is layered in one direction: no module of ``lmcap`` imports, directly or
through others, a module that imports it back. The Rust core likewise: no module uses one of
a layer above it (the second half of this file).

Every ``import`` in the package counts, the ones inside functions too (a function-level import
hides a cycle from Python's import machinery, not from the reader). The layers, bottom up, are
described in docs/architecture.md; this test only checks what makes them layers: the import
graph has no cycle.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import lmcap

PACKAGE_DIR = Path(lmcap.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The ``lmcap`` modules ``path`` imports, anywhere in the file (``from lmcap import x``
    counts as importing ``lmcap.x`` when that is a module, else ``lmcap``)."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                # ``from lmcap import queries`` imports the module lmcap.queries;
                # ``from lmcap import __version__`` imports the package lmcap itself.
                child = f"{base}.{alias.name}"
                found.add(child if child in modules else base)
    # A dotted import also runs every package on the way (lmcap.diagnostics.arp runs
    # lmcap/diagnostics/__init__.py), but a package's __init__ importing its own child is
    # layering inside the package, so only the module named is an edge.
    return {m for m in found if m in modules and m != this}


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    # the compiled extension (_core.*.so, described by _core.pyi) is a module too: a leaf
    extensions = {p.name.split(".")[0] for p in PACKAGE_DIR.glob("*.pyi")}
    modules = {module_name(f) for f in files} | {f"lmcap.{name}" for name in extensions}
    return {module_name(f): imported_modules(f, modules) for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_function_level_imports() -> None:
    # The orchestrator imports the diagnostics inside build(); if the parser missed
    # function-level imports this edge (and every cycle through one) would be invisible.
    assert "lmcap.diagnostics" in import_graph()["lmcap.report"]


def test_find_cycle_reports_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_lmcap() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, (
        "import cycle inside lmcap: " + " -> ".join(cycle) + ". A lower layer imports a higher "
        "one; move what both need down (formatting helpers to lmcap/fmt.py, thresholds to "
        "lmcap.diagnostics.Params, finding ids to lmcap/findings.py); see docs/architecture.md."
    )


# --- the Rust core -------------------------------------------------------------------------

CORE_SRC = Path(__file__).resolve().parent.parent / "rust" / "lmcap-core" / "src"

# The core's top-level modules, bottom up (docs/architecture.md). A module may use its own
# top-level module and those of lower layers; same-layer uses are allowed (the flow map reads
# the TCP evidence, the stream stage takes the flow map's idle timeout).
RUST_LAYERS: dict[str, int] = {
    "error": 0,
    "frame": 0,
    "wire": 0,
    "capture": 1,
    "decode": 1,
    "filter": 2,
    "stream": 2,
    "evidence": 2,
    "flows": 2,
    "tables": 3,
    "scan": 4,
    "lib": 5,
}
# The evidence builders emit Arrow tables of their own: they may read the schema declaration
# and the column helpers, never a table builder.
RUST_ALLOWED_UP = {
    ("evidence", "tables::schema"),
    ("evidence", "tables::text"),
    ("evidence", "tables::columns"),
    ("flows", "tables::schema"),
    ("flows", "tables::text"),
    ("flows", "tables::columns"),
}

_CRATE_PATH = re.compile(r"\bcrate::(\{[^}]*\}|[a-z_]+(?:::[a-z_]+)?)")


def rust_uses(text: str) -> set[str]:
    """The ``crate::`` paths a Rust file names (up to two segments: ``tables::schema``),
    comments left out; ``crate::{a, b::c}`` counts as each of its parts."""
    code = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    found: set[str] = set()
    for match in _CRATE_PATH.findall(code):
        parts = match.strip("{}").split(",") if match.startswith("{") else [match]
        for part in parts:
            segments = [s for s in part.strip().split("::") if s and s[0].islower()]
            if segments:
                found.add("::".join(segments[:2]))
    return found


def rust_layer_violations() -> list[str]:
    bad = []
    for path in sorted(CORE_SRC.rglob("*.rs")):
        top = path.relative_to(CORE_SRC).parts[0].removesuffix(".rs")
        assert top in RUST_LAYERS, f"{path}: a top-level module with no layer; add it above"
        for used in sorted(rust_uses(path.read_text(encoding="utf-8"))):
            target = used.split("::")[0]
            if target == top or (top, used) in RUST_ALLOWED_UP:
                continue
            if RUST_LAYERS.get(target, 99) > RUST_LAYERS[top]:
                bad.append(f"{path.relative_to(CORE_SRC)} uses crate::{used}")
    return bad


def test_rust_uses_reads_paths_and_groups() -> None:
    text = "use crate::wire::tcp; // crate::scan\nuse crate::{frame::At, tables::smb};\n"
    assert rust_uses(text) == {"wire::tcp", "frame", "tables::smb"}


def test_rust_core_depends_one_way() -> None:
    # wire/ uses nothing above it, stream/ builds no rows (tables/ reads its events), and
    # so on up: docs/architecture.md draws the layers this checks.
    bad = rust_layer_violations()
    assert not bad, "the core's layers loop back:\n" + "\n".join(bad)


def test_the_rust_check_sees_a_violation(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "src"
    (fake / "wire").mkdir(parents=True)
    (fake / "wire" / "x.rs").write_text("use crate::decode::StopReason;\n")
    monkeypatch.setattr(sys.modules[__name__], "CORE_SRC", fake)
    assert rust_layer_violations() == ["wire/x.rs uses crate::decode"]
