#!/usr/bin/env python3
"""Build the seed corpora of the fuzz targets (rust/lmcap-core/fuzz) from real captures.

Usage: python3 scripts/fuzz_seeds.py [OUT_DIR]   (default rust/lmcap-core/fuzz/seeds)

Reads every capture in captures/ and, when present, ../shared/captures/public/, and writes one
directory per fuzz target holding inputs in the shape that target reads (see the layout notes
at the top of each file in rust/lmcap-core/fuzz/fuzz_targets/):

  read_capture  capture files as they are (the first 64 KiB of larger ones)
  read_merge    two or three small captures behind a control byte and u32 lengths
  decode_frame  single frames behind a link-type byte and a wire-length byte
  stream_tcp    the TCP segments of SMB (445, 139) and iWARP (5445) connections
  wire_smb2     whole SMB messages as the SMB framer hands them over
  wire_rdma     RoCE BTHs, RoCE v1 GRHs, iWARP payloads, SMB Direct messages
  wire_ip       IPv4/IPv6 packets, ICMP, IGMP, TCP, UDP/NLB, ARP, Ethernet, link headers

Only the Python standard library is used (zstd captures are seeded whole for read_capture but
not split into frames). The output is deterministic and small (a few MB): seeds are inputs to
start from, libFuzzer grows its own corpus next to them. Both are git-ignored.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "captures", ROOT.parent / "shared" / "captures" / "public"]
SKIP_DIRS = {"oracle", "scripts"}

# Largest seed per target: libFuzzer runs slower on big inputs and rarely needs them. Whole
# captures are cut shorter: a scan builds every table, so its cost grows with the frames in it.
MAX_SEED_BYTES = 64 * 1024
MAX_CAPTURE_SEED_BYTES = 16 * 1024
# Frames taken from one capture for decode_frame (the first ones and some spread over the rest).
FRAMES_PER_CAPTURE = 24
# Seeds of one kind (target and first byte) taken from one capture: enough variety, few repeats.
PER_KIND_PER_CAPTURE = 6
# Link types in the order decode_frame's first byte picks them (fuzz_targets/decode_frame.rs).
LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276]
SMB_PORTS = {445, 139}
IWARP_PORT = 5445
ROCE_V2_PORT = 4791


def capture_files() -> list[Path]:
    out = []
    for root in SOURCES:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if any(part in SKIP_DIRS for part in p.relative_to(root).parts):
                continue
            if p.is_file() and ".pcap" in p.name and not p.name.endswith(".json"):
                out.append(p)
    return out


def decompressed(raw: bytes) -> bytes | None:
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError):
            return None
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        return None
    return raw


def records(data: bytes):
    """(link_type, frame, wire_len) of each pcap/pcapng record; stops at the first damage."""
    if len(data) < 24:
        return
    magic = data[:4]
    pcap_magics = {
        b"\xd4\xc3\xb2\xa1": "<",
        b"\xa1\xb2\xc3\xd4": ">",
        b"\x4d\x3c\xb2\xa1": "<",
        b"\xa1\xb2\x3c\x4d": ">",
        b"\x34\xcd\xb2\xa1": "<",
        b"\xa1\xb2\xcd\x34": ">",
    }
    if magic in pcap_magics:
        e = pcap_magics[magic]
        link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        hdr = 24 if magic in (b"\x34\xcd\xb2\xa1", b"\xa1\xb2\xcd\x34") else 16
        off = 24
        while off + hdr <= len(data):
            _, _, cap, wire = struct.unpack(e + "IIII", data[off : off + 16])
            if off + hdr + cap > len(data):
                return
            yield link, data[off + hdr : off + hdr + cap], wire
            off += hdr + cap
        return
    if magic != b"\x0a\x0d\x0d\x0a":
        return
    e, off, links = "<", 0, []
    while off + 12 <= len(data):
        if data[off : off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[off + 8 : off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        btype, blen = struct.unpack(e + "II", data[off : off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            return
        body = data[off + 8 : off + blen - 4]
        if btype == 1 and len(body) >= 2:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype in (6, 2) and len(body) >= 20:
            iface, _, _, cap, wire = struct.unpack(e + "IIIII", body[:20])
            if btype == 2:
                iface &= 0xFFFF
            if iface < len(links):
                yield links[iface], body[20 : 20 + cap], wire
        elif btype == 3 and len(body) >= 4 and links:
            wire = struct.unpack(e + "I", body[:4])[0]
            yield links[0], body[4 : 4 + wire], wire
        off += blen


def l3(link: int, f: bytes) -> tuple[int, int] | None:
    """(ethertype, offset of the network layer) of a frame, VLAN tags skipped."""
    if link == 1:
        if len(f) < 14:
            return None
        et, off = struct.unpack(">H", f[12:14])[0], 14
    elif link == 113:
        if len(f) < 16:
            return None
        et, off = struct.unpack(">H", f[14:16])[0], 16
    elif link == 276:
        if len(f) < 20:
            return None
        et, off = struct.unpack(">H", f[0:2])[0], 20
    elif link in (0, 108):
        if len(f) < 4:
            return None
        fam = struct.unpack(">I" if link == 108 else "<I", f[:4])[0]
        if fam > 0xFFFF:
            fam = struct.unpack(">I", f[:4])[0]
        et, off = {2: 0x0800, 10: 0x86DD, 24: 0x86DD, 28: 0x86DD, 30: 0x86DD}.get(fam, 0), 4
    elif link in (101, 228, 229):
        if not f:
            return None
        et, off = {4: 0x0800, 6: 0x86DD}.get(f[0] >> 4, 0), 0
    else:
        return None
    while et in (0x8100, 0x88A8, 0x9100) and len(f) >= off + 4:
        et, off = struct.unpack(">H", f[off + 2 : off + 4])[0], off + 4
    return et, off


def transport(ip: bytes) -> tuple[int, bytes, int] | None:
    """(protocol, transport bytes, transport length on the wire) of an unfragmented packet."""
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0] or len(ip)
        if ihl < 20 or struct.unpack(">H", ip[6:8])[0] & 0x1FFF:
            return None
        return ip[9], ip[ihl:total], total - ihl
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        plen = struct.unpack(">H", ip[4:6])[0] or len(ip) - 40
        return ip[6], ip[40 : 40 + plen], plen
    return None


class Seeds:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.count: dict[str, int] = {}
        self.taken: dict[tuple[str, int], int] = {}

    def next_capture(self) -> None:
        self.taken.clear()

    def add(self, target: str, data: bytes, quota: int | None = PER_KIND_PER_CAPTURE) -> None:
        limit = MAX_CAPTURE_SEED_BYTES if target.startswith("read_") else MAX_SEED_BYTES
        data = data[:limit]
        kind = (target, data[0] if data else -1)
        quota = quota and quota * (4 if target == "wire_rdma" else 1)
        if quota is not None and self.taken.get(kind, 0) >= quota:
            return
        self.taken[kind] = self.taken.get(kind, 0) + 1
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
        self.count[target] = self.count.get(target, 0) + 1


def u16(n: int) -> bytes:
    return struct.pack("<H", min(n, 0xFFFF))


def stream_seed(port: int, segs: list[tuple[int, int, int, bytes, int]]) -> bytes:
    """stream_tcp input for one connection: segs = (direction, seq, flags, payload, wire length)."""
    syn_seen = any(flags & 2 for _, _, flags, _, _ in segs)
    pick = {445: 0, 139: 1, IWARP_PORT: 2}[port] | (4 if syn_seen else 0)
    out = bytearray([pick])
    expected = [1000, 900000]  # where the harness starts each direction's sequence numbers
    base: list[int | None] = [None, None]
    for d, seq, flags, payload, declared in segs:
        if base[d] is None:
            base[d] = (expected[d] - seq) % 2**32
        this = (seq + base[d]) % 2**32
        jump = (this - expected[d]) % 2**32
        jump = jump - 2**32 if jump >= 2**31 else jump
        extra = max(0, declared - len(payload))
        c = d | (2 if flags & 2 else 0) | (4 if flags & 1 else 0)
        c |= (0x10 if jump else 0) | (0x40 if extra else 0)
        seg = bytearray([c])
        if jump:
            seg += struct.pack("<i", jump)
        if extra:
            seg += u16(extra)
        seg += u16(len(payload)) + payload[:0xFFFF]
        if len(out) + len(seg) > MAX_SEED_BYTES:
            break
        out += seg
        expected[d] = (this + len(payload) + extra + (1 if flags & 2 else 0)) % 2**32
    return bytes(out)


def smb_messages(stream: bytes):
    """Whole SMB messages (transport header on, at most 4 + 64 KiB) of one direction's bytes."""
    off = 0
    while off + 4 <= len(stream):
        if stream[off] != 0:
            return
        length = int.from_bytes(stream[off + 1 : off + 4], "big")
        yield stream[off : off + 4 + min(length, 65536)]
        off += 4 + length


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "rust/lmcap-core/fuzz/seeds"
    seeds = Seeds(out)
    small: list[bytes] = []
    for path in capture_files():
        raw = path.read_bytes()
        seeds.next_capture()
        seeds.add("read_capture", raw, quota=None)
        if len(raw) <= 16 * 1024:
            small.append(raw)
        data = decompressed(raw)
        if data is None:
            continue
        frames = list(records(data))
        picks = frames[: FRAMES_PER_CAPTURE // 2]
        step = max(1, len(frames) // (FRAMES_PER_CAPTURE // 2))
        picks += frames[FRAMES_PER_CAPTURE // 2 :: step][: FRAMES_PER_CAPTURE // 2]
        for link, f, wire in picks:
            if link in LINK_TYPES:
                shift = max(-128, min(127, wire - len(f)))
                seeds.add(
                    "decode_frame",
                    bytes([LINK_TYPES.index(link), shift & 0xFF]) + f[:4096],
                    quota=FRAMES_PER_CAPTURE,
                )
        conns: dict[tuple, list] = {}
        streams: dict[tuple, bytearray] = {}
        for link, f, _wire in frames:
            where = l3(link, f)
            if where is None:
                continue
            et, off = where
            net = f[off:]
            if et == 0x0806:
                seeds.add("wire_ip", b"\x07" + net)
            elif et == 0x886F:
                seeds.add("wire_ip", b"\x06" + net)
            elif et == 0x8915:
                seeds.add("wire_rdma", b"\x01\x00\x00" + net)
            seeds.add("wire_ip", (b"\x08" if link == 1 else b"\x09") + f)
            if et not in (0x0800, 0x86DD):
                continue
            seeds.add("wire_ip", (b"\x00" if et == 0x0800 else b"\x01") + net)
            t = transport(net)
            if t is None:
                continue
            proto, l4, l4_len = t
            if proto in (1, 58):
                seeds.add("wire_ip", (b"\x02" if proto == 1 else b"\x03") + l4)
            elif proto == 2:
                seeds.add("wire_ip", b"\x04" + l4)
            elif proto == 17 and len(l4) >= 8:
                dport = struct.unpack(">H", l4[2:4])[0]
                if dport == ROCE_V2_PORT:
                    seeds.add("wire_rdma", b"\x00" + u16(l4_len - 8) + l4[8:])
                    if len(l4) > 20:
                        seeds.add("wire_rdma", b"\x13\x00\x00" + l4[20:])
                else:
                    seeds.add("wire_ip", b"\x06" + l4)
            elif proto == 6 and len(l4) >= 20:
                sport, dport, seq = struct.unpack(">HHI", l4[:8])
                hl, flags = (l4[12] >> 4) * 4, l4[13]
                seeds.add("wire_ip", b"\x05" + l4[: max(hl, 20)])
                port = next((p for p in (dport, sport) if p in SMB_PORTS or p == IWARP_PORT), None)
                if port is None or hl < 20:
                    continue
                d = 0 if dport == port else 1
                src, dst = (net[12:16], net[16:20]) if et == 0x0800 else (net[8:24], net[24:40])
                key = (min((src, sport), (dst, dport)), max((src, sport), (dst, dport)))
                payload, declared = l4[hl:], l4_len - hl
                conns.setdefault((port, key), []).append((d, seq, flags, payload, declared))
                if payload and len(payload) == declared:
                    streams.setdefault((port, key, d), bytearray()).extend(payload)
                if port == IWARP_PORT and payload:
                    seeds.add("wire_rdma", bytes([0x06]) + b"\x00\x00" + payload)
        for (port, _), segs in conns.items():
            seeds.add("stream_tcp", stream_seed(port, segs), quota=None)
        for (port, _, _), stream in streams.items():
            if port in SMB_PORTS:
                for m in smb_messages(bytes(stream)):
                    seeds.add("wire_smb2", m, quota=32)
    # Merges: neighbouring small captures, two or three at a time, one or two threads.
    for i in range(len(small)):
        part_limit = MAX_CAPTURE_SEED_BYTES // 3
        parts = [small[i][:part_limit], small[(i + 1) % len(small)][:part_limit]]
        control = i % 4
        if control & 1:
            parts.append(small[(i + 7) % len(small)][:part_limit])
        head = bytes([control]) + b"".join(struct.pack("<I", len(p)) for p in parts[:-1])
        seeds.add("read_merge", head + b"".join(parts), quota=None)
    for target, n in sorted(seeds.count.items()):
        print(f"{target:14s} {n:5d} seeds -> {out / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
