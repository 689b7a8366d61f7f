"""Jumbo/MTU, fragmentation and ICMP diagnostics on real captures made in network namespaces
(captures/README-net.md says how each was made and what it must show)."""

from __future__ import annotations

import pytest
from conftest import CAPTURES_DIR as CAPTURES
from conftest import analyze

import lmcap

L3_IDS = {
    "mtu-mismatch",
    "mtu-blackhole",
    "icmp-frag-needed",
    "df-ping-size-limit",
    "capture-offload",
    "capture-truncated",
    "jumbo-partial",
    "ip-fragmentation",
}


def findings(rel: str, fid: str) -> list[dict]:
    return [f for f in analyze(rel)["findings"] if f["id"] == fid]


# Clean captures: none of the MTU/fragmentation/ICMP findings may fire, except the
# informational snaplen note on captures deliberately taken with a small snaplen.
@pytest.mark.parametrize(
    "rel",
    [
        "mtu/jumbo-clean.pcap",
        "jumbo/iperf-1500.pcap",
        "jumbo/iperf-9000.pcap",
        "frag/no-fragments.pcap",
        "arp/normal.pcap",
        "igmp/clean-querier.pcap",
        "vlan/net-trunk-100-200.pcap",
        "formats/eth-le-us.pcap",
    ],
)
def test_clean_captures_raise_no_l3_finding(rel: str) -> None:
    got = [
        (f["id"], f["severity"])
        for f in analyze(rel)["findings"]
        if f["id"] in L3_IDS and (f["id"], f["severity"]) != ("capture-truncated", "info")
    ]
    assert got == []


def test_mtu_blackhole_names_the_flow_and_the_reset() -> None:
    (f,) = findings("mtu/blackhole.pcap", "mtu-blackhole")
    ev = f["evidence"]
    assert f["severity"] == "error"
    assert ev["flow"].startswith("192.0.2.10:") and "192.0.2.20:5003" in ev["flow"]
    assert ev["segment_l3_len"] == 9000
    assert ev["sends"] >= 5  # seq 101 sent and retransmitted with RTO backoff
    assert ev["largest_passed_l3_len"] < 1500
    assert ev["ended"] == "reset" and ev["rst_by"] == "192.0.2.10"


def test_mtu_mismatch_names_both_ends() -> None:
    got = findings("mtu/mismatch.pcap", "mtu-mismatch")
    assert len(got) == 1
    ev = got[0]["evidence"]
    assert (ev["jumbo_host"], ev["standard_host"]) == ("192.0.2.10", "192.0.2.20")
    assert (ev["jumbo_mss"], ev["standard_mss"]) == (8960, 1460)
    assert ev["connections"] == 2


def test_jumbo_partial_lists_both_kinds_of_path() -> None:
    (f,) = findings("jumbo/partial.pcap", "jumbo-partial")
    jumbo = f["evidence"]["jumbo_flows"]
    standard = f["evidence"]["standard_flows"]
    assert all(x["flow"].startswith("192.0.2.10:") for x in jumbo)
    assert all(x["flow"].startswith("198.51.100.10:") for x in standard)
    assert {x["max_l3_len"] for x in standard} == {1500}


def test_icmp_frag_needed_router_mtu_and_flows() -> None:
    (f,) = findings("icmp/frag-needed.pcap", "icmp-frag-needed")
    ev = f["evidence"]
    assert (ev["router"], ev["next_hop_mtu"], ev["count"]) == ("198.51.100.1", 1400, 12)
    dsts = {fl["dst"] for fl in ev["flows"]}
    assert dsts == {"203.0.113.2", "203.0.113.3"}
    assert {fl["size"] for fl in ev["flows"]} == {1500}
    section = analyze("icmp/frag-needed.pcap")["icmp"]
    assert section["frag_needed"][0]["router"] == "198.51.100.1"
    assert section["packet_too_big"] == []


def test_icmpv6_packet_too_big() -> None:
    (f,) = findings("icmp/packet-too-big.pcap", "icmp-frag-needed")
    ev = f["evidence"]
    assert (ev["router"], ev["next_hop_mtu"], ev["count"]) == ("2001:db8:5100::1", 1400, 12)
    assert analyze("icmp/packet-too-big.pcap")["icmp"]["packet_too_big"]


