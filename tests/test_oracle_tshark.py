"""Frame-by-frame differential test: lmcap's `packets` table against a live tshark run.

One ``tshark -n -r FILE -T fields -E occurrence=f`` run per file, all fields at once.
``occurrence=f`` keeps the FIRST occurrence of each field; a field's first occurrence is
only the outer header when nothing before it in the protocol stack carries the same field
(for example ``ip.*`` of an IPv6-outer frame that tunnels IPv4 is the inner header). So
every comparison is gated on ``frame.protocols``:

- link:       the stack starts with ``eth`` (eth.src/dst) or ``sll`` (sll.src.eth);
- VLAN:       the protocols right after the link header; ``ieee8021ad`` (0x88a8) reports
              its tag as ``ieee8021ad.id``, or as ``svid``/``cvid`` when it swallowed a
              second S-tag, ``vlan`` (0x8100, and 0x9100) as ``vlan.id``;
- network:    the first protocol after link + VLAN protocols (``ip``/``ipv6``/``arp``);
- transport:  the first protocol after the network one (IPv6 extension headers skipped).

Fields of a layer are compared only when that layer is the outer one in tshark's stack;
when tshark decoded the layer and lmcap has nothing (or the reverse) that is a mismatch,
unless lmcap's ``decode_status`` says it stopped before that layer for a reason tshark
does not check (``oracle_disagreements.LMCAP_STOPS_TSHARK_IGNORES``).

tshark runs with IPv4/IPv6 reassembly off: with it on, tshark dissects the transport
header of a reassembled datagram on the frame holding the LAST fragment, while the
frame itself (and lmcap) only carry fragment data there.
"""

from __future__ import annotations

import pytest
from conftest import (
    CAPTURES_DIR,
    PUBLIC_CORPUS,
    format_mismatches,
    load_expect,
    load_public_oracle,
    own_captures,
    public_manifest,
    read_tables_lenient,
    rel_capture,
    to_int,
)
from oracle_disagreements import (
    CUSTOM_BLOCK_FILES,
    LMCAP_BUGS,
    LMCAP_STOPS_TSHARK_IGNORES,
    TCP_FLAGS_MASK,
    TSHARK_FRAME_DISAGREEMENTS,
    TSHARK_SKIP_OWN,
    TSHARK_SKIP_PUBLIC,
)

FIELDS = (
    "frame.number",
    "frame.protocols",
    "frame.len",
    "frame.cap_len",
    "frame.interface_id",
    "eth.src",
    "eth.dst",
    "sll.src.eth",
    "vlan.id",
    "ieee8021ad.id",
    "ieee8021ad.svid",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.id",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.hlim",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "tcp.urgent_pointer",
    "tcp.hdr_len",
    "udp.srcport",
    "udp.dstport",
    "icmp.type",
    "icmp.code",
    "icmp.mtu",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.mtu",
    "igmp.type",
    "igmp.version",
    "arp.opcode",
)
OPTIONS = (
    "-E",
    "occurrence=f",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
)

LINK_PROTOS = {"eth", "sll", "null", "loop", "raw", "ethertype"}
VLAN_PROTOS = {"vlan", "ieee8021ad"}
NET_PROTOS = {"ip", "ipv6", "arp"}

