"""Tiny, dependency-free builders for packets, pcap and pcapng files.

Stdlib only, Python 3.9+.  Everything is deterministic: no clocks, no
randomness.  Used by make_synth.py; reusable for other synthetic captures.

Packet builders return ``bytes``.  The container writers return ``bytes`` plus
(where useful) the offsets/fields actually written, so that expectations can be
derived from what was written rather than from what was intended.
"""
import ipaddress
import struct

# --------------------------------------------------------------------------
# link types (https://www.tcpdump.org/linktypes.html)
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_USER0 = 147
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_8021Q = 0x8100
ETH_8021AD = 0x88A8
ETH_QINQ_OLD = 0x9100
ETH_MSNLB = 0x886F
VLAN_TPIDS = (ETH_8021Q, ETH_8021AD, ETH_QINQ_OLD)


# --------------------------------------------------------------------------
# address helpers
def mac(s):
    b = bytes.fromhex(s.replace(":", "").replace("-", ""))
    assert len(b) == 6, s
    return b


def ip4(s):
    return ipaddress.IPv4Address(s).packed


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def csum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!I3xB", length, proto)


# --------------------------------------------------------------------------
# layer 2
def ether(dst, src, ethertype, payload, tags=(), pad=True):
    """Ethernet II frame.  tags: iterable of (tpid, pcp, dei, vid), outer first.
    pad=True pads to the 60-byte minimum (no FCS)."""
    h = mac(dst) + mac(src)
    for tpid, pcp, dei, vid in tags:
        h += struct.pack("!HH", tpid, (pcp << 13) | (dei << 12) | vid)
    f = h + struct.pack("!H", ethertype) + payload
    if pad and len(f) < 60:
        f += b"\0" * (60 - len(f))
    return f


def arp(op, sha, spa, tha, tpa, htype=1, ptype=ETH_IPV4, hlen=None, plen=None):
    """ARP (RFC 826).  Addresses may be strings or raw bytes."""
    sha = mac(sha) if isinstance(sha, str) else sha
    tha = mac(tha) if isinstance(tha, str) else tha
    spa = ip4(spa) if isinstance(spa, str) else spa
    tpa = ip4(tpa) if isinstance(tpa, str) else tpa
    hlen = len(sha) if hlen is None else hlen
    plen = len(spa) if plen is None else plen
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa


def sll(protocol, payload, pkttype=0, hatype=1, addr="00:15:5d:00:00:01"):
    """LINKTYPE_LINUX_SLL (113) header, 16 bytes."""
    a = mac(addr)
    return struct.pack("!HHH", pkttype, hatype, len(a)) + a.ljust(8, b"\0") + struct.pack("!H", protocol) + payload


def sll2(protocol, payload, ifindex=2, pkttype=0, hatype=1, addr="00:15:5d:00:00:01"):
    """LINKTYPE_LINUX_SLL2 (276) header, 20 bytes."""
    a = mac(addr)
    return struct.pack("!HHIHBB", protocol, 0, ifindex, hatype, pkttype, len(a)) + a.ljust(8, b"\0") + payload


# --------------------------------------------------------------------------
# layer 3/4
def ipv4(src, dst, proto, payload, ttl=64, ident=0, tos=0, df=True, frag=0,
         options=b"", ihl=None, total_length=None, version=4, checksum=None):
    opts = options + b"\0" * ((-len(options)) % 4)
    hl = 20 + len(opts)
    ihl_v = hl // 4 if ihl is None else ihl
    tl = hl + len(payload) if total_length is None else total_length
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl_v, tos, tl, ident,
                      ((0x4000 if df else 0) | frag), ttl, proto, 0, ip4(src), ip4(dst)) + opts
    c = csum(hdr) if checksum is None else checksum
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src, dst, nh, payload, hlim=64, plen=None, flow=0):
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB", (6 << 28) | flow, pl, nh, hlim) + ip6(src) + ip6(dst) + payload


