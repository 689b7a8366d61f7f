"""`lmcap analyze` as a terminal user expects: the verdict, findings worst first, text that fits
the width, lists capped by --top, Markdown, progress on a terminal only, lmcap.analyze(), and
the JSON Schema of the report (issue 11)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lmcap
from lmcap import progress as prog
from lmcap import textreport
from lmcap.cli import main
from lmcap.findings import SEVERITIES

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
BLACKHOLE = CAPTURES / "mtu" / "blackhole.pcap"  # an error, warnings and info
QUERIER = CAPTURES / "igmp" / "clean-querier.pcap"
SMB = CAPTURES / "smb" / "multichannel-transfer.pcapng"
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".gz", ".zst")
FINDING_HEAD = re.compile(r"  \[(ERROR|WARNING|INFO)\] ")


@pytest.fixture(scope="module")
def blackhole() -> dict:
    return lmcap.analyze(BLACKHOLE)


def analyze_cli(capsys, *args: str) -> str:
    assert main(["analyze", *args]) == 0
    return capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# verdict and order


def test_first_line_is_the_verdict_with_counts_and_the_worst_finding(blackhole) -> None:
    text = textreport.render(blackhole, width=300)
    first = text.splitlines()[0]
    counts = {s: sum(f["severity"] == s for f in blackhole["findings"]) for s in SEVERITIES}
    assert counts["error"] >= 1, "the sample capture must have an error for this test"
    assert first.startswith(f"lmcap: {counts['error']} error")
    assert f"{counts['warning']} warning" in first
    worst = next(f for f in blackhole["findings"] if f["severity"] == "error")
    assert first.endswith(f"[{worst['id']}] {worst['summary']}")
    assert f"({blackhole['capture']['packets']} frames" in first and "blackhole.pcap" in first


def test_verdict_without_findings_says_so() -> None:
    report = lmcap.analyze(CAPTURES / "vlan" / "dot1q.pcap")
    report["findings"] = []
    assert textreport.render(report).splitlines()[0].startswith("lmcap: no findings in dot1q.pcap")


def test_findings_come_before_the_sections_worst_first(blackhole) -> None:
    report = copy.deepcopy(blackhole)
    report["findings"].reverse()  # whatever order they come in, errors print first
    lines = textreport.render(report).splitlines()
    assert lines.index(next(x for x in lines if x.startswith("Findings"))) == 2
    heads = [(i, m.group(1).lower()) for i, x in enumerate(lines) if (m := FINDING_HEAD.match(x))]
    assert min(i for i, x in enumerate(lines) if x.startswith("Capture")) > heads[-1][0]
    tags = [tag for _, tag in heads]
    assert len(tags) == len(report["findings"])
    assert tags == sorted(tags, key=SEVERITIES.index)
    for f in report["findings"]:  # each finding's advice is there
        assert f["advice"].split()[0] in "\n".join(lines)


# --------------------------------------------------------------------------------------------
# width


@pytest.mark.parametrize("width", [60, 80, 100, 160])
@pytest.mark.parametrize("capture", [BLACKHOLE, SMB, QUERIER, CAPTURES / "arp" / "ip-moved.pcap"])
def test_every_line_fits_the_width(width: int, capture: Path) -> None:
    text = textreport.render(lmcap.analyze(capture), width=width)
    too_long = [x for x in text.splitlines() if len(x) > width]
    assert not too_long, too_long[:3]


def test_wrapping_keeps_every_word(blackhole) -> None:
    narrow = textreport.render(blackhole, width=60)
    squeezed = re.sub(r"\s+", "", narrow)
    for f in blackhole["findings"]:
        for text in (f["summary"], f["advice"]):
            assert re.sub(r"\s+", "", text) in squeezed
    # a table too wide for 60 columns still shows every cell (as records)
    flow = blackhole["throughput"]["flows"][0]
    for cell in (f"{flow['client']} -> {flow['server']}", flow["class"]):
        assert re.sub(r"\s+", "", cell) in squeezed


def test_cli_text_is_100_columns_when_not_a_terminal(capsys, monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = analyze_cli(capsys, str(SMB))
    assert max(len(x) for x in out.splitlines()) == 100  # something needed all of it
    monkeypatch.setenv("COLUMNS", "72")
    out = analyze_cli(capsys, str(SMB))
    assert max(len(x) for x in out.splitlines()) <= 72


# --------------------------------------------------------------------------------------------
# --top


def querier_report(n: int) -> dict:
    """A real report whose querier table has ``n`` rows (copies of its real querier with
    other addresses): the shape of a large capture's ~510 queriers."""
    report = lmcap.analyze(QUERIER)
    real = report["igmp"]["queriers"]
    assert real, "clean-querier.pcap has a querier"
    report["igmp"]["queriers"] = [
        dict(real[0], querier=f"10.{i // 250}.{i % 250}.1") for i in range(n)
    ]
    return report


