"""``lmcap check``: rules a capture must satisfy, for CI pipelines (docs/check.md).

A rules file (TOML) holds ``[[rule]]`` tables of three kinds:

- ``findings``: forbid or require finding ids, or cap their severity, optionally only the
  findings whose evidence matches ``where`` (a VLAN, a host...);
- ``figure``: a figure of the report (a path into the ``analyze --format json`` dict, e.g.
  ``throughput.flows[class=live-migration-tcp].rate.mean_bps``) compared with a bound;
- ``sql``: a query over the tables that must return no rows (as a dbt test), or whose value
  is compared with a bound.

Each capture is scanned once: the report and the SQL rules use the same connection.
``--baseline report.json`` also compares the figures with a stored report within a tolerance
and fails on finding ids the baseline did not have.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

from lmcap.exitcodes import EXIT_CAPTURE_ERROR, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from lmcap.findings import FINDING_IDS, SEVERITIES
from lmcap.fmt import plural
from lmcap.inputs import UnreadableInput, UserError, check_inputs, unreadable_after_scan
from lmcap.memory import ANALYZE_MEMORY_LIMIT, TEMPORARY_DATABASE

#: A figure may drift this far from the baseline's (relative) unless the rule says otherwise.
DEFAULT_TOLERANCE = "10%"
#: Evidence lines (findings, rows, values) shown per failure.
EVIDENCE_LINES = 5

RULE_KINDS = ("findings", "figure", "sql")
OVER_MODES = ("all", "any", "sum", "count")
COMMON_KEYS = ("name", "description", "kind")
BOUND_KEYS = ("min", "max", "equals")
KIND_KEYS = {
    "findings": ("forbid", "require", "max_severity", "where"),
    "figure": ("path", *BOUND_KEYS, "over", "allow_empty", "tolerance"),
    "sql": ("sql", "query", *BOUND_KEYS, "over", "allow_empty"),
}
SEVERITY_RANK = {s: rank for rank, s in enumerate(reversed(SEVERITIES))}  # info 0 .. error 2


class CheckError(UserError):
    """Nothing could be checked: a bad rules file, an unreadable capture or baseline, bad SQL
    in a rule. The CLI prints each line of the message as ``lmcap: error: LINE``, exit 2."""


# --------------------------------------------------------------------------------------------
# quantities: "5G", "10Mbit/s", "0.1%", 42

_QUANTITY = re.compile(
    r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([kmgt]?)\s*(bit/s|bps|%)?\s*$",
    re.IGNORECASE,
)
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_quantity(value: Any) -> float | None:
    """A bound as a number: ``5G`` -> 5e9, ``10Mbit/s`` -> 1e7, ``0.1%`` -> 0.001; numbers as
    they are. None when ``value`` is not a quantity (a string such as ``"ok"``, a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY.match(value)
    if not m:
        return None
    number, prefix, unit = m.groups()
    if unit == "%":
        if prefix:
            return None
        return float(number) / 100
    return float(number) * _SCALE[prefix.lower()]


def format_number(value: Any) -> str:
    """A measured value for people: integers in full, floats to 6 significant digits, large
    numbers with their SI form (``60526382 (60.53M)``)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        return json.dumps(value, default=str)
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{text} ({value / scale:.4g}{prefix})"
    return text


# --------------------------------------------------------------------------------------------
# paths into the report: a.b[*].c, a[2], a[key=value], a[key>=number]

_STEP = re.compile(r"\.?([A-Za-z0-9_-]+)|\[([^\]]*)\]")
_CONDITION = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Step:
    key: str | None = None  # a dict key
    index: int | None = None  # [N]
    every: bool = False  # [*]
    conditions: tuple[tuple[str, str, str], ...] = ()  # [k=v,k2>=v2]

    def text(self) -> str:
        if self.key is not None:
            return f".{self.key}"
        if self.every:
            return "[*]"
        if self.index is not None:
            return f"[{self.index}]"
        return "[" + ",".join(f"{k}{op}{v}" for k, op, v in self.conditions) + "]"


def parse_path(text: str) -> list[Step]:
    """Steps of a report path; ValueError says what is wrong."""
    steps: list[Step] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m or (pos == 0 and text[0] == "."):
            raise ValueError(f"cannot read the path at character {pos + 1}: {text[pos:]!r}")
        key, selector = m.groups()
        if key is not None:
            if pos > 0 and text[pos] != ".":
                raise ValueError(f"expected '.' or '[' at character {pos + 1} of {text!r}")
            steps.append(Step(key=key))
        elif selector.strip() == "*":
            steps.append(Step(every=True))
        elif re.fullmatch(r"\s*-?\d+\s*", selector):
            steps.append(Step(index=int(selector)))
        else:
            conditions = []
            for part in selector.split(","):
                c = _CONDITION.match(part)
                if not c:
                    raise ValueError(
                        f"not a selector: [{selector}] (use [*], [N], [key=value] or [key>=number])"
                    )
                conditions.append(c.groups())
            steps.append(Step(conditions=tuple(conditions)))
        pos = m.end()
    if not steps or steps[0].key is None:
        raise ValueError(f"a path starts with a report key (e.g. throughput), not {text!r}")
    return steps


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_matches(actual: Any, op: str, wanted: str) -> bool:
    """``actual <op> wanted`` where ``wanted`` is text from a rule: numbers compare as numbers
    (units allowed: ``bytes>=1M``), anything else as text (``null``, ``true`` for JSON's)."""
    wanted_number = parse_quantity(wanted)
    actual_number = None if isinstance(actual, bool) else parse_quantity(actual)
    if op in ("=", "!="):
        if wanted_number is not None and actual_number is not None:
            equal = actual_number == wanted_number
        else:
            equal = _as_text(actual).lower() == wanted.strip().strip("\"'").lower()
        return equal if op == "=" else not equal
    if wanted_number is None or actual_number is None:
        return False
    return {
        ">": actual_number > wanted_number,
        ">=": actual_number >= wanted_number,
        "<": actual_number < wanted_number,
        "<=": actual_number <= wanted_number,
    }[op]


def schema_miss(steps: list[Step]) -> str | None:
    """Why no report can have what a path names, by the report's JSON schema (a key no object
    on the way defines, a selector on something that is not a list), or None when some report
    can. A typo in a rules file is then a mistake in the file (exit 2), not a failed check."""
    from lmcap.reportschema import json_schema

    def alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "anyOf" not in node:
            return [node]
        return [a for alt in node["anyOf"] for a in alternatives(alt)]

    nodes = [json_schema()]
    where = "the report"
    for step in steps:
        following: list[dict[str, Any]] = []
        keys: set[str] = set()
        for node in (a for n in nodes for a in alternatives(n)):
            if not node.get("type") and "properties" not in node:
                return None  # a shape the schema leaves open: any path may exist
            if step.key is not None:
                props = node.get("properties", {})
                keys.update(props)
                extra = node.get("additionalProperties")
                if step.key in props:
                    following.append(props[step.key])
                elif isinstance(extra, dict) or (
                    extra is not False and node.get("type") == "object"
                ):
                    following.append(extra if isinstance(extra, dict) else {})
            elif "items" in node:
                following.append(node["items"])
            elif step.conditions and node.get("type") == "object":
                following.append(node)  # a further condition on an element already chosen
        if not following:
            if step.key is not None:
                known = ", ".join(sorted(keys)) or "none"
                return f"no report has the key {step.key!r} in {where} (its keys: {known})"
            return f"{where} is not a list: {step.text()} selects list elements"
        nodes = following
        where = step.key if where == "the report" and step.key else f"{where}{step.text()}"
    return None


class PathMiss(Exception):
    """The path names something the report does not have (message says what is there)."""


def select(report: Any, steps: list[Step], empty_ok: bool = False) -> list[tuple[str, Any]]:
    """The (location, value) pairs a path selects; locations use indexes (``a.b[3].c``).

    A ``[key=value]`` selector that matches no element raises :class:`PathMiss` naming the
    values there, unless ``empty_ok`` (then the selection is empty)."""
    nodes: list[tuple[str, Any]] = [("", report)]
    for step in steps:
        out: list[tuple[str, Any]] = []
        for where, value in nodes:
            here = where or "the report"
            if step.key is not None:
                if not isinstance(value, dict):
                    kind = "a list" if isinstance(value, list) else type(value).__name__
                    hint = " (select its elements with [*], [N] or [key=value])" * (
                        kind == "a list"
                    )
                    raise PathMiss(f"{here} is {kind}, not an object{hint}")
                if step.key not in value:
                    raise PathMiss(
                        f"{here} has no key {step.key!r} (keys: {', '.join(map(str, value))})"
                    )
                out.append((f"{where}.{step.key}" if where else step.key, value[step.key]))
            elif isinstance(value, list):
                if step.index is not None:
                    if not -len(value) <= step.index < len(value):
                        raise PathMiss(f"{here} has {len(value)} element(s), no [{step.index}]")
                    i = step.index % len(value)
                    out.append((f"{where}[{i}]", value[i]))
                    continue
                for i, element in enumerate(value):
                    if step.every or _element_matches(element, step.conditions):
                        out.append((f"{where}[{i}]", element))
            elif isinstance(value, dict) and step.conditions:
                # A second selector on an element already chosen: a further condition.
                if _element_matches(value, step.conditions):
                    out.append((where, value))
            else:
                raise PathMiss(f"{here} is not a list: {step.text()} selects list elements")
        if step.conditions and not out and nodes and not empty_ok:
            raise PathMiss(_no_element_message(nodes, step))
        nodes = out
    return nodes


def _element_matches(element: Any, conditions) -> bool:
    return isinstance(element, dict) and all(
        key in element and value_matches(element[key], op, wanted) for key, op, wanted in conditions
    )


def _no_element_message(nodes: list[tuple[str, Any]], step: Step) -> str:
    where = ", ".join(w or "the report" for w, _ in nodes[:3])
    seen = []
    for _, value in nodes:
        elements = value if isinstance(value, list) else [value]
        for key, _op, _wanted in step.conditions:
            seen += [_as_text(e.get(key)) for e in elements if isinstance(e, dict) and key in e]
    values = sorted(set(seen))
    shown = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
    return f"no element of {where} has {step.text()}" + (
        f" (values there: {shown})" if values else " (empty)"
    )


# --------------------------------------------------------------------------------------------
# the rules file


@dataclass
class Rule:
    name: str
    kind: str
    spec: dict[str, Any]
    description: str = ""
    #: Where it was written: ``rules.toml, line 12`` (for messages).
    origin: str = ""
    #: Parsed extras: path steps (figure), bounds as numbers or literals.
    steps: list[Step] = field(default_factory=list)
    bounds: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"{self.origin}: rule {self.name!r}"


def _load_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        import tomllib as toml  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.9/3.10
        try:
            import tomli as toml
        except ModuleNotFoundError:
            raise CheckError(
                f"{path}: reading a TOML rules file needs Python 3.11 (tomllib) or the tomli "
                "package on older Pythons: pip install tomli"
            ) from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CheckError(f"{path}: cannot read the rules file: {reason}") from None
    try:
        return toml.loads(text), text
    except toml.TOMLDecodeError as e:
        raise CheckError(f"{path}: not valid TOML: {e}") from None


def _rule_lines(text: str) -> list[int]:
    """Line numbers (1-based) of the ``[[rule]]`` headers, in order."""
    return [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*rule\s*\]\]", line)
    ]


