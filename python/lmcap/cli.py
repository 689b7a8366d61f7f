"""The ``lmcap`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
import warnings
from pathlib import Path

from lmcap.exitcodes import (
    EXIT_CAPTURE_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUT_OF_MEMORY,
    EXIT_USAGE,
    TABLE,
)
from lmcap.inputs import (
    UnreadableInput,
    UserError,
    check_inputs,
    os_error_reason,
    unreadable_after_scan,
)
from lmcap.memory import ANALYZE_MEMORY_LIMIT, TEMPORARY_DATABASE

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (0 or more; 0 shows every row)")
    return n


def _connect(
    files: list[str],
    strict: bool,
    memory_limit: str | None = None,
    derived=None,
    params=None,
    progress=None,
    filter=None,
    packets="all",
    database=":memory:",
):
    """Load the captures; raise UnreadableInput for any input of which nothing can be read
    (checked before the scan, and after it for standard input and pipes), else print the
    warnings of files read only in part. ``params`` (analysis Params) set what the scan cuts
    by (bucket, switch frame limit); ``progress`` follows the scan; ``filter`` (lmcap.Filter)
    keeps the frames of a time range, VLANs or hosts; ``packets`` ("all" or "detail") says
    whether to load every frame or only the detail frames, ``database`` where the tables live
    (lmcap.connect)."""
    import lmcap
    from lmcap.diagnostics import Params

    params = params or Params()
    check_inputs(files)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", lmcap.CaptureWarning)
        con = lmcap.connect(
            files,
            strict=strict,
            memory_limit=memory_limit,
            derived=derived,
            bucket_ns=params.bucket_ns,
            switch_max_frame=params.switch_max_frame,
            progress=progress.update if progress else None,
            filter=filter,
            packets=packets,
            database=database,
        )
    if progress:
        progress.close()
    capture_files = con.table("capture_files")
    rows = [dict(zip(capture_files.columns, r)) for r in capture_files.fetchall()]
    unreadable = unreadable_after_scan(rows)
    if unreadable:
        raise UnreadableInput(unreadable)
    for w in caught:
        print(f"lmcap: warning: {w.message}", file=sys.stderr)
    return con, bool(caught)


SI = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
#: A --link-speed without any unit is bits per second, and below this it is surely a slip
#: (`--link-speed 10` meant 10G, not 10 bit/s): refused rather than read silently wrong.
UNITLESS_LINK_SPEED_MIN_BPS = 1_000_000


def parse_link_speed(text: str) -> int:
    """'10G', '25g', '40Gbps', '40 Gbit/s', '100M', '10000000000' -> bits per second.

    Bits, never bytes: '10GB' or '1.25GB/s' is refused. A number with no unit at all is
    bit/s and must be at least 1M, so `10` is refused instead of read as 10 bit/s."""
    t = text.strip().replace(" ", "").removesuffix("/s").removesuffix("ps")
    if t.endswith("B"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: link speeds are in bits per second, 'B' means bytes "
            "(a 10G link is 10G, not 1.25GB)"
        )
    has_unit = t.lower().endswith(("bit", "b"))
    t = t.lower().removesuffix("bit").removesuffix("b")
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
    if not (unit or has_unit) and value < UNITLESS_LINK_SPEED_MIN_BPS:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no unit: give one, e.g. {number}G for {number} Gbit/s or "
            f"{number}M for {number} Mbit/s (a number alone counts bit/s, and must be at "
            "least 1000000 to be taken for one)"
        )
    return round(value)


#: Units of --bucket, longest suffix first so that 'ms' is not read as 'm' + 's'.
DURATION_UNITS_NS = (
    ("min", 60e9),
    ("ms", 1e6),
    ("us", 1e3),
    ("µs", 1e3),
    ("ns", 1),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
)


#: ``--bucket auto``: the bucket is chosen from the capture (the default of analyze and check).
AUTO_BUCKET = "auto"


def parse_bucket(text: str) -> int | str:
    """'1s', '100ms', '1ms', '0.5s', '250us', '1m', '1min', '1h' -> nanoseconds (1 ms to
    1 hour). A number without a unit is seconds; 'auto' stays :data:`AUTO_BUCKET`."""
    t = text.strip().lower().replace(" ", "")
    if t == AUTO_BUCKET:
        return AUTO_BUCKET
    factor = 1e9
    for suffix, scale in DURATION_UNITS_NS:
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    try:
        ns = round(float(t) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (try 1s, 100ms, 1ms, 1m, 1h, or auto)"
        ) from None
    if not 1_000_000 <= ns <= 3_600_000_000_000:
        raise argparse.ArgumentTypeError(f"bucket must be between 1ms and 1h: {text!r}")
    return ns


def parse_param(text: str) -> tuple[str, object]:
    """'arp_storm_pps=50' -> ('arp_storm_pps', 50.0): an analysis parameter of
    lmcap.diagnostics.Params, its value read as the type of its default."""
    import dataclasses

    from lmcap.diagnostics import Params

    name, sep, value = text.partition("=")
    defaults = {f.name: getattr(Params(), f.name) for f in dataclasses.fields(Params)}
    name = name.strip().replace("-", "_")
    if not sep or name not in defaults:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give NAME=VALUE with NAME one of {', '.join(sorted(defaults))}"
        )
    kind = type(defaults[name])
    try:
        return name, kind(value.strip()) if kind is not int else int(value.strip(), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: {name} takes a {kind.__name__} (default {defaults[name]})"
        ) from None


def _params(args: argparse.Namespace):
    """The analysis parameters of the command line: --param pairs, then --bucket and
    --link-speed (which win: they are the documented spelling of bucket_ns and
    link_speed_bps)."""
    from lmcap.diagnostics import Params

    values = dict(args.param or [])
    # not given or auto: chosen from the capture (the scan cuts traffic as finely as it can)
    values["bucket_ns"] = None if args.bucket in (None, AUTO_BUCKET) else args.bucket
    if args.link_speed:
        values["link_speed_bps"] = args.link_speed
    return Params(**values)


def _filter(args: argparse.Namespace):
    """The frames to keep (--since, --until, --vlan, --host), or None to keep all."""
    from lmcap.filters import Filter

    f = Filter(
        since=args.since,
        until=args.until,
        vlans=tuple(args.vlan or ()),
        hosts=tuple(args.host or ()),
    )
    return None if f.is_empty() else f


def parse_time(text: str):
    """--since/--until: seconds from the start (30, 90s, 250ms, 5m, 1.5h) or an absolute time
    (ISO 8601, UTC when no zone is given; @SECONDS since the epoch)."""
    from lmcap.filters import parse_instant

    try:
        return parse_instant(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_vlan(text: str) -> int:
    try:
        vlan = int(text)
    except ValueError:
        vlan = -1
    if not 0 <= vlan <= 4095:
        raise argparse.ArgumentTypeError(f"not a VLAN id: {text!r} (0 to 4095)")
    return vlan


def parse_host(text: str) -> str:
    """--host: an IPv4/IPv6 address or a MAC address (aa:bb:cc:dd:ee:ff or aa-bb-...)."""
    import ipaddress
    import re

    t = text.strip()
    try:
        return str(ipaddress.ip_address(t))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}", t):
        return t.lower().replace("-", ":")
    raise argparse.ArgumentTypeError(
        f"not an IP or MAC address: {text!r} (e.g. 192.0.2.10, 2001:db8::1, 02:00:5e:10:00:01)"
    )


def _progress(args: argparse.Namespace):
    """A progress line on stderr while the captures are read, when stderr is a terminal and
    --quiet is not given (lmcap.progress); None otherwise."""
    from lmcap import progress

    if not progress.enabled(sys.stderr, quiet=args.quiet):
        return None
    return progress.Progress(list(args.files))


def _report_width(args: argparse.Namespace) -> int:
    """Columns of the text report: $COLUMNS when set, else the terminal's width when the
    report goes to a terminal, else 100 (a file, a pipe, a CI log)."""
    import os
    import shutil

    from lmcap.textreport import NOT_A_TERMINAL_WIDTH

    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if not args.output and sys.stdout.isatty():
        return shutil.get_terminal_size((NOT_A_TERMINAL_WIDTH, 24)).columns
    return NOT_A_TERMINAL_WIDTH


def _check_output_folder(output: str) -> None:
    """Refuse `-o PATH` into a folder that does not exist, or onto a folder, before reading
    any capture."""
    if Path(output).is_dir():
        raise UserError(f"{output}: cannot write the report: is a directory")
    folder = Path(output).parent
    if not folder.is_dir():
        raise UserError(f"{output}: cannot write the report: no folder {str(folder)!r}")


def _write_report(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot write the report: {os_error_reason(e)}") from e


def _unknown_name(what: str, name: str, known: list[str], listing: str) -> UserError:
    """'no shipped query named 'flow' (did you mean: flows?); `lmcap queries` lists them'."""
    import difflib

    close = difflib.get_close_matches(name, known, n=4, cutoff=0.6)
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    return UserError(f"no {what} named {name!r}{hint}; {listing} lists them")


def _print_profile(timings: list[tuple[str, float, int]], frames: int) -> None:
    """``--profile``: seconds per phase with the peak memory reached by its end, the frames
    read and the peak memory of the run, on stderr."""
    from lmcap.report import peak_rss_bytes

    total = sum(t for _, t, _ in timings)
    width = max(len(name) for name, _, _ in timings)
    print("lmcap: profile (seconds, share, peak RSS by the phase's end)", file=sys.stderr)
    for name, secs, peak in timings:
        share = secs / total if total else 0.0
        print(
            f"  {name:<{width}}  {secs:8.3f} s  {share:6.1%}  {peak / 2**20:7,.0f} MiB",
            file=sys.stderr,
        )
    rate = f", {frames / total:,.0f} frames/s" if total else ""
    print(f"  {'total':<{width}}  {total:8.3f} s  ({frames:,} frames{rate})", file=sys.stderr)
    print(f"  peak memory (RSS): {peak_rss_bytes() / 2**20:,.0f} MiB", file=sys.stderr)


def cmd_analyze(args: argparse.Namespace) -> int:
    import lmcap
    from lmcap import report as rep
    from lmcap import textreport

    if args.output:
        _check_output_folder(args.output)
    if args.html:
        _check_output_folder(args.html)
        if args.output and Path(args.html).resolve() == Path(args.output).resolve():
            raise UserError(f"{args.html}: --html and -o name the same file: give two paths")
    params = _params(args)
    progress = _progress(args)
    timings: list[tuple[str, float, int]] | None = [] if args.profile else None
    started = time.perf_counter()
    try:
        con, had_errors = _connect(
            args.files,
            strict=False,
            memory_limit=args.memory_limit,
            params=params,
            filter=_filter(args),
            progress=progress,
            # the diagnostics read evidence and detail frames; the HTML report's frame-size
            # plot still reads every frame
            packets="all" if args.html else "detail",
            database=TEMPORARY_DATABASE,
        )
        if timings is not None:
            timings.append(
                ("read and load the capture", time.perf_counter() - started, rep.peak_rss_bytes())
            )
        if progress:
            progress.phase("analysing the tables")
        report = rep.build(con, params, timings=timings)
        if empty := rep.filtered_to_nothing(report):
            print(f"lmcap: warning: {empty}", file=sys.stderr)
    except lmcap.CaptureError as e:  # pragma: no cover - strict=False never raises
        print(f"lmcap: error: {e}", file=sys.stderr)
        return EXIT_CAPTURE_ERROR
    finally:
        if progress:
            progress.close()
    if args.format == "json":
        text = json.dumps(report, indent=2, default=str) + "\n"
    elif args.format == "markdown":
        text = textreport.render_markdown(report, top=args.top)
    else:
        text = textreport.render(report, top=args.top, width=_report_width(args))
    if args.html:
        from lmcap import htmlreport

        # the plots at the bucket the report used (chosen from the capture unless given)
        used = dataclasses.replace(params, bucket_ns=report["throughput"]["bucket"]["bucket_ns"])
        _write_report(args.html, htmlreport.render_html(report, con, used, top=args.top))
    if args.output:
        _write_report(args.output, text)
    else:
        sys.stdout.write(text)
    if timings is not None:
        rendered = time.perf_counter() - started - sum(t for _, t, _ in timings)
        timings.append(("render", rendered, rep.peak_rss_bytes()))
        _print_profile(timings, report["capture"]["packets"])
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
        raise UserError("sql: give exactly one of --execute SQL or --query NAME")
    import re

    from lmcap.api import DERIVED_TABLES, table_names

    known = sorted({*queries.all_queries(), *table_names()})
    if args.query and args.query not in known:
        raise _unknown_name("shipped query", args.query, known, "`lmcap queries`")
    if args.query and args.query in table_names():
        # A query that specifies a scanned table (flows.sql): the table is already there.
        args.execute, args.query = f"SELECT * FROM {args.query}", None
    text = args.execute or queries.get(args.query).sql
    # Build only the derived tables the SQL names.
    derived = [t for t in DERIVED_TABLES if queries.names_table(text, t)]
    analysis = _params(args)
    if args.bucket is None:
        from lmcap.diagnostics import DEFAULT_BUCKET_NS

        # SQL sees the traffic table as cut: 1 s unless --bucket says otherwise (auto included)
        analysis = dataclasses.replace(analysis, bucket_ns=DEFAULT_BUCKET_NS)
    con, had_errors = _connect(
        args.files,
        strict=False,
        memory_limit=args.memory_limit,
        derived=derived,
        params=analysis,
        filter=_filter(args),
        progress=_progress(args),
        # every frame only when the SQL reads them
        packets="all" if queries.names_table(text, "packets") else "detail",
    )
    if analysis.bucket_ns is None:
        # --bucket auto: $bucket_ns is the width the scan chose
        from lmcap import queries as q

        analysis = dataclasses.replace(analysis, bucket_ns=q.scan_cut(con)["bucket_ns"])
    # The analysis parameters the SQL uses: a shipped query's `-- params:` line, or the
    # $names written in --execute SQL (e.g. `... / $bucket_ns`).
    used = queries.get(args.query).params if args.query else re.findall(r"\$(\w+)", text)
    params = {k: v for k, v in analysis.sql_params().items() if k in used}
    if args.execute:
        import duckdb

        try:
            # DuckDB relations are lazy: rendering runs the query, so it is inside the try.
            rel = con.sql(args.execute, params=params) if params else con.sql(args.execute)
            text = None if rel is None else _render_rows(rel, args.format, args.limit)
        except duckdb.OutOfMemoryException:
            raise  # not a mistake in the SQL: main() says to raise --memory-limit, exit 5
        except duckdb.Error as e:
            raise UserError(_sql_error_line(e, _table_names(con))) from e
    else:
        q = queries.get(args.query)
        rel = con.sql(q.sql, params=params) if params else con.sql(q.sql)
        text = _render_rows(rel, args.format, args.limit)
    if text is not None:
        sys.stdout.write(text)
    return EXIT_CAPTURE_ERROR if (had_errors and args.strict) else EXIT_OK


def _table_names(con) -> list[str]:
    """The tables and views the SQL of `lmcap sql` can read (DuckDB's own catalog aside):
    those loaded, and those built only when the SQL names them."""
    from lmcap.api import DERIVED_TABLES

    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
        "UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    loaded = {name for (name,) in rows if not name.startswith("_lmcap")}
    return sorted(loaded | set(DERIVED_TABLES) | {"packets"})


def _sql_error_line(err: Exception, tables: list[str]) -> str:
    """DuckDB's message on one line: its first line and hints ('Did you mean "packets"?'),
    without the echo of the SQL and the ^^^ marker under it. For a table that does not exist,
    the closest of ``tables`` instead of DuckDB's guess from its own catalog."""
    lines = [line.strip() for line in str(err).splitlines()]
    kept = [x for x in lines if x and not x.startswith("LINE ") and set(x) != {"^"}]
    text = " ".join(kept)
    if missing := re.search(r"Table with name (\S+) does not exist!", text):
        # DuckDB's own hint names its catalog (pg_sequences, ...), not lmcap's tables
        import difflib

        text = text[: missing.end()]
        close = difflib.get_close_matches(missing.group(1).lower(), tables, n=3)
        if close:
            text += " Did you mean " + " or ".join(f'"{n}"' for n in close) + "?"
        text += " `lmcap schema` lists the tables."
    return "SQL: " + text


#: DuckDB's nanosecond timestamps as ISO 8601 text with all 9 fractional digits (Python's
#: datetime, which DuckDB hands them out as, stops at microseconds). Captures are UTC.
NANOSECOND_TIMESTAMP_FORMATS = {
    "timestamptz_ns": "%Y-%m-%dT%H:%M:%S.%nZ",
    "timestamp_ns": "%Y-%m-%dT%H:%M:%S.%n",
}


def _lossless_timestamps(rel):
    """The relation with every nanosecond timestamp column turned into ISO text."""
    exprs, changed = [], False
    for name, dtype in zip(rel.columns, rel.types):
        quoted = '"' + name.replace('"', '""') + '"'
        fmt = NANOSECOND_TIMESTAMP_FORMATS.get(dtype.id)
        changed |= fmt is not None
        exprs.append(f"strftime({quoted}, '{fmt}') AS {quoted}" if fmt else quoted)
    return rel.project(", ".join(exprs)) if changed else rel


def _render_rows(rel, fmt: str, limit: int) -> str:
    """A query result as `lmcap sql --format` prints it (csv and json keep nanoseconds)."""
    if fmt == "table":
        return f"{rel.limit(limit) if limit else rel}\n"
    rel = _lossless_timestamps(rel)
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(rel.columns)
        w.writerows(rel.fetchall())
        return out.getvalue()
    cols = rel.columns
    rows = [dict(zip(cols, r)) for r in rel.fetchall()]
    return json.dumps(rows, indent=2, default=str) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    import lmcap
    from lmcap import _core

    if args.markdown:
        sys.stdout.write(_core.schema_markdown())
        return EXIT_OK
    if args.report:
        from lmcap.reportschema import json_schema_text

        sys.stdout.write(json_schema_text())
        return EXIT_OK
    if args.table and args.table not in lmcap.table_names():
        raise _unknown_name("table", args.table, lmcap.table_names(), "`lmcap schema`")
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


def _memory_size(text: str) -> str:
    """A size DuckDB's memory_limit accepts (e.g. 512MB, 4GB, 1.5GiB), checked here so a typo
    is a usage error, not a traceback from DuckDB."""
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B)\s*", text, re.IGNORECASE):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a memory size: a number and a unit, e.g. 512MB, 4GB, 2GiB"
        )
    return text


