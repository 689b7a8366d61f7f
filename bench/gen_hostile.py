#!/usr/bin/env python3
"""Hostile captures for lmcap's resource bounds (issue 12): pure Python, ``struct`` only.

    python3 bench/gen_hostile.py --kind interfaces  --count 100000 -o ifaces.pcapng
    python3 bench/gen_hostile.py --kind sections    --count 10000  -o sections.pcapng
    python3 bench/gen_hostile.py --kind smb-streams --count 100000 -o smb.pcap
    python3 bench/gen_hostile.py --kind smb-heads   --count 16384  -o heads.pcap
    python3 bench/gen_hostile.py --kind smb-tiny    --count 4000000 -o tiny.pcap
    python3 bench/gen_hostile.py --kind igmp-records --count 20000 -o igmp.pcap
    python3 bench/gen_hostile.py --kind empty-records --count 134000000 -o bomb.pcap.gz
    python3 bench/gen_hostile.py --kind sparse-blocks --count 200 -o sparse.pcapng

Each kind must be read in time linear in its size and in bounded memory:

``interfaces``
    pcapng: one Section Header Block, ``count`` Interface Description Blocks (Ethernet,
    ``if_tsresol`` alternating 10^-6 and 10^-9), then ``--packets`` Enhanced Packet Blocks
    (default 1,000) that name the highest interface ids; every tenth names an interface that
    was never described (``count + k``, the last one 0xFFFFFFFF).
``sections``
    pcapng: ``count`` sections, each a Section Header Block (little-endian and big-endian
    sections alternate), one Interface Description Block and one packet (even sections) or
    two (odd sections). Interface ids are numbered across the file, so the last section's
    interface is ``count - 1``.
``smb-streams``
    classic pcap (µs): ``count`` TCP connections to port 445, each a SYN, a SYN-ACK and one
    client segment holding a NetBIOS session header that announces a message of 0xFFFFFF
    bytes (the 24-bit maximum, 16 MiB - 1) and the first 32 bytes of an SMB2 WRITE header;
    the rest never comes. Two directions per connection, so more than 32,768 connections pass
    the stream stage's 65,536 open directions (``stream_directions_untracked``).
``smb-heads``
    classic pcap: ``count`` connections, each a SYN and one 65,000-byte segment starting an
    IOCTL request of 0xFFFFFF bytes, a command whose first 64 KiB lmcap collects to decode:
    every connection holds a big head at once. Past the 64 MiB all heads share, messages are
    handed over cut (``stream_heads_cut``).
``smb-tiny``
    classic pcap: one SMB connection (a SYN, then 1,456-byte segments) carrying ``count``
    messages of 8 bytes (a transport header announcing 4 bytes, then 0xFD 'SMB'), each a row
    of ``smb_pdus``: 4 M messages are 32 MiB of stream, one chunk of the scan.
``igmp-records``
    classic pcap: ``count`` jumbo IGMPv3 reports (9,000-byte IP packets) of 1,120 group records
    each, without sources: a row of ``igmp_records`` per 8 bytes.
``empty-records``
    classic pcap, gzip-compressed when the output name ends in ``.gz``: ``count`` records that
    hold no bytes (captured and wire length 0), with one real UDP frame after every 1,000,000
    of them (a millisecond per run of 1,000,000). 134 M records are a 2 GB stream in a file
    of about 4 MB: a decompression bomb, legal record by record.

All frames are Ethernet/IPv4 between documentation addresses (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24) with correct IPv4 and TCP/UDP checksums, one microsecond
apart from 2023-11-14T22:13:20Z (well inside every idle timeout). The output is
byte-identical on every run. :func:`generate` returns the number of frames written.

Measured (2 cores, ``/usr/bin/time lmcap analyze FILE --format json``; no file error, rows ==
frames written in every run):

    kind         count    file MB  frames     seconds  peak MiB  bound counters
    interfaces    25,000    0.9       1,000     0.8      156     none
    interfaces    50,000    1.7       1,000     0.6      157     none
    interfaces   100,000    3.3       1,000     0.7      157     none
    sections       2,500    0.5       3,750     0.7      163     none
    sections       5,000    1.0       7,500     0.8      169     none
    sections      10,000    2.0      15,000     0.8      175     none
    smb-streams   25,000    6.2      75,000     1.7      278     none
    smb-streams   50,000   12.3     150,000     2.8      422     stream_directions_untracked 51,696
    smb-streams  100,000   24.6     300,000     4.8      516     stream_directions_untracked 201,696
    smb-heads     16,384 1067        32,768     2.4      409     stream_heads_cut 15,352
                                                                 (1,382 MiB before the budget)
    smb-tiny      4 M      33.5      21,980     6.2      558     none (10.1 s, 1,730 MiB before)
    igmp-records  20,000  180        20,000    40.1      693     none (47.1 s, 2,274 MiB before;
                                                                 22.4 M rows of igmp_records)
    sparse-blocks 200     3,355         200     1.9      337     none (22.4 s, 1,736 MiB before)
    empty-records 20 M      0.6  20,000,020     5.2      177     none (31.5 s, 569 MiB before)
    empty-records 60 M      1.9  60,000,060     7.8      198     none
    empty-records 134 M     4.2 134,000,134    28.3      229     none (8 min, 2.5 GB before)
"""

