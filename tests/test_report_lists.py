"""Report lists that grow with the capture are cut at ``Params.section_list_max`` (and the lists
inside a finding at ``evidence_list_max``), each with a ``*_total`` beside it that counts every
row: a capture with a million IGMP groups or ARP senders must not make a million-entry report.

Each test cuts a small capture's list with a tiny bound and checks the cut against the uncut
report of the same capture: the kept rows are the right ones and the totals count them all.
"""

from __future__ import annotations

from conftest import CAPTURES_DIR, analyze

NO_QUERIER = CAPTURES_DIR / "igmp" / "no-querier.pcap"


def test_igmp_groups_keep_the_busiest_and_count_all() -> None:
    full = analyze(NO_QUERIER)["igmp"]
    cut = analyze(NO_QUERIER, section_list_max=2)["igmp"]
    assert full["groups_total"] == len(full["groups"]) >= 3
    assert cut["groups_total"] == full["groups_total"] and len(cut["groups"]) == 2
    events = {g["group"]: g["joins"] + g["leaves"] for g in full["groups"]}
    busiest = sorted(events.values(), reverse=True)[:2]
    assert sorted((events[g["group"]] for g in cut["groups"]), reverse=True) == busiest
    # kept groups are whole, in address order
    by_name = {g["group"]: g for g in full["groups"]}
    assert all(g == by_name[g["group"]] for g in cut["groups"])
    assert [g["group"] for g in cut["groups"]] == [
        g["group"] for g in full["groups"] if g["group"] in {c["group"] for c in cut["groups"]}
    ]


def test_igmp_gap_lists_are_cut_and_counted() -> None:
    full = analyze(NO_QUERIER)
    cut = analyze(NO_QUERIER, evidence_list_max=1)
    gaps = full["igmp"]["querier_check"]["gaps"]
    assert gaps and max(g["hosts_total"] for g in gaps) >= 2
    for whole, short in zip(gaps, cut["igmp"]["querier_check"]["gaps"], strict=True):
        assert whole["hosts_total"] == len(whole["hosts"]) == short["hosts_total"]
        assert whole["groups_total"] == len(whole["groups"]) == short["groups_total"]
        assert short["hosts"] == whole["hosts"][:1] and short["groups"] == whole["groups"][:1]
    [whole] = [f for f in full["findings"] if f["id"] == "igmp-no-querier"]
    [short] = [f for f in cut["findings"] if f["id"] == "igmp-no-querier"]
    # the words count every host and group, however few the evidence lists
    assert short["summary"] == whole["summary"]
    assert short["evidence"]["hosts_total"] == len(whole["evidence"]["hosts"]) >= 2
    assert short["evidence"]["hosts"] == whole["evidence"]["hosts"][:1]


def test_arp_frame_size_and_fragment_lists_are_cut_and_counted() -> None:
    for rel, key, get in [
        ("arp/router-secondary.pcap", "hosts", lambda r: r["arp"]["requests"]),
        ("icmp/df-sweep.pcap", "hosts", lambda r: r["frame_sizes"]),
        ("frag/ipv4-fragments.pcap", "flows", lambda r: r["fragmentation"]["ipv4"]),
    ]:
        full = get(analyze(CAPTURES_DIR / rel))
        cut = get(analyze(CAPTURES_DIR / rel, section_list_max=1))
        assert full[f"{key}_total"] == len(full[key]) >= 2, rel
        assert cut[f"{key}_total"] == full[f"{key}_total"], rel
        assert cut[key] == full[key][:1], rel
