"""IGMP, Windows NLB, flooding and ARP diagnostics on real and per-spec captures.

For each finding a capture where it must fire (with its evidence checked) and clean captures
where it must not; counts cross-checked against tshark (arp.isgratuitous, igmp.type) where
tshark is installed. Captures: captures/arp, captures/igmp (made with network namespaces,
captures/scripts/net), captures/nlb (per spec, captures/scripts/synth/make_synth.py) and a few
files of the public corpus.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import (
    CAPTURES_DIR,
    PUBLIC_CORPUS,
    TSHARK,
    analyze,
    requires_public_corpus,
    requires_tshark,
)

from lmcap.diagnostics import Params

ARP = CAPTURES_DIR / "arp"
IGMP = CAPTURES_DIR / "igmp"
NLB = CAPTURES_DIR / "nlb"
L2_IDS = {
    "igmp-no-querier",
    "unregistered-multicast",
    "nlb-unicast-flooding",
    "nlb-multicast-flooding",
    "duplicate-ip",
    "ip-moved",
    "arp-storm",
    "arp-poisoning",
}


def need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"capture {path} not present")
    return path


def report(path: Path, params: Params | None = None) -> dict:
    """The report (cached per capture and thresholds)."""
    return analyze(need(path), **(params or Params()).sql_params())


def found(rep: dict, fid: str) -> list[dict]:
    return [f for f in rep["findings"] if f["id"] == fid]


def l2_ids(rep: dict) -> set[str]:
    return {f["id"] for f in rep["findings"]} & L2_IDS


def tshark_fields(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    cmd = [TSHARK, "-n", "-r", str(path), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.split("\t") for line in out.splitlines() if line]


# ------------------------------------------------------------------------------------------
# clean captures: none of the L2 findings


@pytest.mark.parametrize(
    "path",
    [
        ARP / "normal.pcap",
        ARP / "garp-request.pcap",
        ARP / "garp-reply.pcap",
        ARP / "arp-probe.pcap",
        IGMP / "clean-querier.pcap",
        NLB / "nlb-none.pcap",
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_clean_captures_have_no_l2_findings(path: Path) -> None:
    assert l2_ids(report(path)) == set()


def test_nlb_igmp_mode_with_joins_is_not_flooding() -> None:
    rep = report(NLB / "nlb-igmp.pcap")
    assert l2_ids(rep) == set()
    (cl,) = rep["nlb"]["clusters"]
    assert cl["mode"] == "igmp" and cl["igmp_group"] == "239.255.2.100"
    assert cl["igmp_members"] == ["192.0.2.11", "192.0.2.12"]
    # 239.255.x.y traffic of nlb-igmp is NLB; in the IGMP captures it is ordinary multicast
    kinds = {v["kind"] for v in report(IGMP / "igmpv2-unregistered.pcap")["flooding"]["volume"]}
    assert "nlb_igmp_multicast" not in kinds


# ------------------------------------------------------------------------------------------
# ARP


def test_duplicate_ip_fires_with_both_macs() -> None:
    rep = report(ARP / "duplicate-ip.pcap")
    (f,) = found(rep, "duplicate-ip")
    assert f["severity"] == "error"
    assert f["evidence"]["ip"] == "192.0.2.40"
    macs = {m["mac"]: m for m in f["evidence"]["macs"]}
    assert set(macs) == {"02:00:00:00:a1:41", "02:00:00:00:a1:42"}
    for m in macs.values():
        assert m["first_seen"] < m["last_seen"] and m["frames"]
    assert 3 in macs["02:00:00:00:a1:41"]["frames"] and 2 in macs["02:00:00:00:a1:42"]["frames"]
    assert [d["ip"] for d in rep["arp"]["duplicate_ips"]] == ["192.0.2.40"]
    assert "192.0.2.40" in f["summary"] and "02:00:00:00:a1:41" in f["summary"]
    assert not found(rep, "ip-moved")


def test_vm_move_is_a_move_not_a_duplicate() -> None:
    rep = report(ARP / "ip-moved.pcap")
    assert not found(rep, "duplicate-ip")
    assert rep["arp"]["duplicate_ips"] == []
    (f,) = found(rep, "ip-moved")
    assert f["severity"] == "info"
    (m,) = rep["arp"]["moves"]
    assert (m["ip"], m["from_mac"], m["to_mac"]) == (
        "192.0.2.50",
        "02:00:00:00:a1:51",
        "02:00:00:00:a1:52",
    )
    assert m["announced_by"]["frame"] == 35 and m["frame"] == 35
    assert m["old_last_frame"] == 32
    assert m["at"] == m["announced_by"]["time"]


def test_arp_storm_fires_with_peak_and_top_sender() -> None:
    rep = report(ARP / "arp-storm.pcap")
    (f,) = found(rep, "arp-storm")
    ev = f["evidence"]
    assert ev["rate_pps"] > Params().arp_storm_pps and ev["threshold_pps"] == 100
    top = ev["top_senders"][0]
    assert top["src_mac"] == "02:00:00:00:a1:10" and top["sender_ips"] == ["192.0.2.10"]
    assert top["distinct_targets"] > 200
    assert ev["peak_second"]["first_frame"] == 1
    assert f["severity"] == "error"  # > 10x the threshold
    # a higher threshold silences it
    assert not found(report(ARP / "arp-storm.pcap", Params(arp_storm_pps=5000)), "arp-storm")


def test_arp_counts() -> None:
    a = report(ARP / "arp-probe.pcap")["arp"]
    assert (a["requests"]["total"], a["replies"]["total"], a["probes"]["total"]) == (6, 3, 6)
    assert a["probes"]["hosts"] == [
        {"mac": "02:00:00:00:a1:10", "ip": "0.0.0.0", "vlan": None, "count": 6}
    ]
    g = report(ARP / "garp-reply.pcap")["arp"]["gratuitous"]
    assert (g["total"], g["replies"], g["requests"]) == (3, 3, 0)
    assert sum(b["count"] for b in g["timeline"]) == 3


def test_arp_poisoning_fires_on_arpspoof_replies() -> None:
    # per spec (make_synth.py gen_arp): 02:..:b0:66 resolves the victim from its own
    # 192.0.2.66, then tells 192.0.2.10 every 2 s that the gateway 192.0.2.1 is at its MAC,
    # while the gateway 02:..:b0:01 keeps answering the victim's requests
    rep = report(ARP / "arp-spoof.pcap")
    (f,) = found(rep, "arp-poisoning")
    ev = f["evidence"]
    assert f["severity"] == "error"
    assert (ev["mac"], ev["own_ips"]) == ("02:00:00:00:b0:66", ["192.0.2.66"])
    (claim,) = ev["claimed_ips"]
    assert claim["ip"] == "192.0.2.1" and claim["also_claimed_by"] == ["02:00:00:00:b0:01"]
    # six replies, one of which happens to follow a victim's request within the window
    assert claim["unsolicited_replies"] == 5 and claim["directed_requests"] == 0
    assert ev["victims"] == [{"ip": "192.0.2.10", "mac": "02:00:00:00:b0:10", "frames": 5}]
    assert len(ev["frames"]) == 5 and claim["first_frame"] == ev["frames"][0]
    assert rep["arp"]["poisoning"][0]["mac"] == ev["mac"]
    # the gateway, answering requests, is not the poisoner
    assert all(p["mac"] != "02:00:00:00:b0:01" for p in rep["arp"]["poisoning"])
    # a wider reply window makes every reply look solicited: the signature is the unsolicited
    # replies, not the duplicate address alone
    assert not found(
        report(ARP / "arp-spoof.pcap", Params(arp_reply_window_s=30.0)), "arp-poisoning"
    )


@requires_public_corpus
def test_arp_poisoning_fires_on_public_arppoison() -> None:
    # chrissanders-packets/arppoison.pcapng: 00:25:b3:bf:91:ee (own 172.16.0.105) sends the
    # victim a directed request (frame 54) and an unsolicited reply (56) as the gateway 172.16.0.1
    rep = report(PUBLIC_CORPUS / "chrissanders-packets" / "arppoison.pcapng")
    (f,) = found(rep, "arp-poisoning")
    ev = f["evidence"]
    assert ev["mac"] == "00:25:b3:bf:91:ee" and ev["own_ips"] == ["172.16.0.105"]
    assert [c["ip"] for c in ev["claimed_ips"]] == ["172.16.0.1"]
    assert ev["victims"][0]["ip"] == "172.16.0.107" and ev["frames"] == [54, 56]
    assert "172.16.0.1" in f["summary"] and "00:25:b3:bf:91:ee" in f["summary"]
    # tshark agrees on the frames: replies/requests from that MAC naming the gateway's IP
    if TSHARK:
        frames = [
            int(r[0])
            for r in tshark_fields(
                PUBLIC_CORPUS / "chrissanders-packets" / "arppoison.pcapng",
                "arp.src.hw_mac == 00:25:b3:bf:91:ee && arp.src.proto_ipv4 == 172.16.0.1",
                "frame.number",
            )
        ]
        assert frames == ev["frames"]


# arp-poisoning must NOT fire on: the project's ARP captures (a router answering for its
# secondary address with unicast refreshes, a VM move announced by gratuitous ARP, duplicate
# addresses, probes, a storm), the NLB captures (cluster MACs answering for the VIP), and the
# public corpus's ARP captures, including the bit-flipped ones (tcpdump arp-oobr, nDPI fuzz)
# whose corrupted sender addresses look like foreign claims in single frames.
ARP_POISONING_QUIET = [
    ARP / f"{n}.pcap"
    for n in (
        "router-secondary",
        "ip-moved",
        "normal",
        "duplicate-ip",
        "arp-probe",
        "garp-request",
        "garp-reply",
        "arp-storm",
    )
] + [NLB / f"nlb-{m}.pcap" for m in ("unicast", "multicast", "igmp")]
ARP_POISONING_QUIET_PUBLIC = [
    "tcpdump/arp-oobr.pcap",
    "tcpdump/arp-too-long-tha.pcap",
    "tcpdump/msnlb.pcap",
    "chrissanders-packets/arp_gratuitous.pcapng",
    "arkime/cloudshark-arp.pcap",
    "zeek/arp-leak.pcap",
    "zeek/linuxsll-arp.pcap",
    "pcapplusplus/ArpRequestWithVlan.pcap",
    "ndpi/fuzz-2006-06-26-2594.pcap",
]


@pytest.mark.parametrize("path", ARP_POISONING_QUIET, ids=lambda p: p.name)
def test_arp_poisoning_quiet_on_legitimate_arp(path: Path) -> None:
    rep = report(path)
    assert not found(rep, "arp-poisoning") and rep["arp"]["poisoning"] == []


@requires_public_corpus
@pytest.mark.parametrize("rel", ARP_POISONING_QUIET_PUBLIC)
def test_arp_poisoning_quiet_on_public_arp(rel: str) -> None:
    rep = analyze(need(PUBLIC_CORPUS / rel), strict=False)
    assert not found(rep, "arp-poisoning"), found(rep, "arp-poisoning")


@requires_tshark
@pytest.mark.parametrize(
    "name",
    ["normal", "garp-request", "garp-reply", "arp-probe", "duplicate-ip", "ip-moved", "arp-storm"],
)
def test_arp_counts_match_tshark(name: str) -> None:
    path = need(ARP / f"{name}.pcap")
    a = report(path)["arp"]
    rows = tshark_fields(path, "arp", "arp.opcode", "arp.isgratuitous", "arp.src.proto_ipv4")
    ops = Counter(r[0] for r in rows)
    assert a["requests"]["total"] == ops["1"]
    assert a["replies"]["total"] == ops["2"]
    assert a["gratuitous"]["total"] == sum(1 for r in rows if r[1] in ("1", "True"))
    assert a["probes"]["total"] == sum(1 for r in rows if r[0] == "1" and r[2] == "0.0.0.0")


# ------------------------------------------------------------------------------------------
# IGMP and unregistered multicast


@pytest.mark.parametrize("name", ["igmpv2-unregistered", "igmpv3-unregistered"])
def test_unregistered_multicast_fires_for_unjoined_groups(name: str) -> None:
    rep = report(IGMP / f"{name}.pcap")
    (f,) = found(rep, "unregistered-multicast")
    assert f["severity"] == "warning"  # a general query was answered inside the capture
    groups = {g["group"]: g for g in rep["flooding"]["unregistered_multicast"]}
    assert set(groups) == {"239.1.2.3", "239.255.9.9"}
    assert (groups["239.1.2.3"]["frames"], groups["239.255.9.9"]["frames"]) == (20, 10)
    assert groups["239.1.2.3"]["senders"] == ["192.0.2.14"]
    assert groups["239.1.2.3"]["bytes"] == 20 * 125 and groups["239.1.2.3"]["pps"] > 1
    assert "239.1.2.3" in f["summary"] and "192.0.2.14" in f["summary"]
    assert {g["group"] for g in f["evidence"]["groups"]} == set(groups)
    vol = {v["kind"]: v for v in rep["flooding"]["volume"]}
    assert vol["unregistered_multicast"]["frames"] == 30
    assert not found(rep, "igmp-no-querier")


def test_igmp_groups_members_and_leaves() -> None:
    igmp = report(IGMP / "igmpv2-unregistered.pcap")["igmp"]
    groups = {g["group"]: g for g in igmp["groups"]}
    g = groups["239.1.1.1"]
    assert g["members"] == ["192.0.2.11", "192.0.2.12"]
    assert g["leaves"] == 2 and g["members_at_end"] == []
    assert {e["action"] for e in g["timeline"]} == {"join", "leave"}
    assert all(e["version"] == 2 for e in g["timeline"])
    (q,) = igmp["queriers"]
    assert q["querier"] == "192.0.2.1" and q["general_queries"] == q["queries"]
    assert igmp["querier_check"]["verdict"] == "ok"


def test_igmpv3_empty_to_in_is_a_leave() -> None:
    igmp = report(IGMP / "igmpv3-unregistered.pcap")["igmp"]
    g = {g["group"]: g for g in igmp["groups"]}["239.1.1.1"]
    assert g["leaves"] >= 2 and g["members_at_end"] == []
    assert all(e["version"] == 3 for e in g["timeline"])


def test_igmp_no_querier_fires() -> None:
    path = need(IGMP / "no-querier.pcap")
    rep = report(path)
    interval = Params().igmp_query_interval_s
    if rep["capture"]["duration_s"] <= interval:
        # a capture no longer than the query interval cannot prove it: no finding
        assert not found(rep, "igmp-no-querier")
        assert rep["igmp"]["querier_check"]["verdict"] == "inconclusive"
        rep = report(path, Params(igmp_query_interval_s=rep["capture"]["duration_s"] / 2))
    (f,) = found(rep, "igmp-no-querier")
    assert f["severity"] == "warning"
    ev = f["evidence"]
    assert ev["queriers"] == [] and ev["vlan"] is None
    assert {"192.0.2.11", "192.0.2.12"} <= set(ev["hosts"])
    assert {"239.1.1.1", "239.255.0.1"} <= set(ev["groups"])
    assert ev["leaves"] > 0 and ev["longest_gap_s"] > ev["query_interval_s"]
    assert rep["igmp"]["queriers"] == []


def test_igmp_querier_present_no_finding_even_with_low_interval() -> None:
    # queries every ~10 s in these captures: a 30 s interval still sees them
    for name in ("igmpv2-unregistered", "clean-querier"):
        rep = report(IGMP / f"{name}.pcap", Params(igmp_query_interval_s=30.0))
        assert not found(rep, "igmp-no-querier")


@requires_tshark
@pytest.mark.parametrize(
    "name", ["clean-querier", "igmpv2-unregistered", "igmpv3-unregistered", "no-querier"]
)
def test_igmp_message_counts_match_tshark(name: str) -> None:
    path = need(IGMP / f"{name}.pcap")
    msgs = report(path)["igmp"]["messages"]
    ours = Counter()
    for m in msgs:
        ours[m["msg_type"]] += m["messages"]
    theirs = Counter(int(r[0], 0) for r in tshark_fields(path, "igmp", "igmp.type"))
    assert ours == theirs


# ------------------------------------------------------------------------------------------
# NLB


def test_nlb_unicast_cluster_and_flooding() -> None:
    rep = report(NLB / "nlb-unicast.pcap")
    (cl,) = rep["nlb"]["clusters"]
    assert (cl["vip"], cl["mode"], cl["cluster_mac"]) == (
        "192.0.2.100",
        "unicast",
        "02:bf:c0:00:02:64",
    )
    assert [(h["host_id"], h["dedicated_ip"]) for h in cl["hosts"]] == [
        (1, "192.0.2.11"),
        (2, "192.0.2.12"),
        (3, "192.0.2.13"),
    ]
    assert cl["arp"][0]["cluster_mac"] == "02:bf:c0:00:02:64"
    (f,) = found(rep, "nlb-unicast-flooding")
    ev = f["evidence"]
    assert (ev["frames"], ev["bytes"], ev["first_frame"]) == (1, 60, 12)
    assert ev["clients"] == ["192.0.2.50"] and 0 < ev["share_bytes"] < 1
    assert "IGMP multicast" in f["advice"] and "01:00:5e:7f:02:64" in f["advice"]
    assert "static" in f["advice"]
    assert not found(rep, "nlb-multicast-flooding") and not found(rep, "duplicate-ip")


def test_nlb_multicast_flooding() -> None:
    rep = report(NLB / "nlb-multicast.pcap")
    (cl,) = rep["nlb"]["clusters"]
    assert (cl["mode"], cl["cluster_mac"]) == ("multicast", "03:bf:c0:00:02:64")
    assert len(cl["hosts"]) == 2
    (f,) = found(rep, "nlb-multicast-flooding")
    assert f["severity"] == "warning" and f["evidence"]["first_frame"] == 7
    assert not found(rep, "nlb-unicast-flooding")


@pytest.mark.parametrize("name", ["nlb-unicast", "nlb-multicast", "nlb-igmp"])
def test_nlb_matches_expect_json(name: str) -> None:
    import json

    expect = json.loads(need(NLB / f"{name}.pcap.expect.json").read_text())["nlb"]
    (cl,) = report(NLB / f"{name}.pcap")["nlb"]["clusters"]
    assert cl["vip"] == expect["cluster_ip"] and cl["cluster_mac"] == expect["cluster_mac"]
    assert cl["mode"] == {"unicast": "unicast", "multicast": "multicast"}.get(
        expect["mode"], "igmp"
    )
    assert sorted(h["dedicated_ip"] for h in cl["hosts"]) == sorted(
        h["host_ip"] for h in expect["hosts"]
    )


# ------------------------------------------------------------------------------------------
# public corpus


@requires_public_corpus
def test_public_msnlb_cluster() -> None:
    rep = report(PUBLIC_CORPUS / "tcpdump" / "msnlb.pcap")
    (cl,) = rep["nlb"]["clusters"]
    assert cl["vip"] == "192.168.100.80" and cl["mode"] == "unicast"


@requires_public_corpus
def test_public_igmp_many_groups_no_false_querier_finding() -> None:
    rep = report(PUBLIC_CORPUS / "zeek" / "igmp-many-groups.pcap")
    assert len(rep["igmp"]["groups"]) > 100
    assert not found(rep, "igmp-no-querier")


@requires_public_corpus
def test_public_zeek_igmp_reports_without_querier() -> None:
    # 203 s of IGMPv3/v2 reports and a leave, no query at all
    rep = report(PUBLIC_CORPUS / "zeek" / "igmp.pcap")
    (f,) = found(rep, "igmp-no-querier")
    assert "192.168.1.222" in f["evidence"]["hosts"]