def _key_line(text: str, start: int, key: str) -> int | None:
    """The line of ``key =`` in the rule starting at line ``start``."""
    for n, line in enumerate(text.splitlines()[start:], start=start + 1):
        if re.match(r"^\s*\[", line):
            return None
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return n
    return None


def load_rules(source: str | os.PathLike[str] | dict[str, Any]) -> list[Rule]:
    """Rules from a TOML file (path) or from a dict of the same shape (``{"rule": [...]}``).

    Raises :class:`CheckError` naming the file, the rule and the line of what is wrong.
    """
    if isinstance(source, dict):
        data, text, label = source, "", "rules"
    else:
        data, text = _load_toml(Path(source))
        label = str(source)
    unknown = sorted(set(data) - {"rule"})
    if unknown:
        raise CheckError(
            f"{label}: unknown top-level key(s) {', '.join(map(repr, unknown))}: a rules file "
            "holds [[rule]] tables only"
        )
    tables = data.get("rule", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise CheckError(f"{label}: no rules: write one or more [[rule]] tables")
    lines = _rule_lines(text)
    rules: list[Rule] = []
    names: dict[str, str] = {}
    for number, table in enumerate(tables, start=1):
        line = lines[number - 1] if len(lines) == len(tables) else None
        origin = f"{label}, line {line}" if line else f"{label}, rule {number}"

        name = table.get("name")
        who = f"rule {name!r}" if isinstance(name, str) and name.strip() else f"rule {number}"

        def fail(message: str, key: str | None = None, origin=origin, line=line, who=who):
            key_line = _key_line(text, line, key) if (key and line) else None
            at = f"{label}, line {key_line}" if key_line else origin
            raise CheckError(f"{at}: {who}: {message}")

        if not isinstance(name, str) or not name.strip():
            fail('every rule needs a name (name = "...")')
        if name in names:
            fail(f"the name is already used by the rule at {names[name]}", "name")
        names[name] = origin
        kind = table.get("kind")
        if kind not in RULE_KINDS:
            what = "has no kind" if kind is None else f"unknown kind {kind!r}"
            fail(f"{what}: kind is one of {', '.join(RULE_KINDS)}", "kind")
        for key in table:
            if key not in COMMON_KEYS and key not in KIND_KEYS[kind]:
                fail(
                    f"unknown key {key!r} for a {kind} rule (keys: "
                    f"{', '.join(COMMON_KEYS + KIND_KEYS[kind])})",
                    key,
                )
        description = table.get("description", "")
        if not isinstance(description, str):
            fail("description is text", "description")
        rule = Rule(name=name, kind=kind, spec=dict(table), description=description, origin=origin)
        {"findings": _validate_findings, "figure": _validate_figure, "sql": _validate_sql}[kind](
            rule, fail
        )
        # Errors found when the rule runs (bad SQL) point at its query or path.
        for key in ("sql", "query", "path"):
            key_line = _key_line(text, line, key) if (line and key in table) else None
            if key_line:
                rule.origin = f"{label}, line {key_line}"
        rules.append(rule)
    return rules


def _ids(value: Any, key: str, fail) -> list[str]:
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        fail(f"{key} is a finding id or a list of them", key)
    for i in ids:
        if i not in FINDING_IDS:
            fail(f"{key}: unknown finding id {i!r} (ids: docs/findings.md)", key)
    return ids


def _validate_findings(rule: Rule, fail) -> None:
    spec = rule.spec
    given = [k for k in ("forbid", "require", "max_severity") if k in spec]
    if len(given) != 1:
        fail("a findings rule has exactly one of forbid, require, max_severity")
    for key in ("forbid", "require"):
        if key in spec:
            spec[key] = _ids(spec[key], key, fail)
    if "max_severity" in spec and spec["max_severity"] not in SEVERITIES:
        fail(f"max_severity is one of {', '.join(SEVERITIES)}", "max_severity")
    where = spec.get("where", {})
    if not isinstance(where, dict) or not all(
        isinstance(v, (str, int, float, bool)) for v in where.values()
    ):
        fail("where is a table of evidence keys and values, e.g. where = { vlan = 20 }", "where")


def _validate_bounds(rule: Rule, fail, required: bool) -> None:
    for key in BOUND_KEYS:
        if key not in rule.spec:
            continue
        value = rule.spec[key]
        number = parse_quantity(value)
        if key == "equals" and number is None and isinstance(value, (str, bool)):
            rule.bounds[key] = value  # a literal: "ok", true, "3.1.1"
        elif number is None or math.isnan(number):
            fail(f"{key} = {value!r} is not a number (e.g. 5G, 10M, 0.9, 0.1%)", key)
        else:
            rule.bounds[key] = number
    if required and not rule.bounds:
        fail(f"a {rule.kind} rule needs a bound: min, max or equals")
    over = rule.spec.get("over", "all")
    if over not in OVER_MODES:
        fail(f"over is one of {', '.join(OVER_MODES)}", "over")
    if not isinstance(rule.spec.get("allow_empty", False), bool):
        fail("allow_empty is true or false", "allow_empty")


def _validate_figure(rule: Rule, fail) -> None:
    path = rule.spec.get("path")
    if not isinstance(path, str):
        fail("a figure rule needs a path into the report, e.g. throughput.flows[*].rate.mean_bps")
    try:
        rule.steps = parse_path(path)
    except ValueError as e:
        fail(f"path: {e}", "path")
    if miss := schema_miss(rule.steps):
        fail(f"path {path!r}: {miss}", "path")
    _validate_bounds(rule, fail, required=True)
    tolerance = rule.spec.get("tolerance", DEFAULT_TOLERANCE)
    if parse_quantity(tolerance) is None or parse_quantity(tolerance) < 0:
        fail(f"tolerance = {tolerance!r}: a share (10%) or an amount (500M, 3)", "tolerance")


def _validate_sql(rule: Rule, fail) -> None:
    spec = rule.spec
    if ("sql" in spec) == ("query" in spec):
        fail("an sql rule has exactly one of sql (your query) or query (a shipped one by name)")
    if "query" in spec:
        from lmcap import queries

        if spec["query"] not in queries.all_queries():
            fail(f"query: no shipped query named {spec['query']!r} (see `lmcap queries`)", "query")
    elif not isinstance(spec["sql"], str) or not spec["sql"].strip():
        fail("sql is the text of a query", "sql")
    _validate_bounds(rule, fail, required=False)


# --------------------------------------------------------------------------------------------
# evaluation


@dataclass
class Result:
    capture: str
    rule: Rule
    passed: bool
    #: What was measured, for people: ``60526382 (60.53M)``, ``1 finding``, ``3 rows``.
    measured: str
    #: What the rule asks: ``>= 1e+09``, ``no finding mtu-blackhole``.
    expected: str
    #: The measured value as JSON (a number, a count, a list of values).
    value: Any = None
    #: Why it failed, first few: finding summaries, offending rows or values.
    evidence: list[str] = field(default_factory=list)
    #: With ``--baseline``: the baseline's value, the change and the tolerance (a regression
    #: also clears ``passed`` and adds evidence).
    baseline: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        text = (
            f"{status}  {self.capture}  {self.rule.name}: {self.measured} (needs {self.expected})"
        )
        return text + (f"; {self.baseline}" if self.baseline else "")

    def message(self) -> str:
        """The one-line failure message (JUnit's ``message`` attribute)."""
        return f"{self.rule.name}: {self.measured} (needs {self.expected})" + (
            f"; {self.baseline}" if self.baseline else ""
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "capture": self.capture,
            "rule": self.rule.name,
            "description": self.rule.description,
            "kind": self.rule.kind,
            "passed": self.passed,
            "measured": self.measured,
            "expected": self.expected,
            "value": self.value,
            "evidence": self.evidence,
            "baseline": self.baseline or None,
        }


def _finding_line(f: dict[str, Any]) -> str:
    return f"{f['id']} ({f['severity']}): {f['summary']}"


def _strings(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _has_key_value(value: Any, key: str, wanted: Any) -> bool:
    """``key`` with value ``wanted`` anywhere in the evidence (nested objects and lists too)."""
    if isinstance(value, dict):
        if key in value and value_matches(value[key], "=", _as_text(wanted)):
            return True
        return any(_has_key_value(v, key, wanted) for v in value.values())
    if isinstance(value, list):
        return any(_has_key_value(v, key, wanted) for v in value)
    return False


def _mentions_host(finding: dict[str, Any], host: str) -> bool:
    """The address (IP or MAC) appears in the summary or any evidence text, as a whole
    address: 192.0.2.1 matches ``192.0.2.1:445`` but not ``192.0.2.10``."""
    pattern = re.compile(rf"(?<![\w.:]){re.escape(host)}(?![\w]|\.\d)", re.IGNORECASE)
    texts = [finding.get("summary", ""), *_strings(finding.get("evidence", {}))]
    return any(pattern.search(t) for t in texts)


def matching_findings(findings: list[dict], where: dict[str, Any]) -> list[dict]:
    out = []
    for f in findings:
        ok = True
        for key, wanted in where.items():
            if key == "host":
                ok = _mentions_host(f, str(wanted))
            else:
                ok = _has_key_value(f.get("evidence", {}), key, wanted)
            if not ok:
                break
        if ok:
            out.append(f)
    return out


def _where_text(where: dict[str, Any]) -> str:
    if not where:
        return ""
    return " where " + ", ".join(f"{k}={_as_text(v)}" for k, v in where.items())


def eval_findings(rule: Rule, report: dict[str, Any], capture: str) -> Result:
    spec = rule.spec
    where = spec.get("where", {})
    found = matching_findings(report["findings"], where)
    scope = _where_text(where)
    if "forbid" in spec:
        hits = [f for f in found if f["id"] in spec["forbid"]]
        ids = ", ".join(sorted({f["id"] for f in hits}))
        measured = plural(len(hits), "finding") + (f" ({ids})" if ids else "")
        expected = f"no {' or '.join(spec['forbid'])}{scope}"
        return _offending(capture, rule, hits, measured, expected, len(hits))
    if "require" in spec:
        counts = {i: sum(f["id"] == i for f in found) for i in spec["require"]}
        missing = [i for i, n in counts.items() if n == 0]
        present = sorted({f["id"] for f in report["findings"]})
        evidence = [f"no {i} finding{scope}" for i in missing]
        if missing:
            evidence.append("findings present: " + (", ".join(present) or "none"))
        return Result(
            capture,
            rule,
            passed=not missing,
            measured=", ".join(f"{i}: {n}" for i, n in counts.items()),
            expected=f"at least one each of {', '.join(spec['require'])}{scope}",
            value=counts,
            evidence=evidence,
        )
    limit = spec["max_severity"]
    worst = max((SEVERITY_RANK[f["severity"]] for f in found), default=-1)
    above = [f for f in found if SEVERITY_RANK[f["severity"]] > SEVERITY_RANK[limit]]
    worst_name = next((s for s, r in SEVERITY_RANK.items() if r == worst), None)
    measured = f"worst {worst_name}" if worst_name else "no findings"
    expected = f"severity at most {limit}{scope}"
    return _offending(capture, rule, above, measured, expected, worst_name)


def _offending(
    capture: str, rule: Rule, bad: list[dict], measured: str, expected: str, value: Any
) -> Result:
    """The result of a rule that fails on the findings ``bad``, which are its evidence."""
    evidence = [_finding_line(f) for f in bad[:EVIDENCE_LINES]]
    return Result(capture, rule, not bad, measured, expected, value, evidence)


def _bound_text(bounds: dict[str, Any], spec: dict[str, Any]) -> str:
    parts = []
    for key, op in (("min", ">="), ("max", "<="), ("equals", "==")):
        if key in bounds:
            written = spec[key]
            parts.append(
                f"{op} {written}"
                if isinstance(written, str) and parse_quantity(written) is None
                else f"{op} {format_number(bounds[key])}"
            )
    return " and ".join(parts)


def holds(value: Any, bounds: dict[str, Any]) -> bool:
    if "equals" in bounds:
        wanted = bounds["equals"]
        if isinstance(wanted, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if value != wanted:
                return False
        elif _as_text(value).lower() != _as_text(wanted).lower():
            return False
    for key, ok in (("min", lambda v, b: v >= b), ("max", lambda v, b: v <= b)):
        if key in bounds:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if not ok(value, bounds[key]):
                return False
    return True


def judge_values(rule: Rule, located: list[tuple[str, Any]], what: str, capture: str) -> Result:
    """Apply the rule's bound to the selected values under its ``over`` mode."""
    over = rule.spec.get("over", "all")
    bounds = rule.bounds
    expected = _bound_text(bounds, rule.spec)
    if over in ("sum", "count"):
        if over == "count":
            total: Any = len(located)
        else:
            numbers = [v for _, v in located if isinstance(v, (int, float)) and v is not None]
            total = sum(numbers)
        return Result(
            capture,
            rule,
            passed=holds(total, bounds),
            measured=f"{over} of {what} = {format_number(total)} over "
            f"{plural(len(located), 'value')}",
            expected=expected,
            value=total,
            evidence=[f"{w} = {format_number(v)}" for w, v in located[:EVIDENCE_LINES]]
            if not holds(total, bounds)
            else [],
        )
    if not located:
        return Result(
            capture,
            rule,
            passed=bool(rule.spec.get("allow_empty", False)),
            measured=f"no value at {what}",
            expected=expected,
            value=None,
        )
    good = [(w, v) for w, v in located if holds(v, bounds)]
    bad = [(w, v) for w, v in located if not holds(v, bounds)]
    passed = bool(good) if over == "any" else not bad
    if len(located) == 1:
        where, value = located[0]
        measured = f"{where} = {format_number(value)}"
    else:
        shown = ", ".join(format_number(v) for _, v in located[:EVIDENCE_LINES])
        more = ", ..." if len(located) > EVIDENCE_LINES else ""
        measured = f"{what}: {len(located)} values ({shown}{more}), {len(bad)} outside the bound"
    return Result(
        capture,
        rule,
        passed=passed,
        measured=measured,
        expected=("any value " if over == "any" else "") + expected,
        value=[v for _, v in located] if len(located) > 1 else located[0][1],
        evidence=[]
        if passed or len(located) == 1  # a single value is on the line already
        else [f"{w} = {format_number(v)}" for w, v in bad[:EVIDENCE_LINES]],
    )


def eval_figure(rule: Rule, report: dict[str, Any], capture: str) -> Result:
    path = rule.spec["path"]
    try:
        located = select(report, rule.steps, empty_ok=_empty_ok(rule))
    except PathMiss as e:
        return Result(
            capture,
            rule,
            passed=False,
            measured=f"no value at {path}",
            expected=_bound_text(rule.bounds, rule.spec),
            evidence=[str(e)],
        )
    return judge_values(rule, located, path, capture)


def _empty_ok(rule: Rule) -> bool:
    """Whether selecting nothing is a value (a sum or count of 0, or allowed by the rule)."""
    return rule.spec.get("over") in ("sum", "count") or bool(rule.spec.get("allow_empty"))


def _sql_params(sql: str, params) -> dict[str, Any]:
    named = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in params.sql_params().items() if k in named}


def eval_sql(rule: Rule, con, params, capture: str) -> Result:
    import duckdb

    spec = rule.spec
    if "query" in spec:
        from lmcap import queries

        sql, what = queries.get(spec["query"]).sql, f"query {spec['query']}"
    else:
        sql, what = spec["sql"], "the query"
    try:
        bound = _sql_params(sql, params)
        cursor = con.execute(sql, bound) if bound else con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckError(f"{rule.where()}: the SQL fails: {first_line}") from None

    def row_text(row) -> str:
        return ", ".join(f"{c}={_as_text(v)}" for c, v in zip(columns, row))

    if not rule.bounds:
        return Result(
            capture,
            rule,
            passed=not rows,
            measured=plural(len(rows), "row"),
            expected="no rows",
            value=len(rows),
            evidence=[row_text(r) for r in rows[:EVIDENCE_LINES]]
            + ([f"... {len(rows) - EVIDENCE_LINES} more"] if len(rows) > EVIDENCE_LINES else []),
        )
    located = [
        (f"row {n}" + (f" ({row_text(r[1:])})" if len(r) > 1 else ""), _plain(r[0]))
        for n, r in enumerate(rows, start=1)
    ]
    # An expression as column name (sum(x) / nullif(...)) says less than "value".
    label = columns[0] if columns and re.fullmatch(r"\w+", columns[0]) else "value"
    if len(rows) == 1:
        located = [(label, located[0][1])]
    return judge_values(rule, located, f"{label} of {what}", capture)


def _plain(value: Any) -> Any:
    """DuckDB values as JSON-able ones (Decimal -> float)."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


# --------------------------------------------------------------------------------------------
# baselines


def load_baseline(path: str) -> dict[str, Any]:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise CheckError(f"{path}: cannot read the baseline: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckError(
            f"{path}: the baseline is not JSON ({e}); make one with "
            "`lmcap analyze FILE --format json -o report.json`"
        ) from None
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list):
        raise CheckError(
            f"{path}: not an lmcap report (no findings list); make one with "
            "`lmcap analyze FILE --format json -o report.json`"
        )
    return report


def _tolerance(rule: Rule) -> tuple[float, bool]:
    """(amount, relative): ``10%`` -> (0.1, True); ``500M`` -> (5e8, False)."""
    written = rule.spec.get("tolerance", DEFAULT_TOLERANCE)
    relative = isinstance(written, str) and written.strip().endswith("%")
    return parse_quantity(written), relative


def compare_baseline(
    result: Result, report: dict[str, Any], baseline: dict[str, Any], baseline_path: str
) -> None:
    """Compare a figure rule's values with the baseline's at the same locations.

    The direction that counts follows the rule: with ``min`` only a drop beyond the tolerance
    fails (a faster migration is no regression), with ``max`` only a rise, otherwise both.
    """
    rule = result.rule
    try:
        before = select(baseline, rule.steps, empty_ok=_empty_ok(rule))
    except PathMiss as e:
        result.passed = False
        result.baseline = f"baseline {baseline_path} has no value here"
        result.evidence.append(f"in the baseline {baseline_path}: {e}")
        return
    amount, relative = _tolerance(rule)
    tolerance_text = rule.spec.get("tolerance", DEFAULT_TOLERANCE)
    over = rule.spec.get("over", "all")
    try:
        now = select(report, rule.steps, empty_ok=True)
    except PathMiss:
        now = []
    if over in ("sum", "count"):
        total = (
            len(before)
            if over == "count"
            else sum(v for _, v in before if isinstance(v, (int, float)))
        )
        pairs = [(rule.spec["path"], total, result.value)]
    else:
        current = dict(now)
        pairs = [(w, v, current.get(w)) for w, v in before]
    worse = []
    shown = []
    for where, old, new in pairs:
        if not isinstance(old, (int, float)) or isinstance(old, bool):
            continue
        if not isinstance(new, (int, float)) or isinstance(new, bool):
            worse.append(f"{where}: baseline {format_number(old)}, now {format_number(new)}")
            continue
        allowed = amount * abs(old) if relative else amount
        change = new - old
        drop_counts = "max" not in rule.bounds or "min" in rule.bounds or "equals" in rule.bounds
        rise_counts = "min" not in rule.bounds or "max" in rule.bounds or "equals" in rule.bounds
        change_text = f"{change / old:+.1%}" if old else f"{format_number(change)}"
        shown.append(f"{format_number(old)} -> {format_number(new)} ({change_text})")
        if (change < -allowed and drop_counts) or (change > allowed and rise_counts):
            worse.append(
                f"{where}: baseline {format_number(old)}, now {format_number(new)} "
                f"({change_text}, tolerance {tolerance_text})"
            )
    summary = "; ".join(shown[:3]) + ("; ..." if len(shown) > 3 else "")
    result.baseline = f"baseline {summary or 'has no number here'} (tolerance {tolerance_text})"
    if worse:
        result.passed = False
        result.evidence += [f"regression against {baseline_path}: {w}" for w in worse][
            :EVIDENCE_LINES
        ]


def new_findings_result(
    capture: str, report: dict[str, Any], baseline: dict[str, Any], baseline_path: str
) -> Result:
    before = {f["id"] for f in baseline["findings"]}
    new = [f for f in report["findings"] if f["id"] not in before]
    ids = sorted({f["id"] for f in new})
    rule = Rule(
        name="baseline: no new finding ids",
        kind="baseline",
        spec={},
        description=f"finding ids not in {baseline_path}",
        origin=baseline_path,
    )
    measured = f"new: {', '.join(ids)}" if ids else "no new finding ids"
    expected = f"only ids in the baseline ({', '.join(sorted(before)) or 'none'})"
    return _offending(capture, rule, new, measured, expected, ids)


# --------------------------------------------------------------------------------------------
# running


def _reads_packets(rules: list[Rule]) -> bool:
    """Whether an SQL rule reads the ``packets`` table (else only the detail frames are
    loaded, as ``lmcap analyze`` does)."""
    from lmcap import queries

    for rule in rules:
        if rule.kind == "sql":
            sql = queries.get(rule.spec["query"]).sql if "query" in rule.spec else rule.spec["sql"]
            if queries.names_table(sql, "packets"):
                return True
    return False


def _open_capture(
    path: str, memory_limit: str | None, packets: str = "detail"
) -> tuple[Any, list[str]]:
    """A connection with the capture loaded, and the warnings of a capture read only in part.

    A capture of which nothing could be read (standard input or a pipe that turned out empty
    or not a capture: files are refused before any scan by :func:`run`) raises CheckError, as
    ``lmcap analyze`` refuses it (lmcap.inputs): a failed capture step must not pass."""
    import lmcap

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", lmcap.CaptureWarning)
        con = lmcap.connect(
            path,
            strict=False,
            memory_limit=memory_limit,
            packets=packets,
            database=TEMPORARY_DATABASE,
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, lmcap.CaptureWarning)]
    files = con.table("capture_files")
    unreadable = unreadable_after_scan(dict(zip(files.columns, r)) for r in files.fetchall())
    if unreadable:
        con.close()
        raise CheckError(str(UnreadableInput(unreadable)))
    return con, messages


def check_capture(
    path: str,
    rules: list[Rule],
    params=None,
    baseline: tuple[str, dict[str, Any]] | None = None,
    memory_limit: str | None = ANALYZE_MEMORY_LIMIT,
    on_warning=None,
) -> tuple[list[Result], bool]:
    """Every rule on one capture: (results, whether the capture was read only in part)."""
    from lmcap import report as rep
    from lmcap.diagnostics import Params

    params = params or Params()
    con, problems = _open_capture(path, memory_limit, "all" if _reads_packets(rules) else "detail")
    for message in problems:
        if on_warning:
            on_warning(message)
    try:
        report = rep.build(con, params)
        if (empty := rep.filtered_to_nothing(report)) and on_warning:
            on_warning(empty)
        results = []
        for rule in rules:
            started = time.perf_counter()
            if rule.kind == "findings":
                result = eval_findings(rule, report, path)
            elif rule.kind == "figure":
                result = eval_figure(rule, report, path)
                if baseline:
                    compare_baseline(result, report, baseline[1], baseline[0])
            else:
                result = eval_sql(rule, con, params, path)
            result.seconds = time.perf_counter() - started
            results.append(result)
        if baseline:
            results.append(new_findings_result(path, report, baseline[1], baseline[0]))
    finally:
        con.close()
    return results, bool(problems)


def render_text(results: list[Result]) -> str:
    lines = []
    for r in results:
        lines.append(r.line())
        if not r.passed:
            lines += [f"      {e}" for e in r.evidence]
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"


def summary_line(results: list[Result]) -> str:
    passed = sum(r.passed for r in results)
    return f"{passed} passed, {len(results) - passed} failed"


def render_json(results: list[Result], rules_file: str) -> str:
    passed = sum(r.passed for r in results)
    doc = {
        "rules": rules_file,
        "passed": passed,
        "failed": len(results) - passed,
        "results": [r.to_json() for r in results],
    }
    return json.dumps(doc, indent=2, default=str) + "\n"


def junit_xml(results: list[Result], scan_seconds: dict[str, float]) -> bytes:
    """JUnit XML: a testsuite per capture, a testcase per rule (classname = capture path)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="lmcap check")
    captures = list(dict.fromkeys(r.capture for r in results))
    for capture in captures:
        mine = [r for r in results if r.capture == capture]
        failed = sum(not r.passed for r in mine)
        seconds = scan_seconds.get(capture, 0.0) + sum(r.seconds for r in mine)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=capture,
            tests=str(len(mine)),
            failures=str(failed),
            errors="0",
            skipped="0",
            time=f"{seconds:.3f}",
        )
        for r in mine:
            case = ET.SubElement(
                suite, "testcase", classname=capture, name=r.rule.name, time=f"{r.seconds:.3f}"
            )
            if not r.passed:
                failure = ET.SubElement(case, "failure", message=r.message(), type="lmcap.check")
                failure.text = "\n".join([r.line(), *r.evidence])
            if r.rule.description:
                ET.SubElement(case, "system-out").text = r.rule.description
    total_failed = sum(not r.passed for r in results)
    root.set("tests", str(len(results)))
    root.set("failures", str(total_failed))
    root.set("errors", "0")
    root.set("time", f"{sum(scan_seconds.values()) + sum(r.seconds for r in results):.3f}")
    ET.indent(root)  # Python 3.9+
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def run(
    captures: list[str],
    rules: list[Rule],
    params=None,
    baselines: list[str] | None = None,
    memory_limit: str | None = ANALYZE_MEMORY_LIMIT,
    on_warning=None,
) -> tuple[list[Result], dict[str, float], bool]:
    """Check every capture: (results, scan seconds per capture, any read only in part)."""
    baselines = baselines or []
    if baselines and len(baselines) not in (1, len(captures)):
        raise CheckError(
            f"{len(baselines)} baselines for {len(captures)} captures: give one --baseline for "
            "all captures or one per capture, in the same order"
        )
    try:
        check_inputs(captures)  # every capture readable before the first scan
    except UnreadableInput as e:
        raise CheckError(str(e)) from None
    loaded = [(b, load_baseline(b)) for b in baselines]
    results: list[Result] = []
    seconds: dict[str, float] = {}
    partial = False
    for n, capture in enumerate(captures):
        started = time.perf_counter()
        baseline = (loaded[n] if len(loaded) > 1 else loaded[0]) if loaded else None
        mine, cut = check_capture(capture, rules, params, baseline, memory_limit, on_warning)
        seconds[capture] = time.perf_counter() - started - sum(r.seconds for r in mine)
        results += mine
        partial = partial or cut
    return results, seconds, partial


