"""The SQL that answers lmcap's questions, shipped as plain files in ``lmcap/queries``.

Each file opens with a header of ``-- key: value`` lines: ``answers`` (the question),
``reads`` (tables) and ``columns`` (what it returns). Queries may take named parameters
(``$link_speed_bps``...), listed in a ``params`` line. A ``with`` line names other shipped
queries that this one reads as CTEs of the same name: a fragment several queries share is
written once, as a query of its own (documented and runnable by itself), and put in front of
each query that names it when the files are read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    answers: str
    reads: str
    columns: list[str]
    params: list[str] = field(default_factory=list)
    #: Shipped queries this one reads as CTEs of their names (its ``with`` line).
    uses: list[str] = field(default_factory=list)


def _parse(name: str, text: str) -> Query:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        key, _, value = line[2:].strip().partition(":")
        header[key.strip()] = value.strip()
    missing = {"answers", "reads", "columns"} - header.keys()
    if missing:
        raise ValueError(f"query {name}.sql lacks header line(s): {sorted(missing)}")
    split = lambda v: [c.strip() for c in v.split(",") if c.strip()]  # noqa: E731
    return Query(
        name=name,
        sql=text,
        answers=header["answers"],
        reads=header["reads"],
        columns=split(header["columns"]),
        params=split(header.get("params", "")),
        uses=split(header.get("with", "")),
    )


def _body(sql: str) -> str:
    """The SQL of a query without its header lines and final semicolon."""
    lines = sql.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";")


def _with_shared(q: Query, known: dict[str, Query]) -> Query:
    """``q`` with the queries of its ``with`` line put in front as CTEs."""
    if not q.uses:
        return q
    missing = [u for u in q.uses if u not in known or known[u].uses]
    if missing:
        raise ValueError(
            f"query {q.name}.sql: `with` names {missing}: not a shipped query "
            "without a `with` line of its own"
        )
    header = "\n".join(line for line in q.sql.splitlines() if line.startswith("--"))
    body = _body(q.sql)
    ctes = ",\n".join(f"{u} AS (\n{_body(known[u].sql)}\n)" for u in q.uses)
    rest = body[len("WITH") :].lstrip() if re.match(r"WITH\b", body, re.IGNORECASE) else None
    sql = f"WITH {ctes},\n{rest}" if rest is not None else f"WITH {ctes}\n{body}"
    return dataclasses.replace(q, sql=f"{header}\n{sql};\n")


def all_queries() -> dict[str, Query]:
    """Every shipped query by name (file name without ``.sql``)."""
    return dict(_read_files())


def spark_queries() -> dict[str, Query]:
    """The SQL over an exported dataset of many captures (``lmcap/queries/spark``), by name:
    portable SQL that runs in Spark SQL (:func:`lmcap.spark.run`) and in DuckDB
    (:func:`lmcap.dataset.connect`) alike, every answer per ``capture``."""
    return dict(_read_files("spark"))


def spark_query_views() -> list[str]:
    """The dataset queries that other dataset queries read (named in their ``reads`` line):
    :func:`lmcap.spark.register` and :func:`lmcap.dataset.connect` make each a view."""
    import re

    known = spark_queries()
    return [
        name
        for name in known
        if any(re.search(rf"\b{name}\b", q.reads) for other, q in known.items() if other != name)
    ]


@cache
def _read_files(folder: str = "") -> dict[str, Query]:
    # Read once per process: a report runs some 60 queries, and reading and parsing every
    # file for each of them took 40% of the time of a report on a small capture.
    out = {}
    where = resources.files("lmcap").joinpath("queries")
    for entry in (where.joinpath(folder) if folder else where).iterdir():
        if entry.name.endswith(".sql"):
            name = entry.name[: -len(".sql")]
            out[name] = _parse(name, entry.read_text(encoding="utf-8"))
    out = {name: _with_shared(q, out) for name, q in out.items()}
    return dict(sorted(out.items()))


def get(name: str) -> Query:
    queries = all_queries()
    if name not in queries:
        raise KeyError(f"no query named {name!r}; known: {', '.join(queries)}")
    return queries[name]


def names_table(sql: str, table: str) -> bool:
    """Whether SQL text names a table (as a whole word): what ``lmcap sql`` and ``lmcap check``
    build only when asked, such as ``packets`` and the derived tables."""
    return re.search(rf"\b{re.escape(table)}\b", sql) is not None


def run(con, name: str, **params) -> list[dict]:
    """Run a shipped query on a connection from :func:`lmcap.connect`; rows as dicts."""
    return list(iter_rows(con, name, **params))


def iter_rows(con, name: str, batch_rows: int = 10_000, **params) -> Iterator[dict]:
    """The rows of a shipped query as dicts, fetched ``batch_rows`` at a time, for a caller
    that reads each row once: the whole result is never held in Python. Run no other query
    on ``con`` until the iteration ends (DuckDB would cut this one's result short)."""
    q = get(name)
    used = {k: v for k, v in params.items() if k in q.params}
    res = con.execute(q.sql, used) if used else con.execute(q.sql)
    cols = [d[0] for d in res.description]
    while rows := res.fetchmany(batch_rows):
        for row in rows:
            yield dict(zip(cols, row))


def run_rows(
    con, name: str, where: str, order: str, columns: tuple[str, ...] = (), **params
) -> list[dict]:
    """The rows of a shipped query that satisfy ``where`` (an SQL condition on its columns),
    in ``order``, with only ``columns`` when given: DuckDB filters them (and skips computing
    columns not asked for), so a query with millions of rows hands Python only what it needs."""
    q = get(name)
    used = {k: v for k, v in params.items() if k in q.params}
    rel = con.sql(q.sql, params=used) if used else con.sql(q.sql)
    rel = rel.filter(where).order(order)
    if columns:
        rel = rel.project(", ".join(f'"{c}"' for c in columns))
    return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


#: The analysis parameters that say how the scan cut the ``traffic`` evidence: a query reading
#: ``traffic`` must not ask for a finer cut than the one the connection was loaded with.
SCAN_CUT_PARAMS = ("bucket_ns", "switch_max_frame")


def scan_cut(con) -> dict[str, int]:
    """``bucket_ns`` and ``switch_max_frame`` from the connection's ``scan_settings`` ({}
    when it has none, e.g. a connection over an exported dataset of several captures)."""
    import duckdb

    try:
        rows = con.sql(
            f"SELECT DISTINCT {', '.join(SCAN_CUT_PARAMS)} FROM scan_settings"
        ).fetchall()
    except duckdb.CatalogException:  # no scan_settings table: nothing to default from
        return {}
    return dict(zip(SCAN_CUT_PARAMS, rows[0])) if len(rows) == 1 else {}


@contextmanager
def variable(con, name: str, value: object) -> Iterator[None]:
    """DuckDB's variable ``name`` set to ``value`` for the queries run inside, unset after.

    A query may read one with ``getvariable('name')`` to narrow what it computes when the
    caller needs a few rows of a large result (its header says so under ``restricts``); unset
    (NULL), it computes every row, as ``lmcap sql -q`` does."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a variable name: {name!r}")
    con.execute(f"SET VARIABLE {name} = ?", [value])
    try:
        yield
    finally:
        con.execute(f"RESET VARIABLE {name}")
