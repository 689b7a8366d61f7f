"""The `smb` report section and its findings.

(a) lmcap's SMB tables against tshark on the public SMB captures and the project's Samba
    captures (captures/smb/): per connection the multiset of (command, response flag, session
    id), the transform (encrypted) messages, the binding SESSION_SETUPs and the advertised
    interface lists; on the snaplen-cut ones, every message tshark sees.
(b) Sessions and channels of real captures, as a table capture -> expected facts.
(c) The findings' SQL and thresholds on purpose-built tables, for every firing and quiet
    condition: written straight into DuckDB tables (a unit test of the logic, not the
    decoder). Each SMB finding also fires on a real capture in (b).
"""

from __future__ import annotations

import subprocess
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest
from conftest import CAPTURES_DIR as CAPTURES
from conftest import PUBLIC_CORPUS as PUBLIC
from conftest import TSHARK
from conftest import analyze as analyze_capture

import lmcap
from lmcap import report
from lmcap.diagnostics import Params

SMB_IDS = {
    "smb-single-channel",
    "multichannel-imbalance",
    "smb-rdma-unused",
    "smb1-negotiated",
    "smb1-offered",
    "smb-stream-gaps",
}

PUBLIC_SMB = [
    "public:zeek/smb3_multichannel.pcap",
    "public:zeek/smb2.pcap",
    "public:zeek/smb3.pcap",
    "public:zeek/smb311.pcap",
    "public:zeek/smb2readwrite.pcap",
    "public:zeek/smb2-multiple-pdus.pcap",
    "public:zeek/smb3_negotiate_context.pcap",
    "public:zeek/SMBGhost.pcap",
    "public:ndpi/smb_deletefile.pcap",
    "public:arkime/wireshark-smb-on-windows10.pcap",
]
#: The project's real Samba captures (captures/README-net.md) taken with the full snaplen:
#: tshark and lmcap must see the same messages.
OWN_SMB = [
    "smb/multichannel-smbtorture.pcapng",
    "smb/readwrite-full.pcap",
    "smb/encrypted.pcap",
    "smb/smb1-negotiate.pcap",
]
#: Samba captures at snaplen 200: message headers start inside cut segments.
OWN_SMB_SNAPLEN = [
    "smb/readwrite-snap.pcap",
    "smb/multichannel-transfer.pcapng",
    "smb/multichannel-rdma-advertised.pcapng",
    "smb/multichannel-unreachable-nic.pcapng",
]


def capture(rel: str) -> Path:
    """``public:zeek/x.pcap`` lives in the shared corpus, anything else under captures/."""
    if rel.startswith("public:"):
        return PUBLIC / rel[len("public:") :]
    return CAPTURES / rel


def need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not present")


def analyze(rel: str) -> dict:
    return analyze_capture(capture(rel), strict=False)


def smb_ids(rep: dict) -> dict[str, int]:
    return dict(Counter(f["id"] for f in rep["findings"] if f["id"] in SMB_IDS))


# --------------------------------------------------------------------------------------------
# (a) tshark as the oracle


def tshark_fields(path: Path, display: str, fields: list[str]) -> list[list[str]]:
    args = [TSHARK, "-n", "-r", str(path), "-Y", display, "-T", "fields",
            "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]  # fmt: skip
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def ep(ip: str, port) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def split(v: str) -> list[str]:
    return v.split("|") if v else []


@cache
def tshark_smb(path: Path) -> dict:
    """Per connection (frozenset of endpoints): Counter of (cmd, response, sesid); plus the
    number of transform headers and of binding SESSION_SETUP requests."""
    rows = tshark_fields(
        path,
        "smb2",
        ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
         "smb2.cmd", "smb2.flags.response", "smb2.sesid", "smb2.header.transform.msg_size",
         "smb2.ses_req_flags.session_binding"],
    )  # fmt: skip
    conns: dict[frozenset, Counter] = defaultdict(Counter)
    transforms = binding = 0
    for s4, s6, sp, d4, d6, dp, cmd, resp, sesid, tmsg, bind in rows:
        key = frozenset({ep(s6 or s4, sp), ep(d6 or d4, dp)})
        cmds, resps, sids = split(cmd), split(resp), split(sesid)
        ntrans = len(split(tmsg))
        transforms += ntrans
        binding += sum(1 for b in split(bind) if b in ("1", "True"))
        # a transform header carries a session id but no command: those ids come first
        sids = sids[len(sids) - len(cmds) :] if ntrans else sids
        assert len(cmds) == len(resps) == len(sids), (cmds, resps, sids)
        for c, r, s in zip(cmds, resps, sids):
            conns[key][(int(c), r in ("1", "True"), int(s, 16))] += 1
    return {"conns": dict(conns), "transforms": transforms, "binding": binding}


