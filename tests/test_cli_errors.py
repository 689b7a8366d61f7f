"""User mistakes at the command line: one clear line, a failing exit code, never a traceback.

Every case runs the real CLI in a subprocess, so a traceback or a stray report on stdout
would be seen exactly as a user or a CI pipeline sees it. Exit codes: lmcap/exitcodes.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lmcap.exitcodes import EXIT_CAPTURE_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from lmcap.inputs import scan_error_reason

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
GOOD = CAPTURES / "vlan" / "jumbo.pcap"
MALFORMED = CAPTURES / "malformed"

#: The commands that read captures, as a user would call them on FILE(s).
READING_COMMANDS = {
    "analyze": ["analyze"],
    "analyze-json": ["analyze", "--format", "json"],
    "sql-execute": ["sql", "-e", "SELECT count(*) AS n FROM packets", "--format", "json"],
    "sql-query": ["sql", "-q", "capture_summary"],
}


def run_lmcap(*args: str, stdin: bytes = b"", prelude: str = "") -> subprocess.CompletedProcess:
    """``python -m lmcap ARGS`` (after ``prelude``, Python run first in the same process)."""
    code = f"{prelude}\nimport sys\nfrom lmcap.cli import main\nsys.exit(main(sys.argv[1:]))"
    p = subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=120
    )
    return subprocess.CompletedProcess(
        p.args, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8")
    )


def assert_user_error(r: subprocess.CompletedProcess, *names: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr (`lmcap: error: ...` naming each
    of ``names``), no traceback. Returns that line."""
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    assert r.returncode == EXIT_USAGE, (r.returncode, r.stderr)
    assert r.stdout == "", "a report or a table was printed for input that cannot be read"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("lmcap: error: "), lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def pcap_header(version_major: int = 2) -> bytes:
    """A little-endian microsecond pcap global header (Ethernet, snaplen 65535)."""
    return struct.pack("<IHHiIII", 0xA1B2C3D4, version_major, 4, 0, 0, 65535, 1)


def pcapng_section_header() -> bytes:
    """A pcapng Section Header Block of 28 bytes, version 1.0, no options."""
    return struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)


@dataclass(frozen=True)
class BadInput:
    """An input of which nothing can be read, and the words the error must use."""

    name: str
    reason: str
    make: object  # (tmp_path) -> path as given on the command line


def _write(name: str, data: bytes):
    def make(tmp: Path) -> str:
        (tmp / name).write_bytes(data)
        return str(tmp / name)

    return make


BAD_INPUTS = [
    BadInput("missing", "no such file", lambda tmp: str(tmp / "missing.pcap")),
    BadInput("directory", "is a directory", lambda tmp: str(tmp)),
    BadInput("empty", "empty file", _write("empty.pcap", b"")),
    BadInput(
        "text",
        "not a pcap, pcapng, gzip or zstd file (first bytes 68656c6c)",
        _write("notes.txt", b"hello world\n"),
    ),
    BadInput(
        "gzipped-text",
        "not a pcap, pcapng, gzip or zstd file (first bytes 68656c6c)",
        _write("notes.txt.gz", gzip.compress(b"hello world\n")),
    ),
    BadInput("three-bytes", "cut short", _write("tiny.pcap", b"hel")),
    BadInput(
        "impossible-version",
        "bad header: unsupported pcap version 9.4",
        _write("v9.pcap", pcap_header(version_major=9)),
    ),
    BadInput("bad-magic", "not a pcap", lambda tmp: str(MALFORMED / "bad-magic.pcap")),
    BadInput(
        "global-header-cut-short",
        "inside the pcap global header",
        lambda tmp: str(MALFORMED / "trunc-global-header.pcap"),
    ),
]


@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_unreadable_input_is_refused(tmp_path: Path, command: list[str], bad: BadInput) -> None:
    path = bad.make(tmp_path)
    line = assert_user_error(run_lmcap(*command, path), path)
    assert bad.reason in line


@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
def test_one_unreadable_file_among_good_ones_fails_the_run(
    tmp_path: Path, command: list[str]
) -> None:
    missing = str(tmp_path / "rotated-1.pcap")
    line = assert_user_error(run_lmcap(*command, str(GOOD), missing, str(GOOD)), missing)
    assert "no such file" in line and str(GOOD) not in line


@pytest.mark.parametrize(
    "stdin,reason",
    [(b"", "empty input"), (b"hello world\n", "not a pcap")],
    ids=["empty", "text"],
)
@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
def test_unreadable_standard_input_is_refused(command: list[str], stdin: bytes, reason: str):
    line = assert_user_error(run_lmcap(*command, "-", stdin=stdin), "-: ")
    assert reason in line