def _l4_addrs(src, dst):
    if ":" in src:
        return ip6(src), ip6(dst)
    return ip4(src), ip4(dst)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", window=64240, options=b"", doff=None):
    """TCP segment with a correct checksum over the IPv4/IPv6 pseudo header.
    flags: int (FIN=1 SYN=2 RST=4 PSH=8 ACK=16)."""
    opts = options + b"\0" * ((-len(options)) % 4)
    d = (20 + len(opts)) // 4 if doff is None else doff
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (d & 0xF) << 4, flags, window, 0, 0) + opts + payload
    s, t = _l4_addrs(src, dst)
    c = csum(_pseudo(s, t, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload=b""):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    s, t = _l4_addrs(src, dst)
    c = csum(_pseudo(s, t, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(type_, code, rest=b"\0\0\0\0", payload=b""):
    m = struct.pack("!BBH", type_, code, 0) + rest + payload
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def igmp_v2(type_, group, max_resp=0):
    m = struct.pack("!BBH4s", type_, max_resp, 0, ip4(group))
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def igmp_v3_report(records, nrec=None):
    """records: list of (record_type, group, [sources]).  nrec overrides the count field."""
    body = b""
    for rtype, group, sources in records:
        body += struct.pack("!BBH4s", rtype, 0, len(sources), ip4(group)) + b"".join(ip4(s) for s in sources)
    n = len(records) if nrec is None else nrec
    m = struct.pack("!BBHHH", 0x22, 0, 0, 0, n) + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def ipv6_opt_ext(nh, hdr_ext_len=0, fill=None):
    """Hop-by-hop / destination options header: nh, len (8-octet units beyond the
    first 8), options padded with PadN.  fill overrides the option bytes."""
    total = 8 * (hdr_ext_len + 1)
    if fill is None:
        n = total - 2
        fill = bytes([1, n - 2]) + b"\0" * (n - 2)  # one PadN option
    return bytes([nh, hdr_ext_len]) + fill


# --------------------------------------------------------------------------
# pcap (draft-ietf-opsawg-pcap)
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


def pcap_header(endian="<", nsec=False, snaplen=65535, linktype=LINKTYPE_ETHERNET,
                major=2, minor=4, magic=None):
    m = magic if magic is not None else (PCAP_MAGIC_NS if nsec else PCAP_MAGIC_US)
    return struct.pack(endian + "IHHiIII", m, major, minor, 0, 0, snaplen, linktype)


def pcap_record_header(endian, sec, frac, caplen, wirelen):
    return struct.pack(endian + "IIII", sec, frac, caplen, wirelen)


def split_ts(ts_ns, nsec):
    sec, rem = divmod(ts_ns, 10**9)
    frac = rem if nsec else rem // 1000
    written = sec * 10**9 + (frac if nsec else frac * 1000)
    return sec, frac, written


def pcap_file(packets, endian="<", nsec=False, snaplen=65535, linktype=LINKTYPE_ETHERNET):
    """packets: iterable of (ts_ns, data[, wire_len]).  Data longer than snaplen
    is truncated.  Returns (bytes, [record info dicts])."""
    out = bytearray(pcap_header(endian, nsec, snaplen, linktype))
    info = []
    for p in packets:
        ts_ns, data = p[0], p[1]
        wire = p[2] if len(p) > 2 and p[2] is not None else len(data)
        cap = data[:snaplen]
        sec, frac, written = split_ts(ts_ns, nsec)
        off = len(out)
        out += pcap_record_header(endian, sec, frac, len(cap), wire) + cap
        info.append({"offset": off, "cap_len": len(cap), "wire_len": wire,
                     "timestamp_ns": written, "data": bytes(cap)})
    return bytes(out), info


# --------------------------------------------------------------------------
# pcapng (draft-ietf-opsawg-pcapng)
BT_SHB = 0x0A0D0D0A
BT_IDB = 0x00000001
BT_PB = 0x00000002  # obsolete Packet Block (appendix)
BT_SPB = 0x00000003
BT_NRB = 0x00000004
BT_ISB = 0x00000005
BT_EPB = 0x00000006
BT_CUSTOM = 0x00000BAD
BT_CUSTOM_NOCOPY = 0x40000BAD
BYTE_ORDER_MAGIC = 0x1A2B3C4D


def pad4(b):
    return b + b"\0" * ((-len(b)) % 4)


class NG:
    """pcapng block builder for one byte order."""

    def __init__(self, endian="<"):
        self.e = endian

    def p(self, fmt, *a):
        return struct.pack(self.e + fmt, *a)

    def options(self, opts, end=True):
        """opts: list of (code, value bytes).  Values are padded to 32 bits."""
        if not opts:
            return b""
        b = b""
        for code, val in opts:
            b += self.p("HH", code, len(val)) + pad4(val)
        if end:
            b += self.p("HH", 0, 0)
        return b

    def block(self, btype, body, total_len=None, trailer_len=None):
        body = pad4(body)
        tl = 12 + len(body)
        lead = tl if total_len is None else total_len
        trail = tl if trailer_len is None else trailer_len
        return self.p("II", btype, lead) + body + self.p("I", trail)

    def shb(self, major=1, minor=0, section_len=-1, opts=()):
        body = self.p("IHHq", BYTE_ORDER_MAGIC, major, minor, section_len) + self.options(list(opts))
        return self.block(BT_SHB, body)

    def idb(self, linktype, snaplen, opts=()):
        body = self.p("HHI", linktype, 0, snaplen) + self.options(list(opts))
        return self.block(BT_IDB, body)

    def epb(self, ifid, ts_units, data, wire_len=None, opts=()):
        wire = len(data) if wire_len is None else wire_len
        body = self.p("IIIII", ifid, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data), wire)
        body += pad4(data) + self.options(list(opts))
        return self.block(BT_EPB, body)

    def spb(self, data, wire_len):
        return self.block(BT_SPB, self.p("I", wire_len) + pad4(data))

    def pb(self, ifid, drops, ts_units, data, wire_len=None, opts=()):
        wire = len(data) if wire_len is None else wire_len
        body = self.p("HHIIII", ifid, drops, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data), wire)
        body += pad4(data) + self.options(list(opts))
        return self.block(BT_PB, body)

    def nrb(self, records, opts=()):
        """records: list of (ip string, [names])."""
        body = b""
        for addr, names in records:
            if ":" in addr:
                rtype, a = 2, ip6(addr)
            else:
                rtype, a = 1, ip4(addr)
            val = a + b"".join(n.encode() + b"\0" for n in names)
            body += self.p("HH", rtype, len(val)) + pad4(val)
        body += self.p("HH", 0, 0)
        return self.block(BT_NRB, body + self.options(list(opts)))

    def isb(self, ifid, ts_units, opts=()):
        body = self.p("III", ifid, ts_units >> 32, ts_units & 0xFFFFFFFF) + self.options(list(opts))
        return self.block(BT_ISB, body)

    def custom(self, pen, data, copyable=True):
        return self.block(BT_CUSTOM if copyable else BT_CUSTOM_NOCOPY, self.p("I", pen) + data)

    def opt_u8(self, v):
        return bytes([v])

    def opt_u32(self, v):
        return self.p("I", v)

    def opt_u64(self, v):
        return self.p("Q", v)

    def opt_i64(self, v):
        return self.p("q", v)


def tsresol_units_per_sec(tsresol):
    """if_tsresol byte -> units per second (as an exact int)."""
    if tsresol & 0x80:
        return 2 ** (tsresol & 0x7F)
    return 10 ** tsresol
