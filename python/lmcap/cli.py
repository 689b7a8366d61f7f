"""The ``lmcap`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from lmcap.exitcodes import EXIT_CAPTURE_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from lmcap.inputs import UnreadableInput, UserError, check_inputs, unreadable_after_scan

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def _connect(files: list[str], strict: bool, memory_limit: str | None = None, derived=None):
    """Load the captures; raise UnreadableInput for any input of which nothing can be read
    (checked before the scan, and after it for standard input and pipes), else print the
    warnings of files read only in part."""
    import lmcap

    check_inputs(files)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", lmcap.CaptureWarning)
        con = lmcap.connect(files, strict=strict, memory_limit=memory_limit, derived=derived)
    capture_files = con.table("capture_files")
    rows = [dict(zip(capture_files.columns, r)) for r in capture_files.fetchall()]
    unreadable = unreadable_after_scan(rows)
    if unreadable:
        raise UnreadableInput(unreadable)
    for w in caught:
        print(f"lmcap: warning: {w.message}", file=sys.stderr)
    return con, bool(caught)


SI = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_link_speed(text: str) -> int:
    """'10G', '25g', '40Gbps', '100M', '10000000000' -> bits per second."""
    t = text.strip().lower()
    for suffix in ("bit/s", "bps", "b"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
            break
    unit = t[-1] if t and t[-1] in SI else ""
    number = t[: len(t) - len(unit)]
    try:
        value = float(number) * SI[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a link speed: {text!r} (try 10G, 25G, 100M)"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"link speed must be positive: {text!r}")
    return int(value)


def parse_bucket(text: str) -> int:
    """'1s', '100ms', '1ms', '0.5s', '250us' -> nanoseconds (1 ms to 1 hour)."""
    t = text.strip().lower()
    factor = 1e9
    for suffix, scale in (("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    try:
        ns = int(float(t) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 1s, 100ms, 1ms)") from None
    if not 1_000_000 <= ns <= 3_600_000_000_000:
        raise argparse.ArgumentTypeError(f"bucket must be between 1ms and 1h: {text!r}")
    return ns


def cmd_analyze(args: argparse.Namespace) -> int:
    import lmcap
    from lmcap import report as rep
    from lmcap import textreport

    try:
        con, had_errors = _connect(args.files, strict=False, memory_limit=args.memory_limit)
    except lmcap.CaptureError as e:  # pragma: no cover - strict=False never raises
        print(f"lmcap: error: {e}", file=sys.stderr)
        return EXIT_CAPTURE_ERROR
    from lmcap.diagnostics import Params

    params = Params(bucket_ns=args.bucket, link_speed_bps=args.link_speed or 0)
    report = rep.build(con, params)
    text = (
        json.dumps(report, indent=2, default=str) + "\n"
        if args.format == "json"
        else textreport.render(report)
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if had_errors and args.strict:
        return EXIT_CAPTURE_ERROR
    if args.fail_on:
        worst = max((SEVERITY_RANK[f["severity"]] for f in report["findings"]), default=-1)
        if worst >= SEVERITY_RANK[args.fail_on]:
            return EXIT_FINDINGS
    return EXIT_OK


def cmd_sql(args: argparse.Namespace) -> int:
    from lmcap import queries

    if bool(args.execute) == bool(args.query):
        print("lmcap sql: give exactly one of --execute SQL or --query NAME", file=sys.stderr)
        return 2
    import re

    from lmcap.api import DERIVED_TABLES, table_names

    if args.query and args.query in table_names():
        # A query that specifies a scanned table (flows.sql): the table is already there.
        args.execute, args.query = f"SELECT * FROM {args.query}", None
    text = args.execute or queries.get(args.query).sql
    # Build only the derived tables the SQL names.
    derived = [t for t in DERIVED_TABLES if re.search(rf"\b{t}\b", text)]
    con, had_errors = _connect(
        args.files, strict=False, memory_limit=args.memory_limit, derived=derived
    )
    if args.execute:
        rel = con.sql(args.execute)
    else:
        from lmcap.diagnostics import Params

        q = queries.get(args.query)
        params = {k: v for k, v in Params().sql_params().items() if k in q.params}
        rel = con.sql(q.sql, params=params) if params else con.sql(q.sql)
    if rel is None:
        return EXIT_OK
    if args.format == "table":
        print(rel.limit(args.limit) if args.limit else rel)
    elif args.format == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(rel.columns)
        w.writerows(rel.fetchall())
    else:
        cols = rel.columns
        print(json.dumps([dict(zip(cols, r)) for r in rel.fetchall()], indent=2, default=str))
    return EXIT_CAPTURE_ERROR if (had_errors and args.strict) else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    import lmcap
    from lmcap import _core

    if args.markdown:
        sys.stdout.write(_core.schema_markdown())
        return EXIT_OK
    for name in [args.table] if args.table else lmcap.table_names():
        print(name)
        for f in lmcap.schema(name):
            print(f"  {f.name:<22} {f.type}")
    return EXIT_OK


def cmd_queries(args: argparse.Namespace) -> int:
    from lmcap import queries

    for q in queries.all_queries().values():
        print(f"{q.name}\n    {q.answers}\n    columns: {', '.join(q.columns)}")
    return EXIT_OK


def _add_loading_options(p: argparse.ArgumentParser) -> None:
    """Options of every command that loads captures into DuckDB."""
    p.add_argument(
        "--strict", action="store_true", help="exit 3 when a file is cut short or corrupt"
    )
    p.add_argument(
        "--memory-limit",
        default="2GB",
        metavar="SIZE",
        help="DuckDB memory cap; past it, tables spill to a temporary folder (default 2GB)",
    )


def build_parser() -> argparse.ArgumentParser:
    from lmcap import __version__

    p = argparse.ArgumentParser(
        prog="lmcap",
        description="Packet-capture analytics for data-center and Hyper-V networks.",
    )
    p.add_argument("--version", action="version", version=f"lmcap {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser(
        "analyze",
        help="read captures and print the diagnostic report",
        description="Read one or more captures (pcap, pcapng, .gz, .zst, '-' for stdin; "
        "several files are merged in time order) and print the report. Exit codes: 0 ok, "
        "3 a file could not be read to its end (with --strict), 4 findings at or above "
        "--fail-on.",
    )
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument("--format", choices=("text", "json"), default="text")
    a.add_argument("-o", "--output", metavar="PATH", help="write the report here instead of stdout")
    a.add_argument(
        "--link-speed",
        type=parse_link_speed,
        metavar="SPEED",
        help="link speed for utilization verdicts, e.g. 10G, 25G, 40G "
        "(a 10G link moves at most 1.25 GB/s)",
    )
    a.add_argument(
        "--bucket",
        type=parse_bucket,
        default=1_000_000_000,
        metavar="DURATION",
        help="throughput time-series bucket: 1s (default) down to 1ms",
    )
    _add_loading_options(a)
    a.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 4 when a finding of this severity or worse is present (for CI checks)",
    )
    a.set_defaults(func=cmd_analyze)

    s = sub.add_parser(
        "sql",
        help="run SQL over the tables of a capture",
        description="Load the captures into DuckDB (tables: see `lmcap schema`) and run one "
        "query: your own with --execute, or a shipped one by name with --query. The derived "
        "table flooded_frames is built when the SQL names it. --query flows reads the flows "
        "table the scan built (queries/flows.sql is its specification in SQL).",
    )
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("-e", "--execute", metavar="SQL", help="SQL text to run")
    s.add_argument("-q", "--query", metavar="NAME", help="a shipped query (see `lmcap queries`)")
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument(
        "--limit", type=int, default=0, help="rows to show in table format (0: DuckDB's default)"
    )
    _add_loading_options(s)
    s.set_defaults(func=cmd_sql)

    sc = sub.add_parser("schema", help="show the tables and their columns")
    sc.add_argument("table", nargs="?")
    sc.add_argument("--markdown", action="store_true", help="print docs/schema.md")
    sc.set_defaults(func=cmd_schema)

    qs = sub.add_parser("queries", help="list the shipped SQL queries and what each answers")
    qs.set_defaults(func=cmd_queries)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        for line in str(e).splitlines():
            print(f"lmcap: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `lmcap sql ... | head`
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