@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
def test_unreadable_file_is_refused(tmp_path: Path, command: list[str]) -> None:
    """chmod 000 when not root; as root (who reads it anyway) opening it is made to fail."""
    path = tmp_path / "secret.pcap"
    path.write_bytes(GOOD.read_bytes())
    prelude = ""
    if os.geteuid() == 0:
        prelude = (
            "import builtins, errno\n"
            "real_open = builtins.open\n"
            "def refusing_open(file, *a, **k):\n"
            f"    if str(file) == {str(path)!r}:\n"
            "        raise PermissionError(errno.EACCES, 'Permission denied', str(file))\n"
            "    return real_open(file, *a, **k)\n"
            "builtins.open = refusing_open\n"
        )
    else:
        path.chmod(0)
    line = assert_user_error(run_lmcap(*command, str(path), prelude=prelude), str(path))
    assert "permission denied" in line


def test_reader_io_errors_read_in_plain_words() -> None:
    """What the native reader reports for a file it cannot open (checked after a scan, e.g.
    for a pipe) reads like the checks made before it."""
    msg = "x.pcap: at byte offset 0: I/O error: Permission denied (os error 13)"
    assert scan_error_reason("x.pcap", "io_error", msg) == "permission denied"
    msg = "x.pcap: at byte offset 0: I/O error: No such file or directory (os error 2)"
    assert scan_error_reason("x.pcap", "io_error", msg) == "no such file"


