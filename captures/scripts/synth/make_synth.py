#!/usr/bin/env python3
"""Generate lmcap's synthetic test captures (formats, link types, VLAN stacks,
Windows NLB, malformed files) plus a <file>.expect.json for each.

    python3 make_synth.py            # (re)write every file, byte-identically
    python3 make_synth.py --verify   # also run `tshark -r` on each file and compare
    python3 make_synth.py --table    # print the markdown file table for README-synth.md

Stdlib only (Python 3.9+).  The `.zst` copies need the `zstd` CLI; without it
the existing .zst files are left untouched and a warning is printed.
Expectations are computed from the bytes this script writes, never by running
a reader.  Frame numbers in "decoded"/"warnings" hints are 1-based (like
tshark's frame.number); "index" in "frames" is 1-based too.
"""
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapwriter import *  # noqa: E402,F401,F403
import pcapwriter as pw  # noqa: E402

CAPTURES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CATALOG = []  # (relpath, what, spec)
WRITTEN = []  # relpaths of captures written this run

T0 = 1700000000 * 10**9 + 123456789  # 2023-11-14T22:13:20.123456789Z
SEC = 10**9

CLIENT_MAC, SERVER_MAC, GW_MAC = "00:15:5d:01:02:03", "00:15:5d:0a:0b:0c", "00:15:5d:ff:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"
CLIENT_IP, SERVER_IP, DNS_IP = "198.51.100.10", "198.51.100.20", "198.51.100.53"
CLIENT6, SERVER6 = "2001:db8::10", "2001:db8::20"

SYN, FIN, RST, PSH, ACK = 2, 1, 4, 8, 16


# ---------------------------------------------------------------- helpers
def u16(b, o):
    return struct.unpack_from("!H", b, o)[0]


AF_TO_ETHERTYPE = {2: ETH_IPV4, 24: ETH_IPV6, 28: ETH_IPV6, 30: ETH_IPV6}


def l2_summary(linktype, data, null_endian="<"):
    """Fields a link-layer decoder should find in `data` (as written)."""
    s = {}
    if linktype == LINKTYPE_ETHERNET:
        if len(data) < 14:
            return {"vlan_ids": [], "ethertype": None}
        et, off = u16(data, 12), 14
        vids, pcps, deis, tpids = [], [], [], []
        while et in VLAN_TPIDS and len(data) >= off + 4:
            tci = u16(data, off)
            tpids.append(et)
            vids.append(tci & 0xFFF)
            pcps.append(tci >> 13)
            deis.append((tci >> 12) & 1)
            et, off = u16(data, off + 2), off + 4
        s["vlan_ids"] = vids
        if vids:
            s["vlan_tpids"], s["vlan_pcp"], s["vlan_dei"] = tpids, pcps, deis
        s["ethertype"] = et
    elif linktype == LINKTYPE_LINUX_SLL:
        s["ethertype"] = u16(data, 14)
    elif linktype == LINKTYPE_LINUX_SLL2:
        s["ethertype"] = u16(data, 0)
    elif linktype == LINKTYPE_RAW:
        s["ethertype"] = {4: ETH_IPV4, 6: ETH_IPV6}.get(data[0] >> 4) if data else None
    elif linktype == LINKTYPE_IPV4:
        s["ethertype"] = ETH_IPV4
    elif linktype == LINKTYPE_IPV6:
        s["ethertype"] = ETH_IPV6
    elif linktype == LINKTYPE_NULL:
        af = struct.unpack_from(null_endian + "I", data, 0)[0]
        s["null_af"] = af
        s["ethertype"] = AF_TO_ETHERTYPE.get(af)
    elif linktype == LINKTYPE_LOOP:
        af = struct.unpack_from("!I", data, 0)[0]
        s["null_af"] = af
        s["ethertype"] = AF_TO_ETHERTYPE.get(af)
    else:
        s["ethertype"] = None
    return s