from __future__ import annotations

import argparse
import gzip
import struct
import sys

T0_NS = 1_700_000_000 * 1_000_000_000
STEP_NS = 1_000
ETH_TYPE_IPV4 = 0x0800
LINKTYPE_ETHERNET = 1
SNAPLEN = 65_535

SHB = 0x0A0D0D0A
IDB = 0x00000001
EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_IF_TSRESOL = 9

MAC_A = bytes.fromhex("00155d000001")
MAC_B = bytes.fromhex("00155d000002")
HOST_A = bytes([192, 0, 2, 1])
HOST_B = bytes([192, 0, 2, 2])
SMB_SERVER = bytes([203, 0, 113, 10])
SMB_PORT = 445
SMB_ANNOUNCED = 0xFFFFFF  # the largest NetBIOS session length (24 bits)

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# --------------------------------------------------------------------------------------------
# frames


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(src: bytes, dst: bytes, proto: int, l4: bytes, ident: int) -> bytes:
    head = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst
    )
    csum = _checksum(head)
    return head[:10] + struct.pack("!H", csum) + head[12:] + l4


def _l4_checksum(src: bytes, dst: bytes, proto: int, l4: bytes) -> int:
    return _checksum(src + dst + struct.pack("!BBH", 0, proto, len(l4)) + l4)