def test_df_ping_sweep_limits_per_host_pair() -> None:
    got = {
        f["evidence"]["dst"]: f["evidence"]
        for f in findings("icmp/df-sweep.pcap", "df-ping-size-limit")
    }
    assert set(got) == {"192.0.2.20", "192.0.2.40"}  # .30 answers everything up to 9000
    assert (got["192.0.2.20"]["largest_answered"], got["192.0.2.20"]["smallest_unanswered"]) == (
        1500,
        1501,
    )
    assert (got["192.0.2.40"]["largest_answered"], got["192.0.2.40"]["smallest_unanswered"]) == (
        4000,
        4001,
    )
    sweeps = analyze("icmp/df-sweep.pcap")["icmp"]["df_ping_sweeps"]
    clean = [s for s in sweeps if s["dst"] == "192.0.2.30"][0]
    assert clean["largest_answered"] == 9000 and clean["smallest_unanswered"] is None


def test_capture_offload_on_host_side_capture() -> None:
    (f,) = findings("offload/tso-gso-on.pcap", "capture-offload")
    (host,) = f["evidence"]["hosts"]
    assert host["ip"] == "192.0.2.10"
    assert host["max_l3_len"] > 9216
    assert host["peer_mss"] == 1460


def test_capture_truncated_warns_when_the_snaplen_hides_jumbo_payloads() -> None:
    (f,) = findings("offload/capture-truncated.pcap", "capture-truncated")
    assert f["severity"] == "warning"
    assert f["evidence"]["frames"] == 120
    assert f["evidence"]["snaplen"] == [1536]
    (small,) = findings("mtu/blackhole.pcap", "capture-truncated")
    assert small["severity"] == "info"  # a 128-byte header-only capture is a choice


@pytest.mark.parametrize(
    "rel,version,datagrams,complete",
    [
        ("frag/ipv4-fragments.pcap", "ipv4", 11, 11),
        ("frag/ipv6-fragments.pcap", "ipv6", 6, 6),
        ("frag/incomplete-ipv4.pcap", "ipv4", 3, 0),
        ("frag/incomplete-ipv6.pcap", "ipv6", 3, 0),
    ],
)
def test_fragment_accounting(rel: str, version: str, datagrams: int, complete: int) -> None:
    sec = analyze(rel)["fragmentation"][version]
    assert (sec["datagrams"], sec["complete"], sec["incomplete"]) == (
        datagrams,
        complete,
        datagrams - complete,
    )
    assert sec["overlapping"] == 0
    assert sec["fragments"] == sum(fl["fragments"] for fl in sec["flows"])


def test_incomplete_datagrams_are_matched_to_reassembly_timeouts() -> None:
    for rel in ("frag/incomplete-ipv4.pcap", "frag/incomplete-ipv6.pcap"):
        sec = analyze(rel)["fragmentation"]
        assert len(sec["reassembly_timeouts"]) == 3
        assert all(t["matches_incomplete_datagram"] for t in sec["reassembly_timeouts"])
        assert {f["severity"] for f in findings(rel, "ip-fragmentation")} == {"warning"}


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_datagrams_lost_past_the_capture_point(family: str) -> None:
    # per spec (make_synth.py gen_frag_lost): ids 0x1001 and 0x1002 pass here whole, 0x1003
    # lacks its 2nd fragment; 30 s later the receiver reports 0x1001 and 0x1003 never
    # reassembled. 0x1001 died between the capture point and the receiver, 0x1003 before it.
    rel = f"frag/lost-after-capture-{family}.pcap"
    rep = analyze(rel)
    by_id = {t["ip_id"]: t for t in rep["fragmentation"]["reassembly_timeouts"]}
    assert set(by_id) == {0x1001, 0x1003}
    assert by_id[0x1001]["loss_side"] == "downstream" and by_id[0x1001]["datagram_complete_here"]
    assert by_id[0x1003]["loss_side"] == "upstream"
    assert by_id[0x1003]["matches_incomplete_datagram"]
    (f,) = findings(rel, "ip-fragmentation")
    receiver = by_id[0x1001]["reporter"]
    assert f["severity"] == "warning" and receiver == f["evidence"]["dst"]
    assert (f["evidence"]["lost_downstream"], f["evidence"]["lost_upstream"]) == (1, 1)
    assert f"lost between the capture point and {receiver}" in f["summary"]
    assert str(0x1001) in f["summary"] and str(0x1002) not in f["summary"]
    assert f"between here and {receiver}" in f["advice"]