# lmcap layer name -> the lmcap columns that belong to it
LAYER_COLUMNS = {
    "ipv4": ("src_ip", "dst_ip", "ip_proto", "ttl", "ip_id", "df", "mf", "frag_offset"),
    "ipv6": ("src_ip", "dst_ip", "ttl"),
    "arp": ("arp_opcode",),
    "tcp": ("src_port", "dst_port", "tcp_flags", "tcp_seq", "tcp_ack", "tcp_window"),
    "udp": ("src_port", "dst_port"),
    "icmp": ("icmp_type", "icmp_code", "icmp_next_hop_mtu"),
    "icmpv6": ("icmp_type", "icmp_code", "icmp_next_hop_mtu"),
    "igmp": ("igmp_type", "igmp_version"),
}
# layer -> [(tshark field, lmcap column, converter)]
LAYER_FIELDS = {
    "ipv4": [
        ("ip.src", "src_ip", str),
        ("ip.dst", "dst_ip", str),
        ("ip.proto", "ip_proto", to_int),
        ("ip.ttl", "ttl", to_int),
        ("ip.id", "ip_id", to_int),
        ("ip.flags.df", "df", lambda v: bool(to_int(v))),
        ("ip.flags.mf", "mf", lambda v: bool(to_int(v))),
        # -T fields prints the raw 13-bit field (8-byte units); -V shows bytes; lmcap: bytes
        ("ip.frag_offset", "frag_offset", lambda v: to_int(v) * 8),
    ],
    "ipv6": [
        ("ipv6.src", "src_ip", str),
        ("ipv6.dst", "dst_ip", str),
        ("ipv6.hlim", "ttl", to_int),
    ],
    "arp": [("arp.opcode", "arp_opcode", to_int)],
    "tcp": [
        ("tcp.srcport", "src_port", to_int),
        ("tcp.dstport", "dst_port", to_int),
        ("tcp.flags", "tcp_flags", lambda v: to_int(v) & TCP_FLAGS_MASK),
        ("tcp.seq_raw", "tcp_seq", to_int),
        ("tcp.ack_raw", "tcp_ack", to_int),
        ("tcp.window_size_value", "tcp_window", to_int),
    ],
    "udp": [("udp.srcport", "src_port", to_int), ("udp.dstport", "dst_port", to_int)],
    "icmp": [
        ("icmp.type", "icmp_type", to_int),
        ("icmp.code", "icmp_code", to_int),
        ("icmp.mtu", "icmp_next_hop_mtu", to_int),
    ],
    "icmpv6": [
        ("icmpv6.type", "icmp_type", to_int),
        ("icmpv6.code", "icmp_code", to_int),
        ("icmpv6.mtu", "icmp_next_hop_mtu", to_int),
    ],
    "igmp": [("igmp.type", "igmp_type", to_int), ("igmp.version", "igmp_version", to_int)],
}
LMCAP_COLUMNS = sorted(
    {
        "frame_number",
        "wire_len",
        "cap_len",
        "decode_status",
        "src_mac",
        "dst_mac",
        "vlan_id",
        "ip_version",
        "arp_opcode",
        "tcp_flags",
        "icmp_type",
        "igmp_type",
        "src_port",
    }
    | {c for cols in LAYER_COLUMNS.values() for c in cols}
)
TSHARK_TRANSPORT = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "igmp": "igmp"}


# --------------------------------------------------------------------------------------------
# which files


def _public_cases():
    out = []
    for row in public_manifest():
        rel = row["path"]
        try:
            oracle = load_public_oracle(rel)
        except FileNotFoundError:
            continue
        if not oracle.get("ok", False):
            continue  # tshark itself stops on an error: covered by test_public_corpus.py
        marks = []
        if rel in TSHARK_SKIP_PUBLIC:
            marks.append(pytest.mark.skip(reason=TSHARK_SKIP_PUBLIC[rel]))
        out.append(pytest.param(PUBLIC_CORPUS / rel, id="public/" + rel, marks=marks))
    return out


def _own_cases():
    out = []
    for path in own_captures():
        rel = rel_capture(path)
        expect = load_expect(path)
        marks = []
        if expect is not None and expect.get("error"):
            marks.append(pytest.mark.skip(reason="expect.json says the file has a read error"))
        elif rel in TSHARK_SKIP_OWN:
            marks.append(pytest.mark.skip(reason=TSHARK_SKIP_OWN[rel]))
        out.append(pytest.param(path, id="captures/" + rel, marks=marks))
    return out


PUBLIC_CASES = _public_cases()
OWN_CASES = _own_cases()


@pytest.fixture(scope="module")
def tshark_all(tshark):
    """Queue every file's tshark run up front so start-up costs overlap."""
    paths = [
        p.values[0] for p in PUBLIC_CASES + OWN_CASES if not any(m.name == "skip" for m in p.marks)
    ]
    tshark.prefetch(paths, FIELDS, OPTIONS)
    return tshark


# --------------------------------------------------------------------------------------------
# the comparison


def tshark_layers(protos: list[str]) -> dict:
    """Split tshark's frame.protocols into link / vlan / network / transport (outer only)."""
    protos = [p for p in protos if p and p != "ethertype"]
    i = 0
    link = protos[0] if protos and protos[0] in LINK_PROTOS else None
    if link:
        i = 1
    vlan = []
    while i < len(protos) and protos[i] in VLAN_PROTOS:
        vlan.append(protos[i])
        i += 1
    net = protos[i] if i < len(protos) else None
    transport = None
    if net in ("ip", "ipv6"):
        j = i + 1
        while j < len(protos) and protos[j].startswith("ipv6."):
            j += 1
        transport = protos[j] if j < len(protos) else None
    return {"link": link, "vlan": vlan, "net": net, "transport": transport}


def tshark_outer_vlan(row: dict, vlan_protos: list[str]):
    if not vlan_protos:
        return None
    if vlan_protos[0] == "ieee8021ad":
        return (
            to_int(row["ieee8021ad.svid"])
            if row["ieee8021ad.svid"]
            else to_int(row["ieee8021ad.id"])
        )
    return to_int(row["vlan.id"])


class Mismatch(str):
    """A readable mismatch line that remembers its frame number."""

    def __new__(cls, frame, text):
        obj = super().__new__(cls, text)
        obj.frame = frame
        return obj