def _add_loading_options(p: argparse.ArgumentParser, memory_default: str, why: str) -> None:
    """Options of every command that loads captures into DuckDB."""
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 when a capture is cut short or corrupt after some frames. Without it such "
        "a capture is still used: the frames before the damage are analysed, a warning names "
        "the file, byte offset and reason, and the exit code is 0. (An input of which nothing "
        "can be read, such as a missing, empty or non-capture file, is always an error, exit 2.)",
    )
    p.add_argument(
        "--memory-limit",
        default=memory_default,
        type=_memory_size,
        metavar="SIZE",
        help=f"DuckDB memory cap; past it, tables spill to a temporary folder (default "
        f"{memory_default}: {why})",
    )
    p.add_argument(
        "--since",
        type=parse_time,
        metavar="TIME",
        help="keep frames stamped at or after TIME: seconds from the first frame (30, 90s, 5m, "
        "1.5h) or an absolute time (2024-05-01T10:00:00Z, UTC when no zone is given; "
        "@SECONDS since the epoch). Filters apply while the capture is read: every table and "
        "the report see only the kept frames, which keep their frame numbers; the report's "
        "capture.filter says what was kept and how many frames were dropped",
    )
    p.add_argument(
        "--until", type=parse_time, metavar="TIME", help="keep frames stamped before TIME"
    )
    p.add_argument(
        "--vlan",
        type=parse_vlan,
        action="append",
        metavar="ID",
        help="keep frames tagged with this VLAN id (outer or inner tag); repeat for several",
    )
    p.add_argument(
        "--host",
        type=parse_host,
        action="append",
        metavar="ADDR",
        help="keep frames from or to this IP address (also as ARP sender or target) or MAC "
        "address; repeat for several. Different filters combine: --vlan 20 --host 192.0.2.10 "
        "keeps that host's frames on VLAN 20",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line. Without it, a line on stderr shows bytes and frames read, rate "
        "and time left while the captures are read, only when stderr is a terminal (never in "
        "a pipe, a log or the report)",
    )


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    """The analysis parameters (lmcap.diagnostics.Params), for analyze and for the shipped
    queries of sql that use them."""
    p.add_argument(
        "--link-speed",
        type=parse_link_speed,
        metavar="SPEED",
        help="link speed for utilization verdicts in bits per second, e.g. 10G, 25G, 40Gbit/s "
        "(a 10G link moves at most 1.25 GB/s). Bytes ('10GB') are refused, and so is a number "
        "without unit below 1M ('10' is not read as 10 bit/s)",
    )
    p.add_argument(
        "--bucket",
        type=parse_bucket,
        default=None,
        metavar="DURATION",
        help="throughput time-series bucket, from 1ms to 1h: e.g. 1ms, 250ms, 1s, 1m (or "
        "1min), 1h (a number without unit is seconds), or auto: chosen from the capture so "
        "that every bulk transfer spans at least 20 buckets, 1ms to 1s (the default of "
        "analyze; the report says which it chose and why). sql defaults to 1s",
    )
    p.add_argument(
        "--param",
        type=parse_param,
        action="append",
        metavar="NAME=VALUE",
        help="any other analysis threshold by its name in docs/findings.md, e.g. "
        "arp_storm_pps=50 or igmp_query_interval_s=60; repeat for several",
    )