def udp_frame(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, ident: int) -> bytes:
    """Ethernet/IPv4/UDP frame from ``src`` to ``dst`` (4-byte addresses)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = _l4_checksum(src, dst, 17, udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    return MAC_B + MAC_A + struct.pack("!H", ETH_TYPE_IPV4) + _ipv4(src, dst, 17, udp, ident)


def tcp_frame(
    src: bytes,
    dst: bytes,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    payload: bytes = b"",
    ident: int = 0,
) -> bytes:
    """Ethernet/IPv4/TCP frame, 20-byte TCP header, window 64240."""
    tcp = (
        struct.pack(
            "!HHIIBBHHH",
            sport,
            dport,
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF,
            5 << 4,
            flags,
            64240,
            0,
            0,
        )
        + payload
    )
    csum = _l4_checksum(src, dst, 6, tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    return MAC_B + MAC_A + struct.pack("!H", ETH_TYPE_IPV4) + _ipv4(src, dst, 6, tcp, ident)


def _packet_frame(k: int) -> bytes:
    """The k-th small UDP frame of the pcapng kinds (60 bytes on the wire)."""
    payload = struct.pack("!I", k) + b"lmcap-hostile\0"
    return udp_frame(HOST_A, HOST_B, 40000 + k % 1000, 9, payload, k)


# --------------------------------------------------------------------------------------------
# pcapng blocks


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _block(e: str, block_type: int, body: bytes) -> bytes:
    body = _pad4(body)
    total = 12 + len(body)
    return struct.pack(e + "II", block_type, total) + body + struct.pack(e + "I", total)


def shb(e: str = "<") -> bytes:
    """Section Header Block without options, section length -1 (not given)."""
    return _block(e, SHB, struct.pack(e + "IHHq", BYTE_ORDER_MAGIC, 1, 0, -1))


def idb(e: str = "<", tsresol: int = 6) -> bytes:
    """Ethernet Interface Description Block with an ``if_tsresol`` option (10^-tsresol s)."""
    opts = struct.pack(e + "HH", OPT_IF_TSRESOL, 1) + _pad4(bytes([tsresol]))
    opts += struct.pack(e + "HH", 0, 0)
    return _block(e, IDB, struct.pack(e + "HHI", LINKTYPE_ETHERNET, 0, SNAPLEN) + opts)


def epb(e: str, interface_id: int, ts_units: int, frame: bytes) -> bytes:
    """Enhanced Packet Block (no options)."""
    head = struct.pack(
        e + "IIIII", interface_id, ts_units >> 32, ts_units & 0xFFFFFFFF, len(frame), len(frame)
    )
    return _block(e, EPB, head + frame)


def _units(t_ns: int, tsresol: int) -> int:
    return t_ns // 10 ** (9 - tsresol)


# --------------------------------------------------------------------------------------------
# the three kinds


class _Out:
    """Buffered writer that counts frames and bytes."""

    def __init__(self, f) -> None:
        self.f = f
        self.parts: list[bytes] = []
        self.pending = 0
        self.bytes = 0
        self.frames = 0

    def put(self, b: bytes, frame: bool = False) -> None:
        self.parts.append(b)
        self.pending += len(b)
        self.bytes += len(b)
        self.frames += frame
        if self.pending >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.f.write(b"".join(self.parts))
        self.parts.clear()
        self.pending = 0

    def hole(self, n: int) -> None:
        """``n`` zero bytes left as a hole of a sparse file (nothing written)."""
        self.flush()
        self.f.seek(n, 1)
        self.bytes += n


def write_interfaces(out: _Out, count: int, packets: int = 1000) -> dict:
    """One section, ``count`` IDBs, ``packets`` EPBs naming the highest interface ids."""
    out.put(shb("<"))
    for i in range(count):
        out.put(idb("<", 6 if i % 2 == 0 else 9))
    undescribed = 0
    for k in range(packets):
        t_ns = T0_NS + k * STEP_NS
        if k % 10 == 9:
            iface = 0xFFFFFFFF if k == packets - 1 else count + k
            tsresol = 6  # what a reader assumes for an interface never described
            undescribed += 1
        else:
            iface = max(count - 1 - (k * 7) % max(count // 100, 1), 0)
            tsresol = 6 if iface % 2 == 0 else 9
        out.put(epb("<", iface, _units(t_ns, tsresol), _packet_frame(k)), frame=True)
    return {"interfaces": count, "sections": 1, "undescribed_interface_frames": undescribed}


def write_sections(out: _Out, count: int) -> dict:
    """``count`` sections of alternating byte order, one IDB and one or two EPBs each."""
    k = 0
    for s in range(count):
        e = "<" if s % 2 == 0 else ">"
        tsresol = 6 if s % 4 < 2 else 9
        out.put(shb(e))
        out.put(idb(e, tsresol))
        for _ in range(1 + s % 2):
            t_ns = T0_NS + k * STEP_NS
            out.put(epb(e, 0, _units(t_ns, tsresol), _packet_frame(k)), frame=True)
            k += 1
    return {"interfaces": count, "sections": count}


def smb_client(i: int) -> tuple[bytes, int]:
    """Address and port of connection ``i``'s client (198.51.100.1-250, ports from 1024)."""
    return bytes([198, 51, 100, 1 + i % 250]), 1024 + i // 250


def smb_announcement() -> bytes:
    """NetBIOS session header announcing 0xFFFFFF bytes, then 32 bytes of an SMB2 WRITE
    request header (of its 64): the message never gets further."""
    smb2 = b"\xfeSMB" + struct.pack("<HHIHHII", 64, 256, 0, 0x0009, 1, 0, 0)
    smb2 += struct.pack("<Q", 1)  # MessageId; Reserved, TreeId, SessionId, Signature never come
    assert len(smb2) == 32
    return struct.pack("!I", SMB_ANNOUNCED) + smb2