def frame_entries(info, linktype, null_endian="<"):
    out = []
    for i, r in enumerate(info, 1):
        e = {"index": i, "offset": r["offset"], "cap_len": r["cap_len"], "wire_len": r["wire_len"],
             "timestamp_ns": r["timestamp_ns"]}
        if r["cap_len"] < r["wire_len"]:
            e["truncated"] = True
        e.update(l2_summary(linktype, r["data"], null_endian))
        out.append(e)
    return out


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def write_bytes(rel, data):
    path = os.path.join(CAPTURES, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def emit(rel, data, expect, what, spec):
    """Write capture + <capture>.expect.json.  `expect` is completed with
    file/size/sha256 and defaults for error/decoded."""
    e = {"file": os.path.basename(rel), "size": len(data), "sha256": sha256(data)}
    e.update(expect)
    e.setdefault("error", None)
    e.setdefault("decoded", [])
    write_bytes(rel, data)
    write_bytes(rel + ".expect.json", (json.dumps(e, indent=1) + "\n").encode())
    CATALOG.append((rel, what, spec))
    WRITTEN.append(rel)
    return e


def pcap_expect(data, info, linktype, endian="<", nsec=False, snaplen=65535, **extra):
    e = {"format": "pcap", "byte_order": "little" if endian == "<" else "big",
         "ts_precision": "ns" if nsec else "us", "snaplen": snaplen,
         "packets": len(info), "link_types": [linktype],
         "frames": frame_entries(info, linktype, endian)}
    e.update(extra)
    return e


def emit_pcap(rel, packets, what, spec, endian="<", nsec=False, snaplen=65535,
              linktype=LINKTYPE_ETHERNET, **extra):
    data, info = pcap_file(packets, endian, nsec, snaplen, linktype)
    return emit(rel, data, pcap_expect(data, info, linktype, endian, nsec, snaplen, **extra), what, spec)


# ---------------------------------------------------------------- frames
def http_get():
    return b"GET /health HTTP/1.1\r\nHost: server.example\r\nUser-Agent: lmcap-synth\r\nAccept: */*\r\n\r\n"


def dns_query():
    return bytes.fromhex("1234 0100 0001 0000 0000 0000".replace(" ", "")) + \
        b"\x06server\x07example\x00\x00\x01\x00\x01"


def dns_answer():
    q = dns_query()
    return bytes.fromhex("1234 8180 0001 0001 0000 0000".replace(" ", "")) + q[12:] + \
        bytes.fromhex("c00c 0001 0001 0000012c 0004".replace(" ", "")) + ip4(SERVER_IP)


def base_ip_packets():
    """IPv4 datagrams (or None for ARP) + ethernet framing info."""
    mss = b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02"
    c, s = CLIENT_IP, SERVER_IP
    return [
        ("arp", (BCAST, CLIENT_MAC, arp(1, CLIENT_MAC, c, "00:00:00:00:00:00", s))),
        ("arp", (CLIENT_MAC, SERVER_MAC, arp(2, SERVER_MAC, s, CLIENT_MAC, c))),
        ("ip", (SERVER_MAC, CLIENT_MAC, ipv4(c, s, 6, tcp(c, s, 49152, 80, 1000, 0, SYN, options=mss), ident=1))),
        ("ip", (CLIENT_MAC, SERVER_MAC, ipv4(s, c, 6, tcp(s, c, 80, 49152, 5000, 1001, SYN | ACK, options=mss), ident=2))),
        ("ip", (SERVER_MAC, CLIENT_MAC, ipv4(c, s, 6, tcp(c, s, 49152, 80, 1001, 5001, ACK), ident=3))),
        ("ip", (SERVER_MAC, CLIENT_MAC, ipv4(c, s, 6, tcp(c, s, 49152, 80, 1001, 5001, PSH | ACK, http_get()), ident=4))),
        ("ip", (GW_MAC, CLIENT_MAC, ipv4(c, DNS_IP, 17, udp(c, DNS_IP, 53000, 53, dns_query()), ident=5))),
        ("ip", (CLIENT_MAC, GW_MAC, ipv4(DNS_IP, c, 17, udp(DNS_IP, c, 53, 53000, dns_answer()), ident=6, df=False))),
        ("ip", (SERVER_MAC, CLIENT_MAC, ipv4(c, s, 6, tcp(c, s, 49152, 80, 1001 + len(http_get()), 5001, FIN | ACK), ident=7))),
    ]


def base_frames():
    """[(ts_ns, ethernet frame, ip datagram or None)] - the 9 'formats' frames."""
    out = []
    for i, (kind, (dst, src, payload)) in enumerate(base_ip_packets()):
        ts = T0 + i * 250000123 + i * i * 7
        et = ETH_ARP if kind == "arp" else ETH_IPV4
        out.append((ts, ether(dst, src, et, payload), payload if kind == "ip" else None))
    return out


# ---------------------------------------------------------------- pcapng
def units_for(ts_ns, tsresol, tsoffset):
    per = tsresol_units_per_sec(tsresol)
    units = (ts_ns - tsoffset * SEC) * per // SEC
    while (units * SEC) % per:
        units -= 1
    return units, tsoffset * SEC + units * SEC // per


class Section:
    """Collects the blocks of one pcapng section and what they mean."""

    def __init__(self, ng):
        self.ng, self.body, self.ifaces, self.frames, self.other = ng, bytearray(), [], [], []

    def _add(self, kind, blk, frame=None):
        rel = len(self.body)
        if frame is not None:
            frame["rel_offset"], frame["block"] = rel, kind
            self.frames.append(frame)
        else:
            self.other.append({"rel_offset": rel, "block": kind, "length": len(blk)})
        self.body += blk

    def idb(self, linktype, snaplen, tsresol=None, tsoffset=0, name=None, descr=None):
        opts = []
        if name:
            opts.append((2, name.encode()))
        if descr:
            opts.append((3, descr.encode()))
        if tsresol is not None:
            opts.append((9, bytes([tsresol])))
        if tsoffset:
            opts.append((14, self.ng.opt_i64(tsoffset)))
        self.ifaces.append({"id": len(self.ifaces), "link_type": linktype, "snaplen": snaplen,
                            "if_tsresol": 6 if tsresol is None else tsresol,
                            "if_tsresol_explicit": tsresol is not None,
                            "ts_units_per_sec": tsresol_units_per_sec(6 if tsresol is None else tsresol),
                            "if_tsoffset": tsoffset, "if_name": name})
        self._add("IDB", self.ng.idb(linktype, snaplen, opts))

    def _cap(self, ifid, data):
        sl = self.ifaces[ifid]["snaplen"]
        return data[:sl] if sl else data

    def epb(self, ifid, ts_ns, data, opts=(), kind="EPB"):
        itf = self.ifaces[ifid]
        cap = self._cap(ifid, data)
        units, written = units_for(ts_ns, itf["if_tsresol"], itf["if_tsoffset"])
        if kind == "EPB":
            blk = self.ng.epb(ifid, units, cap, len(data), opts)
        else:
            blk = self.ng.pb(ifid, 0, units, cap, len(data), opts)
        self._add(kind, blk, {"interface": ifid, "link_type": itf["link_type"], "cap_len": len(cap),
                              "wire_len": len(data), "timestamp_ns": written, "ts_units": units, "data": cap})

    def spb(self, data):
        cap = self._cap(0, data)
        self._add("SPB", self.ng.spb(cap, len(data)),
                  {"interface": 0, "link_type": self.ifaces[0]["link_type"], "cap_len": len(cap),
                   "wire_len": len(data), "timestamp_ns": None, "data": cap})

    def raw(self, kind, blk):
        self._add(kind, blk)


def assemble_pcapng(ng, sections, section_lengths, shb_opts=()):
    """sections: list of Section; section_lengths: list of bool (write the real
    length or -1).  Returns (bytes, expect-dict-part)."""
    out = bytearray()
    frames, secs, other = [], [], []
    for si, (sec, real) in enumerate(zip(sections, section_lengths)):
        slen = len(sec.body) if real else -1
        shb = ng.shb(1, 0, slen, shb_opts[si] if si < len(shb_opts) else ())
        base = len(out) + len(shb)
        secs.append({"offset": len(out), "version": "1.0", "section_length": slen,
                     "interfaces": sec.ifaces})
        out += shb + sec.body
        for f in sec.frames:
            e = {"index": len(frames) + 1, "section": si, "interface": f["interface"], "block": f["block"],
                 "offset": base + f["rel_offset"], "link_type": f["link_type"], "cap_len": f["cap_len"],
                 "wire_len": f["wire_len"], "timestamp_ns": f["timestamp_ns"]}
            if "ts_units" in f:
                e["ts_units"] = f["ts_units"]
            if f["cap_len"] < f["wire_len"]:
                e["truncated"] = True
            e.update(l2_summary(f["link_type"], f["data"]))
            frames.append(e)
        for o in sec.other:
            other.append({"section": si, "offset": base + o["rel_offset"], "block": o["block"], "length": o["length"]})
    lts = []
    for s in secs:
        for i in s["interfaces"]:
            if i["link_type"] not in lts:
                lts.append(i["link_type"])
    return bytes(out), {"format": "pcapng", "byte_order": "little" if ng.e == "<" else "big",
                        "packets": len(frames), "link_types": lts, "sections": secs,
                        "non_packet_blocks": other, "frames": frames}


# ================================================================ formats/
def gen_formats():
    fr = base_frames()
    pk = [(t, f) for t, f, _ in fr]
    spec_pcap = "draft-ietf-opsawg-pcap: File Header, Packet Record"
    for endian, en in (("<", "le"), (">", "be")):
        for nsec, tn in ((False, "us"), (True, "ns")):
            emit_pcap("formats/eth-%s-%s.pcap" % (en, tn), pk,
                      "9 Ethernet frames (ARP, TCP handshake+data+FIN, DNS/UDP); %s-endian, %s timestamps (magic %s)"
                      % ("little" if en == "le" else "big", "microsecond" if tn == "us" else "nanosecond",
                         "a1b23c4d" if nsec else "a1b2c3d4"),
                      spec_pcap + " (magic number / byte order / ns variant)", endian=endian, nsec=nsec)
    emit_pcap("formats/eth-snap64.pcap", pk,
              "same 9 frames, snaplen 64: frames 6 and 8 have cap_len 64 < wire_len (truncated, not malformed)",
              spec_pcap + " (SnapLen, CapLen vs OrigLen)", snaplen=64)

    # ---- pcapng, both byte orders, identical layout
    for endian, en in (("<", "le"), (">", "be")):
        ng = NG(endian)
        s1 = Section(ng)
        s1.idb(LINKTYPE_ETHERNET, 65535, None, 0, "eth0", "synthetic ethernet")  # tsresol default 6
        s1.idb(LINKTYPE_RAW, 65535, 9, 0, "raw0")
        s1.epb(0, fr[0][0], fr[0][1], [(1, b"first packet"), (2, ng.opt_u32(0x00000001))])  # comment, epb_flags inbound
        s1.epb(0, fr[1][0], fr[1][1])
        s1.raw("NRB", ng.nrb([(CLIENT_IP, ["client.example"]), (SERVER_IP, ["server.example", "www.example"]),
                              (SERVER6, ["server6.example"])], [(1, b"nrb comment")]))
        s1.epb(1, fr[2][0], fr[2][2])  # raw IPv4 of frame 3, ns resolution
        s1.idb(LINKTYPE_IPV4, 0, 0x8A, 1700000000, "ipv4-tsoff")  # 2^-10 s units + tsoffset, snaplen 0 = unlimited
        s1.epb(2, fr[3][0], fr[3][2])
        s1.spb(fr[4][1])
        s1.epb(0, fr[5][0], fr[5][1], kind="PB")  # obsolete Packet Block
        s1.raw("ISB", ng.isb(0, units_for(fr[5][0] + 1000, 6, 0)[0],
                              [(2, ng.opt_u64(0)), (4, ng.opt_u64(6)), (5, ng.opt_u64(0))]))
        s1.raw("CUSTOM", ng.custom(32473, b"lmcap-synth custom block\x00\x01\x02"))
        s1.raw("CUSTOM_NOCOPY", ng.custom(32473, b"not-copyable", copyable=False))
        s1.raw("UNKNOWN", ng.block(0x00007E57, b"unknown block type, skip me"))
        s1.raw("UNKNOWN", ng.block(0x80000123, b"\x01\x02\x03\x04\x05"))  # local-use range, odd body -> padded
        s1.epb(0, fr[6][0], fr[6][1], [(1, b"odd-length comment!")])  # 19 bytes -> 1 pad byte
        s2 = Section(ng)
        s2.idb(LINKTYPE_ETHERNET, 64, 9, 0, "eth-snap64")
        s2.idb(LINKTYPE_RAW, 65535, 0x8A, 1700000000, "raw-2pow10")
        s2.spb(fr[7][1])  # DNS answer > 64 bytes: SPB caplen = min(len, snaplen of if 0)
        s2.epb(1, fr[8][0], fr[8][2])
        s2.epb(0, fr[8][0] + 1000000, fr[5][1])  # HTTP GET again, truncated to 64
        data, exp = assemble_pcapng(ng, [s1, s2], [True, False],
                                    [[(2, b"synthetic"), (3, b"none"), (4, b"lmcap make_synth.py")],
                                     [(4, b"lmcap make_synth.py (section 2)")]])
        emit("formats/multi-%s.pcapng" % en, data, exp,
             "two sections (2nd has section_length -1 and different interfaces); link types 1/101/228; if_tsresol "
             "default(6)/9/0x8A with if_tsoffset; EPB, SPB, obsolete PB; NRB, ISB, custom 0x00000BAD/0x40000BAD, "
             "unknown types 0x00007E57/0x80000123 (skip); options with padding; %s-endian" % (
                 "little" if en == "le" else "big"),
             "draft-ietf-opsawg-pcapng: SHB, IDB (if_tsresol, if_tsoffset), EPB, SPB, NRB, ISB, Custom Block, "
             "Options; appendix 'Packet Block (obsolete!)'")

    # ---- one file, two sections with different byte orders
    parts, frames, secs, other = [], [], [], []
    for si, endian in enumerate(("<", ">")):
        ng = NG(endian)
        sec = Section(ng)
        sec.idb(LINKTYPE_ETHERNET, 65535, 9, 0, "eth-%s" % ("le" if endian == "<" else "be"))
        for k in (0, 1):
            j = 2 * si + k
            sec.epb(0, fr[j][0], fr[j][1])
        data, exp = assemble_pcapng(ng, [sec], [True])
        base = sum(len(x) for x in parts)
        for f in exp["frames"]:
            f.update(index=len(frames) + 1, section=si, offset=f["offset"] + base)
            frames.append(f)
        for sct in exp["sections"]:
            secs.append(dict(sct, offset=sct["offset"] + base, byte_order=exp["byte_order"]))
        for o in exp["non_packet_blocks"]:
            other.append(dict(o, section=si, offset=o["offset"] + base))
        parts.append(data)
    emit("formats/mixed-endian.pcapng", b"".join(parts),
         {"format": "pcapng", "byte_order": "mixed", "packets": len(frames), "link_types": [LINKTYPE_ETHERNET],
          "sections": secs, "non_packet_blocks": other, "frames": frames},
         "two sections: the first little-endian, the second big-endian (byte order is per section); 2 EPBs each",
         "draft-ietf-opsawg-pcapng: Section Header Block (Byte-Order Magic), Physical File Layout")

    # ---- compressed copies
    for src in ("formats/eth-le-us.pcap", "formats/multi-le.pcapng"):
        raw = open(os.path.join(CAPTURES, src), "rb").read()
        base_exp = json.load(open(os.path.join(CAPTURES, src + ".expect.json")))
        for ext, comp in (("gz", "gzip"), ("zst", "zstd")):
            rel = src + "." + ext
            if comp == "gzip":
                data = gzip.compress(raw, compresslevel=9, mtime=0)
            else:
                z = shutil.which("zstd")
                if not z:
                    print("WARNING: zstd CLI not found; leaving %s untouched" % rel, file=sys.stderr)
                    continue
                data = subprocess.run([z, "-q", "-19", "--no-check", "-c", "-"], input=raw,
                                      stdout=subprocess.PIPE, check=True).stdout
            e = dict(base_exp)
            del e["file"], e["size"], e["sha256"]
            e["compression"] = comp
            e["decompressed_size"] = len(raw)
            e["decompressed_sha256"] = sha256(raw)
            emit(rel, data, e, "%s-compressed copy of %s (expectations identical)" % (comp, os.path.basename(src)),
                 "RFC 1952 gzip (mtime 0)" if comp == "gzip" else "RFC 8878 zstd frame (zstd -19 --no-check)")

    # ---- rotated files with interleaved timestamps
    rot = {0: [], 1: []}
    for k in range(7):
        f = k % 2
        ts = T0 + k * 500000000
        rot[f].append(ts)
    tie = T0 + 3600000000
    rot[0].append(tie)
    rot[1].append(tie)  # identical timestamp in both files: tie -> lower file index first
    rot[1].append(tie + 1000)
    infos = {}
    for f in (0, 1):
        pk = []
        for j, ts in enumerate(rot[f]):
            pl = ("rot-%d frame %d" % (f, j + 1)).encode()
            pk.append((ts, ether(SERVER_MAC, CLIENT_MAC, ETH_IPV4,
                                 ipv4(CLIENT_IP, SERVER_IP, 17, udp(CLIENT_IP, SERVER_IP, 40000 + f, 9999, pl),
                                      ident=f * 100 + j))))
        infos[f] = (pk, pcap_file(pk, "<", True))
    order = sorted([(info["timestamp_ns"], f, i + 1) for f in (0, 1) for i, info in enumerate(infos[f][1][1])])
    merge = {"files": ["rot-0.pcap", "rot-1.pcap"], "tie_break": "timestamp, then file order, then frame order",
             "order": [{"file": "rot-%d.pcap" % f, "frame": i, "timestamp_ns": t} for t, f, i in order]}
    for f in (0, 1):
        emit_pcap("formats/rot-%d.pcap" % f, infos[f][0],
                  "rotated capture %d of 2 (ns pcap); timestamps interleave with the other file, one exact tie; "
                  "expect.json 'merge' gives the time-ordered merge of both" % f,
                  "draft-ietf-opsawg-pcap (time-ordered merge across files, like mergecap)", nsec=True, merge=merge)


# ================================================================ linktypes/
def gen_linktypes():
    c, s = CLIENT_IP, SERVER_IP
    v4udp = ipv4(c, s, 17, udp(c, s, 50000, 50001, b"linktype test"), ident=11)
    v4tcp = ipv4(c, s, 6, tcp(c, s, 49200, 443, 1, 0, SYN), ident=12)
    v6udp = ipv6(CLIENT6, SERVER6, 17, udp(CLIENT6, SERVER6, 50000, 50001, b"linktype test v6"))
    echo6 = b"\x80\x00\x00\x00\x00\x01\x00\x01"
    echo6 = echo6[:2] + struct.pack("!H", csum(ip6(CLIENT6) + ip6(SERVER6) + struct.pack("!I3xB", 8, 58) + echo6)) + \
        echo6[4:]
    v6icmp = ipv6(CLIENT6, SERVER6, 58, echo6)  # ICMPv6 echo request
    a = arp(1, CLIENT_MAC, c, "00:00:00:00:00:00", s)
    ts = lambda i: T0 + i * 1000000  # noqa: E731
    lt = "tcpdump.org linktypes.html: "
    emit_pcap("linktypes/sll.pcap",
              [(ts(0), sll(ETH_IPV4, v4udp, 0)), (ts(1), sll(ETH_ARP, a, 1)), (ts(2), sll(ETH_IPV4, v4tcp, 4)),
               (ts(3), sll(ETH_IPV6, v6udp, 0))],
              "Linux cooked v1: IPv4/UDP (to us), ARP (broadcast), IPv4/TCP (outgoing), IPv6/UDP",
              lt + "LINKTYPE_LINUX_SLL (113)", linktype=LINKTYPE_LINUX_SLL)
    emit_pcap("linktypes/sll2.pcap",
              [(ts(0), sll2(ETH_IPV4, v4udp, 2, 0)), (ts(1), sll2(ETH_ARP, a, 3, 1)),
               (ts(2), sll2(ETH_IPV4, v4tcp, 2, 4)), (ts(3), sll2(ETH_IPV6, v6udp, 7, 0))],
              "Linux cooked v2: same four packets, various ifindex values",
              lt + "LINKTYPE_LINUX_SLL2 (276)", linktype=LINKTYPE_LINUX_SLL2)
    emit_pcap("linktypes/raw101.pcap", [(ts(0), v4udp), (ts(1), v6udp), (ts(2), v4tcp)],
              "LINKTYPE_RAW: IPv4 and IPv6 mixed, version from first nibble", lt + "LINKTYPE_RAW (101)",
              linktype=LINKTYPE_RAW)
    emit_pcap("linktypes/ipv4-228.pcap", [(ts(0), v4udp), (ts(1), v4tcp)], "LINKTYPE_IPV4: raw IPv4 only",
              lt + "LINKTYPE_IPV4 (228)", linktype=LINKTYPE_IPV4)
    emit_pcap("linktypes/ipv6-229.pcap", [(ts(0), v6udp), (ts(1), v6icmp)], "LINKTYPE_IPV6: raw IPv6 only",
              lt + "LINKTYPE_IPV6 (229)", linktype=LINKTYPE_IPV6)
    for endian, en in (("<", "le"), (">", "be")):
        af = lambda v: struct.pack(endian + "I", v)  # noqa: E731  host byte order = file byte order
        emit_pcap("linktypes/null-%s.pcap" % en,
                  [(ts(0), af(2) + v4udp), (ts(1), af(24) + v6udp), (ts(2), af(28) + v6udp),
                   (ts(3), af(30) + v6udp), (ts(4), af(2) + v4tcp)],
                  "BSD loopback NULL, AF in the writer's (= file's) %s-endian byte order: AF 2 (IPv4), 24/28/30 "
                  "(IPv6 on NetBSD-OpenBSD/FreeBSD/macOS)" % ("little" if en == "le" else "big"),
                  lt + "LINKTYPE_NULL (0)", endian=endian, linktype=LINKTYPE_NULL)
    emit_pcap("linktypes/loop.pcap",
              [(ts(0), struct.pack("!I", 2) + v4udp), (ts(1), struct.pack("!I", 24) + v6udp),
               (ts(2), struct.pack("!I", 2) + v4tcp)],
              "OpenBSD LOOP in a little-endian file: AF always network (big-endian) byte order",
              lt + "LINKTYPE_LOOP (108)", linktype=LINKTYPE_LOOP)
    emit_pcap("linktypes/user0-147.pcap",
              [(ts(0), b"\xde\xad\xbe\xef opaque user0 payload"), (ts(1), b"\x00\x01\x02\x03\x04\x05\x06")],
              "unknown-to-us link type USER0 with 2 frames: must be read and counted, not fatal; no decode",
              lt + "LINKTYPE_USER0 (147)", linktype=LINKTYPE_USER0,
              decoded=[{"frame": 1, "stop": "unsupported_link_type"}, {"frame": 2, "stop": "unsupported_link_type"}])


# ================================================================ vlan/
def vlan_counts(frames):
    outer, stack = {}, {}
    for f in frames:
        k = str(f["vlan_ids"][0]) if f["vlan_ids"] else "untagged"
        outer[k] = outer.get(k, 0) + 1
        k2 = "/".join(str(v) for v in f["vlan_ids"]) or "untagged"
        stack[k2] = stack.get(k2, 0) + 1
    return {"per_outer_vlan": outer, "per_vlan_stack": stack}


def emit_vlan(rel, pk, what, spec, snaplen=65535):
    data, info = pcap_file(pk, "<", False, snaplen, LINKTYPE_ETHERNET)
    e = pcap_expect(data, info, LINKTYPE_ETHERNET, snaplen=snaplen)
    e.update(vlan_counts(e["frames"]))
    return emit(rel, data, e, what, spec)


def gen_vlan():
    c, s = CLIENT_IP, SERVER_IP
    Q, AD, OLD = ETH_8021Q, ETH_8021AD, ETH_QINQ_OLD
    t4 = lambda i: ipv4(c, s, 6, tcp(c, s, 50000 + i, 80, 1000 * i, 0, SYN), ident=i)  # noqa: E731
    u4 = lambda i: ipv4(c, s, 17, udp(c, s, 50000 + i, 50100, b"vlan %d" % i), ident=i)  # noqa: E731
    a = arp(1, CLIENT_MAC, c, "00:00:00:00:00:00", s)
    ping = ipv4(c, s, 1, icmp(8, 0, b"\x00\x01\x00\x01", b"ping"), ident=99)
    ts = lambda i: T0 + i * 10000000  # noqa: E731
    E = lambda tags, et, p: ether(SERVER_MAC, CLIENT_MAC, et, p, tags)  # noqa: E731
    emit_vlan("vlan/dot1q.pcap", [
        (ts(0), E([(Q, 0, 0, 100)], ETH_IPV4, t4(1))),
        (ts(1), E([(Q, 5, 0, 100)], ETH_IPV4, u4(2))),
        (ts(2), E([(Q, 7, 1, 200)], ETH_IPV4, t4(3))),
        (ts(3), ether(BCAST, CLIENT_MAC, ETH_ARP, a, [(Q, 0, 1, 200)])),
        (ts(4), E([(Q, 6, 0, 0)], ETH_IPV4, u4(5))),
        (ts(5), E([(Q, 1, 0, 4094)], ETH_IPV4, ping)),
        (ts(6), E([], ETH_IPV4, u4(7))),
    ], "single 802.1Q tags: VLAN 100 (PCP 0 and 5), VLAN 200 (PCP 7+DEI, tagged ARP with DEI), VLAN 0 priority "
       "tag (PCP 6), VLAN 4094, one untagged frame",
        "IEEE 802.1Q-2018 clause 9 (TPID 0x8100, TCI = PCP:3 DEI:1 VID:12; VID 0 = priority tag)")
    emit_vlan("vlan/qinq.pcap", [
        (ts(0), E([(AD, 0, 0, 300), (Q, 0, 0, 100)], ETH_IPV4, t4(1))),
        (ts(1), E([(AD, 3, 0, 300), (Q, 5, 0, 200)], ETH_IPV4, u4(2))),
        (ts(2), ether(BCAST, CLIENT_MAC, ETH_ARP, a, [(AD, 0, 0, 300), (Q, 0, 0, 100)])),
        (ts(3), E([(Q, 0, 0, 300), (Q, 0, 0, 100)], ETH_IPV4, u4(4))),
        (ts(4), E([(OLD, 0, 0, 400), (Q, 0, 0, 100)], ETH_IPV4, u4(5))),
        (ts(5), E([(AD, 0, 0, 300), (Q, 0, 0, 100), (Q, 2, 0, 42)], ETH_IPV4, u4(6))),
        (ts(6), ether(BCAST, CLIENT_MAC, ETH_ARP, a, [(AD, 0, 0, 301), (AD, 0, 1, 302), (Q, 0, 0, 10)])),
    ], "QinQ: 0x88a8 S-tag 300 + 0x8100 C-tag 100/200 (TCP, UDP, ARP); legacy 0x8100+0x8100; pre-standard 0x9100 "
       "outer; triple stacks 300/100/42 and 301/302/10 (ARP)",
        "IEEE 802.1Q-2018 (802.1ad S-tag TPID 0x88a8, C-tag 0x8100); 0x9100 is a de-facto pre-standard TPID")
    big = b"J" * (9014 - 18 - 20 - 20)
    emit_vlan("vlan/jumbo.pcap", [
        (ts(0), E([(Q, 0, 0, 100)], ETH_IPV4, t4(1))),
        (ts(1), E([(Q, 0, 0, 100)], ETH_IPV4, ipv4(c, s, 6, tcp(c, s, 50001, 80, 1001, 1, PSH | ACK, big), ident=2))),
        (ts(2), E([], ETH_IPV4, ipv4(c, s, 6, tcp(c, s, 50002, 80, 1, 1, ACK, b"j" * (9014 - 14 - 40)), ident=3))),
        (ts(3), E([(Q, 0, 0, 100)], ETH_IPV4, t4(4))),
    ], "snaplen 256: tagged (VLAN 100) 9014-byte jumbo TCP frame and an untagged 9014-byte one, both cap_len 256; "
       "IPv4 total length > captured bytes is snaplen truncation, not malformation",
        "IEEE 802.1Q-2018; draft-ietf-opsawg-pcap (SnapLen); RFC 791 Total Length", snaplen=256)


# ================================================================ nlb/
VIP = "192.0.2.100"
NLB_SIG_HB = 0xC0DE01BF
NLB_SIG_EXT = 0xC0DE01C0


def nlb_heartbeat(host_id, dip, packets_handled, n_hosts):
    """MS NLB cluster-membership heartbeat payload (after ethertype 0x886F),
    1496 bytes, field order/sizes as in Wireshark packet-msnlb.c."""
    b = struct.pack("<III", NLB_SIG_HB, 0x00000204, host_id)  # signature, version (2.4), unique host id
    b += ip4(VIP) + ip4(dip)  # cluster IP, host (dedicated) IP: network order
    teaming = 0  # teaming not active
    b += struct.pack("<HHHHIIII", host_id - 1, 0, 2, 1, 0x10000 + host_id, packets_handled, teaming, 0)
    # my host id (0-based), default host id, convergence state, #port rules, unique host code, packets handled,
    # teaming cfg, reserved
    rules = [0] * 33
    rules[0] = 0x0000FFFF  # one port rule 0-65535 (opaque to us)
    b += struct.pack("<33I", *rules)
    owned = sum(1 << k for k in range(64) if k % n_hosts == host_id - 1)
    maps = [0] * 33
    maps[0] = owned
    for _ in range(4):  # current, new, idle, ready maps: 33 x u64 each
        b += struct.pack("<33Q", *maps)
    w = [0] * 33
    w[0] = 100
    b += struct.pack("<33I", *w)  # load weights
    b += struct.pack("<33I", *([0] * 33))  # reserved2
    assert len(b) == 1496, len(b)
    return b


def nlb_ext_hb(host_id, dip, fqdn):
    """Extended heartbeat 0xC0DE01C0 carrying one 'Host name' TLV (type 1)."""
    name = fqdn.encode("utf-16-le") + b"\0\0"
    tlv_len = 1 + 1 + 2 + 4 + len(name) + 6
    # length = total TLV bytes (our choice: Wireshark shows it but does not use it)
    tlv = bytes([1, tlv_len]) + b"\0\0" + b"\0" * 4 + name + b"\0" * 6
    return struct.pack("<III", NLB_SIG_EXT, 0x00000204, host_id) + ip4(VIP) + ip4(dip) + tlv


def gen_nlb():
    hosts = [(1, "192.0.2.11", "00:15:5d:00:11:01"), (2, "192.0.2.12", "00:15:5d:00:11:02"),
             (3, "192.0.2.13", "00:15:5d:00:11:03")]
    client_mac, client_ip = "00:15:5d:99:00:01", "192.0.2.50"
    router_mac = "00:15:5d:fe:00:01"
    vip_b = ip4(VIP)
    modes = {
        "unicast": {"cluster_mac": "02:bf:" + mac_str(vip_b), "hosts": hosts},
        "multicast": {"cluster_mac": "03:bf:" + mac_str(vip_b), "hosts": hosts[:2]},
        "igmp": {"cluster_mac": "01:00:5e:7f:" + mac_str(vip_b[2:]), "hosts": hosts[:2],
                 "group": "239.255.%d.%d" % (vip_b[2], vip_b[3])},
    }
    spec = ("Wireshark epan/dissectors/packet-msnlb.c (dissect_msnlb, NLB_CLUSTER_MEMBERSHIP_HB) and tcpdump "
            "print-msnlb.c (struct msnlb_heartbeat_pkt); ethertype 0x886F; README-synth.md 'NLB byte layout'")
    for mode, m in modes.items():
        cmac, hs = m["cluster_mac"], m["hosts"]
        pk, kinds = [], []

        def add(ts, frame, kind):
            pk.append((ts, frame))
            kinds.append(kind)

        def host_src(h):
            return "02:%02x:%s" % (h[0], mac_str(vip_b)) if mode == "unicast" else h[2]

        hb_dst = cmac if mode == "igmp" else BCAST
        t = T0
        if mode == "igmp":
            for i, h in enumerate(hs):  # IGMPv2 joins, router alert option, TTL 1
                add(t + i * 1000000, ether(cmac, h[2], ETH_IPV4,
                                           ipv4(h[1], m["group"], 2, igmp_v2(0x16, m["group"]), ttl=1,
                                                options=b"\x94\x04\x00\x00", ident=i, tos=0xC0)), "igmp_join")
        if mode == "unicast":
            for i, h in enumerate(hs):
                add(t + 5000000 + i * 1000, ether(BCAST, host_src(h), ETH_MSNLB,
                                                  nlb_ext_hb(h[0], h[1], "nlb-host%d.example" % h[0])),
                    "nlb_ext_heartbeat")
        for r in range(3):  # 3 rounds, ~1 s apart, hosts a few ms apart
            for i, h in enumerate(hs):
                add(t + 10000000 + r * SEC + i * 3000000 + r * 137,
                    ether(hb_dst, host_src(h), ETH_MSNLB, nlb_heartbeat(h[0], h[1], 10 * r + i, len(hs))),
                    "nlb_heartbeat")
            if r == 0:
                # router ARPs for the VIP; the cluster answers VIP -> cluster MAC (sent by host 1)
                add(t + 200000000, ether(BCAST, router_mac, ETH_ARP,
                                         arp(1, router_mac, "192.0.2.1", "00:00:00:00:00:00", VIP)), "arp_request")
                add(t + 200500000, ether(router_mac, host_src(hs[0]), ETH_ARP,
                                         arp(2, cmac, VIP, router_mac, "192.0.2.1")), "arp_reply_vip")
            if r == 1:
                # client -> VIP: destination MAC is the cluster MAC (flooded), reply from the VIP
                syn = ipv4(client_ip, VIP, 6, tcp(client_ip, VIP, 51000, 80, 100, 0, SYN), ident=77)
                add(t + SEC + 400000000, ether(cmac, client_mac, ETH_IPV4, syn), "client_to_vip")
                sa = ipv4(VIP, client_ip, 6, tcp(VIP, client_ip, 80, 51000, 900, 101, SYN | ACK), ident=78)
                add(t + SEC + 400300000, ether(client_mac, host_src(hs[1]), ETH_IPV4, sa), "vip_to_client")
        pk_sorted = sorted(zip(pk, kinds), key=lambda x: x[0][0])
        pk = [p for p, _ in pk_sorted]
        kinds = [k for _, k in pk_sorted]
        data, info = pcap_file(pk, "<", False)
        e = pcap_expect(data, info, LINKTYPE_ETHERNET)
        hinfo = {}
        for fe, k, r in zip(e["frames"], kinds, info):
            fe["kind"] = k
            fe["nlb_heartbeat"] = fe["ethertype"] == ETH_MSNLB
            if fe["ethertype"] == ETH_MSNLB:
                p = r["data"][14:]
                sig, ver, uhid = struct.unpack_from("<III", p, 0)
                fe["nlb"] = {"signature": "0x%08X" % sig, "unique_host_id": uhid,
                             "cluster_ip": "%d.%d.%d.%d" % tuple(p[12:16]),
                             "host_ip": "%d.%d.%d.%d" % tuple(p[16:20]), "src_mac": mac_str(r["data"][6:12])}
                if sig == NLB_SIG_HB:
                    hi = hinfo.setdefault(uhid, {"unique_host_id": uhid, "host_ip": fe["nlb"]["host_ip"],
                                                 "src_mac": fe["nlb"]["src_mac"], "heartbeats": 0})
                    hi["heartbeats"] += 1
        e["nlb"] = {"mode": mode, "cluster_ip": VIP, "cluster_mac": cmac,
                    "heartbeats": sum(h["heartbeats"] for h in hinfo.values()),
                    "extended_heartbeats": kinds.count("nlb_ext_heartbeat"),
                    "hosts": [hinfo[k] for k in sorted(hinfo)],
                    "arp_vip_mac": cmac, "igmp_group": m.get("group")}
        what = {"unicast": "unicast mode: cluster MAC 02:bf:c0:00:02:64, heartbeats (and host traffic) from masked "
                           "source MACs 02:<host id>:c0:00:02:64 to broadcast, 3 hosts x 3 heartbeats + 3 extended "
                           "heartbeats, ARP reply VIP->02:bf:..., client SYN to the cluster MAC",
                "multicast": "multicast mode: cluster MAC 03:bf:c0:00:02:64, heartbeats from hosts' real MACs to "
                             "broadcast (2 hosts x 3), ARP reply maps unicast VIP to the multicast MAC",
                "igmp": "IGMP multicast mode: cluster MAC 01:00:5e:7f:02:64, IGMPv2 joins for 239.255.2.100, "
                        "heartbeats to the cluster MAC (2 hosts x 3), ARP reply VIP->01:00:5e:7f:02:64"}[mode]
        emit("nlb/nlb-%s.pcap" % mode, data, e, what, spec)
    # clean capture
    pk = [(t, f) for t, f, _ in base_frames()]
    d, info = pcap_file(pk)
    e = pcap_expect(d, info, LINKTYPE_ETHERNET)
    for fe in e["frames"]:
        fe["nlb_heartbeat"] = False
    e["nlb"] = None
    emit("nlb/nlb-none.pcap", d, e, "no NLB traffic at all (the 9 formats/ frames): detector must say 'no NLB'", spec)


# ================================================================ malformed/
def gen_malformed():
    fr = base_frames()
    pk = [(t, f) for t, f, _ in fr]
    good3, info3 = pcap_file(pk[:3])
    spec_pcap = "draft-ietf-opsawg-pcap: File Header, Packet Record"
    spec_ng = "draft-ietf-opsawg-pcapng: General Block Structure"

    def m_pcap(rel, data, info, error, what, spec=spec_pcap, snaplen=65535, **extra):
        e = pcap_expect(data, info, LINKTYPE_ETHERNET, snaplen=snaplen, error=error, **extra)
        emit(rel, data, e, what, spec)

    def err(off, reason):
        return {"offset": off, "reason": reason}

    emit("malformed/trunc-global-header.pcap", pcap_header()[:14],
         {"format": "pcap", "packets": 0, "link_types": [], "frames": [],
          "error": err(0, "truncated_file_header")}, "14 of 24 file-header bytes", spec_pcap)
    t, f = pk[3]
    sec, frac, _ = split_ts(t, False)
    rh = pcap_record_header("<", sec, frac, len(f), len(f))
    m_pcap("malformed/trunc-record-header.pcap", good3 + rh[:10], info3,
           err(len(good3), "truncated_record_header"), "3 good records, then 10 of 16 record-header bytes")
    m_pcap("malformed/trunc-record-data.pcap", good3 + rh + f[:20], info3,
           err(len(good3), "truncated_record_data"), "3 good records, then a header promising %d bytes and only 20"
           % len(f))
    m_pcap("malformed/caplen-past-eof.pcap", good3 + pcap_record_header("<", sec, frac, 1000, 1000) + f, info3,
           err(len(good3), "caplen_past_eof"), "3 good records, then caplen=1000 (<= snaplen) with only %d bytes left"
           % len(f))
    t5, f5 = pk[4]
    s5, fr5, w5 = split_ts(t5, False)
    tail = pcap_record_header("<", s5, fr5, len(f5), len(f5)) + f5
    m_pcap("malformed/caplen-4g.pcap", good3 + pcap_record_header("<", sec, frac, 0xFFFFFFFF, len(f)) + f + tail,
           info3, err(len(good3), "caplen_too_large"),
           "3 good records, then caplen=0xFFFFFFFF (must be rejected without allocating 4 GiB), then a valid record "
           "that must not be read")
    # caplen > snaplen but small: readable (lenient), with a warning
    data, info = pcap_file(pk[:3], snaplen=65535)
    hdr = pcap_header(snaplen=64)
    body = data[24:]
    info = [dict(r, offset=r["offset"]) for r in info]
    m_pcap("malformed/caplen-gt-snaplen.pcap", hdr + body, info, None,
           "snaplen 64 in the header but records of %s bytes (caplen > snaplen): readable, warn"
           % ", ".join(str(r["cap_len"]) for r in info),
           snaplen=64, warnings=[{"frame": i, "reason": "caplen_exceeds_snaplen"}
                                 for i, r in enumerate(info, 1) if r["cap_len"] > 64])
    z = [pk[0], (pk[0][0] + 1000, b""), pk[1]]
    data, info = pcap_file(z)
    m_pcap("malformed/zero-length.pcap", data, info, None,
           "zero-length record (caplen 0, wire 0) between two normal ones: readable and counted",
           decoded=[{"frame": 2, "stop": "empty_frame"}])
    good_all, _ = pcap_file(pk)
    emit("malformed/bad-magic.pcap", struct.pack("<I", 0xDEADBEEF) + good_all[4:],
         {"format": "unknown", "packets": 0, "link_types": [], "frames": [], "error": err(0, "bad_magic")},
         "valid pcap body with magic 0xdeadbeef", spec_pcap + " (Magic Number)")

    # ---- pcapng
    def ng_prefix():
        ng = NG("<")
        s = Section(ng)
        s.idb(LINKTYPE_ETHERNET, 65535)
        s.epb(0, pk[0][0], pk[0][1])
        s.epb(0, pk[1][0], pk[1][1])
        data, exp = assemble_pcapng(ng, [s], [False])
        return ng, data, exp

    def m_ng(rel, bad, reason, what, after=b"", spec=spec_ng):
        ng, pre, exp = ng_prefix()
        data = pre + bad + after
        exp["error"] = err(len(pre), reason)
        emit(rel, data, exp, what, spec)

    ng = NG("<")
    units = units_for(pk[2][0], 6, 0)[0]
    good_epb = ng.epb(0, units, pk[2][1])
    tl = len(good_epb)
    m_ng("malformed/ng-blocklen-not-mult4.pcapng", good_epb[:4] + struct.pack("<I", tl - 3) + good_epb[8:],
         "block_length_not_multiple_of_4", "2 good EPBs, then an EPB whose Block Total Length is %d" % (tl - 3))
    m_ng("malformed/ng-blocklen-lt12.pcapng", struct.pack("<II", BT_EPB, 8) + b"\0" * 8,
         "block_length_too_small", "2 good EPBs, then a block with Block Total Length 8 (< 12)")
    m_ng("malformed/ng-blocklen-past-eof.pcapng", good_epb[:4] + struct.pack("<I", 0x10000) + good_epb[8:],
         "block_length_past_eof", "2 good EPBs, then an EPB claiming 65536 bytes; the file ends %d bytes later" % tl)
    m_ng("malformed/ng-trailer-mismatch.pcapng", good_epb[:-4] + struct.pack("<I", tl + 4),
         "block_trailer_length_mismatch", "2 good EPBs, then an EPB whose trailing length (%d) != leading (%d)"
         % (tl + 4, tl), after=ng.epb(0, units + 10, pk[3][1]))
    m_ng("malformed/ng-bad-ifid.pcapng", ng.epb(5, units, pk[2][1]), "unknown_interface_id",
         "2 good EPBs on interface 0, then an EPB for interface 5 (only 1 IDB), then a good EPB",
         after=ng.epb(0, units + 10, pk[3][1]), spec="draft-ietf-opsawg-pcapng: Enhanced Packet Block (Interface ID)")
    m_ng("malformed/ng-shb-major2.pcapng", ng.shb(2, 0, -1), "unsupported_section_version",
         "one good section (2 packets), then a second SHB with major version 2 followed by IDB+EPB",
         after=ng.idb(LINKTYPE_ETHERNET, 65535) + good_epb,
         spec="draft-ietf-opsawg-pcapng: Section Header Block (Major Version)")

    # ---- per-frame decode problems (all files are readable pcaps; error is null)
    c, s = CLIENT_IP, SERVER_IP
    good = ether(SERVER_MAC, CLIENT_MAC, ETH_IPV4, ipv4(c, s, 17, udp(c, s, 50000, 50001, b"good"), ident=1))
    E = lambda et, p: ether(SERVER_MAC, CLIENT_MAC, et, p)  # noqa: E731
    ts = lambda i: T0 + i * 1000000  # noqa: E731
    spec_ip = "RFC 791 section 3.1 (IHL >= 5, Total Length)"

    def m_dec(rel, frames, decoded, what, spec):
        d, info = pcap_file([(ts(i), f) for i, f in enumerate(frames)])
        m_pcap(rel, d, info, None, what, spec=spec, decoded=decoded)

    u = udp(c, s, 50000, 50001, b"x" * 8)
    m_dec("malformed/ipv4-ihl-lt5.pcap", [good, E(ETH_IPV4, ipv4(c, s, 17, u, ihl=3)),
                                           E(ETH_IPV4, ipv4(c, s, 17, u, ihl=0))],
          [{"frame": 2, "stop": "bad_ip_header_length", "ihl": 3}, {"frame": 3, "stop": "bad_ip_header_length", "ihl": 0}],
          "IPv4 IHL 3 and IHL 0", spec_ip)
    m_dec("malformed/ipv4-totlen-gt-frame.pcap", [good, E(ETH_IPV4, ipv4(c, s, 17, u, total_length=1400))],
          [{"frame": 2, "stop": "ip_total_length_exceeds_frame", "total_length": 1400}],
          "IPv4 Total Length 1400 in a fully captured 60-byte frame (cap_len == wire_len, so not snaplen)", spec_ip)
    m_dec("malformed/ipv4-in-ipv6-ethertype.pcap", [good, E(ETH_IPV6, ipv4(c, s, 17, u))],
          [{"frame": 2, "stop": "ip_version_mismatch", "version": 4, "ethertype": ETH_IPV6}],
          "ethertype 0x86DD carrying an IPv4 (version 4) header", "RFC 8200 section 3 (Version = 6)")
    m_dec("malformed/tcp-doff-lt5.pcap", [good, E(ETH_IPV4, ipv4(c, s, 6, tcp(c, s, 40000, 80, 1, 0, SYN, doff=2)))],
          [{"frame": 2, "stop": "bad_tcp_header_length", "data_offset": 2}], "TCP data offset 2 (< 5)",
          "RFC 9293 section 3.1 (Data Offset)")
    m_dec("malformed/tcp-doff-past-frame.pcap",
          [good, E(ETH_IPV4, ipv4(c, s, 6, tcp(c, s, 40000, 80, 1, 0, SYN, doff=15)))],
          [{"frame": 2, "stop": "tcp_header_exceeds_frame", "data_offset": 15}],
          "TCP data offset 15 (60 bytes) but only 20 TCP bytes in the IP datagram/frame",
          "RFC 9293 section 3.1 (Data Offset)")
    # IPv6: hop-by-hop first, then 199 destination-options headers, then UDP
    u6 = udp(CLIENT6, SERVER6, 50000, 50001, b"deep")
    chain = u6
    nh = 17
    for i in range(199):
        chain = ipv6_opt_ext(nh) + chain
        nh = 60
    chain = ipv6_opt_ext(nh) + chain
    m_dec("malformed/ipv6-ext-chain-200.pcap", [good, E(ETH_IPV6, ipv6(CLIENT6, SERVER6, 0, chain))],
          [{"frame": 2, "stop": "ipv6_ext_chain_too_long", "ext_headers": 200, "final_next_header": 17}],
          "IPv6 with 200 extension headers (1 hop-by-hop + 199 destination options, 8 bytes each) before UDP: "
          "the walk must be bounded (any limit < 200 stops here)", "RFC 8200 section 4 (Extension Headers)")
    m_dec("malformed/ipv6-ext-len-past-frame.pcap",
          [good, E(ETH_IPV6, ipv6(CLIENT6, SERVER6, 60, bytes([17, 200, 1, 4, 0, 0, 0, 0]) + u6))],
          [{"frame": 2, "stop": "truncated_ipv6_ext_header", "hdr_ext_len": 200}],
          "IPv6 destination-options header with Hdr Ext Len 200 (1608 bytes) but 8+20 bytes of payload",
          "RFC 8200 section 4.6 (Hdr Ext Len)")
    # ICMP frag needed
    orig = ipv4(s, c, 17, udp(s, c, 53, 40000, b"z" * 1400), ident=0x55)
    quote_ok = orig[:28]
    fn = lambda q: E(ETH_IPV4, ipv4("198.51.100.1", s, 1, icmp(3, 4, struct.pack("!HH", 0, 1400), q)))  # noqa: E731
    ihl15 = bytes([0x4F]) + orig[1:28]
    m_dec("malformed/icmp-frag-needed-trunc.pcap", [fn(quote_ok), fn(orig[:12]), fn(ihl15)],
          [{"frame": 2, "stop": "truncated_icmp_quote", "quoted_bytes": 12},
           {"frame": 3, "stop": "truncated_icmp_quote", "quoted_bytes": 28, "quoted_ihl": 15}],
          "ICMP type 3 code 4 (next-hop MTU 1400): frame 1 quotes IP header + 8 bytes (valid), frame 2 only 12 "
          "bytes of the IP header, frame 3 quotes a header claiming IHL 15 in 28 bytes",
          "RFC 792 (Destination Unreachable), RFC 1191 section 4 (Next-Hop MTU)")
    ra = b"\x94\x04\x00\x00"
    ok3 = igmp_v3_report([(4, "239.1.1.1", [])])
    lie = igmp_v3_report([(4, "239.1.1.1", ["198.51.100.7"])], nrec=50)
    lie_src = igmp_v3_report([(1, "239.1.1.2", [])])
    lie_src = lie_src[:8] + struct.pack("!BBH4s", 1, 0, 100, ip4("239.1.1.2"))  # 100 sources, none present
    lie_src = lie_src[:2] + struct.pack("!H", 0) + lie_src[4:]
    lie_src = lie_src[:2] + struct.pack("!H", csum(lie_src)) + lie_src[4:]
    ig = lambda m: ether("01:00:5e:00:00:16", CLIENT_MAC, ETH_IPV4,  # noqa: E731
                         ipv4(c, "224.0.0.22", 2, m, ttl=1, tos=0xC0, options=ra))
    m_dec("malformed/igmpv3-count-lies.pcap", [ig(ok3), ig(lie), ig(lie_src)],
          [{"frame": 2, "stop": "igmp_record_count_exceeds_frame", "records_claimed": 50, "records_present": 1},
           {"frame": 3, "stop": "igmp_source_count_exceeds_frame", "sources_claimed": 100, "sources_present": 0}],
          "IGMPv3 reports: frame 1 valid (1 record); frame 2 says 50 group records, has 1; frame 3 one record "
          "claiming 100 sources, has 0.  The IP total length bounds the message (Ethernet padding is not data)",
          "RFC 3376 section 4.2 (Version 3 Membership Report)")
    arp_ok = arp(1, CLIENT_MAC, c, "00:00:00:00:00:00", s)
    arp_h0 = struct.pack("!HHBBH", 1, ETH_IPV4, 0, 4, 1) + ip4(c) + ip4(s)
    arp_h255 = struct.pack("!HHBBH", 1, ETH_IPV4, 255, 4, 1) + mac(CLIENT_MAC) + ip4(c) + b"\0" * 6 + ip4(s)
    m_dec("malformed/arp-bad-hlen.pcap",
          [ether(BCAST, CLIENT_MAC, ETH_ARP, arp_ok), ether(BCAST, CLIENT_MAC, ETH_ARP, arp_h0),
           ether(BCAST, CLIENT_MAC, ETH_ARP, arp_h255)],
          [{"frame": 2, "stop": "bad_arp_hardware_length", "hlen": 0},
           {"frame": 3, "stop": "bad_arp_hardware_length", "hlen": 255, "needs_bytes": 8 + 2 * 255 + 2 * 4}],
          "ARP: valid request; hardware length 0 (16-byte body); hardware length 255 (needs 526 bytes, frame has 46)",
          "RFC 826 (ar$hln)")
    m_dec("malformed/eth-10-bytes.pcap", [good, b"\xff" * 6 + b"\x00\x15\x5d\x01"],
          [{"frame": 2, "stop": "truncated_ethernet_header", "cap_len": 10}],
          "a 10-byte frame (cap 10, wire 10): readable and counted, Ethernet header incomplete", "IEEE 802.3 clause 3")


# ================================================================ verify / table
def gen_arp():
    """ARP cache poisoning as arpspoof does it, and the legitimate look-alikes it must not be
    confused with (a router answering for its secondary address, unicast cache refreshes)."""
    spec = ("RFC 826 (ARP); the poisoning signature of arpwatch ('changed ethernet address'), "
            "Zeek policy/protocols/arp and dsniff's arpspoof (an unsolicited reply to the victim "
            "every 2 s naming the gateway's IP with the attacker's MAC)")
    gw_mac, gw_ip = "02:00:00:00:b0:01", "192.0.2.1"
    victim_mac, victim_ip = "02:00:00:00:b0:10", "192.0.2.10"
    attacker_mac, attacker_ip = "02:00:00:00:b0:66", "192.0.2.66"

    def frame(src, dst, op, sha, spa, tha, tpa):
        return ether(dst, src, ETH_ARP, arp(op, sha, spa, tha, tpa))

    zero = "00:00:00:00:00:00"
    pk = []
    t = T0 + 5 * 10**9  # the capture opens with unrelated silence: replies later are judged
    pk.append((T0, frame(victim_mac, BCAST, 1, victim_mac, victim_ip, zero, "192.0.2.20")))
    # the victim resolves its gateway, which answers
    pk.append((t, frame(victim_mac, BCAST, 1, victim_mac, victim_ip, zero, gw_ip)))
    pk.append((t + 200000, frame(gw_mac, victim_mac, 2, gw_mac, gw_ip, victim_mac, victim_ip)))
    # the attacker resolves the victim from its own address
    t += 10**9
    pk.append((t, frame(attacker_mac, BCAST, 1, attacker_mac, attacker_ip, zero, victim_ip)))
    pk.append((t + 150000, frame(victim_mac, attacker_mac, 2, victim_mac, victim_ip, attacker_mac,
                                 attacker_ip)))
    # then tells the victim, every 2 s, that the gateway's address is at its MAC
    for i in range(6):
        ts = t + 10**9 + i * 2 * 10**9
        pk.append((ts, frame(attacker_mac, victim_mac, 2, attacker_mac, gw_ip, victim_mac,
                             victim_ip)))
    # meanwhile the gateway still answers for its address
    ts = t + 6 * 10**9 + 500000
    pk.append((ts, frame(victim_mac, BCAST, 1, victim_mac, victim_ip, zero, gw_ip)))
    pk.append((ts + 180000, frame(gw_mac, victim_mac, 2, gw_mac, gw_ip, victim_mac, victim_ip)))
    pk.sort(key=lambda p: p[0])
    emit_pcap("arp/arp-spoof.pcap", pk,
              "ARP poisoning as arpspoof does it: %s (own address %s, resolved by broadcast) "
              "sends 6 unsolicited replies to %s claiming the gateway %s, which %s keeps "
              "answering for" % (attacker_mac, attacker_ip, victim_ip, gw_ip, gw_mac), spec)

    router_mac, secondary_ip = "02:00:00:00:c0:01", "192.0.2.2"
    h1_mac, h1_ip = "02:00:00:00:c0:11", "192.0.2.11"
    h2_mac, h2_ip = "02:00:00:00:c0:12", "192.0.2.12"
    pk = []
    t = T0 + 5 * 10**9
    # the router answers for its primary and its secondary address (a reply 0.4 s late)
    pk.append((t, frame(h1_mac, BCAST, 1, h1_mac, h1_ip, zero, gw_ip)))
    pk.append((t + 100000, frame(router_mac, h1_mac, 2, router_mac, gw_ip, h1_mac, h1_ip)))
    pk.append((t + 10**9, frame(h2_mac, BCAST, 1, h2_mac, h2_ip, zero, secondary_ip)))
    pk.append((t + 14 * 10**8, frame(router_mac, h2_mac, 2, router_mac, secondary_ip, h2_mac,
                                      h2_ip)))
    # unicast cache refreshes (as Linux sends them), answered
    pk.append((t + 3 * 10**9, frame(router_mac, h1_mac, 1, router_mac, gw_ip, h1_mac, h1_ip)))
    pk.append((t + 3 * 10**9 + 90000, frame(h1_mac, router_mac, 2, h1_mac, h1_ip, router_mac,
                                            gw_ip)))
    pk.append((t + 4 * 10**9, frame(h2_mac, router_mac, 1, h2_mac, h2_ip, router_mac,
                                    secondary_ip)))
    pk.append((t + 4 * 10**9 + 90000, frame(router_mac, h2_mac, 2, router_mac, secondary_ip,
                                            h2_mac, h2_ip)))
    # the router announces its secondary address after a failover (gratuitous ARP)
    pk.append((t + 5 * 10**9, frame(router_mac, BCAST, 1, router_mac, secondary_ip, zero,
                                    secondary_ip)))
    emit_pcap("arp/router-secondary.pcap", pk,
              "not poisoning: router %s answers requests for %s and its secondary %s, unicast "
              "cache refreshes both ways, a gratuitous ARP for the secondary" % (
                  router_mac, gw_ip, secondary_ip), spec)


def gen_frag_lost():
    """Fragmented datagrams that pass the capture point whole and still die: the receiver
    reports fragment reassembly time exceeded about one reassembly timeout later (Linux
    ipfrag_time, 30 s), so the loss is between the capture point and the receiver; beside
    them one datagram that lacks a fragment here too (lost before the capture point) and one
    that was reassembled (no report)."""
    spec = ("RFC 791 (fragmentation), RFC 792 and RFC 1122 3.2.2.4 (ICMP time exceeded code 1, "
            "sent only when fragment zero arrived; it quotes that fragment's IP header and 8 "
            "bytes), RFC 8200 4.5 and RFC 4443 3.3 (IPv6 fragment header, ICMPv6 time exceeded "
            "code 1)")
    data = bytes(range(256)) * 16  # 4096 bytes of UDP payload
    for fam, src, dst, gw in (("ipv4", "198.51.100.2", "203.0.113.3", "02:00:00:00:f0:01"),
                              ("ipv6", "2001:db8:5100::2", "2001:db8:7100::3",
                               "02:00:00:00:f0:02")):
        host_mac = "02:00:00:00:f0:10"
        v6 = fam == "ipv6"
        ethertype = ETH_IPV6 if v6 else ETH_IPV4
        step = 1448 if v6 else 1480
        pk = []

        def fragments(ident, t, skip=()):
            dgram = udp(src, dst, 40000 + ident % 1000, 5001, data)
            out = []
            for i, off in enumerate(range(0, len(dgram), step)):
                chunk = dgram[off:off + step]
                more = off + step < len(dgram)
                if v6:
                    fh = struct.pack("!BBHI", 17, 0, (off & ~7) | int(more), ident)
                    pkt = ipv6(src, dst, 44, fh + chunk)
                else:
                    pkt = ipv4(src, dst, 17, chunk, ident=ident, df=False,
                               frag=(0x2000 if more else 0) | (off // 8))
                if i not in skip:
                    out.append((t + i * 20000, ether(gw, host_mac, ethertype, pkt)))
                if i == 0:
                    first = pkt
            return out, first

        def reassembly_timeout(first, t):
            if v6:
                quoted = first[:40 + 8 + 8]  # IPv6 header, fragment header, UDP header
                msg = struct.pack("!BBH", 3, 1, 0) + b"\0" * 4 + quoted
                c = csum(pw._pseudo(ip6(dst), ip6(src), 58, len(msg)) + msg)
                msg = msg[:2] + struct.pack("!H", c) + msg[4:]
                pkt = ipv6(dst, src, 58, msg)
            else:
                pkt = ipv4(dst, src, 1, icmp(11, 1, payload=first[:20 + 8]), ident=7)
            return (t, ether(host_mac, gw, ethertype, pkt))

        t = T0
        lost_here, first_a = fragments(0x1001, t)  # whole here, never reassembled
        fine, _ = fragments(0x1002, t + 10**8)  # whole here, reassembled
        missing, first_c = fragments(0x1003, t + 2 * 10**8, skip=(1,))  # lost before here
        pk += lost_here + fine + missing
        pk.append(reassembly_timeout(first_a, t + 30 * 10**9))
        pk.append(reassembly_timeout(first_c, t + 30 * 10**9 + 2 * 10**8))
        pk.sort(key=lambda p: p[0])
        emit_pcap("frag/lost-after-capture-%s.pcap" % fam, pk,
                  "%s: 3 fragmented UDP datagrams %s -> %s: ids 0x1001 and 0x1002 pass whole, "
                  "0x1003 lacks its 2nd fragment; 30 s later %s reports reassembly time exceeded "
                  "for 0x1001 (lost between the capture point and the receiver) and 0x1003 "
                  "(lost before the capture point)" % (fam, src, dst, dst), spec)


def gen_tcp_loss_sides():
    """A live-migration connection losing segments on both sides of the capture point: two
    segments pass here and are sent again later (lost between here and the receiver), one
    never passes here and arrives only as a retransmission after the following ones (lost
    between the sender and here)."""
    spec = ("RFC 9293 (TCP sequence numbers, retransmission), RFC 5681 3.2 (fast retransmit "
            "on duplicate ACKs); Wireshark's tcp.analysis.retransmission (a segment already "
            "seen) and tcp.analysis.lost_segment (a gap in sequence space)")
    c_mac, s_mac = "02:00:00:00:e0:10", "02:00:00:00:e0:20"
    c, sv, cp, sp = "192.0.2.10", "192.0.2.20", 40000, 6600
    isn, isn_s, size = 1000, 5000, 1000
    mss = b"\x02\x04\x05\xb4"  # MSS 1460

    def seg(src_is_client, seq, ack, flags, payload=b"", options=b""):
        if src_is_client:
            pkt = tcp(c, sv, cp, sp, seq, ack, flags, payload, options=options)
            return ether(s_mac, c_mac, ETH_IPV4, ipv4(c, sv, 6, pkt))
        pkt = tcp(sv, c, sp, cp, seq, ack, flags, payload, options=options)
        return ether(c_mac, s_mac, ETH_IPV4, ipv4(sv, c, 6, pkt))

    pk = []
    t = T0
    step = 100000  # 100 us between frames
    pk.append((t, seg(True, isn, 0, 0x02, options=mss)))
    pk.append((t + step, seg(False, isn_s, isn + 1, 0x12, options=mss)))
    pk.append((t + 2 * step, seg(True, isn + 1, isn_s + 1, 0x10)))
    t += 3 * step
    n, lost_upstream, lost_downstream = 60, 30, (10, 11)
    data = bytes(range(250)) * 4

    def ack(upto):
        return seg(False, isn_s + 1, upto, 0x10)

    for i in range(n):
        if i != lost_upstream:
            pk.append((t, seg(True, isn + 1 + i * size, isn_s + 1, 0x18, data)))
        t += step
        if i == lost_downstream[-1] + 3:
            for j in lost_downstream:  # passed here, died after: sent again
                pk.append((t, seg(True, isn + 1 + j * size, isn_s + 1, 0x18, data)))
                t += step
            pk.append((t, ack(isn + 1 + (i + 1) * size)))
        if i == lost_upstream + 3:  # the hole: the original never passed here
            pk.append((t, seg(True, isn + 1 + lost_upstream * size, isn_s + 1, 0x18, data)))
            t += step
            pk.append((t, ack(isn + 1 + (i + 1) * size)))
        t += step
    end = isn + 1 + n * size
    pk.append((t, ack(end)))
    pk.append((t + step, seg(True, end, isn_s + 1, 0x11)))
    pk.append((t + 2 * step, seg(False, isn_s + 1, end + 1, 0x11)))
    pk.append((t + 3 * step, seg(True, end + 1, isn_s + 2, 0x10)))
    emit_pcap("tcp/loss-sides.pcap", pk,
              "TCP %s:%d -> %s:%d, 60 x 1000-byte segments: segments 11 and 12 pass here and "
              "are retransmitted (lost after the capture point), segment 31 is missing here and "
              "comes only as a retransmission after segment 34 (lost before it)" % (c, cp, sv, sp),
              spec)


def tshark_verify():
    ts = shutil.which("tshark")
    if not ts:
        print("tshark not found")
        return 1
    bad = 0
    for rel in WRITTEN:
        path = os.path.join(CAPTURES, rel)
        exp = json.load(open(path + ".expect.json"))
        p = subprocess.run([ts, "-n", "-r", path, "-T", "fields", "-e", "frame.cap_len", "-e", "frame.len",
                            "-e", "frame.time_epoch", "-e", "_ws.col.Protocol"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # tshark >= 4.0 shows pcapng custom blocks as extra 'PCAPNG' records: not packets
        lines = [ln.split("\t") for ln in p.stdout.decode().splitlines() if ln.strip()]
        custom = sum(1 for ln in lines if ln[3] == "PCAPNG")
        lines = [ln for ln in lines if ln[3] != "PCAPNG"]
        errline = " | ".join(ln for ln in p.stderr.decode().splitlines() if "dangerous" not in ln and ln.strip())
        if custom:
            errline = "(+%d custom-block records) %s" % (custom, errline)
        got = [(int(a), int(b), int(t.replace(".", "")) if t else None) for a, b, t, _ in lines]
        want = [(f["cap_len"], f["wire_len"], f.get("timestamp_ns")) for f in exp.get("frames", [])]
        ok = got == want and (p.returncode == 0) == (exp.get("error") is None)
        bad += not ok
        print("%-4s %-42s tshark=%-3d expect=%-3d rc=%d %s" % ("OK" if ok else "DIFF", rel, len(got), len(want),
                                                               p.returncode, errline[:220]))
    return bad


def main():
    gen_formats()
    gen_linktypes()
    gen_vlan()
    gen_nlb()
    gen_arp()
    gen_frag_lost()
    gen_tcp_loss_sides()
    gen_malformed()
    if "--table" in sys.argv:
        print("| file | what it exercises | spec |\n|---|---|---|")
        for rel, what, spec in CATALOG:
            print("| `%s` | %s | %s |" % (rel, what.replace("|", "\\|"), spec))
    if "--verify" in sys.argv:
        tshark_verify()


if __name__ == "__main__":
    main()