@cache
def lmcap_con(path: Path):
    return lmcap.connect(path, strict=False)


def lmcap_smb(path: Path) -> dict:
    con = lmcap_con(path)
    conns: dict[frozenset, Counter] = defaultdict(Counter)
    for s, sp, d, dp, cmd, resp, sid in con.execute(
        "SELECT src_ip, src_port, dst_ip, dst_port, command, is_response, session_id "
        "FROM smb_pdus WHERE protocol = 'smb2'"
    ).fetchall():
        conns[frozenset({ep(s, sp), ep(d, dp)})][(cmd, resp, sid)] += 1
    (transforms,) = con.execute(
        "SELECT count(*) FROM smb_pdus WHERE protocol = 'smb2_encrypted'"
    ).fetchone()
    (binding,) = con.execute(
        "SELECT count(*) FROM smb_pdus WHERE command_name = 'session_setup' "
        "AND NOT is_response AND binding"
    ).fetchone()
    return {"conns": dict(conns), "transforms": transforms, "binding": binding}


requires_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")


@requires_tshark
@pytest.mark.parametrize("rel", PUBLIC_SMB + OWN_SMB)
def test_smb_messages_match_tshark(rel: str) -> None:
    path = capture(rel)
    need(path)
    ours, theirs = lmcap_smb(path), tshark_smb(path)
    assert ours["conns"] == theirs["conns"]
    assert ours["transforms"] == theirs["transforms"]
    assert ours["binding"] == theirs["binding"]


@requires_tshark
@pytest.mark.parametrize(
    "rel",
    PUBLIC_SMB
    + OWN_SMB
    + ["smb/multichannel-rdma-advertised.pcapng", "smb/multichannel-unreachable-nic.pcapng"],
)
def test_interface_lists_match_tshark(rel: str) -> None:
    path = capture(rel)
    need(path)
    theirs = defaultdict(lambda: [Counter(), set()])
    for frame, sesid, idx, cap, speed, v4, v6 in tshark_fields(
        path,
        "smb2.ioctl.network_interfaces.index",
        ["frame.number", "smb2.sesid", "smb2.ioctl.network_interfaces.index",
         "smb2.ioctl.network_interfaces.capabilities", "smb2.ioctl.network_interfaces.link_speed",
         "smb2.windows.sockaddr.in.addr", "smb2.windows.sockaddr.in6.addr"],
    ):  # fmt: skip
        for i, c, s in zip(split(idx), split(cap), split(speed)):
            theirs[int(frame)][0][(int(split(sesid)[-1], 16), int(i), int(c, 16), int(s))] += 1
        theirs[int(frame)][1] |= set(split(v4)) | set(split(v6))
    ours = defaultdict(lambda: [Counter(), set()])
    for frame, sid, idx, cap, speed, addr in (
        lmcap_con(path)
        .execute(
            "SELECT frame_number, session_id, if_index, capability, link_speed_bps, address "
            "FROM smb_interfaces"
        )
        .fetchall()
    ):
        ours[frame][0][(sid, idx, cap, speed)] += 1
        ours[frame][1] |= {addr} if addr else set()
    assert dict(ours) == dict(theirs)