def compare_file(path, tshark_rows: list[dict], tables: dict, rel: str, known: dict):
    """Return (mismatches, excused): lists of readable strings."""
    packets = tables["packets"]
    if hasattr(packets, "select"):
        packets = packets.select(LMCAP_COLUMNS)
    packets = packets.to_pylist()
    if rel in CUSTOM_BLOCK_FILES:
        # tshark lists pcapng custom blocks as records (no interface); lmcap does not.
        tshark_rows = [r for r in tshark_rows if r["frame.interface_id"] != ""]
        for i, r in enumerate(tshark_rows, 1):
            r["frame.number"] = str(i)
    mismatches: list[str] = []
    excused: list[str] = []

    def mismatch(frame, fieldname, ts_value, lm_value, status):
        text = f"{rel} frame {frame} {fieldname}: tshark={ts_value!r} lmcap={lm_value!r}"
        why = known.get((rel, frame, fieldname)) or known.get((rel, None, fieldname))
        if why:
            excused.append(f"{text} [{why}]")
            return
        mismatches.append(Mismatch(frame, f"{text} (decode_status={status})"))

    if len(tshark_rows) != len(packets):
        mismatches.append(
            Mismatch(None, f"{rel}: frame count tshark={len(tshark_rows)} lmcap={len(packets)}")
        )

    for row, pkt in zip(tshark_rows, packets):
        n = pkt["frame_number"]
        status = pkt["decode_status"]
        if to_int(row["frame.number"]) != n:
            mismatches.append(
                Mismatch(n, f"{rel}: frame.number tshark={row['frame.number']} lmcap={n}")
            )
            break
        for tf, col in (("frame.len", "wire_len"), ("frame.cap_len", "cap_len")):
            if to_int(row[tf]) != pkt[col]:
                mismatch(n, tf, to_int(row[tf]), pkt[col], status)

        layers = tshark_layers(row["frame.protocols"].split(":"))
        stopped = set(LMCAP_STOPS_TSHARK_IGNORES.get(status, ()))
        if status == "truncated_tcp" and row["tcp.urgent_pointer"]:
            # tshark saw the whole fixed 20-byte header (only options were cut): lmcap
            # could have reported ports/flags/seq too, so this is not excused.
            stopped.discard("tcp")
        if (
            status == "bad_tcp_header_length"
            and (to_int(row["tcp.hdr_len"]) or 0) >= 20
            and row["ip.flags.mf"] == "1"
        ):
            # a valid data offset whose header continues in the next IPv4 fragment
            stopped.discard("tcp")

        # link layer
        if layers["link"] == "eth":
            for tf, col in (("eth.src", "src_mac"), ("eth.dst", "dst_mac")):
                if row[tf].lower() != (pkt[col] or ""):
                    mismatch(n, tf, row[tf], pkt[col], status)
        elif layers["link"] == "sll" and row["sll.src.eth"]:
            if row["sll.src.eth"].lower() != (pkt["src_mac"] or ""):
                mismatch(n, "sll.src.eth", row["sll.src.eth"], pkt["src_mac"], status)

        # outer VLAN tag
        ts_vlan = tshark_outer_vlan(row, layers["vlan"])
        if ts_vlan != pkt["vlan_id"] and "vlan" not in stopped:
            mismatch(n, "vlan.id(outer)", ts_vlan, pkt["vlan_id"], status)

        # network layer
        net = {"ip": "ipv4", "ipv6": "ipv6", "arp": "arp"}.get(layers["net"])
        lm_net = None
        if pkt["ip_version"] == 4:
            lm_net = "ipv4"
        elif pkt["ip_version"] == 6:
            lm_net = "ipv6"
        elif pkt["arp_opcode"] is not None:
            lm_net = "arp"
        if net != lm_net:
            if not (lm_net is None and net in stopped):
                mismatch(n, "network layer", layers["net"], lm_net, status)
            continue
        if net is None:
            continue
        for tf, col, conv in LAYER_FIELDS[net]:
            tv = conv(row[tf]) if row[tf] != "" else None
            if tv != pkt[col]:
                mismatch(n, tf, tv, pkt[col], status)
        if net == "arp":
            continue

        # transport layer (directly after the outer IP header)
        tl = TSHARK_TRANSPORT.get(layers["transport"])
        if pkt["tcp_flags"] is not None:
            lm_tl = "tcp"
        elif pkt["src_port"] is not None:
            lm_tl = "udp"
        elif pkt["icmp_type"] is not None:
            lm_tl = "icmpv6" if pkt["ip_version"] == 6 else "icmp"
        elif pkt["igmp_type"] is not None:
            lm_tl = "igmp"
        else:
            lm_tl = None
        if tl != lm_tl:
            if not (lm_tl is None and tl in stopped):
                mismatch(n, "transport layer", layers["transport"], lm_tl, status)
            continue
        if tl is None:
            continue
        for tf, col, conv in LAYER_FIELDS[tl]:
            tv = conv(row[tf]) if row[tf] != "" else None
            if tv != pkt[col]:
                mismatch(n, tf, tv, pkt[col], status)
    return mismatches, excused


