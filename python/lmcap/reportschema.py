"""The JSON Schema of the ``lmcap analyze --format json`` report, shipped inside the package.

``report.schema.json`` (draft 2020-12) says which keys each object of the report has (all of
them required unless a report may lack them, no others), and the JSON type of every value;
docs/report.md says what they mean. It was drafted from the reports of every capture in
captures/ and the public corpus by scripts/report_schema.py and reviewed; a key added to the
report is added here too (tests/test_textreport.py validates every capture's report).

    $ lmcap schema --report > report.schema.json
    $ check-jsonschema --schemafile report.schema.json report.json
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

FILE_NAME = "report.schema.json"


def json_schema_text() -> str:
    """The schema file as shipped."""
    return resources.files("lmcap").joinpath(FILE_NAME).read_text(encoding="utf-8")


@cache
def _schema() -> str:
    return json_schema_text()


def json_schema() -> dict[str, Any]:
    """The schema as a dict (a fresh copy each call)."""
    return json.loads(_schema())