@requires_tshark
@pytest.mark.parametrize("rel", OWN_SMB_SNAPLEN)
def test_snaplen_cut_streams_keep_every_message_tshark_sees(rel: str) -> None:
    """tshark dissects the SMB2 headers that begin a captured segment and cannot follow a
    stream past a cut one; lmcap follows lengths across the cuts and resynchronises. Every
    (command, response) tshark shows on a connection is in smb_pdus, and what lmcap could not
    frame is counted in stream_gaps."""
    path = capture(rel)
    need(path)
    theirs: dict[frozenset, Counter] = defaultdict(Counter)
    for s4, sp, d4, dp, cmd, resp in tshark_fields(
        path, "smb2", ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "smb2.cmd",
                       "smb2.flags.response"],
    ):  # fmt: skip
        for c, r in zip(split(cmd), split(resp) + [""] * len(split(cmd))):
            theirs[frozenset({ep(s4, sp), ep(d4, dp)})][(int(c), r in ("1", "True"))] += 1
    con = lmcap_con(path)
    ours: dict[frozenset, Counter] = defaultdict(Counter)
    for s, sp, d, dp, cmd, resp in con.execute(
        "SELECT src_ip, src_port, dst_ip, dst_port, command, coalesce(is_response, false) "
        "FROM smb_pdus WHERE protocol = 'smb2' AND command IS NOT NULL"
    ).fetchall():
        ours[frozenset({ep(s, sp), ep(d, dp)})][(cmd, resp)] += 1
    for conn, counts in theirs.items():
        assert not counts - ours[conn], conn
    (lost,) = con.execute("SELECT count(*) FROM stream_gaps WHERE protocol = 'smb'").fetchone()
    assert lost > 0


# --------------------------------------------------------------------------------------------
# (b) sessions and channels of real captures: capture -> what the report must say