def test_a_loss_before_the_capture_point_is_not_placed_after_it() -> None:
    # incomplete-*.pcap: the router dropped a fragment before the capture point; the
    # reassembly timeouts are upstream losses, and each flow lists only its own timeouts
    for rel in ("frag/incomplete-ipv4.pcap", "frag/incomplete-ipv6.pcap"):
        sec = analyze(rel)["fragmentation"]
        assert {t["loss_side"] for t in sec["reassembly_timeouts"]} == {"upstream"}
        fs = findings(rel, "ip-fragmentation")
        assert sum(len(f["evidence"]["reassembly_timeouts"]) for f in fs) == 3
        assert all("between the capture point" not in f["summary"] for f in fs)
    # complete datagrams without a report stay info (ipv4-fragments: all reassembled)
    assert {f["severity"] for f in findings("frag/ipv4-fragments.pcap", "ip-fragmentation")} == {
        "info"
    }


def test_fragment_counts_agree_with_tshark_flags() -> None:
    # ipv4-fragments.pcap: every frame is a fragment (README-net.md: 39 frames, all fragments).
    t = lmcap.read(CAPTURES / "frag" / "ipv4-fragments.pcap")
    assert t.num_rows == 39
    assert all(t.column("is_fragment").to_pylist())
    sec = analyze("frag/ipv4-fragments.pcap")["fragmentation"]["ipv4"]
    assert sec["fragments"] == 39


def test_fragmentation_summary_puts_the_unit_only_beside_sizes() -> None:
    # zeek's fragmented-3.pcap has fragments whose datagram size cannot be told: the summary
    # said "datagram sizes unknown bytes"
    from conftest import PUBLIC_CORPUS

    report = analyze(PUBLIC_CORPUS / "zeek" / "fragmented-3.pcap", strict=False)
    summaries = [f["summary"] for f in report["findings"] if f["id"] == "ip-fragmentation"]
    assert summaries, "the capture has fragmented datagrams"
    assert not [s for s in summaries if "unknown bytes" in s]
    assert any("datagram sizes unknown" in s for s in summaries)


# --------------------------------------------------------------------------------------------
# frames-malformed: headers that break their protocol's rules, against tshark's marks

MALFORMED_CASES = sorted(
    p
    for folder in ("malformed", "frag")
    for p in (CAPTURES / folder).iterdir()
    if p.suffix in (".pcap", ".pcapng")
)


@pytest.mark.parametrize("path", MALFORMED_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_malformed_frames_are_the_ones_tshark_marks(path, tshark) -> None:
    # Every frame the finding names, tshark marks malformed or with an error-level expert
    # note; the captures made for one malformation are named in full. The first fragments of
    # a UDP datagram (its length covers the whole datagram) are legal: captures/frag has
    # them and no finding.
    report = analyze(path, strict=False)
    found = [f for f in report["findings"] if f["id"] == "frames-malformed"]
    named = {n for f in found for s in f["evidence"]["statuses"] for n in s["first_frames"]}
    marked = tshark.fields(
        path, ("frame.number",), ("-Y", "_ws.malformed || _ws.expert.severity == error")
    )
    tshark_frames = {int(r["frame.number"]) for r in marked.rows}
    assert named <= tshark_frames, f"tshark sees nothing wrong with frames {named - tshark_frames}"
    if path.parent.name == "frag":
        assert not found, found[0]["summary"]
    designed = {"ipv4-ihl-lt5": 2, "tcp-doff-lt5": 1, "tcp-doff-past-frame": 1,
                "ipv6-ext-len-past-frame": 1, "ipv4-totlen-gt-frame": 1,
                "ipv4-in-ipv6-ethertype": 1, "igmpv3-count-lies": 2}  # fmt: skip
    if path.stem in designed:
        [f] = found
        assert f["evidence"]["frames"] == designed[path.stem] == len(named)
        assert named == tshark_frames
        senders = [s for st in f["evidence"]["statuses"] for s in st["senders"]]
        assert sum(s["frames"] for s in senders) == designed[path.stem]
        assert all(s["src_mac"] in f["summary"] for s in senders)
