"""The command line and the report contract (docs/report.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR as CAPTURES
from conftest import REPO_ROOT as ROOT

import lmcap
from lmcap import _core, queries
from lmcap.cli import main
from lmcap.report import SECTIONS

SAMPLE = CAPTURES / "vlan" / "jumbo.pcap"


def run_json(capsys, *files: Path, extra: tuple[str, ...] = ()) -> dict:
    assert main(["analyze", "--format", "json", *map(str, files), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_report_has_every_contract_key(capsys) -> None:
    r = run_json(capsys, SAMPLE)
    assert list(r) == ["lmcap_version", *SECTIONS]
    cap = r["capture"]
    for key in (
        "files",
        "packets",
        "wire_bytes",
        "captured_bytes",
        "start",
        "end",
        "duration_s",
        "link_types",
        "truncated_frames",
        "decode_status",
    ):
        assert key in cap, key
    assert set(r["frame_sizes"]["classes"]) == {"standard", "jumbo", "oversize"}
    for c in r["frame_sizes"]["classes"].values():
        assert set(c) == {"frames", "bytes"}
    # Keys named by the contract must be there; keys may be added, never removed.
    for h in r["frame_sizes"]["hosts"]:
        assert {"mac", "ips", "frames", "max_wire_len", "jumbo_frames", "mss"} <= set(h)
    for v in r["vlans"]:
        assert {"vlan", "frames", "bytes", "max_wire_len"} <= set(v)
    assert isinstance(r["findings"], list)


def test_report_counts_are_reproducible_with_sql(capsys) -> None:
    r = run_json(capsys, SAMPLE)
    assert (
        main(
            [
                "sql",
                str(SAMPLE),
                "--format",
                "json",
                "-e",
                "SELECT count(*) AS n, sum(wire_len) AS b FROM packets",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["n"], row["b"]) == (r["capture"]["packets"], r["capture"]["wire_bytes"])
    assert main(["sql", str(SAMPLE), "--format", "json", "--query", "frame_size_classes"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {x["class"]: x["frames"] for x in rows} == {
        k: v["frames"] for k, v in r["frame_sizes"]["classes"].items() if v["frames"]
    }
    # Two 9014-byte frames, one tagged and one not: L3 packets of 8996 and 9000 bytes.
    assert r["frame_sizes"]["classes"]["jumbo"]["frames"] == 2
    assert r["frame_sizes"]["classes"]["standard"]["frames"] == 2


def test_text_report_is_readable(capsys) -> None:
    assert main(["analyze", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Frame sizes" in out and "VLANs" in out and "jumbo" in out


def test_cut_file_reported_and_strict_exit(capsys) -> None:
    cut = CAPTURES / "malformed" / "trunc-record-data.pcap"
    r = run_json(capsys, cut)
    err = r["capture"]["files"][0]["error"]
    assert err["offset"] == 258 and err["kind"] == "cut_short"
    assert main(["analyze", "--strict", str(cut)]) == 3


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lmcap", "analyze", "--format", "json", str(SAMPLE)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["capture"]["packets"] == 4


def test_analyze_leaves_no_temporary_files(tmp_path: Path) -> None:
    # the temporary database and DuckDB's spill folder go with the run (they used to pile up,
    # one folder per run, some of them gigabytes)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**__import__("os").environ, "TMPDIR": str(tmp)}
    rules = CAPTURES / "checks" / "migration.toml"
    jumbo = CAPTURES / "jumbo" / "iperf-9000.pcap"  # every rule of the example holds
    for args in (
        ["analyze", "--format", "json", str(SAMPLE)],
        ["check", str(jumbo), "--rules", str(rules)],
    ):
        out = subprocess.run([sys.executable, "-m", "lmcap", *args], capture_output=True, env=env)
        assert out.returncode == 0, out.stderr
        assert list(tmp.iterdir()) == [], args


def test_schema_doc_is_current() -> None:
    doc = ROOT / "docs" / "schema.md"
    assert doc.read_text() == _core.schema_markdown(), (
        "docs/schema.md is stale: run `lmcap schema --markdown > docs/schema.md`"
    )


@pytest.mark.parametrize("name", sorted(queries.all_queries()))
def test_every_shipped_query_runs_and_returns_its_declared_columns(name: str) -> None:
    import lmcap
    from lmcap.diagnostics import Params

    q = queries.get(name)
    con = lmcap.connect(SAMPLE)
    params = {k: v for k, v in Params().sql_params().items() if k in q.params}
    rel = con.execute(q.sql, params) if params else con.execute(q.sql)
    assert [d[0] for d in rel.description] == q.columns


def test_queries_ship_inside_the_package() -> None:
    # Loaded through importlib.resources: fails if the wheel left them out of lmcap/.
    names = set(queries.all_queries())
    assert {"capture_summary", "frame_size_classes", "vlan_summary"} <= names


def test_a_shared_fragment_is_put_in_front_of_each_query_that_names_it() -> None:
    import dataclasses

    import lmcap
    from lmcap.diagnostics import Params

    shipped = queries.all_queries()
    users = [q for q in shipped.values() if "flow_direction_traffic" in q.uses]
    assert {q.name for q in users} == {"throughput_flow_stats", "throughput_transfer_shape"}
    for q in users:
        # the join is written once, in the fragment, and reaches each query through its CTE
        assert q.sql.count("JOIN restricted_flows f") == 2, q.name
        assert "WITH flow_direction_traffic AS (" in q.sql
    con = lmcap.connect(SAMPLE)
    [(fragment_bytes,)] = con.execute(
        "SELECT sum(wire_bytes) FROM (" + shipped["flow_direction_traffic"].sql.rstrip(";\n") + ")"
    ).fetchall()
    params = {k: v for k, v in Params().sql_params().items() if k in users[0].params}
    stats = lmcap.query("throughput_flow_stats", con, **params).fetchall()
    assert fragment_bytes and fragment_bytes == sum(r[6] for r in stats)
    with pytest.raises(ValueError, match="not a shipped query"):
        queries._with_shared(dataclasses.replace(users[0], uses=["nope"]), shipped)


def test_the_smb_queries_share_one_endpoint_fragment() -> None:
    shipped = queries.all_queries()
    users = {q.name for q in shipped.values() if "smb_message_endpoints" in q.uses}
    assert users == {"smb_channels", "smb_sessions", "smb_smb1"}
    for name in users | {"smb_message_endpoints"}:
        # the endpoint text is written in the fragment only and reaches each user through it
        assert shipped[name].sql.count("contains(src_ip, ':')") == 1, name
    con = lmcap.connect(CAPTURES / "smb" / "multichannel-transfer.pcapng")
    rows = lmcap.query("smb_message_endpoints", con).fetchall()
    assert rows and len(rows) == con.execute("SELECT count(*) FROM smb_pdus").fetchone()[0]


def test_sql_builds_derived_tables_only_when_named(capsys) -> None:
    src = str(CAPTURES / "jumbo" / "iperf-9000.pcap")
    assert main(["sql", src, "--format", "json", "-e", "SELECT count(*) AS n FROM flows"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["n"] == 2
    assert main(["sql", src, "--format", "json", "-e", "SHOW TABLES"]) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert {"detail_frames", "flows"} <= names and "flooded_frames" not in names


def test_sql_loads_every_frame_only_when_it_reads_packets(capsys) -> None:
    # packets costs memory per frame: built when the SQL names it, else only the detail frames
    src = str(CAPTURES / "jumbo" / "iperf-9000.pcap")
    assert main(["sql", src, "--format", "json", "-e", "SHOW TABLES"]) == 0
    assert "packets" not in {r["name"] for r in json.loads(capsys.readouterr().out)}
    sql = "SELECT (SELECT count(*) FROM packets) AS p, (SELECT count(*) FROM detail_frames) AS d"
    assert main(["sql", src, "--format", "json", "-e", sql]) == 0
    both = json.loads(capsys.readouterr().out)[0]
    total = lmcap.read(src).num_rows
    assert both == {"p": total, "d": total}  # with packets loaded, detail_frames is all of it
    sql = "SELECT count(*) AS d FROM detail_frames"
    assert main(["sql", src, "--format", "json", "-e", sql]) == 0
    detail = json.loads(capsys.readouterr().out)[0]["d"]
    assert 0 < detail < total / 10  # a bulk TCP transfer: handshakes and a sample, not the data


def test_sql_query_flows_reads_the_scanned_table(capsys) -> None:
    src = str(CAPTURES / "jumbo" / "iperf-9000.pcap")
    assert main(["sql", src, "--format", "json", "-q", "flows"]) == 0
    by_query = json.loads(capsys.readouterr().out)
    assert main(["sql", src, "--format", "json", "-e", "SELECT * FROM flows"]) == 0
    assert by_query == json.loads(capsys.readouterr().out) and len(by_query) == 2


def test_analyze_profile_times_each_phase(capsys) -> None:
    src = str(CAPTURES / "mtu" / "blackhole.pcap")
    assert main(["analyze", src, "--profile", "--format", "json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # the report is untouched
    lines = captured.err.splitlines()
    assert lines[0].startswith("lmcap: profile")
    phases = [line.split("  ")[1].strip() for line in lines[1:] if " s " in line]
    assert phases[0] == "read and load the capture" and phases[-2] == "render"
    assert "diagnostic mtu" in phases and "diagnostic arp" in phases
    assert lines[-1].startswith("  peak memory (RSS): ")
    # each phase line ends with the peak memory reached by its end, never falling
    peaks = [int(line.split()[-2].replace(",", "")) for line in lines if line.endswith(" MiB")]
    peaks = peaks[:-1]  # the last is the run's peak line
    assert peaks == sorted(peaks) and peaks[0] > 0


def test_out_of_memory_under_the_cap_is_exit_5_with_what_to_do(capsys) -> None:
    # one list of three million strings cannot spill to disk: past an 8 MB cap DuckDB gives up
    src = str(CAPTURES / "mtu" / "blackhole.pcap")
    sql = (
        "SELECT max(len(l)) FROM "
        "(SELECT list(range::VARCHAR || repeat('x', 32)) l FROM range(3000000))"
    )
    assert main(["sql", src, "--memory-limit", "8MB", "-e", sql]) == 5
    err = capsys.readouterr().err
    assert err.startswith("lmcap: error: DuckDB needs more memory than --memory-limit allows")
    assert "--memory-limit 4GB" in err and "Traceback" not in err
    # with room the same SQL answers
    assert main(["sql", src, "--memory-limit", "2GB", "-e", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"max(len(l))": 3000000}]


def test_a_memory_limit_typo_is_a_usage_error(capsys) -> None:
    src = str(CAPTURES / "mtu" / "blackhole.pcap")
    with pytest.raises(SystemExit) as e:
        main(["analyze", src, "--memory-limit", "12XB"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "'12XB' is not a memory size" in err and "Traceback" not in err


@pytest.mark.parametrize("bucket", [(), ("--bucket", "auto"), ("--bucket", "100ms")])
def test_sql_bucket_is_the_width_traffic_was_cut_at(capsys, bucket: tuple[str, ...]) -> None:
    # sql defaults to 1 s; with --bucket auto the scan chooses the width, and $bucket_ns is
    # that width (a short capture keeps 1 ms), never a width the traffic table was not cut at
    src = str(CAPTURES / "throughput" / "steady-6600.pcap")
    sql = "SELECT $bucket_ns AS asked, (SELECT bucket_ns FROM scan_settings) AS scan"
    assert main(["sql", src, *bucket, "--format", "json", "-e", sql]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["asked"] == row["scan"]
    want = {(): 10**9, ("--bucket", "auto"): 10**6, ("--bucket", "100ms"): 10**8}[bucket]
    assert row["scan"] == want