#: ``sessions``: established session id -> (dialect, binding_requests, channels, server
#: addresses used, usable interfaces); ``findings``: SMB finding id -> count (absent: none).
EXPECTED: dict[str, dict] = {
    "public:zeek/smb3_multichannel.pcap": {
        "sessions": {"0x00001c0010000049": ("3.1.1", 6, 4, ["172.17.0.189"], 1)},
        "session_count": 27,  # 26 SESSION_SETUPs refused with STATUS_ACCESS_DENIED
        "protocols": {"smb2": 851},
        # one interface (if 8: 172.17.0.189 and its IPv6 link-local), four channels to it:
        # not single-channel; 85% of the bytes on the first channel: imbalance
        "findings": {"multichannel-imbalance": 1},
    },
    "public:zeek/smb2.pcap": {
        "sessions": {"0x0000040000000005": ("2.0.2", 0, 1, ["10.0.0.12"], 0)},
        "protocols": {"smb2": 99, "smb1": 1},
        "findings": {"smb1-offered": 1},
    },
    "public:zeek/smb3.pcap": {
        "sessions": {"0x000048009400003d": ("3.0", 0, 1, ["10.160.65.202"], 0)},
        "protocols": {"smb2": 10, "smb2_encrypted": 44},
        "findings": {},
    },
    "public:zeek/smb311.pcap": {"protocols": {"smb2": 6, "smb2_encrypted": 28}, "findings": {}},
    "public:zeek/smb2readwrite.pcap": {"findings": {}},
    "public:ndpi/smb_deletefile.pcap": {"findings": {}},
    "public:zeek/smb2-multiple-pdus.pcap": {"findings": {}},
    "public:arkime/wireshark-smb-on-windows10.pcap": {
        "sessions": {"0x0000740000000015": ("3.1.1", 0, 1, ["192.168.199.133"], 1)},
        "session_count": 6,  # five refused logons (STATUS_LOGON_FAILURE)
        "protocols": {"smb2": 60, "smb1": 20},
        # SMB1 spoken to 192.168.199.1:139; two clients offering SMB1 and getting SMB2
        "findings": {"smb1-negotiated": 1, "smb1-offered": 2},
    },
    # captures/smb/: real Samba traffic, two server links (captures/README-net.md)
    "smb/multichannel-smbtorture.pcapng": {
        # interface_info + num_channels: one session bound on 33 connections across both
        # server addresses (63 binding SESSION_SETUPs; the 33rd channel is refused), bind1's
        # two sessions on two connections each; the server lists if 2 (RSS, 10G,
        # 192.0.2.20) and if 3 (RSS+RDMA, 25G, 198.51.100.20). Too few bytes for any finding.
        "sessions": {
            "0x0000000061a8fca1": ("3.1.1", 63, 33, ["192.0.2.20", "198.51.100.20"], 2),
            "0x0000000016140292": ("3.1.1", 2, 2, ["192.0.2.20", "198.51.100.20"], 2),
            "0x000000001f98176d": ("3.1.1", 2, 2, ["192.0.2.20", "198.51.100.20"], 2),
            "0x0000000042093983": ("3.1.1", 0, 1, ["192.0.2.20"], 2),
            "0x00000000beee7f15": ("3.1.1", 0, 1, ["198.51.100.20"], 0),
        },
        "session_count": 5,
        "protocols": {"smb2": 256},
        "findings": {},
    },
    "smb/multichannel-transfer.pcapng": {
        # smb-rs client: 20 MiB written and read back over two bound channels, one per server
        # address, 40 + 40 WRITE responses: balanced. Snaplen 200 hides the interface list.
        "sessions": {
            "0x000000009a3c4551": ("3.1.1", 2, 2, ["192.0.2.20", "198.51.100.20"], 0),
            "0x00000000a9748432": ("3.1.1", 0, 1, ["192.0.2.20"], 0),
        },
        "protocols": {"smb2": 345, "smb1": 2},
        "findings": {"smb-stream-gaps": 1, "smb1-offered": 2},
    },
    "smb/multichannel-rdma-advertised.pcapng": {
        # the same client, 6 MiB at snaplen 1024: the interface list is captured (if 3 on
        # 198.51.100.20 advertises RDMA), 12 MiB of READ/WRITE data goes over TCP, evenly
        "sessions": {
            "0x00000000cd406760": ("3.1.1", 2, 2, ["192.0.2.20", "198.51.100.20"], 2),
            "0x00000000f456379f": ("3.1.1", 0, 1, ["192.0.2.20"], 2),
        },
        "protocols": {"smb2": 134, "smb1": 2},
        "findings": {"smb-rdma-unused": 1, "smb-stream-gaps": 1, "smb1-offered": 2},
    },
    "smb/multichannel-unreachable-nic.pcapng": {
        # the server lists two NICs, the client's route to 198.51.100.20 is a blackhole: 4 MiB
        # written and read back over the single channel to 192.0.2.20
        "sessions": {
            "0x000000008b6003f4": ("3.1.1", 0, 1, ["192.0.2.20"], 2),
            "0x0000000047f83ed8": ("3.1.1", 0, 1, ["192.0.2.20"], 2),
        },
        "protocols": {"smb2": 95, "smb1": 1},
        "findings": {"smb-single-channel": 1, "smb-stream-gaps": 1, "smb1-offered": 1},
    },
    "smb/readwrite-full.pcap": {
        "sessions": {"0x000000004c4615e3": ("3.1.1", 0, 1, ["192.0.2.20"], 0)},
        "protocols": {"smb2": 79},
        "findings": {},
    },
    "smb/readwrite-snap.pcap": {
        "sessions": {"0x00000000af3bb648": ("3.1.1", 0, 1, ["192.0.2.20"], 0)},
        "findings": {"smb-stream-gaps": 1},
    },
    "smb/encrypted.pcap": {
        # tshark: 6 cleartext headers, 37 transform headers, one session
        "sessions": {"0x000000004d5c8297": ("3.1.1", 0, 1, ["192.0.2.20"], 0)},
        "protocols": {"smb2": 6, "smb2_encrypted": 37},
        "findings": {},
    },
    "smb/smb1-negotiate.pcap": {
        # stream 0 speaks SMB1 (-m NT1, 21 frames); stream 1 offers SMB1 and gets SMB2
        "protocols": {"smb2": 31, "smb1": 21},
        "findings": {"smb1-negotiated": 1, "smb1-offered": 1},
    },
}