def _check(path, tshark_all, rel, record_property):
    result = tshark_all.fields(path, FIELDS, OPTIONS)
    assert result.ok, f"tshark failed on {rel}: {result.errors}"
    tables, _ = read_tables_lenient(path)
    mismatches, excused = compare_file(path, result.rows, tables, rel, TSHARK_FRAME_DISAGREEMENTS)
    if excused:
        record_property("known_disagreements", excused)
    bugs = {frame: why for (f, frame), why in LMCAP_BUGS.items() if f == rel}
    unexpected = [m for m in mismatches if m.frame not in bugs]
    assert not unexpected, format_mismatches(f"lmcap vs tshark on {rel}", unexpected)
    if bugs:
        seen = {m.frame for m in mismatches}
        fixed = sorted(set(bugs) - seen)
        assert not fixed, (
            f"{rel}: frames {fixed} listed in LMCAP_BUGS now match tshark; "
            "remove them from oracle_disagreements.LMCAP_BUGS"
        )
        pytest.xfail(
            "; ".join(f"frame {f}: {bugs[f]}" for f in sorted(bugs))
            + " | "
            + format_mismatches("mismatches", mismatches)
        )


@pytest.mark.parametrize("path", PUBLIC_CASES)
def test_public_corpus_vs_tshark(path, tshark_all, record_property):
    _check(path, tshark_all, path.relative_to(PUBLIC_CORPUS).as_posix(), record_property)


@pytest.mark.parametrize("path", OWN_CASES)
def test_own_captures_vs_tshark(path, tshark_all, record_property):
    _check(
        path, tshark_all, "captures/" + path.relative_to(CAPTURES_DIR).as_posix(), record_property
    )


def test_comparison_can_fail():
    """The comparison itself reports a corrupted value (guards against a vacuous test)."""
    tables = {
        "packets": _FakeTable(
            [
                {
                    "frame_number": 1,
                    "wire_len": 60,
                    "cap_len": 60,
                    "decode_status": "ok",
                    "src_mac": "00:00:00:00:00:01",
                    "dst_mac": "00:00:00:00:00:02",
                    "vlan_id": None,
                    "ip_version": 4,
                    "arp_opcode": None,
                    "src_ip": "192.0.2.1",
                    "dst_ip": "192.0.2.2",
                    "ip_proto": 6,
                    "ttl": 64,
                    "ip_id": 1,
                    "df": True,
                    "mf": False,
                    "frag_offset": 0,
                    "tcp_flags": 0x12,
                    "src_port": 80,
                    "dst_port": 1234,
                    "tcp_seq": 1,
                    "tcp_ack": 2,
                    "tcp_window": 100,
                    "icmp_type": None,
                    "igmp_type": None,
                }
            ]
        )
    }
    row = {f: "" for f in FIELDS}
    row.update(
        {
            "frame.number": "1",
            "frame.protocols": "eth:ethertype:ip:tcp",
            "frame.len": "60",
            "frame.cap_len": "60",
            "eth.src": "00:00:00:00:00:01",
            "eth.dst": "00:00:00:00:00:02",
            "ip.src": "192.0.2.1",
            "ip.dst": "192.0.2.2",
            "ip.proto": "6",
            "ip.ttl": "64",
            "ip.id": "0x0001",
            "ip.flags.df": "1",
            "ip.flags.mf": "0",
            "ip.frag_offset": "0",
            "tcp.srcport": "80",
            "tcp.dstport": "1234",
            "tcp.flags": "0x0012",
            "tcp.seq_raw": "1",
            "tcp.ack_raw": "2",
            "tcp.window_size_value": "100",
        }
    )
    assert compare_file(None, [row], tables, "fake", {}) == ([], [])
    bad = dict(row, **{"tcp.flags": "0x0010", "ip.flags.mf": "1"})
    mism, _ = compare_file(None, [bad], tables, "fake", {})
    assert len(mism) == 2 and "tcp.flags" in mism[1] and "ip.flags.mf" in mism[0]
    mism, _ = compare_file(
        None, [dict(row, **{"frame.protocols": "eth:ethertype:ip:udp"})], tables, "fake", {}
    )
    assert len(mism) == 1 and "transport layer" in mism[0]


class _FakeTable:
    def __init__(self, rows):
        self._rows = rows

    def to_pylist(self):
        return self._rows