def test_long_lists_stop_at_top_with_a_line_saying_how_many_more() -> None:
    text = textreport.render(querier_report(510), top=20)
    rows = [x for x in text.splitlines() if re.match(r"  10\.\d+\.\d+\.1 ", x)]
    assert len(rows) == 20
    assert "  … and 490 more (--top to show more)" in text.splitlines()
    every = textreport.render(querier_report(510), top=0)
    assert len([x for x in every.splitlines() if re.match(r"  10\.\d+\.\d+\.1 ", x)]) == 510
    assert "more (--top" not in every.split("IGMP queriers")[1].split("\n\n")[0]


def test_a_list_the_report_itself_cuts_says_so(blackhole) -> None:
    report = copy.deepcopy(blackhole)
    t = report["throughput"]
    t["flow_count"] = len(t["flows"]) + 7  # as when the report keeps the largest 50 flows
    text = textreport.render(report, top=0, width=200)
    assert f"… and 7 more (the report keeps the first {len(t['flows'])})" in text


def test_findings_are_capped_too_and_the_line_counts_the_hidden_severities(blackhole) -> None:
    text = textreport.render(blackhole, top=1)
    hidden = sorted(blackhole["findings"], key=lambda f: SEVERITIES.index(f["severity"]))[1:]
    n_info = sum(f["severity"] == "info" for f in hidden)
    assert f"… and {len(hidden)} more findings (" in text
    assert f"{n_info} info" in text and "--top to show more)" in text
    assert len([x for x in text.splitlines() if FINDING_HEAD.match(x)]) == 1


def test_top_never_cuts_the_json_report(capsys) -> None:
    full = json.loads(analyze_cli(capsys, "--format", "json", str(SMB)))
    cut = json.loads(analyze_cli(capsys, "--format", "json", "--top", "1", str(SMB)))
    assert cut == full and len(full["frame_sizes"]["hosts"]) > 1


def test_top_must_be_a_count(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["analyze", "--top", "-3", str(SMB)])
    assert e.value.code == 2 and "not a count" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# markdown


def test_markdown_has_headings_and_pipe_tables(capsys) -> None:
    md = analyze_cli(capsys, "--format", "markdown", str(BLACKHOLE))
    lines = md.splitlines()
    report = lmcap.analyze(BLACKHOLE)
    assert lines[0].startswith("**lmcap: ") and "## Findings" in lines
    for f in report["findings"]:
        assert f"### {f['severity'].upper()} `{f['id']}`" in lines
    assert "## VLANs (1)" in lines
    # every table: header, separator, rows with the same number of cells
    tables, current = [], []
    for x in lines + [""]:
        if x.startswith("|"):
            current.append(x)
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 3
    for t in tables:
        cells = [len(re.split(r"(?<!\\)\|", row)) for row in t]
        assert len(set(cells)) == 1, t
        assert re.fullmatch(r"\|(---:?\|)+", t[1]), t[1]


def test_markdown_escapes_pipes_in_cells() -> None:
    t = textreport.Table(["a", "b"], [["x|y", 1]])
    assert textreport.markdown_table(t)[2] == "| x\\|y | 1 |"


# --------------------------------------------------------------------------------------------
# lmcap.analyze and lmcap sql parameters


def test_python_analyze_returns_the_json_report(capsys, blackhole) -> None:
    from_cli = json.loads(analyze_cli(capsys, "--format", "json", str(BLACKHOLE)))
    assert blackhole == from_cli


def test_python_analyze_takes_analysis_parameters() -> None:
    r = lmcap.analyze(CAPTURES / "throughput" / "steady-6600.pcap", link_speed_bps=10**10)
    assert r["throughput"]["link_speed_bps"] == 10**10
    r = lmcap.analyze(CAPTURES / "throughput" / "steady-6600.pcap", bucket_ns=100_000_000)
    assert r["throughput"]["bucket_s"] == 0.1
    with pytest.raises(TypeError, match="link_speed"):
        lmcap.analyze(BLACKHOLE, link_speed="10G")


