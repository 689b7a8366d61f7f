"""The notebook API: lmcap.query (a shipped query by name as a DuckDB relation) and
lmcap.Report (the report dict shown as HTML, to_json as `lmcap analyze --format json`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape

import pytest
from conftest import CAPTURES_DIR

import lmcap
from lmcap import queries, textreport

JAGGED = CAPTURES_DIR / "throughput" / "jagged-6600.pcap"
DUPLICATE_IP = CAPTURES_DIR / "arp" / "duplicate-ip.pcap"


@pytest.fixture(scope="module")
def con():
    c = lmcap.connect(JAGGED, bucket_ns=100_000_000)
    yield c
    c.close()


def test_query_is_the_shipped_sql_with_the_scan_bucket(con):
    rel = lmcap.query("throughput_migrations_concurrent", con)
    rows = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    # the connection was cut at 100 ms: the query's default bucket is that, not Params' 1 s
    assert rows == queries.run(con, "throughput_migrations_concurrent", bucket_ns=100_000_000)
    assert len({r["bucket_start_ns"] % 1_000_000_000 for r in rows}) > 1


def test_query_params_override_defaults(con):
    without = lmcap.query("throughput_groups", con).project("utilization").fetchall()
    assert {u for (u,) in without} == {None}  # no link speed: no utilization
    with_speed = lmcap.query("throughput_groups", con, link_speed_bps=10_000_000_000)
    utilization = [u for (u,) in with_speed.project("utilization").fetchall()]
    assert None not in utilization and max(utilization) > 0
    coarse = lmcap.query("throughput_groups", con, bucket_ns=1_000_000_000)
    rows = [dict(zip(coarse.columns, r)) for r in coarse.fetchall()]
    # lmcap.query fills the parameters not given from Params; queries.run takes them all
    rest = {"link_speed_bps": 0, "report_list_max": 50}
    assert rows == queries.run(con, "throughput_groups", bucket_ns=1_000_000_000, **rest)
    assert rows != queries.run(con, "throughput_groups", bucket_ns=100_000_000, **rest)


def test_query_refuses_unknown_names_and_params(con):
    with pytest.raises(ValueError, match=r"no shipped query named 'flow' \(did you mean: flows"):
        lmcap.query("flow", con)
    with pytest.raises(TypeError, match="unknown analysis parameter.*bucket; known:"):
        lmcap.query("throughput_groups", con, bucket=5)
    with pytest.raises(ValueError, match="not a multiple of the bucket the capture was scanned"):
        lmcap.query("throughput_groups", con, bucket_ns=150_000_000)


def test_analyze_still_returns_a_plain_dict():
    assert type(lmcap.analyze(DUPLICATE_IP)) is dict


def test_report_to_json_is_the_cli_json():
    report = lmcap.Report(lmcap.analyze(DUPLICATE_IP))
    cli = subprocess.run(
        [sys.executable, "-m", "lmcap", "analyze", str(DUPLICATE_IP), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert report.to_json() == cli.stdout
    assert json.loads(report.to_json()) == report  # and a Report is the dict itself


def test_report_html_has_every_section_and_finding():
    data = lmcap.analyze(DUPLICATE_IP)
    html = lmcap.Report(data)._repr_html_()
    assert escape(textreport.verdict(data)) in html
    assert data["findings"], "the capture has findings to show"
    for f in data["findings"]:
        assert f"<code>{escape(f['id'])}</code>: {escape(f['summary'])}" in html
        if f.get("advice"):
            assert escape(f["advice"]) in html
    tables = 0
    for section in textreport.sections(data):
        assert f"<h3>{escape(section.title)}</h3>" in html
        for block in section.blocks:
            if isinstance(block, textreport.Table):
                tables += 1
                header = "".join(f"<th [^>]*>{re.escape(escape(h))}</th>" for h in block.headers)
                assert re.search(f"<tr>{header}</tr>", html), block.headers
                for row in block.rows:
                    assert all(escape(textreport._cell(v)) in html for v in row)
            else:
                assert f"<li>{escape(block.strip())}</li>" in html
    assert tables and html.count("<table") == tables


def test_report_html_escapes_capture_text(tmp_path):
    odd = tmp_path / "<b>x&y<b>.pcap"
    odd.write_bytes(DUPLICATE_IP.read_bytes())
    html = lmcap.Report(lmcap.analyze(odd))._repr_html_()
    assert "<b>x&y<b>" not in html and "&lt;b&gt;x&amp;y&lt;b&gt;" in html


def test_report_text_is_the_text_report():
    data = lmcap.analyze(DUPLICATE_IP)
    assert str(lmcap.Report(data)) == textreport.render(data, top=textreport.DEFAULT_TOP)


def test_a_diagnostic_out_of_duckdb_memory_runs_again_once_on_one_thread(monkeypatch):
    import duckdb

    from lmcap import report as rep
    from lmcap.findings import finding

    con = lmcap.connect(str(CAPTURES_DIR / "vlan" / "dot1q.pcap"))
    threads = lambda: con.execute("SELECT current_setting('threads')").fetchone()[0]  # noqa: E731
    default = threads()
    calls: list[int] = []

    def greedy(ctx, fail_times: int) -> None:
        calls.append(threads())
        ctx.report["findings"].append(finding("tcp-resets", "warning", f"run {len(calls)}", {}, ""))
        ctx.report["throughput"]["runs"] = len(calls)
        if len(calls) <= fail_times:
            raise duckdb.OutOfMemoryException("Out of Memory Error: a test")

    monkeypatch.setattr(rep, "DIAGNOSTICS", (lambda ctx: greedy(ctx, 1),))
    report = rep.build(con)
    # the second run on one thread, what the first wrote put back, the setting reset
    assert calls == [default, 1]
    assert [f["summary"] for f in report["findings"]] == ["run 2"]
    assert report["throughput"]["runs"] == 2
    assert threads() == default

    calls.clear()
    monkeypatch.setattr(rep, "DIAGNOSTICS", (lambda ctx: greedy(ctx, 2),))
    with pytest.raises(duckdb.OutOfMemoryException):
        rep.build(con)
    assert calls == [default, 1] and threads() == default
