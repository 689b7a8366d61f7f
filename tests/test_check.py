"""`lmcap check` (docs/check.md): rules on findings, figures and SQL, on real captures.

Every rule kind is run on a capture where it holds and one where it fails; the failing case
asserts the measured value the line shows against the report (or another table) read
independently of the check.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lmcap import check
from lmcap.cli import main
from lmcap.testing import CheckError, assert_capture

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
EXAMPLE_RULES = CAPTURES / "checks" / "migration.toml"
JUMBO_OK = CAPTURES / "jumbo" / "iperf-9000.pcap"  # every example rule holds
BLACKHOLE = CAPTURES / "mtu" / "blackhole.pcap"  # mtu-blackhole fires
STEADY = CAPTURES / "throughput" / "steady-6600.pcap"  # live migration at ~60 Mbit/s
DUPLICATE_IP = CAPTURES / "arp" / "duplicate-ip.pcap"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


def analyze(capture: Path, capsys) -> dict:
    """The report as `lmcap analyze --format json` prints it (independent of the check)."""
    assert main(["analyze", "--format", "json", str(capture)]) == 0
    return json.loads(capsys.readouterr().out)


def check_one(capture: Path, rule: dict) -> check.Result:
    rule = {"name": "under test", **rule}
    results, _, _ = check.run([str(capture)], check.load_rules({"rule": [rule]}))
    assert len(results) == 1
    return results[0]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmcap", *args], capture_output=True, text=True, cwd=ROOT
    )


def summary_counts(out: str) -> tuple[int, int]:
    last = out.rstrip("\n").splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, f"last line is not 'N passed, M failed': {last!r}"
    return int(m[1]), int(m[2])


# ------------------------------------------------------------------------------------------
# the example rules file


def test_example_rules_pass_on_a_clean_jumbo_capture(capsys) -> None:
    assert main(["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()[:-1]
    rules = check.load_rules(EXAMPLE_RULES)
    assert len(lines) == len(rules) and all(line.startswith("PASS  ") for line in lines)
    assert summary_counts(out) == (len(rules), 0)


def test_example_rules_fail_on_the_black_hole(capsys) -> None:
    report = analyze(BLACKHOLE, capsys)
    blackhole = next(f for f in report["findings"] if f["id"] == "mtu-blackhole")
    assert main(["check", str(BLACKHOLE), "--rules", str(EXAMPLE_RULES)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    failed = [line for line in lines if line.startswith("FAIL  ")]
    passed = [line for line in lines if line.startswith("PASS  ")]
    assert summary_counts(out) == (len(passed), len(failed))
    line = next(x for x in failed if "  no black hole: " in x)
    assert "1 finding (mtu-blackhole)" in line
    # The evidence under it is the finding's own summary.
    assert lines[lines.index(line) + 1].strip() == f"mtu-blackhole (error): {blackhole['summary']}"
    # No live-migration flow at all: the rule says what classes there are instead.
    assert any("live migration fast enough: no value" in x for x in failed)
    assert any("no duplicate IP" in x for x in passed)


# ------------------------------------------------------------------------------------------
# findings rules


def test_forbid_passes_and_fails(capsys) -> None:
    rule = {"kind": "findings", "forbid": "mtu-blackhole"}
    assert check_one(JUMBO_OK, rule).passed
    failed = check_one(BLACKHOLE, rule)
    assert not failed.passed and failed.value == 1
    assert failed.evidence[0].startswith("mtu-blackhole (error): ")


def test_forbid_where_host_matches_whole_addresses(capsys) -> None:
    report = analyze(DUPLICATE_IP, capsys)
    dup = next(f for f in report["findings"] if f["id"] == "duplicate-ip")
    ip = dup["evidence"]["ip"]
    rule = {"kind": "findings", "forbid": "duplicate-ip"}
    hit = check_one(DUPLICATE_IP, {**rule, "where": {"host": ip}})
    assert not hit.passed and hit.value == 1
    # 192.0.2.4 is a prefix of 192.0.2.40, not the same host.
    prefix = ip[:-1]
    assert check_one(DUPLICATE_IP, {**rule, "where": {"host": prefix}}).passed
    mac = dup["evidence"]["macs"][0]["mac"]
    assert not check_one(DUPLICATE_IP, {**rule, "where": {"host": mac.upper()}}).passed


def test_forbid_where_evidence_field() -> None:
    rule = {"kind": "findings", "forbid": "duplicate-ip"}
    assert not check_one(DUPLICATE_IP, {**rule, "where": {"ip": "192.0.2.40"}}).passed
    # The duplicate is on the untagged segment: a rule about VLAN 20 does not see it ...
    assert check_one(DUPLICATE_IP, {**rule, "where": {"vlan": 20}}).passed
    # ... and one about untagged frames (JSON null) does.
    assert not check_one(DUPLICATE_IP, {**rule, "where": {"vlan": "null"}}).passed


def test_require() -> None:
    rule = {"kind": "findings", "require": ["unregistered-multicast"]}
    assert check_one(CAPTURES / "igmp" / "igmpv2-unregistered.pcap", rule).passed
    failed = check_one(CAPTURES / "igmp" / "clean-querier.pcap", rule)
    assert not failed.passed
    assert failed.measured == "unregistered-multicast: 0"
    assert "no unregistered-multicast finding" in failed.evidence[0]


def test_max_severity(capsys) -> None:
    rule = {"kind": "findings", "max_severity": "warning"}
    ok = check_one(JUMBO_OK, rule)
    assert ok.passed and ok.measured == "worst info"
    failed = check_one(BLACKHOLE, rule)
    errors = [f for f in analyze(BLACKHOLE, capsys)["findings"] if f["severity"] == "error"]
    assert not failed.passed and failed.measured == "worst error"
    assert len(failed.evidence) == len(errors)


# ------------------------------------------------------------------------------------------
# figure rules


LIVE_MIGRATION_RATE = {
    "kind": "figure",
    "path": "throughput.flows[class=live-migration-tcp][payload_bytes_c2s>=1M].rate.mean_bps",
    "min": "1G",
}


def test_figure_min_rate(capsys) -> None:
    assert check_one(JUMBO_OK, LIVE_MIGRATION_RATE).passed
    flows = analyze(STEADY, capsys)["throughput"]["flows"]
    bulk = [
        (i, f)
        for i, f in enumerate(flows)
        if f["class"] == "live-migration-tcp" and f["payload_bytes_c2s"] >= 1e6
    ]
    assert len(bulk) == 1
    index, flow = bulk[0]
    failed = check_one(STEADY, LIVE_MIGRATION_RATE)
    assert not failed.passed
    assert failed.value == flow["rate"]["mean_bps"] < 1e9
    assert failed.measured.startswith(
        f"throughput.flows[{index}].rate.mean_bps = {int(flow['rate']['mean_bps'])} "
    )
    assert ">= 1000000000 (1G)" in failed.line()


def test_figure_all_and_any_over_a_list(capsys) -> None:
    # iperf3 opens a control connection to the same port beside the bulk one.
    flows = analyze(JUMBO_OK, capsys)["throughput"]["flows"]
    rates = [f["rate"]["mean_bps"] for f in flows if f["class"] == "live-migration-tcp"]
    assert len(rates) == 2 and min(rates) < 1e6 < max(rates)
    rule = {"kind": "figure", "path": "throughput.flows[class=live-migration-tcp].rate.mean_bps"}
    every = check_one(JUMBO_OK, {**rule, "min": "1M"})
    assert not every.passed and every.value == rates
    assert "2 values" in every.measured and "1 outside the bound" in every.measured
    assert len(every.evidence) == 1 and f"= {int(min(rates))} (" in every.evidence[0]
    assert check_one(JUMBO_OK, {**rule, "min": "1M", "over": "any"}).passed
    assert check_one(JUMBO_OK, {**rule, "over": "count", "equals": 2}).passed
    assert not check_one(JUMBO_OK, {**rule, "min": "10G", "over": "any"}).passed


def test_figure_filter_that_matches_nothing_names_the_values_there() -> None:
    failed = check_one(BLACKHOLE, LIVE_MIGRATION_RATE)
    assert not failed.passed
    assert "no element of throughput.flows has [class=live-migration-tcp]" in failed.evidence[0]
    assert "values there: other" in failed.evidence[0]


def test_figure_every_bulk_smb_session_has_two_channels(capsys) -> None:
    rule = {"kind": "figure", "path": "smb.sessions[smb_bytes>=1M].balance.channels", "min": 2}
    assert check_one(CAPTURES / "smb" / "multichannel-rdma-advertised.pcapng", rule).passed
    single = CAPTURES / "smb" / "multichannel-unreachable-nic.pcapng"
    sessions = analyze(single, capsys)["smb"]["sessions"]
    bulk = [s for s in sessions if s["smb_bytes"] >= 1e6]
    failed = check_one(single, rule)
    assert not failed.passed
    assert failed.value == bulk[0]["balance"]["channels"] == 1


def test_figure_rdma_used_as_a_sum(capsys) -> None:
    rule = {"kind": "figure", "path": "rdma.transports[*].payload_bytes", "over": "sum", "min": 1}
    roce = CAPTURES / "rdma" / "roce-v2-smbdirect.pcap"
    ok = check_one(roce, rule)
    assert ok.passed
    transports = analyze(roce, capsys)["rdma"]["transports"]
    assert ok.value == sum(t["payload_bytes"] for t in transports) > 0
    failed = check_one(JUMBO_OK, rule)
    assert not failed.passed and failed.value == 0


def test_figure_unregistered_multicast_rate(capsys) -> None:
    rule = {
        "kind": "figure",
        "path": "flooding.volume[kind=unregistered_multicast].bps",
        "over": "sum",  # no such traffic at all: no entry, a rate of 0
        "max": "500",
    }
    assert check_one(CAPTURES / "igmp" / "clean-querier.pcap", rule).passed
    flooded = CAPTURES / "igmp" / "igmpv2-unregistered.pcap"
    volume = analyze(flooded, capsys)["flooding"]["volume"]
    bps = next(v["bps"] for v in volume if v["kind"] == "unregistered_multicast")
    failed = check_one(flooded, rule)
    assert not failed.passed and failed.value == bps > 500


def test_figure_equals_a_word() -> None:
    rule = {"kind": "figure", "path": "igmp.querier_check.verdict", "equals": "ok"}
    assert check_one(CAPTURES / "igmp" / "clean-querier.pcap", rule).passed
    failed = check_one(CAPTURES / "igmp" / "no-querier.pcap", rule)
    assert not failed.passed and failed.value == "no_querier"


def test_figure_with_a_key_the_report_lacks_fails_and_lists_the_keys() -> None:
    # A finding's evidence is the one shape the report's schema leaves open: a key it lacks
    # is known only when the rule runs (a key no report has is refused at load, below).
    dup = CAPTURES / "arp" / "duplicate-ip.pcap"
    rule = {"kind": "figure", "path": "findings[id=duplicate-ip].evidence.nope", "max": 1}
    failed = check_one(dup, rule)
    assert not failed.passed
    assert "has no key 'nope'" in failed.evidence[0]
    assert "ip" in failed.evidence[0]


# ------------------------------------------------------------------------------------------
# SQL rules


RETRANSMITTED_SHARE = {
    "kind": "sql",
    "sql": "SELECT sum(retrans_bytes_c2s + retrans_bytes_s2c) / "
    "sum(payload_bytes_c2s + payload_bytes_s2c) AS retransmitted_share "
    "FROM flows WHERE proto = 'tcp'",
    "max": "0.1%",
}


def test_sql_value_retransmitted_share(capsys) -> None:
    assert check_one(STEADY, RETRANSMITTED_SHARE).passed
    tcp = analyze(BLACKHOLE, capsys)["tcp"]
    failed = check_one(BLACKHOLE, RETRANSMITTED_SHARE)
    assert not failed.passed
    assert failed.value == pytest.approx(tcp["retransmitted_bytes"] / tcp["payload_bytes"])
    assert failed.measured.startswith("retransmitted_share = 0.4")
    assert "<= 0.001" in failed.expected


JUMBO_SHARE_VLAN_100 = {
    "kind": "sql",
    "sql": "SELECT coalesce(sum(wire_len) FILTER (WHERE l3_len BETWEEN 1501 AND 9000), 0) "
    "/ sum(wire_len) "
    "AS jumbo_share FROM packets WHERE vlan_id = 100",
    "min": 0.9,
}


def test_sql_value_jumbo_share_of_a_vlan(capsys) -> None:
    jumbo = CAPTURES / "vlan" / "jumbo.pcap"
    vlans = analyze(jumbo, capsys)["frame_sizes"]["vlans"]
    v100 = next(v for v in vlans if v["vlan"] == 100)
    share = v100["jumbo_bytes"] / (
        v100["standard_bytes"] + v100["jumbo_bytes"] + v100["oversize_bytes"]
    )
    ok = check_one(jumbo, JUMBO_SHARE_VLAN_100)
    assert ok.passed and ok.value == pytest.approx(share)
    failed = check_one(CAPTURES / "vlan" / "net-trunk-100-200.pcap", JUMBO_SHARE_VLAN_100)
    assert not failed.passed and failed.value == 0


def test_sql_no_rows(capsys) -> None:
    rule = {
        "kind": "sql",
        "sql": "SELECT client, server, retrans_bytes_c2s FROM flows "
        "WHERE retrans_bytes_c2s + retrans_bytes_s2c > 0",
    }
    assert check_one(STEADY, rule).passed
    flow = next(f for f in analyze(BLACKHOLE, capsys)["findings"] if f["id"] == "mtu-blackhole")
    failed = check_one(BLACKHOLE, rule)
    assert not failed.passed and failed.measured == "1 row"
    client = flow["evidence"]["flow"].split(" -> ")[0]
    assert failed.evidence[0].startswith(f"client={client}, ")


def test_sql_shipped_query_no_rows() -> None:
    rule = {"kind": "sql", "query": "mtu_blackhole"}
    assert check_one(JUMBO_OK, rule).passed
    failed = check_one(BLACKHOLE, rule)
    assert not failed.passed and failed.value >= 1


# ------------------------------------------------------------------------------------------
# bad rules files and bad input: exit 2, one clear line, no traceback

BAD_RULES = {
    "syntax error": (
        '[[rule]]\nname = "x"\nkind = "findings"\nforbid = mtu-blackhole\n',
        r"bad\.toml: not valid TOML: .*\(at line 4, column \d+\)",
    ),
    "unknown key": (
        '[[rule]]\nname = "ok"\nkind = "findings"\nforbid = "mtu-blackhole"\n\n'
        '[[rule]]\nname = "rate"\nkind = "figure"\npath = "tcp.resets"\nmaxx = 3\n',
        r"bad\.toml, line 10: rule 'rate': unknown key 'maxx' for a figure rule",
    ),
    "unknown rule kind": (
        '[[rule]]\nname = "x"\nkind = "assertion"\n',
        r"bad\.toml, line 3: rule 'x': unknown kind 'assertion': kind is one of findings, "
        "figure, sql",
    ),
    "missing name": (
        '[[rule]]\nkind = "findings"\nforbid = "mtu-blackhole"\n',
        r"bad\.toml, line 1: rule 1: every rule needs a name",
    ),
    "unknown finding id": (
        '[[rule]]\nname = "x"\nkind = "findings"\nforbid = "mtu-blakhole"\n',
        r"bad\.toml, line 4: rule 'x': forbid: unknown finding id 'mtu-blakhole'",
    ),
    "bad bound": (
        '[[rule]]\nname = "x"\nkind = "figure"\npath = "tcp.resets"\nmax = "lots"\n',
        r"bad\.toml, line 5: rule 'x': max = 'lots' is not a number",
    ),
    "bad path": (
        '[[rule]]\nname = "x"\nkind = "figure"\npath = "throughput.flows[class]"\nmin = 1\n',
        r"bad\.toml, line 4: rule 'x': path: not a selector: \[class\]",
    ),
    "bad SQL": (
        '[[rule]]\nname = "x"\nkind = "sql"\n\nsql = "SELEC 1"\n',
        r"bad\.toml, line 5: rule 'x': the SQL fails: Parser Error",
    ),
    "no rules": ("# nothing\n", r"bad\.toml: no rules"),
}


@pytest.mark.parametrize("case", BAD_RULES, ids=list(BAD_RULES))
def test_bad_rules_file_exits_2_with_the_file_rule_and_line(tmp_path, case) -> None:
    text, message = BAD_RULES[case]
    rules = tmp_path / "bad.toml"
    rules.write_text(text)
    p = run_cli("check", str(JUMBO_OK), "--rules", str(rules))
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"lmcap: error: {rules}")
    assert re.search(message, lines[0]), lines[0]


def test_unreadable_captures_exit_2_and_nothing_passes(tmp_path) -> None:
    missing = tmp_path / "capture-step-failed.pcap"
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    text = tmp_path / "notes.pcap"
    text.write_text("not a capture\n")
    args = [str(JUMBO_OK), str(missing), str(tmp_path), str(empty), str(text)]
    p = run_cli("check", *args, "--rules", str(EXAMPLE_RULES))
    assert p.returncode == 2
    assert p.stdout == ""  # not even the readable capture's lines: nothing was checked
    assert p.stderr.splitlines() == [
        f"lmcap: error: {missing}: no such file",
        f"lmcap: error: {tmp_path}: is a directory",
        f"lmcap: error: {empty}: empty file",
        f"lmcap: error: {text}: not a pcap, pcapng, gzip or zstd file (first bytes 6e6f7420)",
    ]


def test_empty_standard_input_exits_2() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "lmcap", "check", "-", "--rules", str(EXAMPLE_RULES)],
        input="", capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == "lmcap: error: -: empty input (nothing on standard input)"


def test_cut_short_capture_is_checked_and_strict_exits_3(capsys) -> None:
    cut = CAPTURES / "malformed" / "trunc-record-data.pcap"
    rules = ["--rules", str(EXAMPLE_RULES)]
    assert main(["check", str(cut), *rules]) == 1  # checked on what was read
    captured = capsys.readouterr()
    assert "byte offset 258" in captured.err and SUMMARY.match(captured.out.splitlines()[-1])
    assert main(["check", str(cut), *rules, "--strict"]) == 3


def test_missing_rules_file_exits_2(tmp_path) -> None:
    p = run_cli("check", str(JUMBO_OK), "--rules", str(tmp_path / "nope.toml"))
    assert p.returncode == 2 and "cannot read the rules file" in p.stderr


# ------------------------------------------------------------------------------------------
# output formats


def test_json_output(capsys) -> None:
    code = main(
        ["check", str(JUMBO_OK), str(BLACKHOLE), "--rules", str(EXAMPLE_RULES), "--format", "json"]
    )
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    rules = check.load_rules(EXAMPLE_RULES)
    assert len(doc["results"]) == 2 * len(rules)
    assert doc["passed"] + doc["failed"] == len(doc["results"])
    assert doc["failed"] == sum(not r["passed"] for r in doc["results"])
    by_key = {(r["capture"], r["rule"]): r for r in doc["results"]}
    hole = by_key[(str(BLACKHOLE), "no black hole")]
    assert hole["passed"] is False and hole["value"] == 1 and hole["kind"] == "findings"
    assert hole["evidence"][0].startswith("mtu-blackhole (error)")
    assert all(r["passed"] for r in doc["results"] if r["capture"] == str(JUMBO_OK))


def test_junit_structure(tmp_path, capsys) -> None:
    out = tmp_path / "junit.xml"
    args = ["check", str(JUMBO_OK), str(BLACKHOLE), "--rules", str(EXAMPLE_RULES)]
    assert main([*args, "--junit", str(out)]) == 1
    text_failed = [x for x in capsys.readouterr().out.splitlines() if x.startswith("FAIL")]
    root = ET.parse(out).getroot()
    # JUnit XML as Jenkins, GitLab and the Ant schema read it: testsuites > testsuite >
    # testcase (classname, name, time) with an optional failure (message, type).
    assert root.tag == "testsuites"
    suites = list(root)
    assert [s.tag for s in suites] == ["testsuite", "testsuite"]
    assert [s.get("name") for s in suites] == [str(JUMBO_OK), str(BLACKHOLE)]
    rule_names = [r.name for r in check.load_rules(EXAMPLE_RULES)]
    total_failures = 0
    for suite in suites:
        cases = suite.findall("testcase")
        assert all(child.tag == "testcase" for child in suite)
        assert int(suite.get("tests")) == len(cases) == len(rule_names)
        failures = [c for c in cases if c.find("failure") is not None]
        assert int(suite.get("failures")) == len(failures)
        assert suite.get("errors") == "0" and float(suite.get("time")) >= 0
        assert [c.get("name") for c in cases] == rule_names
        for case in cases:
            assert case.get("classname") == suite.get("name")
            assert float(case.get("time")) >= 0
            for child in case:
                assert child.tag in ("failure", "system-out")
            failure = case.find("failure")
            if failure is not None:
                assert failure.get("message").startswith(case.get("name") + ": ")
                assert failure.get("type") and failure.text.startswith("FAIL  ")
        total_failures += len(failures)
    assert int(root.get("tests")) == 2 * len(rule_names)
    assert int(root.get("failures")) == total_failures == len(text_failed)
    blackhole_fails = {c.get("name") for c in suites[1] if c.find("failure") is not None}
    assert "no black hole" in blackhole_fails and not any(
        c.find("failure") is not None for c in suites[0]
    )


def test_unwritable_junit_path_exits_2(tmp_path) -> None:
    p = run_cli(
        "check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES),
        "--junit", str(tmp_path / "no" / "such" / "dir.xml"),
    )  # fmt: skip
    assert p.returncode == 2 and "cannot write JUnit XML" in p.stderr
    assert "Traceback" not in p.stderr


# ------------------------------------------------------------------------------------------
# baselines


@pytest.fixture
def baseline(tmp_path, capsys) -> Path:
    path = tmp_path / "baseline.json"
    assert main(["analyze", str(JUMBO_OK), "--format", "json", "-o", str(path)]) == 0
    capsys.readouterr()
    return path


def _with_rate(report: dict, factor: float) -> dict:
    for flow in report["throughput"]["flows"]:
        if flow["class"] == "live-migration-tcp" and flow["payload_bytes_c2s"] >= 1e6:
            flow["rate"]["mean_bps"] *= factor
    return report


def test_baseline_of_the_same_capture_passes(baseline, capsys) -> None:
    code = main(
        ["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(baseline)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS  " + str(JUMBO_OK) + "  baseline: no new finding ids" in out
    rate_line = next(x for x in out.splitlines() if "live migration fast enough" in x)
    assert "(+0.0%)" in rate_line and "tolerance 10%" in rate_line


def test_baseline_with_a_higher_rate_fails(baseline, tmp_path, capsys) -> None:
    report = _with_rate(json.loads(baseline.read_text()), 1.5)
    tampered = tmp_path / "faster.json"
    tampered.write_text(json.dumps(report))
    code = main(
        ["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(tampered)]
    )
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    rate_line = next(x for x in lines if "live migration fast enough" in x)
    assert rate_line.startswith("FAIL") and "(-33.3%" in rate_line
    assert f"regression against {tampered}" in lines[lines.index(rate_line) + 1]
    assert summary_counts(out)[1] == 1


def test_baseline_direction_follows_the_bound(baseline, tmp_path, capsys) -> None:
    # The baseline was slower: a min rule sees no regression in going faster.
    slower = tmp_path / "slower.json"
    slower.write_text(json.dumps(_with_rate(json.loads(baseline.read_text()), 0.5)))
    args = ["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(slower)]
    assert main(args) == 0
    capsys.readouterr()


def test_baseline_figure_missing_now_fails(baseline, tmp_path, capsys) -> None:
    # The baseline had one more bulk live-migration flow than the capture has now.
    report = json.loads(baseline.read_text())
    flows = report["throughput"]["flows"]
    bulk = next(f for f in flows if f["class"] == "live-migration-tcp" and f["rate"]["mean_bps"])
    flows.append(json.loads(json.dumps(bulk)))
    more = tmp_path / "more.json"
    more.write_text(json.dumps(report))
    args = ["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(more)]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    line = next(x for x in out if "live migration fast enough" in x)
    assert line.startswith("FAIL")
    assert f"throughput.flows[{len(flows) - 1}].rate.mean_bps: baseline" in out[out.index(line) + 1]
    assert out[out.index(line) + 1].endswith("now null")


def test_baseline_new_finding_ids_fail(baseline, tmp_path, capsys) -> None:
    report = json.loads(baseline.read_text())
    dropped = report["findings"][0]["id"]
    report["findings"] = [f for f in report["findings"] if f["id"] != dropped]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(report))
    code = main(["check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(older)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAIL  {JUMBO_OK}  baseline: no new finding ids: new: {dropped}" in out


def test_baseline_that_is_not_a_report_exits_2(tmp_path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]")
    p = run_cli("check", str(JUMBO_OK), "--rules", str(EXAMPLE_RULES), "--baseline", str(bad))
    assert p.returncode == 2 and "not an lmcap report" in p.stderr


# ------------------------------------------------------------------------------------------
# lmcap.testing.assert_capture


def test_assert_capture_passes_with_a_file_and_a_dict() -> None:
    results = assert_capture(JUMBO_OK, EXAMPLE_RULES)
    assert results and all(r.passed for r in results)
    assert_capture(JUMBO_OK, {"rule": [{"name": "n", "kind": "findings", "forbid": "arp-storm"}]})


def test_assert_capture_fails_with_the_cli_lines(capsys) -> None:
    with pytest.raises(AssertionError) as e:
        assert_capture(BLACKHOLE, EXAMPLE_RULES)
    message = str(e.value)
    assert main(["check", str(BLACKHOLE), "--rules", str(EXAMPLE_RULES)]) == 1
    cli_out = capsys.readouterr().out
    assert cli_out.rstrip("\n") in message
    assert "FAIL  " + str(BLACKHOLE) + "  no black hole: 1 finding (mtu-blackhole)" in message


def test_assert_capture_bad_rules_raise_check_error() -> None:
    with pytest.raises(CheckError, match="rule 'x': unknown kind 'nope'"):
        assert_capture(JUMBO_OK, {"rule": [{"name": "x", "kind": "nope"}]})


# ------------------------------------------------------------------------------------------
# units, paths and the documented examples


@pytest.mark.parametrize(
    "text,value",
    [("5G", 5e9), ("10Mbit/s", 1e7), ("2.5gbps", 2.5e9), ("0.1%", 0.001), (7, 7.0), ("1k", 1e3)],
)
def test_quantities(text, value) -> None:
    assert check.parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["ok", "5 GB", "1%%", "5G%", True])
def test_not_quantities(text) -> None:
    assert check.parse_quantity(text) is None


def test_documented_rules_load(tmp_path) -> None:
    """Every ```toml block in docs/check.md is a valid rules file."""
    doc = (ROOT / "docs" / "check.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.S)
    assert blocks
    for n, block in enumerate(blocks):
        rules = tmp_path / f"doc-{n}.toml"
        rules.write_text(block)
        assert check.load_rules(rules)


def test_readme_example_is_true(capsys, monkeypatch) -> None:
    """The check example in README.md prints what the README says it prints."""
    monkeypatch.chdir(ROOT)  # the example's paths are relative to the repository
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"^\.venv/bin/lmcap (check [^\n#]*?)\s*\n((?:#   .*\n)+)", readme, re.M)
    assert m, "README.md has no `lmcap check` example with its output"
    args = m[1].split()
    junit = args.index("--junit")
    args[junit + 1] = "/dev/null"
    code = main(args)
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    for shown in m[2].splitlines():
        text = shown[len("#   ") :]
        prefix = text[: -len(" ...")] if text.endswith(" ...") else text
        assert any(line.startswith(prefix) for line in out), text


def test_a_path_no_report_can_have_is_a_mistake_in_the_rules_file(tmp_path: Path) -> None:
    """A typo is exit 2 with the keys that exist, before any capture is read; every path the
    docs show still loads."""
    from lmcap.check import CheckError, load_rules

    for path, words in [
        ("throughput.nope", "no report has the key 'nope' in throughput"),
        ("capture.packets[*]", "is not a list"),
        ("nope.x", "no report has the key 'nope'"),
    ]:
        with pytest.raises(CheckError, match=re.escape(words)):
            load_rules({"rule": [{"name": "r", "kind": "figure", "path": path, "min": 1}]})
    for path in (
        "throughput.live_migrations.max_concurrent",
        "throughput.flows[class=smb,vlan=20].rate.mean_bps",
        "capture.decode_status.ok",
        "findings[id=duplicate-ip].evidence.ip",
    ):
        load_rules({"rule": [{"name": "r", "kind": "figure", "path": path, "min": 1}]})