def write_smb_streams(out: _Out, count: int) -> dict:
    """Classic pcap: ``count`` half-open SMB connections (SYN, SYN-ACK, 36-byte start)."""
    out.put(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    announce = smb_announcement()
    k = 0
    for i in range(count):
        client, cport = smb_client(i)
        isn_c = (i * 2654435761 + 12345) & 0xFFFFFFFF
        isn_s = (i * 40503 * 65537 + 777) & 0xFFFFFFFF
        frames = (
            tcp_frame(client, SMB_SERVER, cport, SMB_PORT, isn_c, 0, TCP_SYN, ident=k),
            tcp_frame(
                SMB_SERVER,
                client,
                SMB_PORT,
                cport,
                isn_s,
                isn_c + 1,
                TCP_SYN | TCP_ACK,
                ident=k + 1,
            ),
            tcp_frame(
                client,
                SMB_SERVER,
                cport,
                SMB_PORT,
                isn_c + 1,
                isn_s + 1,
                TCP_PSH | TCP_ACK,
                announce,
                ident=k + 2,
            ),
        )
        for frame in frames:
            t_ns = T0_NS + k * STEP_NS
            sec, usec = divmod(t_ns // 1000, 1_000_000)
            out.put(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame, frame=True)
            k += 1
    return {"connections": count, "directions": 2 * count, "announced_bytes": SMB_ANNOUNCED}


#: Payload of each connection of ``smb-heads``: a 64 KiB head to collect, nearly.
BIG_HEAD_SEGMENT = 65_000


def write_smb_heads(out: _Out, count: int) -> dict:
    """Classic pcap: ``count`` SMB connections (SYN, then one 65,000-byte segment) each
    starting an IOCTL request of 0xFFFFFF bytes: a command whose first 64 KiB lmcap collects
    to decode, so every connection holds a big head at once (the budget shared by all)."""
    out.put(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    body = b"\xfeSMB" + struct.pack("<HHIHHII", 64, 1, 0, 0x000B, 1, 0, 0) + bytes(44)
    payload = struct.pack("!I", SMB_ANNOUNCED) + body
    payload += bytes(BIG_HEAD_SEGMENT - len(payload))
    k = 0
    for i in range(count):
        client, cport = smb_client(i)
        isn = (i * 2654435761 + 12345) & 0xFFFFFFFF
        frames = (
            tcp_frame(client, SMB_SERVER, cport, SMB_PORT, isn, 0, TCP_SYN, ident=k),
            tcp_frame(client, SMB_SERVER, cport, SMB_PORT, isn + 1, 1, TCP_ACK, payload,
                      ident=k + 1),
        )  # fmt: skip
        for frame in frames:
            t_ns = T0_NS + k * STEP_NS
            sec, usec = divmod(t_ns // 1000, 1_000_000)
            out.put(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame, frame=True)
            k += 1
    return {"connections": count, "directions": count, "announced_bytes": SMB_ANNOUNCED}


#: The smallest message an SMB stream can carry that is still a row: a 4-byte transport
#: header announcing 4 bytes, and the transform header's protocol id (0xFD 'SMB').
TINY_SMB_MESSAGE = b"\x00\x00\x00\x04\xfdSMB"
#: Messages per segment of ``smb-tiny`` (1,456 payload bytes, under a 1500-byte MTU).
TINY_PER_SEGMENT = 182


def write_smb_tiny(out: _Out, count: int) -> dict:
    """Classic pcap: one SMB connection (SYN, then full segments) carrying ``count`` messages
    of 8 bytes each: a row per 8 bytes of stream."""
    out.put(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    client, cport = smb_client(0)
    seq = 1000
    k = 0

    def put(frame: bytes) -> None:
        nonlocal k
        sec, usec = divmod((T0_NS + k * STEP_NS) // 1000, 1_000_000)
        out.put(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame, frame=True)
        k += 1

    put(tcp_frame(client, SMB_SERVER, cport, SMB_PORT, seq, 0, TCP_SYN, ident=0))
    seq += 1
    sent = 0
    while sent < count:
        n = min(TINY_PER_SEGMENT, count - sent)
        payload = TINY_SMB_MESSAGE * n
        put(tcp_frame(client, SMB_SERVER, cport, SMB_PORT, seq, 1, TCP_ACK, payload, ident=k))
        seq = (seq + len(payload)) & 0xFFFFFFFF
        sent += n
    return {"messages": count}


#: Group records per IGMPv3 report of ``igmp-records``: 8 bytes each (no sources), in a
#: 9,000-byte IP packet.
IGMP_RECORDS_PER_REPORT = 1_120
IGMP_ALL_ROUTERS_V3 = bytes([224, 0, 0, 22])


def write_igmp_records(out: _Out, count: int) -> dict:
    """Classic pcap: ``count`` jumbo IGMPv3 reports, each of IGMP_RECORDS_PER_REPORT group
    records without sources: a row of ``igmp_records`` per 8 bytes."""
    out.put(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    records = b"".join(
        struct.pack("!BBH4s", 4, 0, 0, bytes([239, 1, k >> 8 & 0xFF, k & 0xFF]))
        for k in range(IGMP_RECORDS_PER_REPORT)
    )
    igmp = struct.pack("!BBHHH", 0x22, 0, 0, 0, IGMP_RECORDS_PER_REPORT) + records
    igmp = igmp[:2] + struct.pack("!H", _checksum(igmp)) + igmp[4:]
    for k in range(count):
        ip = _ipv4(HOST_A, IGMP_ALL_ROUTERS_V3, 2, igmp, k)
        frame = bytes.fromhex("01005e000016") + MAC_A + struct.pack("!H", ETH_TYPE_IPV4) + ip
        sec, usec = divmod((T0_NS + k * STEP_NS) // 1000, 1_000_000)
        out.put(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame, frame=True)
    return {"records": count * IGMP_RECORDS_PER_REPORT}


#: Block type of the big blocks of ``sparse-blocks``: a local-use type no reader knows, so it
#: is skipped whole.
SKIPPED_BLOCK = 0x40000BAD
#: Bytes of each skipped block: the largest block lmcap reads (16 MiB).
SKIPPED_BLOCK_LEN = 16 << 20


def write_sparse_blocks(out: _Out, count: int) -> dict:
    """pcapng: ``count`` small packets, each followed by a 16 MiB block of an unknown type
    whose body is a hole: gigabytes of file, megabytes on disk, a frame per 16 MiB."""
    out.put(shb("<"))
    out.put(idb("<"))
    for k in range(count):
        out.put(epb("<", 0, T0_NS // 1000 + k, _packet_frame(k)), frame=True)
        out.put(struct.pack("<II", SKIPPED_BLOCK, SKIPPED_BLOCK_LEN))
        out.hole(SKIPPED_BLOCK_LEN - 12)
        out.put(struct.pack("<I", SKIPPED_BLOCK_LEN))
    return {"skipped_blocks": count}


#: Empty records between two real frames of ``empty-records``.
EMPTY_RUN = 1_000_000


def write_empty_records(out: _Out, count: int) -> dict:
    """Classic pcap: ``count`` empty records and a real UDP frame after every EMPTY_RUN."""
    out.put(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    real = 0
    k = 0
    while k < count:
        run = min(EMPTY_RUN, count - k)
        # every record of a run carries the run's timestamp (one ms per run): the run is one
        # record repeated, which a generator in Python writes at disk speed
        sec, usec = divmod(T0_NS // 1000 + real * 1000, 1_000_000)
        record = struct.pack("<IIII", sec, usec, 0, 0)
        for done in range(0, run, 1 << 16):
            n = min(1 << 16, run - done)
            out.put(record * n)
            out.frames += n
        k += run
        if run == EMPTY_RUN:
            frame = udp_frame(HOST_A, HOST_B, 5000, 5001, b"real", ident=real)
            out.put(struct.pack("<IIII", sec, usec + 1, len(frame), len(frame)) + frame, frame=True)
            real += 1
    return {"empty_records": count, "real_frames": real}


#: The writer of each kind but ``interfaces`` (which also takes ``packets``), by name.
WRITERS = {
    "sections": write_sections,
    "smb-streams": write_smb_streams,
    "smb-heads": write_smb_heads,
    "smb-tiny": write_smb_tiny,
    "igmp-records": write_igmp_records,
    "empty-records": write_empty_records,
    "sparse-blocks": write_sparse_blocks,
}
KINDS = ("interfaces", *WRITERS)


def generate(kind: str, count: int, path, packets: int = 1000) -> dict:
    """Write capture ``kind`` with ``count`` interfaces, sections or connections to ``path``.
    Returns ``{"kind", "count", "frames", "bytes", ...}``; ``frames`` is what a reader must
    return."""
    if count < 1:
        raise ValueError("count must be at least 1")
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        out = _Out(f)
        if kind == "interfaces":
            extra = write_interfaces(out, count, packets)
        elif kind in WRITERS:
            extra = WRITERS[kind](out, count)
        else:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        out.flush()
    return {"kind": kind, "count": count, "frames": out.frames, "bytes": out.bytes, **extra}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument(
        "--count", type=int, required=True, help="interfaces, sections or SMB connections"
    )
    ap.add_argument(
        "--packets",
        type=int,
        default=1000,
        help="packets after the interfaces (--kind interfaces only)",
    )
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    meta = generate(args.kind, args.count, args.output, args.packets)
    print(" ".join(f"{k}={v}" for k, v in meta.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
