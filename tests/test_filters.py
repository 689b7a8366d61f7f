"""Filters applied in the scan (``lmcap.Filter``: time range, VLANs, hosts) against tshark's
display filters for the same frames: the frames kept are the frames tshark shows, with their
original numbers; every table sees only them; rows kept + frames dropped = frames read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CAPTURES_DIR, requires_tshark

import lmcap


def kept_frames(path: Path, f: lmcap.Filter) -> tuple[list[int], int]:
    con = lmcap.connect(str(path), strict=False, filter=f)
    numbers = [r[0] for r in con.execute("SELECT frame_number FROM packets ORDER BY 1").fetchall()]
    dropped = con.execute("SELECT frames_filtered FROM scan_settings").fetchone()[0]
    # every table sees only the kept frames
    in_traffic = con.execute("SELECT coalesce(sum(frames), 0) FROM traffic").fetchone()[0]
    assert in_traffic == len(numbers)
    return numbers, dropped


def tshark_frames(tshark, path: Path, display_filter: str) -> list[int]:
    r = tshark.fields(str(path), ("frame.number",), ("-Y", display_filter))
    assert r.returncode == 0, r.stderr
    return [int(row["frame.number"]) for row in r.rows]


def busiest(path: Path, column: str) -> str:
    t = lmcap.read(path)
    counts = t.group_by(column).aggregate([([], "count_all")]).to_pylist()
    counts = [c for c in counts if c[column] is not None]
    return max(counts, key=lambda c: (c["count_all"], str(c[column])))[column]


@requires_tshark
@pytest.mark.parametrize(
    "rel", ["arp/duplicate-ip.pcap", "throughput/jagged-6600.pcap", "mtu/blackhole.pcap"]
)
def test_host_filter_keeps_what_tshark_shows(tshark, rel: str) -> None:
    path = CAPTURES_DIR / rel
    total = lmcap.read(path).num_rows
    ip = busiest(path, "src_ip")
    got, dropped = kept_frames(path, lmcap.Filter(hosts=(ip,)))
    field = "ipv6" if ":" in ip else "ip"
    want = (
        tshark_frames(
            tshark,
            path,
            f"{field}.addr == {ip} || arp.src.proto_ipv4 == {ip} || arp.dst.proto_ipv4 == {ip}",
        )
        if field == "ip"
        else tshark_frames(tshark, path, f"ipv6.addr == {ip}")
    )
    assert got == want and got, (ip, len(got), len(want))
    assert len(got) + dropped == total
    mac = busiest(path, "src_mac")
    got, _ = kept_frames(path, lmcap.Filter(hosts=(mac,)))
    assert got == tshark_frames(tshark, path, f"eth.addr == {mac}") and got


@requires_tshark
@pytest.mark.parametrize(
    "rel, vlan",
    [("vlan/net-trunk-100-200.pcap", 100), ("vlan/net-trunk-100-200.pcap", 200),
     ("vlan/net-qinq-300-100.pcap", 300), ("vlan/net-qinq-300-100.pcap", 100)],
)  # fmt: skip
def test_vlan_filter_keeps_what_tshark_shows(tshark, rel: str, vlan: int) -> None:
    path = CAPTURES_DIR / rel
    got, dropped = kept_frames(path, lmcap.Filter(vlans=(vlan,)))
    # the outer tag of QinQ (802.1ad, 0x88a8) is ieee8021ad.id to tshark
    shown = tshark_frames(tshark, path, f"vlan.id == {vlan} || ieee8021ad.id == {vlan}")
    assert got == shown and got
    assert len(got) + dropped == lmcap.read(path).num_rows


@requires_tshark
@pytest.mark.parametrize("rel", ["throughput/jagged-6600.pcap", "arp/arp-storm.pcap"])
def test_time_range_keeps_what_tshark_shows(tshark, rel: str) -> None:
    path = CAPTURES_DIR / rel
    r = tshark.fields(str(path), ("frame.time_relative",))
    times = sorted({float(row["frame.time_relative"]) for row in r.rows})
    assert len(times) > 10
    # bounds between two frames' times (not on one: float text would decide the tie)
    since = (times[len(times) // 3] + times[len(times) // 3 + 1]) / 2
    until = (times[2 * len(times) // 3] + times[2 * len(times) // 3 + 1]) / 2
    got, _ = kept_frames(path, lmcap.Filter(since=since, until=until))
    want = tshark_frames(
        tshark, path, f"frame.time_relative >= {since:.9f} && frame.time_relative < {until:.9f}"
    )
    assert got == want and got
    # the same range as absolute times
    t0 = lmcap.read(path).column("timestamp")[0].value
    start = f"@{(t0 + round(since * 1e9)) // 10**9}.{(t0 + round(since * 1e9)) % 10**9:09d}"
    end = f"@{(t0 + round(until * 1e9)) // 10**9}.{(t0 + round(until * 1e9)) % 10**9:09d}"
    assert kept_frames(path, lmcap.Filter(since=start, until=end))[0] == got


def test_filters_combine_and_are_reported(tmp_path: Path) -> None:
    path = CAPTURES_DIR / "vlan" / "net-trunk-100-200.pcap"
    vlan_only, _ = kept_frames(path, lmcap.Filter(vlans=(100,)))
    ip = busiest(path, "src_ip")
    host_only, _ = kept_frames(path, lmcap.Filter(hosts=(ip,)))
    both, _ = kept_frames(path, lmcap.Filter(vlans=(100,), hosts=(ip,)))
    assert both == sorted(set(vlan_only) & set(host_only))
    either_vlan, _ = kept_frames(path, lmcap.Filter(vlans=(100, 200)))
    assert set(either_vlan) >= set(vlan_only)
    report = lmcap.analyze(path, filter=lmcap.Filter(vlans=(100,)))
    assert report["capture"]["filter"]["vlans"] == [100]
    assert report["capture"]["filter"]["frames_filtered"] > 0
    assert report["capture"]["packets"] == len(vlan_only)


@pytest.mark.parametrize(
    "text, message",
    [("not-an-address", "not an IP or MAC address"), ("02:00:00:00:00", "not an IP or MAC")],
)
def test_a_bad_host_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lmcap.read(CAPTURES_DIR / "arp" / "normal.pcap", filter=lmcap.Filter(hosts=(text,)))


@pytest.mark.parametrize(
    "text, expected",
    [("30", 30.0), ("90s", 90.0), ("250ms", 0.25), ("5m", 300.0), ("1.5h", 5400.0),
     ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"), ("@1700000000.5", "@1700000000.5")],
)  # fmt: skip
def test_times_on_the_command_line(text: str, expected: object) -> None:
    from lmcap.filters import parse_instant

    assert parse_instant(text) == expected


def test_absolute_times_keep_nanoseconds() -> None:
    f = lmcap.Filter(since="2024-05-01T10:00:00.123456789Z", until="@1714557600.5")
    kw = f.scanner_kwargs()
    assert kw["since_ns"] == 1714557600_123456789
    assert kw["until_ns"] == 1714557600_500000000
    with pytest.raises(ValueError, match="not a time"):
        from lmcap.filters import parse_instant

        parse_instant("yesterday")


def test_command_line_filters_reach_the_report() -> None:
    import json
    import subprocess
    import sys

    path = CAPTURES_DIR / "vlan" / "net-trunk-100-200.pcap"
    cmd = [sys.executable, "-m", "lmcap", "analyze", str(path), "--format", "json"]
    out = subprocess.run(
        [*cmd, "--vlan", "100", "--since", "0.5", "--host", "192.0.2.10"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    f = json.loads(out)["capture"]["filter"]
    assert (f["vlans"], f["hosts"], f["since_offset_s"]) == ([100], ["192.0.2.10"], 0.5)
    kept, dropped = kept_frames(path, lmcap.Filter(since=0.5, vlans=(100,), hosts=("192.0.2.10",)))
    assert json.loads(out)["capture"]["packets"] == len(kept)
    assert f["frames_filtered"] == dropped > 0
    bad = subprocess.run([*cmd, "--vlan", "5000"], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a VLAN id" in bad.stderr and "Traceback" not in bad.stderr