@pytest.mark.parametrize(
    "name,data",
    [("header-only.pcap", pcap_header()), ("section-only.pcapng", pcapng_section_header())],
)
def test_capture_with_a_header_and_no_frames_is_a_valid_empty_capture(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    r = run_lmcap("analyze", "--format", "json", str(path))
    assert (r.returncode, r.stderr) == (EXIT_OK, "")
    assert json.loads(r.stdout)["capture"]["packets"] == 0
    r = run_lmcap("sql", str(path), "--format", "json", "-e", "SELECT count(*) AS n FROM packets")
    assert (r.returncode, r.stderr) == (EXIT_OK, "")
    assert json.loads(r.stdout) == [{"n": 0}]


@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
def test_capture_cut_short_is_reported_with_a_warning(command: list[str]) -> None:
    """Read in part: what was read, one warning naming file, offset and reason; exit 0, or 3
    with --strict."""
    cut = str(MALFORMED / "trunc-record-data.pcap")
    r = run_lmcap(*command, cut)
    assert "Traceback" not in r.stderr
    assert r.returncode == EXIT_OK and r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lmcap: warning: "), lines
    assert cut in lines[0] and "offset 258" in lines[0] and "cut short" in lines[0]
    r = run_lmcap(*command, "--strict", cut)
    assert r.returncode == EXIT_CAPTURE_ERROR and r.stdout


def test_a_capture_cut_short_is_a_finding_not_a_clean_verdict() -> None:
    """The report itself says the capture was read in part, so a quiet report cannot rest on
    the frames before the damage; `--fail-on warning` then fails."""
    cut = str(MALFORMED / "trunc-record-data.pcap")
    r = run_lmcap("analyze", "--format", "json", cut)
    [f] = [f for f in json.loads(r.stdout)["findings"] if f["id"] == "capture-cut-short"]
    assert f["severity"] == "warning"
    [file] = f["evidence"]["files"]
    assert (file["path"], file["kind"], file["offset"]) == (cut, "cut_short", 258)
    assert file["frames"] == json.loads(r.stdout)["capture"]["files"][0]["packets"]
    assert run_lmcap("analyze", "--fail-on", "warning", cut).returncode == EXIT_FINDINGS
    whole = json.loads(run_lmcap("analyze", "--format", "json", str(GOOD)).stdout)
    assert "capture-cut-short" not in {f["id"] for f in whole["findings"]}


def test_filters_that_keep_nothing_warn() -> None:
    r = run_lmcap("analyze", str(GOOD), "--since", "1990-01-01T00:00:00Z", "--until", "1990-01-02")
    assert r.returncode == EXIT_OK
    assert "lmcap: warning: the filters kept none of the" in r.stderr
    assert "from None" not in r.stdout
    kept = run_lmcap("analyze", str(GOOD), "--since", "0")
    assert "the filters kept none" not in kept.stderr


def test_export_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "nodir" / "dataset"
    line = assert_user_error(run_lmcap("export", str(GOOD), "-o", str(target)), "no folder")
    assert str(target) in line and not target.parent.exists()


# --------------------------------------------------------------------------------------------
# mistakes that are not about the input: one line, exit 2, no traceback

SQL_MISTAKES = {
    "syntax": ("SELEC count(*) FROM packets", "syntax error"),
    "unknown-table": ("SELECT * FROM nosuch", "nosuch"),
    "unknown-column": ("SELECT nosuch FROM packets", "nosuch"),
    "bad-cast": ("SELECT 'ten'::INTEGER", "ten"),
}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("sql,words", SQL_MISTAKES.values(), ids=SQL_MISTAKES)
def test_sql_mistake_is_one_line(sql: str, words: str, fmt: str) -> None:
    line = assert_user_error(run_lmcap("sql", str(GOOD), "--format", fmt, "-e", sql), words)
    assert line.startswith("lmcap: error: SQL: ")


@pytest.mark.parametrize(
    "table,hint",
    [("flow", '"flows"'), ("flooded_frame", '"flooded_frames"'), ("nosuch", None)],
)
def test_an_unknown_table_is_matched_against_lmcaps_tables(table: str, hint: str | None) -> None:
    # DuckDB's own hint guesses from its catalog ("pg_sequences"); lmcap's names its tables,
    # the ones built only when named (flooded_frames) too
    line = assert_user_error(run_lmcap("sql", str(GOOD), "-e", f"SELECT * FROM {table}"), table)
    assert "pg_" not in line and "lmcap schema" in line, line
    assert (hint in line) if hint else ("Did you mean" not in line), line


@pytest.mark.parametrize(
    "args,command",
    [
        (["analyze", str(GOOD), "--bogus"], "lmcap analyze"),
        (["sql", str(GOOD), "-e", "SELECT 1", "--bogus"], "lmcap sql"),
        (["check", str(GOOD), "--rules", "r.toml", "--bogus"], "lmcap check"),
        (["--bogus", "analyze", str(GOOD)], "lmcap"),
    ],
    ids=["analyze", "sql", "check", "before-the-command"],
)
def test_an_unknown_option_shows_the_usage_of_its_command(args: list[str], command: str) -> None:
    r = run_lmcap(*args)
    assert r.returncode == EXIT_USAGE and r.stdout == "" and "Traceback" not in r.stderr
    # argparse's usage then one error line, both of the command the option was given to
    assert r.stderr.startswith(f"usage: {command} "), r.stderr
    assert r.stderr.splitlines()[-1] == f"{command}: error: unrecognized arguments: --bogus"


@pytest.mark.parametrize(
    "args,words",
    [
        (["sql", str(GOOD), "-q", "flow"], ["no shipped query named 'flow'", "flows"]),
        (["sql", str(GOOD), "-q", "nosuch"], ["no shipped query named 'nosuch'"]),
        (["sql", str(GOOD)], ["exactly one of --execute SQL or --query NAME"]),
        (["sql", str(GOOD), "-e", "SELECT 1", "-q", "flows"], ["exactly one of"]),
        (["schema", "nosuch"], ["no table named 'nosuch'"]),
        (["schema", "packet"], ["no table named 'packet'", "packets"]),
    ],
    ids=["query-close-name", "query-unknown", "sql-neither", "sql-both", "schema", "schema-close"],
)
def test_unknown_names_are_one_line(args: list[str], words: list[str]) -> None:
    assert_user_error(run_lmcap(*args), *words)


@pytest.mark.parametrize("where", ["missing-folder", "onto-a-folder"])
def test_output_that_cannot_be_written_is_refused_before_reading(
    tmp_path: Path, where: str
) -> None:
    out = tmp_path / "no" / "report.json" if where == "missing-folder" else tmp_path
    # A capture that cannot be read either: the output is checked first, before any scan.
    r = run_lmcap("analyze", "-o", str(out), str(tmp_path / "missing.pcap"))
    assert "no such file" not in assert_user_error(r, str(out), "cannot write the report")
    assert not (tmp_path / "no").exists()


#: Where a real SIGINT is delivered (the process signals itself at that point).
INTERRUPT_POINTS = {
    # inside the packet stream DuckDB is reading: DuckDB wraps the KeyboardInterrupt
    "during-scan": (
        "lmcap.api",
        "_packet_batches",
        "def hooked(*a, **k):\n"
        "    for i, b in enumerate(original(*a, **k)):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        yield b\n",
    ),
    "during-report": (
        "lmcap.report",
        "build",
        "def hooked(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return original(*a, **k)\n",
    ),
}


@pytest.mark.parametrize("command", READING_COMMANDS.values(), ids=READING_COMMANDS)
@pytest.mark.parametrize("point", INTERRUPT_POINTS.values(), ids=INTERRUPT_POINTS)
def test_ctrl_c_is_one_line_and_exit_130(command: list[str], point: tuple[str, str, str]):
    module, name, hooked = point
    if name == "build" and command[0] != "analyze":
        pytest.skip("only analyze builds the report")
    prelude = (
        f"import os, signal, importlib\nmodule = importlib.import_module({module!r})\n"
        f"original = module.{name}\n{hooked}module.{name} = hooked\n"
    )
    r = run_lmcap(*command, str(GOOD), prelude=prelude)
    assert "Traceback" not in r.stderr, r.stderr
    assert (r.returncode, r.stderr) == (130, "lmcap: interrupted\n")


# --------------------------------------------------------------------------------------------
# units


@pytest.mark.parametrize("speed", ["10", "999999", "10GB", "1.25GB/s", "ten"])
def test_link_speed_without_a_sound_unit_is_refused(speed: str) -> None:
    r = run_lmcap("analyze", str(GOOD), "--link-speed", speed)
    assert "Traceback" not in r.stderr
    assert r.returncode == EXIT_USAGE and r.stdout == ""
    assert f"argument --link-speed: '{speed}'" in r.stderr or f"{speed!r}" in r.stderr


@pytest.mark.parametrize(
    "speed,bps",
    [
        ("10G", 10_000_000_000),
        ("25g", 25_000_000_000),
        ("40Gbps", 40_000_000_000),
        ("40 Gbit/s", 40_000_000_000),
        ("100M", 100_000_000),
        ("100Mb", 100_000_000),
        ("10000000000", 10_000_000_000),
    ],
)
def test_link_speed_units(speed: str, bps: int) -> None:
    from lmcap.cli import parse_link_speed

    assert parse_link_speed(speed) == bps


@pytest.mark.parametrize(
    "text,ns",
    [
        ("1ms", 1_000_000),
        ("250ms", 250_000_000),
        ("0.3s", 300_000_000),
        ("1s", 1_000_000_000),
        ("2", 2_000_000_000),
        ("1m", 60_000_000_000),
        ("1min", 60_000_000_000),
        ("1h", 3_600_000_000_000),
    ],
)
def test_bucket_units(text: str, ns: int) -> None:
    from lmcap.cli import parse_bucket

    assert parse_bucket(text) == ns


def test_bucket_of_an_hour_works_from_the_command_line() -> None:
    r = run_lmcap("analyze", "--format", "json", "--bucket", "1h", str(GOOD))
    assert (r.returncode, r.stderr) == (EXIT_OK, "")
    assert json.loads(r.stdout)["capture"]["packets"] == 4


def _iso_to_ns(text: str) -> int:
    """'2023-11-14T22:13:20.123456789Z' -> ns since the epoch, without datetime's rounding."""
    from datetime import datetime, timezone

    whole, _, fraction = text.removesuffix("Z").partition(".")
    assert len(fraction) == 9, text
    seconds = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int(fraction)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_sql_csv_and_json_keep_nanoseconds(fmt: str) -> None:
    """captures/formats/eth-le-ns.pcap has nanosecond timestamps (e.g. .373456919)."""
    ns_capture = CAPTURES / "formats" / "eth-le-ns.pcap"
    sql = "SELECT timestamp, epoch_ns(timestamp) AS ns FROM packets ORDER BY frame_number"
    r = run_lmcap("sql", str(ns_capture), "--format", fmt, "-e", sql)
    assert (r.returncode, r.stderr) == (EXIT_OK, "")
    if fmt == "json":
        rows = [(x["timestamp"], x["ns"]) for x in json.loads(r.stdout)]
    else:
        rows = [tuple(line.split(",")) for line in r.stdout.splitlines()[1:]]
    assert rows and any(int(ns) % 1000 for _, ns in rows), "no sub-microsecond timestamp"
    assert [_iso_to_ns(text) for text, _ in rows] == [int(ns) for _, ns in rows]


# --------------------------------------------------------------------------------------------
# the exit-code table in every --help


def _commands() -> list[str]:
    from lmcap.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", [None, *_commands()])
def test_every_help_shows_the_exit_code_table(command: str | None) -> None:
    from lmcap.exitcodes import TABLE

    r = run_lmcap(*([command] if command else []), "--help")
    assert r.returncode == EXIT_OK
    for code, meaning in TABLE:
        assert f"{code:<4} {meaning}" in r.stdout, (code, meaning)


def test_readme_exit_code_table_is_the_one_in_exitcodes() -> None:
    from lmcap.exitcodes import TABLE

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in TABLE:
        assert f"| {code} | {meaning} |" in readme, (code, meaning)
