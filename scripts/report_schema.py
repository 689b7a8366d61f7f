"""Draft python/lmcap/report.schema.json from the reports of real captures.

    .venv/bin/python scripts/report_schema.py [CAPTURE_DIR...] > /tmp/draft.json

Reads every capture under the folders given (default: captures/ and, when present,
../shared/captures/public), analyses it, and infers one JSON Schema that all the reports fit:
for each object the keys seen (required when every non-empty instance has them; no other key
allowed), for each value its JSON types. Objects that are maps by nature (keys are data:
decode statuses, flow classes, a finding's evidence) are listed in MAPS. An object that is
empty in some reports (a section with nothing to say) may be ``{}``.

The shipped schema is this draft, reviewed: compare a new draft with it after adding keys to
the report (tests/test_textreport.py validates every capture's report against the shipped one).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".gz", ".zst", ".cap")

#: Paths (keys joined with '.', list items as '[]') of objects whose keys are data, with the
#: schema of their values (None: any JSON value).
MAPS: dict[str, dict[str, Any] | None] = {
    "capture.decode_status": {"type": "number"},
    "throughput.classes": {"type": "number"},
    "findings[].evidence": None,
}

#: Values null in every report seen (or lists empty in every one): their type when set, by key.
WHEN_SET: dict[str, Any] = {
    "vlan": {"type": ["number", "null"]},
    "vlans": {"type": "array", "items": {"type": ["number", "null"]}},
    "utilization": {"type": ["number", "null"]},
    "link_speed_bps": {"type": ["number", "null"]},
}

JSON_TYPE = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}


def captures(folders: list[Path]) -> list[Path]:
    return sorted(
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and p.name.endswith(CAPTURE_SUFFIXES)
    )


class Node:
    """What was seen at one place of the reports."""

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.keys: dict[str, Node] = {}
        self.key_count: dict[str, int] = {}
        self.objects = 0  # non-empty objects seen here
        self.empty_objects = 0
        self.items: Node | None = None

    def add(self, value: Any) -> None:
        if isinstance(value, dict):
            self.types.add("object")
            if not value:
                self.empty_objects += 1
                return
            self.objects += 1
            for k, v in value.items():
                self.keys.setdefault(k, Node()).add(v)
                self.key_count[k] = self.key_count.get(k, 0) + 1
        elif isinstance(value, list):
            self.types.add("array")
            for v in value:
                self.items = self.items or Node()
                self.items.add(v)
        else:
            self.types.add(JSON_TYPE[type(value)])

    def schema(self, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        types = sorted(self.types)
        if "object" in self.types and path in MAPS:
            value = MAPS[path]
            obj: dict[str, Any] = {"type": "object"}
            if value is not None:
                obj["additionalProperties"] = value
            return _with_other_types(obj, [t for t in types if t != "object"])
        if "object" in self.types:
            obj = {
                "type": "object",
                "properties": {
                    k: n.schema(f"{path}.{k}" if path else k) for k, n in self.keys.items()
                },
                "required": [k for k, c in self.key_count.items() if c == self.objects],
                "additionalProperties": False,
            }
            if self.empty_objects and self.objects:
                obj = {"anyOf": [{"type": "object", "maxProperties": 0}, obj]}
            elif self.empty_objects:
                obj = {"type": "object", "maxProperties": 0}
            return _with_other_types(obj, [t for t in types if t != "object"])
        key = path.rpartition(".")[2]
        if self.types <= {"null", "array"} and self.items is None and key in WHEN_SET:
            return WHEN_SET[key]
        if "array" in self.types:
            arr: dict[str, Any] = {"type": "array"}
            if self.items is not None:
                arr["items"] = self.items.schema(f"{path}[]")
            return _with_other_types(arr, [t for t in types if t != "array"])
        if types == ["null"]:
            return {}  # null in every report seen: its type when set is unknown, any value
        out["type"] = types[0] if len(types) == 1 else types
        return out


def _with_other_types(schema: dict[str, Any], others: list[str]) -> dict[str, Any]:
    """``schema`` or, when the value is sometimes a scalar too (null), anyOf both."""
    if not others:
        return schema
    return {"anyOf": [schema, {"type": others[0] if len(others) == 1 else others}]}


def main(argv: list[str]) -> int:
    import lmcap

    folders = [Path(a) for a in argv] or [
        ROOT / "captures",
        *[p for p in [ROOT.parent / "shared" / "captures" / "public"] if p.is_dir()],
    ]
    root = Node()
    for path in captures(folders):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                report = lmcap.analyze(path, strict=False)
            except Exception as e:  # unreadable inputs have no report
                print(f"skipped {path}: {e}", file=sys.stderr)
                continue
        root.add(report)
    from lmcap.findings import FINDING_IDS, SEVERITIES

    body = root.schema("")
    finding = body["properties"]["findings"]["items"]["properties"]
    finding["id"] = {"enum": sorted(FINDING_IDS)}
    finding["severity"] = {"enum": list(SEVERITIES)}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "lmcap analyze --format json",
        "description": "The report of `lmcap analyze --format json` and lmcap.analyze(); "
        "docs/report.md says what each key means. Keys are added, never renamed or removed.",
        **body,
    }
    json.dump(schema, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