@pytest.mark.parametrize("rel", list(EXPECTED))
def test_sessions_channels_and_findings(rel: str) -> None:
    need(capture(rel))
    exp = EXPECTED[rel]
    smb = analyze(rel)["smb"]
    got = {
        s["session_id"]: (
            s["dialect"],
            s["binding_requests"],
            len(s["channels"]),
            s["server_addresses_used"],
            s["usable_interfaces"],
        )
        for s in smb["sessions"]
        if s["established"]
    }
    if "sessions" in exp:
        assert got == exp["sessions"]
    if "session_count" in exp:
        assert smb["session_count"] == exp["session_count"]
    for proto, n in exp.get("protocols", {}).items():
        assert smb["protocols"][proto] == n, proto
    assert smb_ids(analyze(rel)) == exp["findings"]


def test_multichannel_session_channels() -> None:
    rel = "public:zeek/smb3_multichannel.pcap"
    need(capture(rel))
    (s,) = [s for s in analyze(rel)["smb"]["sessions"] if s["established"]]
    assert s["session_id_int"] == 0x00001C0010000049
    chans = s["channels"]
    assert [c["client"] for c in chans] == [
        f"172.17.0.184:{p}" for p in (57092, 57093, 57094, 57095)
    ]
    assert {c["server"] for c in chans} == {"172.17.0.189:445"}
    assert [c["bound"] for c in chans] == [False, True, True, True]
    assert sum(c["share"] for c in chans) == pytest.approx(1, abs=1e-3)
    assert sum(c["smb_bytes"] for c in chans) == s["smb_bytes"]
    assert s["read_bytes"] == 1018212 and s["write_bytes"] == 1366632
    # each channel's TCP payload comes from its row of `flows`
    assert [c["bytes"] for c in chans] == [2144038, 279283, 46062, 44729]
    assert all(c["throughput_bps"] > 0 for c in chans)
    (iface,) = s["interfaces_advertised"]
    assert iface["if_index"] == 8 and iface["addresses"] == [
        "172.17.0.189",
        "fe80::582f:92c0:c9c1:9ba1",
    ]
    assert iface["used"] and iface["rss_capable"] and not iface["rdma_capable"]
    (imb,) = [f for f in analyze(rel)["findings"] if f["id"] == "multichannel-imbalance"]
    assert imb["evidence"]["session_id"] == "0x00001c0010000049"
    assert imb["evidence"]["max_min_ratio"] > 2
    assert len(imb["evidence"]["channels"]) == 4


def test_text_report_shows_sessions_and_interfaces() -> None:
    from lmcap.textreport import render

    rel = "public:zeek/smb3_multichannel.pcap"
    need(capture(rel))
    text = render(analyze(rel), width=200)  # wide: a channel cell stays on one line
    assert "0x00001c0010000049" in text
    assert "172.17.0.184:57093 -> 172.17.0.189:445 (bound)" in text
    assert "if 8: 172.17.0.189, fe80::582f:92c0:c9c1:9ba1" in text


# --------------------------------------------------------------------------------------------
# (c) purpose-built tables: the findings' logic and thresholds

BLANK = CAPTURES / "arp" / "normal.pcap"  # no SMB: empty SMB tables with the real schemas
SID = 0x0000_1C00_0000_0041
T0 = 1_700_000_000_000_000_000


def _msg(con, frame, src, sport, dst, dport, **kw) -> None:
    row = {
        "frame_number": frame,
        "timestamp": None,
        "src_ip": src,
        "src_port": sport,
        "dst_ip": dst,
        "dst_port": dport,
        "protocol": "smb2",
        "message_length": 100,
        "compound_index": 0,
        "truncated": False,
        **kw,
    }
    cols, vals = [], []
    for k, v in row.items():
        cols.append(k)
        if k == "timestamp":  # capture time: 1 ms per frame
            vals.append(f"make_timestamp_ns({T0 + frame * 1_000_000})")
        elif v is None:
            vals.append("NULL")
        elif isinstance(v, str):
            vals.append(f"'{v}'")
        else:
            vals.append(str(v))
    con.execute(f"INSERT INTO smb_pdus ({', '.join(cols)}) VALUES ({', '.join(vals)})")