RulesArg = Union[str, "os.PathLike[str]", dict]


def assert_capture(path, rules: RulesArg, *, baseline: str | None = None, params=None):
    """Check a capture against rules inside a pytest suite; AssertionError when one fails.

    ``rules`` is the path of a rules file or a dict of the same shape
    (``{"rule": [{"name": ..., "kind": "findings", "forbid": "mtu-blackhole"}]}``). The
    message lists every rule as ``lmcap check`` prints it. Returns the results when all hold.
    A bad rules file or an unreadable capture raises :class:`CheckError`.
    """
    loaded = load_rules(rules)
    results, _, _ = run(
        [os.fspath(path)], loaded, params, [os.fspath(baseline)] if baseline else None
    )
    if not all(r.passed for r in results):
        raise AssertionError("lmcap check failed:\n" + render_text(results).rstrip("\n"))
    return results


# --------------------------------------------------------------------------------------------
# the command


def add_parser(
    sub,
    parse_link_speed: Callable[[str], int],
    parse_bucket: Callable[[str], int],
    add_loading_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``lmcap check`` on the CLI's subparsers.

    The CLI hands over its option parsers (``--link-speed``, ``--bucket``, the loading options)
    so both commands read them alike; this module does not import the CLI above it."""
    c = sub.add_parser(
        "check",
        help="check captures against a rules file (for CI pipelines)",
        description="Check each capture against the rules in a TOML file (docs/check.md): "
        "rules on findings, on figures of the report and SQL over the tables. Prints a PASS or "
        "FAIL line per rule and capture, then 'N passed, M failed'. Exit codes: 0 every rule "
        "held, 1 a rule failed, 2 a bad rules file, baseline or unreadable capture, 3 a "
        "capture was read only in part (with --strict).",
    )
    c.add_argument("files", nargs="+", metavar="FILE", help="captures, each checked on its own")
    c.add_argument("--rules", required=True, metavar="RULES.toml", help="the rules file")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument(
        "--junit",
        metavar="PATH",
        help="also write JUnit XML here (one testcase per rule and capture)",
    )
    c.add_argument(
        "--baseline",
        action="append",
        metavar="REPORT.json",
        help="a stored `lmcap analyze --format json` report: figures must stay within each "
        "rule's tolerance (default 10%%) of it and no new finding ids may appear (once for "
        "all captures, or once per capture in order)",
    )
    c.add_argument(
        "--link-speed",
        type=parse_link_speed,
        metavar="SPEED",
        help="link speed for utilization figures, e.g. 10G",
    )
    c.add_argument(
        "--bucket",
        type=parse_bucket,
        default=None,
        metavar="DURATION",
        help="throughput bucket, 1ms to 1h, or auto (the default): chosen from the capture, "
        "as lmcap analyze does",
    )
    add_loading_options(
        c,
        ANALYZE_MEMORY_LIMIT,
        "check loads the evidence and the detail frames, and every frame only when an SQL rule "
        "names packets",
    )
    c.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from lmcap.diagnostics import Params

    def warn(message: str) -> None:
        print(f"lmcap: warning: {message}", file=sys.stderr)

    try:
        rules = load_rules(args.rules)
        bucket = None if args.bucket in (None, "auto") else args.bucket
        params = Params(bucket_ns=bucket, link_speed_bps=args.link_speed or 0)
        results, seconds, partial = run(
            args.files, rules, params, args.baseline, args.memory_limit, warn
        )
        junit = junit_xml(results, seconds) if args.junit else None
        if junit is not None:
            try:
                Path(args.junit).write_bytes(junit)
            except OSError as e:
                raise CheckError(
                    f"{args.junit}: cannot write JUnit XML: {e.strerror or e}"
                ) from None
    except CheckError as e:
        for line in str(e).splitlines():
            print(f"lmcap: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    out = render_json(results, args.rules) if args.format == "json" else render_text(results)
    sys.stdout.write(out)
    if partial and args.strict:
        return EXIT_CAPTURE_ERROR
    return EXIT_OK if all(r.passed for r in results) else EXIT_CHECK_FAILED
