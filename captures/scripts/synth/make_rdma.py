#!/usr/bin/env python3
"""Generate lmcap's synthetic RDMA captures (RoCE v2, RoCE v1, iWARP), each with SMB
Direct inside, plus a <file>.expect.json for each, written from the packets this script
builds (never by running a reader).  No RDMA NIC was available: the bytes follow the specs.

    python3 make_rdma.py            # (re)write captures/rdma/*, byte-identically
    python3 make_rdma.py --verify   # also compare with tshark's dissection
    python3 make_rdma.py --table    # print the file table for README-synth.md

Specs: InfiniBand Architecture Specification vol. 1 rel. 1.4 ch. 9 (BTH and extended
transport headers), annex A16 (RoCE), annex A17 (RoCEv2, CNP in A17.9.3); RFC 5044 (MPA),
RFC 5041 (DDP), RFC 5040 (RDMAP); MS-SMBD 2.2 (SMB Direct); MS-SMB2 2.2 (SMB2 messages).
Stdlib only, Python 3.9+, no clock, no randomness.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter, defaultdict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_synth as ms  # noqa: E402
from pcapwriter import ether, ipv4, tcp, udp, mac, ip6, csum  # noqa: E402,F401

T0 = ms.T0
US = 1000

# ------------------------------------------------------------------ constants
ETH_ROCE_V1 = 0x8915
ROCE_V2_PORT = 4791
SMBD_IWARP_PORT = 5445  # MS-SMBD 2.1: SMB Direct over iWARP listens on TCP 5445
PMTU = 4096  # RoCE path MTU

OPNAMES = {
    0x00: "rc_send_first", 0x01: "rc_send_middle", 0x02: "rc_send_last", 0x04: "rc_send_only",
    0x05: "rc_send_only_with_immediate",
    0x06: "rc_rdma_write_first", 0x07: "rc_rdma_write_middle", 0x08: "rc_rdma_write_last",
    0x0A: "rc_rdma_write_only", 0x0C: "rc_rdma_read_request", 0x0D: "rc_rdma_read_response_first",
    0x0E: "rc_rdma_read_response_middle", 0x0F: "rc_rdma_read_response_last",
    0x10: "rc_rdma_read_response_only", 0x11: "rc_acknowledge", 0x81: "cnp",
}
# opcodes whose PSN belongs to the responder's answer, not to a request of the sender
RESPONSE_OPS = {0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12}
RDMAP_NAMES = {0: "rdma_write", 1: "rdma_read_request", 2: "rdma_read_response", 3: "send",
               4: "send_invalidate", 5: "send_se", 6: "send_se_invalidate", 7: "terminate"}


# ------------------------------------------------------------------ SMB2 / SMB Direct
SMB2_NEGOTIATE, SMB2_READ, SMB2_WRITE = 0x0000, 0x0008, 0x0009
SMB2_CHANNEL_RDMA_V1 = 0x00000001
FILE_ID = bytes(range(0x10, 0x20))
CLIENT_GUID = bytes.fromhex("00112233445566778899aabbccddeeff")
SERVER_GUID = bytes.fromhex("ffeeddccbbaa99887766554433221100")


def smb2_header(cmd, mid, response=False, credits=1, tree_id=0, session_id=0):
    """MS-SMB2 2.2.1.2 (sync header), 64 bytes."""
    flags = 0x00000001 if response else 0
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, 0, cmd, credits, flags, 0, mid, 0xFEFF,
                                     tree_id, session_id) + b"\0" * 16)


def smb2_negotiate_request(mid):
    """MS-SMB2 2.2.3: one dialect, 0x0300 (SMB 3.0)."""
    body = struct.pack("<HHHHI", 36, 1, 1, 0, 0x0000007F) + CLIENT_GUID + struct.pack("<Q", 0)
    return smb2_header(SMB2_NEGOTIATE, mid) + body + struct.pack("<H", 0x0300)


def smb2_negotiate_response(mid):
    """MS-SMB2 2.2.4: DialectRevision 0x0300, no security buffer."""
    body = struct.pack("<HHHH", 65, 1, 0x0300, 0) + SERVER_GUID
    body += struct.pack("<IIIIQQHHI", 0x2F, 8 << 20, 8 << 20, 8 << 20, 0, 0, 0x80, 0, 0) + b"\0"
    return smb2_header(SMB2_NEGOTIATE, mid, response=True) + body


def buffer_descriptor(offset, token, length):
    """MS-SMBD 2.2.3.1 SMB_DIRECT_BUFFER_DESCRIPTOR_V1."""
    return struct.pack("<QII", offset, token, length)


def smb2_read_request(mid, length, offset, desc):
    """MS-SMB2 2.2.19 with Channel = SMB2_CHANNEL_RDMA_V1 and the buffer descriptor as channel info."""
    body = struct.pack("<HBBIQ", 49, 0x50, 0, length, offset) + FILE_ID
    body += struct.pack("<IIIHH", 0, SMB2_CHANNEL_RDMA_V1, 0, 64 + 48, len(desc)) + desc
    return smb2_header(SMB2_READ, mid, tree_id=1, session_id=0x1234) + body


def smb2_read_response(mid, remaining):
    """MS-SMB2 2.2.20: the data went by RDMA Write, so DataLength 0 and DataRemaining = bytes written."""
    body = struct.pack("<HBBIII", 17, 0x50, 0, 0, remaining, 0) + b"\0"
    return smb2_header(SMB2_READ, mid, response=True, tree_id=1, session_id=0x1234) + body


def smb2_write_request(mid, length, offset, desc):
    """MS-SMB2 2.2.21 with Channel = SMB2_CHANNEL_RDMA_V1: Length 0, RemainingBytes = length."""
    body = struct.pack("<HHIQ", 49, 64 + 48, 0, offset) + FILE_ID
    body += struct.pack("<IIHHI", SMB2_CHANNEL_RDMA_V1, length, 64 + 48, len(desc), 0) + desc
    return smb2_header(SMB2_WRITE, mid, tree_id=1, session_id=0x1234) + body


def smb2_write_response(mid, count):
    body = struct.pack("<HHIIHH", 17, 0, count, 0, 0, 0) + b"\0"
    return smb2_header(SMB2_WRITE, mid, response=True, tree_id=1, session_id=0x1234) + body


def smbd_negotiate_request():
    """MS-SMBD 2.2.1 with the values of its example (4.1)."""
    return struct.pack("<HHHHIII", 0x0100, 0x0100, 0, 255, 1364, 8192, 1 << 20)


def smbd_negotiate_response():
    """MS-SMBD 2.2.2."""
    return struct.pack("<HHHHHHIIIII", 0x0100, 0x0100, 0x0100, 0, 255, 255, 0, 1 << 20, 1364, 8192, 1 << 20)


def smbd_data(smb2=b"", granted=1, flags=0x0001):
    """MS-SMBD 2.2.3 Data Transfer: 20-byte header, 4 bytes of padding, data at offset 24.
    With no data (a credit grant / keep-alive) the message is just the 20-byte header."""
    if not smb2:
        return struct.pack("<HHHHIII", 255, granted, flags, 0, 0, 0, 0)
    return struct.pack("<HHHHIIII", 255, granted, flags, 0, 0, 24, len(smb2), 0) + smb2


# ------------------------------------------------------------------ InfiniBand transport
def bth(op, dqp, psn, pkey=0xFFFF, se=False, mig=True, pad=0, ack_req=False, becn=False):
    """IBA 9.2, 12 bytes."""
    b1 = (0x80 if se else 0) | (0x40 if mig else 0) | (pad << 4)
    return struct.pack("!BBHB", op, b1, pkey, 0x40 if becn else 0) + dqp.to_bytes(3, "big") + \
        bytes([0x80 if ack_req else 0]) + psn.to_bytes(3, "big")


def reth(va, rkey, length):
    return struct.pack("!QII", va, rkey, length)


def aeth(msn, syndrome=0x1F):
    """IBA 9.3.5: syndrome 0x1F = ACK with 'invalid credit count' (no end-to-end credits)."""
    return bytes([syndrome]) + msn.to_bytes(3, "big")


def icrc_v2(ip_hdr, udp_hdr, ib):
    """ICRC (IBA annex A17.3.3 as Linux rxe implements it): CRC-32 over 64 bits of ones (the
    LRH that RoCE v2 does not have), the IPv4 header with TOS/TTL/checksum set to ones, the UDP
    header with its checksum set to ones, the BTH with its byte 4 (FECN/BECN/resv) set to ones,
    and the rest of the packet; sent little-endian like the Ethernet FCS."""
    ip = bytearray(ip_hdr)
    ip[1], ip[8], ip[10], ip[11] = 0xFF, 0xFF, 0xFF, 0xFF
    u = bytearray(udp_hdr)
    u[6], u[7] = 0xFF, 0xFF
    b = bytearray(ib)
    b[4] = 0xFF
    return struct.pack("<I", zlib.crc32(b"\xff" * 8 + bytes(ip) + bytes(u) + bytes(b)))


def icrc_v1(grh, ib):
    """RoCE v1: the same CRC over 64 bits of ones (no LRH), the GRH with traffic class, flow
    label and hop limit set to ones, and the packet with BTH byte 4 set to ones."""
    g = bytearray(grh)
    g[0] |= 0x0F
    g[1:4] = b"\xff\xff\xff"
    g[7] = 0xFF
    b = bytearray(ib)
    b[4] = 0xFF
    return struct.pack("<I", zlib.crc32(b"\xff" * 8 + bytes(g) + bytes(b)))


def ib_body(op, dqp, psn, ext=b"", payload=b"", **kw):
    """BTH + extended headers + payload + pad (without ICRC)."""
    pad = (-len(payload)) % 4
    return bth(op, dqp, psn, pad=pad, **kw) + ext + payload + b"\0" * pad


class Roce:
    """Collects RoCE packets and what each one is, for the expect.json."""

    def __init__(self, v2=True):
        self.v2, self.pkts, self.meta, self.ts = v2, [], [], T0
        self.ident = Counter()

    def add(self, src, dst, op, dqp, psn, ext=b"", payload=b"", dt_us=2, ce=False, smbd=None, smb2=None,
            sport=None, **kw):
        """src/dst: (mac, ip or gid).  `smbd`: what SMB Direct message the payload is."""
        self.ts += dt_us * US
        body = ib_body(op, dqp, psn, ext, payload, **kw)
        if self.v2:
            tos = 0xC0 if op == 0x81 else (0x6B if ce else 0x6A)  # DSCP 26 + ECT(0); CE = 11; CNP DSCP 48
            self.ident[src[1]] += 1
            u_len = 8 + len(body) + 4
            # checksum 0 (allowed for RoCE v2 over IPv4, annex A17.4.2); the ICRC protects the packet
            uhdr = struct.pack("!HHHH", sport or 0xC000 | (dqp & 0x3FFF), ROCE_V2_PORT, u_len, 0)
            iph = ipv4(src[1], dst[1], 17, b"", tos=tos, ident=self.ident[src[1]],
                       total_length=20 + u_len)
            frame = ether(dst[0], src[0], 0x0800, iph + uhdr + body + icrc_v2(iph, uhdr, body))
        else:
            plen = len(body) + 4
            grh = struct.pack("!IHBB", 6 << 28, plen, 0x1B, 1) + src[1] + dst[1]
            frame = ether(dst[0], src[0], ETH_ROCE_V1, grh + body + icrc_v1(grh, body))
        self.pkts.append((self.ts, frame))
        self.meta.append({"opcode": op, "dest_qp": dqp, "psn": psn, "payload_len": len(payload),
                          "ce": ce, "smbd": smbd, "smb2": smb2, "src": src[1] if isinstance(src[1], str)
                          else ":".join("%02x%02x" % (src[1][i], src[1][i + 1]) for i in range(0, 16, 2)),
                          "ack_req": kw.get("ack_req", False), "reth": ext[:16] if op in (6, 10, 12) else None})

    def send_only(self, src, dst, dqp, psn, msg, smbd, smb2=None, **kw):
        self.add(src, dst, 0x04, dqp, psn, payload=msg, smbd=smbd, smb2=smb2, se=True, ack_req=True, **kw)

    def ack(self, src, dst, dqp, psn, msn, syndrome=0x1F, dt_us=3):
        self.add(src, dst, 0x11, dqp, psn, ext=aeth(msn, syndrome), dt_us=dt_us)


def roce_expect(r, frames):
    """Counts from the packet list r.meta (what was written)."""
    opc = Counter()
    per_qp = defaultdict(lambda: {"packets": 0, "payload_bytes": 0})
    smbd = Counter()
    smbd_frames, smb2_frames, ce, cnp = [], [], [], []
    # PSN gaps: per (sender, dest QP), request packets only (not ACKs, READ responses, CNPs).
    # A READ request advances the requester's PSN by its number of response packets (IBA 9.7.1).
    expect_next = {}
    gaps, retrans = [], Counter()
    for i, m in enumerate(r.meta, 1):
        op, q = m["opcode"], m["dest_qp"]
        opc[OPNAMES[op]] += 1
        per_qp[str(q)]["packets"] += 1
        per_qp[str(q)]["payload_bytes"] += m["payload_len"]
        if m["ce"]:
            ce.append(i)
        if op == 0x81:
            cnp.append({"frame": i, "dest_qp": q})
        if m["smbd"]:
            smbd[m["smbd"]] += 1
            smbd_frames.append({"frame": i, "kind": m["smbd"]})
        if m["smb2"]:
            smb2_frames.append(dict(m["smb2"], frame=i))
        frames[i - 1]["roce"] = {"opcode": op, "opcode_name": OPNAMES[op], "dest_qp": q, "psn": m["psn"],
                                 "payload_len": m["payload_len"]}
        if op in RESPONSE_OPS or op == 0x81:
            continue
        key = (m["src"], q)
        step = 1
        if op == 0x0C:
            step = max(1, -(-struct.unpack("!I", m["reth"][12:16])[0] // PMTU))
        psn = m["psn"]
        if key in expect_next:
            d = (psn - expect_next[key]) % (1 << 24)
            if d >= (1 << 23):  # behind the next expected PSN: sent again (go-back-N)
                retrans[str(q)] += 1
                continue
            if d:
                gaps.append({"frame": i, "dest_qp": q, "expected_psn": expect_next[key], "psn": psn,
                             "missing": d})
        expect_next[key] = (psn + step) % (1 << 24)
    return {
        "opcodes": dict(sorted(opc.items())),
        "per_dest_qp": dict(sorted(per_qp.items(), key=lambda kv: int(kv[0]))),
        "psn_gaps": gaps,
        "psn_retransmitted_packets": dict(retrans),
        "ce_marked": {"packets": len(ce), "frames": ce},
        "cnps": {"count": len(cnp), "packets": cnp},
        "smb_direct": {"negotiate_request": smbd["negotiate_request"],
                       "negotiate_response": smbd["negotiate_response"],
                       "data_transfer": smbd["data_transfer"], "messages": smbd_frames},
        "smb2": smb2_frames,
        "pmtu": PMTU,
    }


# ------------------------------------------------------------------ RoCE v2
A_MAC, B_MAC = "00:15:5d:01:00:0b", "00:15:5d:01:00:0c"
A4, B4 = "198.51.100.11", "198.51.100.12"
QP_A1, QP_B1, QP_A2, QP_B2 = 0x000011, 0x000022, 0x000013, 0x000024


def gen_roce_v2():
    r = Roce(v2=True)
    A, B = (A_MAC, A4), (B_MAC, B4)
    pa, pb = 0x100000, 0x200000  # initial PSNs, A's and B's requests on QP pair 1
    ma, mb = 0, 0  # MSNs the responder reports
    # --- SMB Direct negotiate (MS-SMBD 3.1.5.2/3.1.5.6): A is the initiator
    r.send_only(A, B, QP_B1, pa, smbd_negotiate_request(), "negotiate_request")
    mb += 1
    r.ack(B, A, QP_A1, pa, mb)
    pa += 1
    r.send_only(B, A, QP_A1, pb, smbd_negotiate_response(), "negotiate_response")
    ma += 1
    r.ack(A, B, QP_B1, pb, ma)
    pb += 1
    # --- SMB2 NEGOTIATE (dialect 3.0) in data transfers
    m = smb2_negotiate_request(0)
    r.send_only(A, B, QP_B1, pa, smbd_data(m), "data_transfer", {"command": "negotiate", "dialects": [0x0300]})
    mb += 1
    r.ack(B, A, QP_A1, pa, mb)
    pa += 1
    m = smb2_negotiate_response(0)
    r.send_only(B, A, QP_A1, pb, smbd_data(m), "data_transfer",
                {"command": "negotiate", "response": True, "dialect": 0x0300})
    ma += 1
    r.ack(A, B, QP_B1, pb, ma)
    pb += 1
    # --- SMB2 READ of 1 MiB with Channel RDMA_V1: the server RDMA-writes into the client's buffer
    read_len, va, rkey = 1 << 20, 0x00007F3A00000000, 0x0000A1B2
    m = smb2_read_request(1, read_len, 0, buffer_descriptor(va, rkey, read_len))
    r.send_only(A, B, QP_B1, pa, smbd_data(m), "data_transfer",
                {"command": "read", "channel": SMB2_CHANNEL_RDMA_V1, "length": read_len, "token": rkey})
    mb += 1
    r.ack(B, A, QP_A1, pa, mb)
    pa += 1
    npk = read_len // PMTU
    lost = 100  # index of the packet lost on the wire (never captured; the capture is at A)
    ce_at = {40, 41, 72, 73, 150, 200}
    cnp_after = {41, 73, 200}
    sent = []  # (index, retransmission?)
    for i in range(npk):
        sent.append((i, False))
        if i == lost + 3:  # the NAK reaches B after it sent 3 more: go back N (IBA 9.7.5.2.1)
            sent.extend((j, True) for j in range(lost, lost + 4))
    write_psn0 = pb
    last_acked = None
    for i, retx in sent:
        if i == lost and not retx:
            continue  # the lost one: not in the capture
        first = not retx
        op = 0x06 if i == 0 else (0x08 if i == npk - 1 else 0x07)
        ext = reth(va, rkey, read_len) if i == 0 else b""
        payload = bytes([i & 0xFF]) * PMTU
        ack_req = (i % 64 == 63) or i == npk - 1
        r.add(B, A, op, QP_A1, pb + i, ext=ext, payload=payload, dt_us=1, ce=i in ce_at and first,
              ack_req=ack_req)
        if i == lost + 1 and first:
            # first packet after the hole: A answers with a NAK, PSN sequence error (IBA 9.7.5.2.1)
            r.ack(A, B, QP_B1, pb + lost, ma, syndrome=0x60, dt_us=1)
        if i in cnp_after and first:
            # A's NIC saw CE and notifies B's QP (annex A17.9.3): BECN set, 16 reserved bytes
            r.add(A, B, 0x81, QP_B1, 0, ext=b"\0" * 16, dt_us=1, mig=False, becn=True, sport=0xC0FF)
        if ack_req and i != last_acked:
            last_acked = i
            if i == npk - 1:
                ma += 1
            r.ack(A, B, QP_B1, pb + i, ma, dt_us=1)
    pb += npk
    m = smb2_read_response(1, read_len)
    r.send_only(B, A, QP_A1, pb, smbd_data(m), "data_transfer", {"command": "read", "response": True})
    ma += 1
    r.ack(A, B, QP_B1, pb, ma)
    pb += 1
    # --- SMB2 WRITE of 64 KiB with Channel RDMA_V1: the server RDMA-reads the client's buffer
    wlen, wva, wkey = 64 << 10, 0x00007F3A10000000, 0x0000C3D4
    m = smb2_write_request(2, wlen, 0, buffer_descriptor(wva, wkey, wlen))
    r.send_only(A, B, QP_B1, pa, smbd_data(m), "data_transfer",
                {"command": "write", "channel": SMB2_CHANNEL_RDMA_V1, "length": wlen, "token": wkey})
    mb += 1
    r.ack(B, A, QP_A1, pa, mb)
    pa += 1
    r.add(B, A, 0x0C, QP_A1, pb, ext=reth(wva, wkey, wlen), ack_req=True)
    nresp = wlen // PMTU
    for i in range(nresp):
        op = 0x0D if i == 0 else (0x0F if i == nresp - 1 else 0x0E)
        ext = aeth(ma + 1) if op in (0x0D, 0x0F) else b""
        r.add(A, B, op, QP_B1, pb + i, ext=ext, payload=bytes([0xC0 | (i & 0x3F)]) * PMTU, dt_us=1)
    ma += 1
    pb += nresp  # a READ request uses one PSN per response packet (IBA 9.7.1)
    m = smb2_write_response(2, wlen)
    r.send_only(B, A, QP_A1, pb, smbd_data(m), "data_transfer", {"command": "write", "response": True})
    ma += 1
    r.ack(A, B, QP_B1, pb, ma)
    pb += 1
    # --- a credit-only data transfer (20 bytes, the size of a negotiate request)
    r.send_only(A, B, QP_B1, pa, smbd_data(b"", granted=16, flags=0), "data_transfer")
    mb += 1
    r.ack(B, A, QP_A1, pa, mb)
    pa += 1
    # --- second QP pair (SMB multichannel): negotiate, then a 16 KiB RDMA WRITE
    qa, qb = 0x300000, 0x400000
    r.send_only(A, B, QP_B2, qa, smbd_negotiate_request(), "negotiate_request", sport=0xC100)
    r.ack(B, A, QP_A2, qa, 1)
    r.send_only(B, A, QP_A2, qb, smbd_negotiate_response(), "negotiate_response", sport=0xC101)
    r.ack(A, B, QP_B2, qb, 1)
    qb += 1
    for i in range(4):
        op = (0x06, 0x07, 0x07, 0x08)[i]
        r.add(B, A, op, QP_A2, qb + i, ext=reth(0x00007F3A20000000, 0x0000E5F6, 4 * PMTU) if i == 0 else b"",
              payload=b"\x5a" * PMTU, dt_us=1, ack_req=i == 3, sport=0xC101)
    r.ack(A, B, QP_B2, qb + 3, 2)
    snap = 256
    data, info = ms.pcap_file(r.pkts, nsec=True, snaplen=snap)
    exp = ms.pcap_expect(data, info, 1, nsec=True, snaplen=snap)
    exp["roce"] = roce_expect(r, exp["frames"])
    exp["roce"]["version"] = 2
    exp["roce"]["lost_packet"] = {"dest_qp": QP_A1, "psn": write_psn0 + lost,
                                  "note": "never captured; B resends PSNs %d..%d after A's NAK"
                                  % (write_psn0 + lost, write_psn0 + lost + 3)}
    ms.emit("rdma/roce-v2-smbdirect.pcap", data, exp,
            "RoCE v2 (UDP 4791, IPv4) RC between 2 hosts, 2 QP pairs: SMB Direct negotiate + data transfers "
            "(SMB2 NEGOTIATE 3.0, READ/WRITE with Channel RDMA_V1), 1 MiB RDMA WRITE in 4096-byte packets with "
            "a lost packet (PSN gap, NAK, go-back-N), RDMA READ request/response, ECN CE marks and CNPs; "
            "snaplen 256",
            "IBA vol. 1 ch. 9 (BTH, RETH, AETH), annex A17 (RoCEv2, A17.9.3 CNP); MS-SMBD 2.2; MS-SMB2 2.2.3/2.2.19/2.2.21")
    return exp


# ------------------------------------------------------------------ RoCE v1
def eui64_gid(m):
    b = bytearray(mac(m))
    b[0] ^= 0x02
    return b"\xfe\x80" + b"\0" * 6 + bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:])


def gen_roce_v1():
    r = Roce(v2=False)
    A, B = (A_MAC, eui64_gid(A_MAC)), (B_MAC, eui64_gid(B_MAC))
    pa, pb = 0x000100, 0x000800
    r.send_only(A, B, QP_B1, pa, smbd_negotiate_request(), "negotiate_request")
    r.ack(B, A, QP_A1, pa, 1)
    r.send_only(B, A, QP_A1, pb, smbd_negotiate_response(), "negotiate_response")
    r.ack(A, B, QP_B1, pb, 1)
    pa += 1
    # a 5-byte SEND ONLY: 3 bytes of pad (PadCnt 3)
    r.add(A, B, 0x04, QP_B1, pa, payload=b"hello", se=True, ack_req=True)
    r.ack(B, A, QP_A1, pa, 2)
    pa += 1
    # RDMA WRITE of 6000 bytes: FIRST (RETH) 4096 + LAST 1904
    va, rkey = 0x0000000012340000, 0x00005678
    r.add(A, B, 0x06, QP_B1, pa, ext=reth(va, rkey, 6000), payload=b"\x11" * PMTU)
    r.add(A, B, 0x08, QP_B1, pa + 1, payload=b"\x22" * (6000 - PMTU), ack_req=True)
    r.ack(B, A, QP_A1, pa + 1, 3)
    data, info = ms.pcap_file(r.pkts, nsec=True)
    exp = ms.pcap_expect(data, info, 1, nsec=True)
    exp["roce"] = roce_expect(r, exp["frames"])
    exp["roce"]["version"] = 1
    exp["roce"]["gids"] = {"a": "fe80::215:5dff:fe01:b", "b": "fe80::215:5dff:fe01:c"}
    ms.emit("rdma/roce-v1.pcap", data, exp,
            "RoCE v1 (ethertype 0x8915, GRH with link-local GIDs from the MACs, next header 0x1B): SMB Direct "
            "negotiate in SEND ONLY, a 5-byte SEND (pad 3), a 6000-byte RDMA WRITE FIRST/LAST, ACKs",
            "IBA vol. 1 ch. 8.3 (GRH), ch. 9 (BTH, RETH, AETH), annex A16 (RoCE)")
    return exp


# ------------------------------------------------------------------ iWARP
def crc32c(data):
    """CRC-32C (Castagnoli, reflected 0x82F63B78), RFC 3385 / RFC 5044 4.1."""
    c = 0xFFFFFFFF
    for x in data:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF


_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (0x82F63B78 if _c & 1 else 0)
    _CRC_TABLE.append(_c)


def crc32c_fast(data):
    c = 0xFFFFFFFF
    for x in data:
        c = (c >> 8) ^ _CRC_TABLE[(c ^ x) & 0xFF]
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == crc32c_fast(b"123456789") == 0xE3069283


def mpa_start(reply, crc=True, markers=False, pd=b""):
    """RFC 5044 7.1: key, M/C/R flags, Rev 1, PD_Length, private data."""
    key = b"MPA ID Rep Frame" if reply else b"MPA ID Req Frame"
    return key + bytes([(0x80 if markers else 0) | (0x40 if crc else 0), 1]) + struct.pack("!H", len(pd)) + pd


def fpdu(ddp_ctrl, rdmap_op, hdr_rest, payload):
    """RFC 5044 4.1 FPDU with CRC: ULPDU_Length, DDP/RDMAP header, payload, pad, CRC32c.
    The CRC goes least-significant byte first, like the iSCSI digest it is borrowed from
    (Wireshark's MPA dissector and Linux siw both use that order)."""
    ulpdu = bytes([ddp_ctrl, 0x40 | rdmap_op]) + hdr_rest + payload
    body = struct.pack("!H", len(ulpdu)) + ulpdu
    body += b"\0" * ((-len(body)) % 4)
    return body + struct.pack("<I", crc32c_fast(body))


def untagged(rdmap_op, qn, msn, payload, mo=0, last=True, inval=0):
    return fpdu(0x41 if last else 0x01, rdmap_op, struct.pack("!IIII", inval, qn, msn, mo), payload)


def tagged(rdmap_op, stag, to, payload, last):
    return fpdu(0xC1 if last else 0x81, rdmap_op, struct.pack("!IQ", stag, to), payload)


W_A_MAC, W_B_MAC = "00:15:5d:02:00:0b", "00:15:5d:02:00:0c"
W_A, W_B = "203.0.113.11", "203.0.113.12"
MSS = 1460


class TcpConv:
    """Two TCP endpoints; segments carry stream bytes as given (cut points chosen by the caller)."""

    def __init__(self):
        self.pkts, self.ts = [], T0
        self.seq = {"a": 0x10000000, "b": 0x50000000}
        self.end = {"a": (W_A_MAC, W_A, 49200), "b": (W_B_MAC, W_B, SMBD_IWARP_PORT)}
        self.ident = Counter()
        self.segs = []  # (frame index 1-based, dir, seq, payload len)

    def seg(self, d, flags, payload=b"", options=b"", dt_us=5):
        o = "b" if d == "a" else "a"
        smac, sip, sport = self.end[d]
        dmac, dip, dport = self.end[o]
        self.ts += dt_us * US
        self.ident[d] += 1
        ack = self.seq[o] if flags & 0x10 else 0
        t = tcp(sip, dip, sport, dport, self.seq[d], ack, flags, payload, window=0xFFFF, options=options)
        self.pkts.append((self.ts, ether(dmac, smac, 0x0800, ipv4(sip, dip, 6, t, ident=self.ident[d]))))
        self.segs.append((len(self.pkts), d, self.seq[d], len(payload)))
        self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF

    def stream(self, d, data, cuts=None, ack_every=0):
        """Send `data` from d in segments: at the offsets in `cuts` (ascending), then MSS-sized."""
        pos, acked = 0, False
        points = list(cuts or [])
        n = 0
        while pos < len(data):
            nxt = points.pop(0) if points else min(len(data), pos + MSS)
            nxt = min(nxt, pos + MSS, len(data))
            self.seg(d, 0x18, data[pos:nxt], dt_us=2)
            pos = nxt
            n += 1
            acked = bool(ack_every) and n % ack_every == 0
            if acked:
                self.seg("b" if d == "a" else "a", 0x10, dt_us=1)
        return acked


def gen_iwarp():
    c = TcpConv()
    mss_opt = struct.pack("!BBH", 2, 4, MSS)
    c.seg("a", 0x02, options=mss_opt)
    c.seg("b", 0x12, options=mss_opt)
    c.seg("a", 0x10)
    fp = {"a": [], "b": []}  # (stream offset, FPDU bytes, opcode, smbd kind)
    buf = {"a": bytearray(), "b": bytearray()}
    base = {}

    def put(d, f, op, smbd=None, smb2=None):
        fp[d].append({"offset": len(buf[d]), "len": len(f), "opcode": op, "smbd": smbd, "smb2": smb2,
                      "ulpdu_len": struct.unpack("!H", f[:2])[0]})
        buf[d].extend(f)
        return f

    def flush(d, cuts=None, ack_every=0, ack=True):
        start = base.setdefault(d, 0)
        data = bytes(buf[d][start:])
        acked = c.stream(d, data, cuts=cuts, ack_every=ack_every)
        base[d] = len(buf[d])
        if ack and not acked:
            c.seg("b" if d == "a" else "a", 0x10, dt_us=3)

    # MPA request/reply (streaming mode, not FPDUs); 4 bytes of private data each way
    req = mpa_start(False, pd=b"\x00\x00\x00\x01")
    rep = mpa_start(True, pd=b"\x00\x00\x00\x01")
    c.seg("a", 0x18, req)
    c.seg("b", 0x18, rep)
    mpa_seq = {d: c.seq[d] for d in "ab"}  # stream offset 0 of the FPDU stream
    msn = {"a": Counter(), "b": Counter()}

    def send(d, payload, smbd, smb2=None):
        msn[d][0] += 1
        return put(d, untagged(3, 0, msn[d][0], payload), 3, smbd, smb2)

    # SMB Direct negotiate; the request's first segment ends inside its DDP header (10 bytes)
    send("a", smbd_negotiate_request(), "negotiate_request")
    flush("a", cuts=[10])
    send("b", smbd_negotiate_response(), "negotiate_response")
    flush("b")
    # SMB2 NEGOTIATE, request split at 100 bytes
    send("a", smbd_data(smb2_negotiate_request(0)), "data_transfer", {"command": "negotiate", "dialects": [0x0300]})
    flush("a", cuts=[100])
    send("b", smbd_data(smb2_negotiate_response(0)), "data_transfer",
         {"command": "negotiate", "response": True, "dialect": 0x0300})
    flush("b")
    # SMB2 READ 128 KiB with Channel RDMA_V1 -> RDMA Write (tagged, 1024-byte DDP segments:
    # 1044-byte FPDUs cut by 1460-byte segments, so most segments hold the end of one FPDU and
    # the start of the next), then the READ response Send in the same segment as the last write FPDU
    rlen, stag_a, to_a = 128 << 10, 0x0000A1B2, 0x00007F3A00000000
    send("a", smbd_data(smb2_read_request(1, rlen, 0, buffer_descriptor(to_a, stag_a, rlen))), "data_transfer",
         {"command": "read", "channel": SMB2_CHANNEL_RDMA_V1, "length": rlen, "token": stag_a})
    flush("a")
    seg_len = 1024
    for off in range(0, rlen, seg_len):
        put("b", tagged(0, stag_a, to_a + off, bytes([(off // seg_len) & 0xFF]) * seg_len, off + seg_len == rlen), 0)
    send("b", smbd_data(smb2_read_response(1, rlen)), "data_transfer", {"command": "read", "response": True})
    flush("b", ack_every=2)
    # SMB2 WRITE 16 KiB with Channel RDMA_V1 -> B sends an RDMA Read Request, A answers with
    # Read Response segments (tagged, sink STag = B's), B sends the WRITE response
    wlen, stag_w, to_w = 16 << 10, 0x0000C3D4, 0x00007F3A10000000
    sink_stag, sink_to = 0x0000B001, 0x0000100000000000
    send("a", smbd_data(smb2_write_request(2, wlen, 0, buffer_descriptor(to_w, stag_w, wlen))), "data_transfer",
         {"command": "write", "channel": SMB2_CHANNEL_RDMA_V1, "length": wlen, "token": stag_w})
    flush("a")
    msn["b"][1] += 1
    put("b", untagged(1, 1, msn["b"][1], struct.pack("!IQIIQ", sink_stag, sink_to, wlen, stag_w, to_w)), 1)
    flush("b")
    rseg = 4096
    for off in range(0, wlen, rseg):
        put("a", tagged(2, sink_stag, sink_to + off, b"\xc5" * rseg, off + rseg == wlen), 2)
    flush("a", ack_every=3)
    # the WRITE response and a credit-only data transfer go in one segment, with a keep-alive
    send("b", smbd_data(smb2_write_response(2, wlen)), "data_transfer", {"command": "write", "response": True})
    send("b", smbd_data(b"", granted=16, flags=0), "data_transfer")
    flush("b")
    send("a", smbd_data(b"", granted=16, flags=0), "data_transfer")
    flush("a")
    c.seg("a", 0x11)
    c.seg("b", 0x11)
    c.seg("a", 0x10)

    data, info = ms.pcap_file(c.pkts, nsec=True)
    exp = ms.pcap_expect(data, info, 1, nsec=True)
    # where each FPDU starts and ends, in frames, from the segments written
    fpdus = []
    per_dir = {}
    opc = {"a_to_b": Counter(), "b_to_a": Counter()}
    smbd = Counter()
    smbd_list, smb2_list = [], []
    for d in "ab":
        segs = [(f, (s - mpa_seq[d]) & 0xFFFFFFFF, n) for f, dd, s, n in c.segs if dd == d and n > 0
                and ((s - mpa_seq[d]) & 0xFFFFFFFF) < 1 << 31]
        name = "a_to_b" if d == "a" else "b_to_a"
        spans = Counter()
        for x in fp[d]:
            lo, hi = x["offset"], x["offset"] + x["len"] - 1
            f0 = next(f for f, o, n in segs if o <= lo < o + n)
            f1 = next(f for f, o, n in segs if o <= hi < o + n)
            e = {"direction": name, "stream_offset": x["offset"], "ulpdu_len": x["ulpdu_len"],
                 "wire_len": x["len"], "opcode": RDMAP_NAMES[x["opcode"]], "first_frame": f0, "last_frame": f1}
            if x["smbd"]:
                e["smbd"] = x["smbd"]
                smbd[x["smbd"]] += 1
                smbd_list.append({"frame": f1, "kind": x["smbd"], "direction": name})
            if x["smb2"]:
                smb2_list.append(dict(x["smb2"], frame=f1))
            fpdus.append(e)
            opc[name][RDMAP_NAMES[x["opcode"]]] += 1
            spans["split_across_segments" if f1 != f0 else "within_one_segment"] += 1
        starts = Counter(f for f, o, n in segs for x in fp[d] if o <= x["offset"] < o + n)
        per_dir[name] = {"fpdus": len(fp[d]), "stream_bytes": len(buf[d]), "opcodes": dict(sorted(opc[name].items())),
                         "fpdus_split_across_segments": spans["split_across_segments"],
                         "segments_with_several_fpdu_starts": sum(1 for v in starts.values() if v > 1),
                         "mpa_frame": 4 if d == "a" else 5}
    exp["iwarp"] = {
        "tcp_port": SMBD_IWARP_PORT,
        "mpa": {"request": {"frame": 4, "markers": False, "crc": True, "revision": 1, "pd_length": 4},
                "reply": {"frame": 5, "markers": False, "crc": True, "revision": 1, "pd_length": 4}},
        "per_direction": per_dir,
        "rdma_write_bytes": rlen, "rdma_read_bytes": wlen,
        "fpdus": fpdus,
        "smb_direct": {"negotiate_request": smbd["negotiate_request"],
                       "negotiate_response": smbd["negotiate_response"],
                       "data_transfer": smbd["data_transfer"], "messages": smbd_list},
        "smb2": smb2_list,
    }
    ms.emit("rdma/iwarp-smbdirect.pcap", data, exp,
            "iWARP on TCP 5445: handshake, MPA request/reply (CRC on, markers off), SMB Direct negotiate and data "
            "transfers in RDMAP Sends, 128 KiB RDMA Write (tagged, 1024-byte segments), RDMA Read Request + 16 KiB "
            "Read Response; FPDUs split across TCP segments (one split inside its DDP header) and several FPDUs "
            "per segment; CRC32c correct",
            "RFC 5044 (MPA 4.1 FPDU, 7.1 request/reply), RFC 5041 (DDP 4.2-4.4), RFC 5040 (RDMAP 4.2, 4.4); MS-SMBD 2.2")
    return exp


# ------------------------------------------------------------------ verify
def tshark_fields(path, fields, extra=()):
    p = subprocess.run(["tshark", "-n", "-r", path, *extra, "-T", "fields", "-E", "occurrence=a",
                        "-E", "aggregator=,"] + [a for f in fields for a in ("-e", f)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return [ln.split("\t") for ln in p.stdout.decode().splitlines()]


def verify():
    if not shutil.which("tshark"):
        print("tshark not found")
        return 1
    bad = 0
    base = os.path.join(ms.CAPTURES, "rdma")
    for name in ("roce-v2-smbdirect.pcap", "roce-v1.pcap"):
        path = os.path.join(base, name)
        exp = json.load(open(path + ".expect.json"))
        rows = tshark_fields(path, ["frame.number", "infiniband.bth.opcode", "infiniband.bth.destqp",
                                    "infiniband.bth.psn", "ip.dsfield.ecn", "smb_direct.negotiate_request",
                                    "smb2.cmd", "smb2.channel"])
        got = Counter()
        ok = len(rows) == exp["packets"]
        ce = 0
        for i, row in enumerate(rows):
            fn, op, qp, psn, ecn = row[:5]
            want = exp["frames"][i]["roce"]
            if not op or int(op) != want["opcode"] or int(qp, 0) != want["dest_qp"] or int(psn) != want["psn"]:
                ok = False
                print("  frame %s: tshark %s/%s/%s, expect %s" % (fn, op, qp, psn, want))
            got[OPNAMES.get(int(op), op) if op else "-"] += 1
            ce += ecn == "3"
        ok = ok and dict(got) == exp["roce"]["opcodes"] and ce == exp["roce"]["ce_marked"]["packets"]
        bad += not ok
        print("%-4s %s frames=%d opcodes=%s ce=%d" % ("OK" if ok else "DIFF", name, len(rows), dict(got), ce))
        sd = tshark_fields(path, ["frame.number", "smb_direct.negotiate_request", "smb_direct.negotiate_response",
                                  "smb_direct.data_message", "smb2.cmd", "smb2.channel", "smb2.dialect"])
        kinds = Counter()
        for row in sd:
            for k, v in zip(("negotiate_request", "negotiate_response", "data_transfer"), row[1:4]):
                if v:
                    kinds[k] += 1
        print("     smb_direct (tshark): %s  expect: %s" % (dict(kinds), {k: exp["roce"]["smb_direct"][k] for k in
                                                                       ("negotiate_request", "negotiate_response",
                                                                        "data_transfer")}))
    path = os.path.join(base, "iwarp-smbdirect.pcap")
    exp = json.load(open(path + ".expect.json"))
    rows = tshark_fields(path, ["frame.number", "tcp.srcport", "iwarp_mpa.key.req", "iwarp_mpa.key.rep",
                                "iwarp_mpa.ulpdulength", "iwarp_rdma.opcode", "iwarp_mpa.crc_check",
                                "smb_direct.negotiate_request", "smb_direct.negotiate_response",
                                "smb_direct.data_message"],
                         extra=("--disable-protocol", "artemis"))
    per = {"a_to_b": Counter(), "b_to_a": Counter()}
    sdk = Counter()
    nfp = Counter()
    for row in rows:
        d = "a_to_b" if row[1] == "49200" else "b_to_a"
        for o in filter(None, row[5].split(",")):
            per[d][RDMAP_NAMES.get(int(o, 0), o)] += 1
        nfp[d] += len(list(filter(None, row[4].split(","))))
        for k, v in zip(("negotiate_request", "negotiate_response", "data_transfer"), row[7:10]):
            sdk[k] += len(list(filter(None, v.split(","))))
    ok = len(rows) == exp["packets"]
    for d in per:
        w = exp["iwarp"]["per_direction"][d]
        good = dict(per[d]) == w["opcodes"] and nfp[d] == w["fpdus"]
        ok = ok and good
        print("     %s: tshark fpdus=%d %s | expect fpdus=%d %s" % (d, nfp[d], dict(sorted(per[d].items())),
                                                                    w["fpdus"], w["opcodes"]))
    print("     smb_direct (tshark): %s  expect: %s" % (dict(sdk), {k: exp["iwarp"]["smb_direct"][k] for k in
                                                                   ("negotiate_request", "negotiate_response",
                                                                    "data_transfer")}))
    bad += not ok
    print("%-4s iwarp-smbdirect.pcap frames=%d" % ("OK" if ok else "DIFF", len(rows)))
    return bad


def main():
    gen_roce_v2()
    gen_roce_v1()
    gen_iwarp()
    if "--table" in sys.argv:
        print("| file | what it exercises | spec |\n|---|---|---|")
        for rel, what, spec in ms.CATALOG:
            print("| `%s` | %s | %s |" % (rel, what.replace("|", "\\|"), spec))
    if "--verify" in sys.argv:
        sys.exit(1 if verify() else 0)


if __name__ == "__main__":
    main()