def session(con, channels, sid=SID, status=0, rdma_channel=0) -> None:
    """A session over ``channels`` = [(client_ip, client_port, server_ip, written_bytes)]: each
    channel negotiates 3.1.1, sets up (binding from the second on), then writes its bytes."""
    frame = 1
    for n, (cip, cport, sip, written) in enumerate(channels):
        c, s = (cip, cport), (sip, 445)
        neg = {"command": 0, "command_name": "negotiate", "session_id": 0, "dialect": 0x311,
               "dialect_name": "3.1.1"}  # fmt: skip
        _msg(con, frame, *c, *s, is_response=False, **neg)
        _msg(con, frame + 1, *s, *c, is_response=True, status=0, **neg)
        setup = {"command": 1, "command_name": "session_setup", "session_id": sid}
        _msg(con, frame + 2, *c, *s, is_response=False, binding=n > 0, **setup)
        _msg(con, frame + 3, *s, *c, is_response=True, status=status, session_flags=0, **setup)
        frame += 4
        chunk = 65536
        for off in range(0, written, chunk):
            size = min(chunk, written - off)
            w = {"command": 9, "command_name": "write", "session_id": sid}
            _msg(con, frame, *c, *s, is_response=False, message_length=112 + size,
                 data_length=size, file_offset=off, channel=rdma_channel, **w)  # fmt: skip
            _msg(con, frame + 1, *s, *c, is_response=True, status=0, data_length=size, **w)
            frame += 2


def interfaces(con, server, ifaces, sid=SID) -> None:
    """``ifaces`` = [(if_index, address, rdma)] advertised by ``server`` to 10.0.0.1."""
    for idx, addr, rdma in ifaces:
        con.execute(
            "INSERT INTO smb_interfaces (frame_number, src_ip, src_port, dst_ip, dst_port, "
            "session_id, message_id, if_index, capability, rss_capable, rdma_capable, "
            "link_speed_bps, address) VALUES (5, ?, 445, '10.0.0.1', 50000, ?, 4, ?, ?, true, "
            "?, 10000000000, ?)",
            [server, sid, idx, 1 | (2 if rdma else 0), rdma, addr],
        )


def built(setup, **params) -> dict:
    need(BLANK)
    con = lmcap.connect(BLANK)
    setup(con)
    return report.build(con, Params(**params))


TWO_NICS = [(1, "10.0.1.10", False), (2, "10.0.2.10", False)]


def test_single_channel_fires_when_two_nics_are_advertised_and_one_is_used() -> None:
    def setup(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 2_000_000)])
        interfaces(con, "10.0.1.10", TWO_NICS)

    rep = built(setup)
    assert smb_ids(rep) == {"smb-single-channel": 1}
    (f,) = [f for f in rep["findings"] if f["id"] == "smb-single-channel"]
    ev = f["evidence"]
    assert ev["session_id"] == "0x00001c0000000041"
    assert ev["server_addresses_used"] == ["10.0.1.10"] and ev["usable_interfaces"] == 2
    assert [i["used"] for i in ev["interfaces_advertised"]] == [True, False]
    assert ev["channels"][0]["client"] == "10.0.0.1:50000"
    assert "over a single channel" in f["summary"] and "10.0.2.10" in f["summary"]


def test_single_channel_fires_for_several_channels_to_one_nic() -> None:
    def setup(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 1_000_000),
                      ("10.0.0.1", 50001, "10.0.1.10", 1_000_000)])  # fmt: skip
        interfaces(con, "10.0.1.10", TWO_NICS)

    rep = built(setup)
    assert smb_ids(rep) == {"smb-single-channel": 1}
    assert rep["smb"]["sessions"][0]["binding_requests"] == 1


@pytest.mark.parametrize(
    "case",
    ["both-nics-used", "one-nic-advertised", "second-nic-ipv6-only", "small-session"],
)
def test_single_channel_stays_quiet(case: str) -> None:
    def setup(con):
        if case == "both-nics-used":
            session(con, [("10.0.0.1", 50000, "10.0.1.10", 1_000_000),
                          ("10.0.0.1", 50001, "10.0.2.10", 1_000_000)])  # fmt: skip
            interfaces(con, "10.0.1.10", TWO_NICS)
            return
        written = 100_000 if case == "small-session" else 2_000_000
        session(con, [("10.0.0.1", 50000, "10.0.1.10", written)])
        if case == "one-nic-advertised":
            interfaces(con, "10.0.1.10", TWO_NICS[:1])
        elif case == "second-nic-ipv6-only":
            interfaces(con, "10.0.1.10", [TWO_NICS[0], (2, "fe80::2", False)])
        else:
            interfaces(con, "10.0.1.10", TWO_NICS)

    assert smb_ids(built(setup)) == {}