def test_sql_takes_the_analysis_parameters(capsys) -> None:
    src = str(CAPTURES / "arp" / "arp-storm.pcap")

    def rows(*args: str) -> list[dict]:
        assert main(["sql", src, "--format", "json", *args]) == 0
        return json.loads(capsys.readouterr().out)

    assert rows("-q", "arp_rate_peak")[0]["threshold_pps"] == 100
    assert rows("-q", "arp_rate_peak", "--param", "arp_storm_pps=5")[0]["threshold_pps"] == 5
    assert rows("-e", "SELECT $bucket_ns AS b", "--bucket", "100ms") == [{"b": 100_000_000}]
    assert rows("-e", "SELECT $link_speed_bps AS s", "--link-speed", "25G") == [
        {"s": 25_000_000_000}
    ]


def test_param_names_and_values_are_checked(capsys) -> None:
    for bad in ("nosuch=1", "arp_storm_pps", "arp_storm_pps=fast"):
        with pytest.raises(SystemExit) as e:
            main(["sql", str(BLACKHOLE), "-e", "SELECT 1", "--param", bad])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert "arp_storm_pps" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_counts_bytes_of_the_file_frames_rate_and_time_left(tmp_path) -> None:
    f = tmp_path / "t.pcap"
    f.write_bytes(b"\0" * 4_000_000)
    clock = FakeClock()
    p = prog.Progress([str(f)], clock=clock)
    clock.now += 2
    line = p.line(
        [{"file_index": 0, "compression": "none", "bytes_read": 1_000_000, "packets": 12_345}]
    )
    assert line == "reading 1.00 MB of 4.00 MB (25%), 12.3 k frames, 500.00 KB/s, 6 s left"


def test_progress_of_compressed_input_uses_the_compressed_offset(tmp_path) -> None:
    f = tmp_path / "t.pcap.zst"
    f.write_bytes(b"\0" * 1_000_000)
    clock = FakeClock()
    real = os.path.realpath(f)
    p = prog.Progress([str(f)], clock=clock, offsets=lambda: {real: 250_000})
    clock.now += 1
    row = {"file_index": 0, "compression": "zstd", "bytes_read": 9_000_000, "packets": 10}
    assert p.line([row]).startswith("reading 250.00 KB of 1.00 MB (25%)")
    # where the system does not say (not Linux): uncompressed bytes, no total, no time left
    p = prog.Progress([str(f)], clock=clock, offsets=lambda: None)
    clock.now += 1
    line = p.line([row])
    assert line.startswith("reading 9.00 MB (uncompressed), 10 frames")
    assert " of " not in line and "left" not in line


def test_progress_offsets_of_open_files_come_from_the_system(tmp_path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"\0" * 5000)
    offsets = prog.open_file_offsets()
    if offsets is None:
        pytest.skip("no /proc/self/fdinfo here")
    with open(f, "rb") as fh:
        fh.seek(1234)
        assert prog.open_file_offsets()[os.path.realpath(f)] == 1234


def test_progress_is_drawn_at_most_every_interval_and_erased() -> None:
    import io

    out = io.StringIO()
    clock = FakeClock()
    p = prog.Progress(["-"], stream=out, clock=clock)
    row = [{"file_index": 0, "compression": "none", "bytes_read": 10, "packets": 1}]
    for _ in range(50):
        p.update(row)
        clock.now += 0.01
    assert out.getvalue().count(prog.ERASE_LINE) == 2  # at 0 s and at 0.25 s of 0.5 s
    p.close()
    assert out.getvalue().endswith(prog.ERASE_LINE)


def run_with_pty_stderr(*args: str) -> tuple[str, str]:
    """Run `python -m lmcap` with stderr on a pseudo-terminal and stdout on a pipe."""
    import pty

    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != prog.FORCE_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmcap", *args],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    stdout = proc.stdout.read()
    err = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    proc.wait(timeout=120)
    os.close(primary)
    assert proc.returncode == 0, err
    return stdout.decode(), err.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_on_a_terminal_stderr_never_on_stdout() -> None:
    out, err = run_with_pty_stderr("analyze", "--format", "json", str(SMB))
    assert "reading " in err and "frames" in err and "(100%)" in err
    assert err.endswith(prog.ERASE_LINE.replace("\n", "\r\n"))  # erased at the end
    report = json.loads(out)  # stdout is the report and nothing else
    assert report["capture"]["packets"] > 0 and "reading" not in out
    out, err = run_with_pty_stderr("analyze", "--quiet", "--format", "json", str(SMB))
    assert err == "" and json.loads(out) == report