EXIT_CODES_HELP = "exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in TABLE)


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps text laid out in lines (the exit-code table)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """Every lmcap parser, the subcommands' included (argparse makes them of the same class):
    the exit-code table, shared by every command, closes each --help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("epilog", EXIT_CODES_HELP)
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from lmcap import __version__
    from lmcap.textreport import DEFAULT_TOP

    p = _Parser(
        prog="lmcap",
        description="Packet-capture analytics for data-center and Hyper-V networks.",
    )
    p.add_argument("--version", action="version", version=f"lmcap {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser(
        "analyze",
        help="read captures and print the diagnostic report",
        description="Read one or more captures (pcap, pcapng, .gz, .zst, '-' for stdin; "
        "several files are merged in time order) and print the report. An input of which "
        "nothing can be read (missing, a directory, unreadable, empty, not a capture) stops "
        "the run: 'lmcap: error: FILE: reason', no report, exit 2. A capture with a header "
        "and no frames is a valid empty capture. A capture cut short or corrupt after some "
        "frames is reported as far as it could be read (see --strict).",
    )
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default): a one-line verdict, the findings worst first, then the "
        "sections, fitted to the terminal's width ($COLUMNS, else 100 columns when not a "
        "terminal); json: the whole report, the contract of docs/report.md, schema from "
        "`lmcap schema --report`; markdown: the text report's content for a ticket or wiki "
        "(headings, pipe tables)",
    )
    a.add_argument(
        "--top",
        type=_non_negative_int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"rows of each list in text and markdown (default {DEFAULT_TOP}, 0 for all); a "
        "line says how many more there are. The JSON report is never cut by --top",
    )
    a.add_argument("-o", "--output", metavar="PATH", help="write the report here instead of stdout")
    a.add_argument(
        "--html",
        metavar="PATH",
        help="also write the report as one self-contained HTML page (findings, then plots of "
        "throughput per flow, NIC and SMB channel with the --link-speed line, frame sizes per "
        "host and VLAN, IGMP membership, flooding rate, ARP claims, RDMA queue pairs; no "
        "network needed to view it; docs/html-report.md). The normal report still goes to "
        "stdout or -o",
    )
    _add_analysis_options(a)
    _add_loading_options(
        a,
        ANALYZE_MEMORY_LIMIT,
        "analyze loads the evidence and the detail frames, not every frame; it keeps the 8 GiB "
        "bench capture and a 10 M-flow SYN flood under 1 GiB, docs/performance.md",
    )
    a.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 4 when a finding of this severity or worse is present (for CI checks)",
    )
    a.add_argument(
        "--profile",
        action="store_true",
        help="print on stderr how long each phase took (reading and loading the capture, each "
        "diagnostic, rendering) and the peak memory, to see where a slow run spends its time",
    )
    a.set_defaults(func=cmd_analyze)

    s = sub.add_parser(
        "sql",
        help="run SQL over the tables of a capture",
        description="Load the captures into DuckDB (tables: see `lmcap schema`) and run one "
        "query: your own with --execute, or a shipped one by name with --query. The derived "
        "tables flooded_frames, analysis_window (the stretch of time rates are measured "
        "over, outlying timestamps left out) and frag_datagrams are built when the SQL names "
        "them. --query flows "
        "reads the flows "
        "table the scan built (queries/flows.sql is its specification in SQL). Shipped queries "
        "that take analysis parameters (`-- params:` in `lmcap queries`) get them from "
        "--bucket, --link-speed and --param; in --execute SQL write them as $bucket_ns, "
        "$link_speed_bps, ...",
    )
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("-e", "--execute", metavar="SQL", help="SQL text to run")
    s.add_argument("-q", "--query", metavar="NAME", help="a shipped query (see `lmcap queries`)")
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument(
        "--limit", type=int, default=0, help="rows to show in table format (0: DuckDB's default)"
    )
    _add_analysis_options(s)
    _add_loading_options(s, "2GB", "SQL that names packets loads every frame")
    s.set_defaults(func=cmd_sql)

    sc = sub.add_parser(
        "schema", help="show the tables and their columns, or the JSON Schema of the report"
    )
    sc.add_argument("table", nargs="?")
    sc.add_argument("--markdown", action="store_true", help="print docs/schema.md")
    sc.add_argument(
        "--report",
        action="store_true",
        help="print the JSON Schema (draft 2020-12) that every `lmcap analyze --format json` "
        "report validates against (shipped as lmcap/report.schema.json)",
    )
    sc.set_defaults(func=cmd_schema)

    qs = sub.add_parser("queries", help="list the shipped SQL queries and what each answers")
    qs.set_defaults(func=cmd_queries)

    from lmcap import check  # `lmcap check`: rules for CI pipelines (docs/check.md)

    check.add_parser(sub, parse_link_speed, parse_bucket, _add_loading_options)

    from lmcap import dataset  # `lmcap export`: Parquet datasets (docs/scale-out.md)

    dataset.add_parser(sub, parse_bucket)
    return p


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The command line parsed; an argument no command takes is reported with the usage of
    the command it was given to (argparse's own top-level check prints lmcap's usage, which
    does not show the options of `lmcap analyze`)."""
    args, extra = parser.parse_known_args(argv)
    given = sys.argv[1:] if argv is None else argv
    if extra and extra[0] in given[: given.index(args.command)]:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")  # before the command
    if extra:
        command = next(
            a
            for a in parser._actions
            if isinstance(a, argparse._SubParsersAction)  # the one way argparse exposes them
        ).choices[args.command]
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run one command. User mistakes (UserError: bad input, unknown names, bad SQL, a
    folder that does not exist) print `lmcap: error: ...` and exit 2; Ctrl-C prints
    `lmcap: interrupted` and exits 130; DuckDB out of memory under --memory-limit prints what
    to do and exits 5; a panic of the scanner (a bug, lmcap.ScanPanic) prints the capture and
    how far it was read and exits 6. Anything else is a bug and keeps its traceback."""
    sigint = _SigintFlag.install()
    try:
        args = _parse(build_parser(), argv)
        return args.func(args)
    except UserError as e:
        for line in str(e).splitlines():
            print(f"lmcap: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `lmcap sql ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as e:
        if sigint.received:  # a KeyboardInterrupt that DuckDB wrapped in its own error
            return _interrupted()
        from lmcap._core import ScanPanic

        if isinstance(e, ScanPanic):
            print(f"lmcap: internal error: {e}", file=sys.stderr)
            return EXIT_INTERNAL_ERROR
        import duckdb

        if isinstance(e, duckdb.OutOfMemoryException):
            # a hostile or huge capture can make one step (a list aggregate, a sort) need more
            # than the cap; DuckDB spills most steps to disk but not all
            first = str(e).splitlines()[0]
            print(
                f"lmcap: error: DuckDB needs more memory than --memory-limit allows ({first}); "
                "run again with a larger --memory-limit, e.g. --memory-limit 4GB",
                file=sys.stderr,
            )
            return EXIT_OUT_OF_MEMORY
        raise
    finally:
        sigint.uninstall()


def _interrupted() -> int:
    print("lmcap: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


class _SigintFlag:
    """A SIGINT handler that raises KeyboardInterrupt, as Python's own does, and remembers
    that it did: DuckDB turns a KeyboardInterrupt raised while it reads the packet stream into
    an InvalidInputException, which main() must still report as an interruption."""

    def __init__(self) -> None:
        self.received = False
        self.previous = None

    @classmethod
    def install(cls) -> _SigintFlag:
        import signal

        flag = cls()
        try:
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # keep an ignored SIGINT
                flag.previous = signal.signal(signal.SIGINT, flag._handle)
        except ValueError:  # main() called outside the main thread: no handler of ours
            pass
        return flag

    def _handle(self, signum, frame) -> None:
        self.received = True
        raise KeyboardInterrupt

    def uninstall(self) -> None:
        if self.previous is not None:
            import signal

            signal.signal(signal.SIGINT, self.previous)


if __name__ == "__main__":
    sys.exit(main())