def test_a_refused_logon_is_not_an_established_session() -> None:
    def setup(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 0)], status=0xC000006D)
        interfaces(con, "10.0.1.10", TWO_NICS)

    smb = built(setup)["smb"]
    assert (smb["session_count"], smb["established_sessions"]) == (1, 0)
    assert smb["sessions"][0]["setup_status"] == "0xc000006d"


def test_imbalance_fires_above_the_ratio_and_not_below() -> None:
    def uneven(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 1_800_000),
                      ("10.0.0.1", 50001, "10.0.2.10", 300_000)])  # fmt: skip
        interfaces(con, "10.0.1.10", TWO_NICS)

    rep = built(uneven)
    assert smb_ids(rep) == {"multichannel-imbalance": 1}
    (f,) = [f for f in rep["findings"] if f["id"] == "multichannel-imbalance"]
    ev = f["evidence"]
    assert 5 < ev["max_min_ratio"] < 7 and ev["threshold_ratio"] == 2.0
    assert [c["server"] for c in ev["channels"]] == ["10.0.1.10:445", "10.0.2.10:445"]
    assert ev["channels"][0]["share"] > 0.8
    # the threshold is a parameter
    assert smb_ids(built(uneven, smb_imbalance_ratio=10.0)) == {}


def test_idle_bound_channel_is_an_imbalance() -> None:
    def setup(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 2_000_000),
                      ("10.0.0.1", 50001, "10.0.2.10", 0)])  # fmt: skip
        interfaces(con, "10.0.1.10", TWO_NICS)

    assert smb_ids(built(setup)) == {"multichannel-imbalance": 1}


def test_rdma_unused_fires_on_tcp_data_with_rdma_advertised() -> None:
    rdma = [(1, "10.0.1.10", True), (2, "10.0.2.10", True)]

    def tcp(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 1_000_000),
                      ("10.0.0.1", 50001, "10.0.2.10", 1_000_000)])  # fmt: skip
        interfaces(con, "10.0.1.10", rdma)

    rep = built(tcp)
    assert smb_ids(rep) == {"smb-rdma-unused": 1}
    (f,) = [f for f in rep["findings"] if f["id"] == "smb-rdma-unused"]
    assert f["evidence"]["tcp_io_bytes"] == 2_000_000 and f["evidence"]["rdma_interfaces"] == 2

    def little(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 200_000),
                      ("10.0.0.1", 50001, "10.0.2.10", 200_000)])  # fmt: skip
        interfaces(con, "10.0.1.10", rdma)

    def no_rdma(con):
        session(con, [("10.0.0.1", 50000, "10.0.1.10", 1_000_000),
                      ("10.0.0.1", 50001, "10.0.2.10", 1_000_000)])  # fmt: skip
        interfaces(con, "10.0.1.10", TWO_NICS)

    assert smb_ids(built(little)) == {}
    assert smb_ids(built(no_rdma)) == {}


def test_stream_gaps_are_reported_by_kind() -> None:
    def setup(con):
        for frame, kind, n in ((10, "gap", 1448), (20, "resync", 3000), (30, "resync", 500)):
            con.execute(
                "INSERT INTO stream_gaps VALUES (?, make_timestamp_ns(?), '10.0.0.1', 50000, "
                "'10.0.1.10', 445, 'smb', ?, ?)",
                [frame, T0 + frame, kind, n],
            )

    rep = built(setup)
    assert smb_ids(rep) == {"smb-stream-gaps": 1}
    totals = rep["smb"]["stream_gaps"]["totals"]
    assert totals["gap"] == {"events": 1, "bytes": 1448}
    assert totals["resync"] == {"events": 2, "bytes": 3500}
    assert totals["not_captured"] == {"events": 0, "bytes": 0}