def test_no_progress_when_stderr_is_not_a_terminal(capfd, monkeypatch) -> None:
    monkeypatch.delenv(prog.FORCE_ENV, raising=False)
    assert main(["analyze", "--format", "json", str(SMB)]) == 0
    assert capfd.readouterr().err == ""


def test_forced_progress_goes_to_stderr_only(capfd, monkeypatch) -> None:
    monkeypatch.setenv(prog.FORCE_ENV, "1")
    assert main(["analyze", "--format", "json", str(SMB)]) == 0
    out, err = capfd.readouterr()
    assert "reading " in err and "analysing" in err
    json.loads(out)
    assert main(["analyze", "--quiet", "--format", "json", str(SMB)]) == 0
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------------------------
# JSON Schema of the report

jsonschema = pytest.importorskip("jsonschema")


def every_capture() -> list[Path]:
    return sorted(
        p for p in CAPTURES.rglob("*") if p.is_file() and p.name.endswith(CAPTURE_SUFFIXES)
    )


@pytest.fixture(scope="module")
def validator():
    from lmcap.reportschema import json_schema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("capture", every_capture(), ids=lambda p: str(p.relative_to(CAPTURES)))
def test_every_capture_report_validates_against_the_shipped_schema(capture, validator) -> None:
    import warnings

    from lmcap.inputs import UnreadableInput, check_inputs

    try:
        check_inputs([str(capture)])
    except UnreadableInput:
        pytest.skip("no report for an input of which nothing can be read")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lmcap.CaptureWarning)
        report = lmcap.analyze(capture, strict=False)
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]]


def test_schema_catches_a_renamed_missing_or_retyped_key(validator, blackhole) -> None:
    assert validator.is_valid(blackhole)
    renamed = copy.deepcopy(blackhole)
    renamed["capture"]["frames"] = renamed["capture"].pop("packets")
    missing = copy.deepcopy(blackhole)
    del missing["vlans"][0]["max_wire_len"]
    retyped = copy.deepcopy(blackhole)
    retyped["frame_sizes"]["classes"]["jumbo"]["frames"] = "2"
    unknown_id = copy.deepcopy(blackhole)
    unknown_id["findings"][0]["id"] = "mtu-black-hole"
    nested = copy.deepcopy(blackhole)
    nested["throughput"]["flows"][0]["rate"]["mean_bps"] = None
    del nested["throughput"]["flows"][0]["rate"]["peak_bps"]
    for bad in (renamed, missing, retyped, unknown_id, nested):
        assert not validator.is_valid(bad)


def test_schema_command_prints_the_shipped_schema(capsys) -> None:
    from lmcap.reportschema import json_schema

    assert main(["schema", "--report"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_evidence_shows_no_python_literals() -> None:
    ev = textreport.evidence({"ip": "192.0.2.1", "vlan": None, "smb2_negotiated": True, "x": False})
    assert ev.scalars == ["ip=192.0.2.1", "vlan=-", "smb2_negotiated=yes", "x=no"]


def test_a_real_share_never_reads_as_nothing() -> None:
    from lmcap.fmt import percent, plural

    assert [percent(x) for x in (0, 0.00044, 0.0044, 0.044, 0.37, 1)] == [
        "0%",
        "<0.1%",
        "0.4%",
        "4.4%",
        "37%",
        "100%",
    ]
    assert (plural(1, "other"), plural(2, "other")) == ("1 other", "2 others")


def test_live_migrations_name_both_concurrency_figures_of_the_json() -> None:
    # migrations at once and connections carrying data at once are two figures (SMB
    # multichannel: one migration over two connections); the text names both, as the JSON
    report = lmcap.analyze(SMB)
    lm = report["throughput"]["live_migrations"]
    assert lm["max_concurrent"] == 2 and lm["max_concurrent_migrations"] == 1
    text = " ".join(textreport.render(report, width=200).split())
    assert (
        f"live migrations: 1, at most 1 at once (at {lm['max_concurrent_migrations_at']}); "
        f"at most 2 migration connections carrying data in one bucket (at {lm['at']})"
    ) in text
