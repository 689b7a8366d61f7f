"""Deliberate differences between lmcap and tshark, each with its reason.

Used by test_public_corpus.py and test_oracle_tshark.py. Anything listed here is a
difference we have looked at and accept; a difference we believe is an lmcap bug is NOT
listed here but marked xfail(strict=True) in the test, so the test flips when it is fixed.
"""

# decode_status -> layers lmcap does not report because it stopped on a check tshark does
# not make (tshark dissects the layer anyway). Only an lmcap *null* for these layers is
# excused; a value that differs is still a mismatch.
# Layer names: ipv4, ipv6, arp, tcp, udp, icmp, icmpv6, igmp.
LMCAP_STOPS_TSHARK_IGNORES: dict[str, set[str]] = {
    # IPv4 total length < IHL*4 (lmcap keeps the readable header's fields and stops) or IPv4/IPv6
    # length > the frame's wire length (lmcap keeps IP, stops before L4). tshark flags
    # "Bogus IP length" / "IPv4 total length exceeds packet length" and, for the latter,
    # still dissects the transport header from the bytes it has.
    "bad_ip_total_length": {"ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "igmp"},
    # version nibble does not match the ethertype / raw link type: tshark decodes it anyway
    # ("Bogus IP version") with the dissector the ethertype/link type names.
    "bad_ip_version": {"ipv4", "ipv6"},
    # IHL < 5: tshark shows the header fields, then stops ("Bogus IP header length").
    "bad_ipv4_header_length": {"ipv4"},
    # the capture ends inside the IP header: tshark shows the fields that fit.
    "truncated_ipv4": {"ipv4"},
    "truncated_ipv6": {"ipv6"},
    # lmcap bounds the extension-header walk (16) and checks each header against the
    # payload length; on a stop it reports no IPv6 layer. tshark walks any number and
    # shows what fits. (Note: the fixed IPv6 header was fine; see the report.)
    # lmcap keeps the fixed IPv6 header and stops before the transport layer.
    "ipv6_ext_chain_too_long": {"ipv6", "tcp", "udp", "icmpv6"},
    "bad_ipv6_ext_header_length": {"ipv6", "tcp", "udp", "icmpv6"},
    # data offset < 5, or a header that runs past the segment although it was captured
    # in full. tshark shows the fixed fields ("bogus TCP header length" / malformed).
    # NOT excused when the data offset is valid and the IPv4 packet is a first fragment
    # (MF=1): the header then simply continues in the next fragment.
    "bad_tcp_header_length": {"tcp"},
    # the capture ends inside the transport header: tshark shows the fields that fit.
    # For TCP only excused when the fixed 20-byte header itself was cut.
    "truncated_tcp": {"tcp"},
    "truncated_udp": {"udp"},
    "truncated_icmp": {"icmp", "icmpv6"},
    "truncated_igmp": {"igmp"},
    "truncated_arp": {"arp"},
    # ARP with hardware/protocol sizes other than 6/4: tshark dissects any sizes.
    "unsupported_arp_format": {"arp"},
}

# tcp.flags in tshark 4.0 is the 12-bit field: the 9 flags plus the 3 reserved bits
# (0x0E00); lmcap's tcp_flags keeps all 12 as well, so nothing is masked.
TCP_FLAGS_MASK = 0x0FFF

# (file, frame or None for every frame, tshark field) -> reason
TSHARK_FRAME_DISAGREEMENTS: dict[tuple, str] = {
    (
        "pcapplusplus/null_loopback.pcap",
        3,
        "network layer",
    ): "LINKTYPE_NULL header 0f 00 08 00 is no address family in either byte order; "
    "tshark's heuristic reads bytes 2-3 as an ethertype (0x0800), lmcap says "
    "unknown_ethertype as the link-type spec (4-byte AF) implies",
}

_SHORT_TOTAL_LENGTH = (
    "IPv4 total length below the header length: tshark shows no IP fields; lmcap keeps the "
    "readable header (addresses, TTL, id, flags) beside decode_status bad_ip_total_length"
)
for _field in (
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.id",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
):
    TSHARK_FRAME_DISAGREEMENTS[("pcapplusplus/ipv4-malformed.pcap", 1, _field)] = (
        _SHORT_TOTAL_LENGTH
    )

_SHORT_DATA_OFFSET = (
    "TCP data offset below 5: tshark stops at the bogus header length and shows only ports "
    "and sequence numbers; lmcap keeps every field it records (flags, ack, window) beside "
    "decode_status bad_tcp_header_length"
)
for _rel, _frames in (
    ("ndpi/ip_fragmented_garbage.pcap", (1, 940)),
    ("captures/malformed/tcp-doff-lt5.pcap", (2,)),
):
    for _frame in _frames:
        for _field in ("tcp.flags", "tcp.ack_raw", "tcp.window_size_value"):
            TSHARK_FRAME_DISAGREEMENTS[(_rel, _frame, _field)] = _SHORT_DATA_OFFSET

# files not compared with tshark at all (rel path -> reason)
TSHARK_SKIP_PUBLIC: dict[str, str] = {}
TSHARK_SKIP_OWN: dict[str, str] = {}

# Differences we believe are lmcap bugs: (file as the test names it, frame) -> reason.
# The test of that file xfails while exactly these frames mismatch, and FAILS once a listed
# frame matches (like xfail(strict=True)), so remove the entry when the bug is fixed.
LMCAP_BUGS: dict[tuple, str] = {}

# pcapng files with Custom Blocks (0x00000BAD / 0x40000BAD): tshark lists each custom block
# as a record ("frame" with protocol `data`/`pcapng` and no interface); lmcap counts only
# packet blocks (EPB/SPB/PB), as the pcapng draft says custom blocks are not packets.
CUSTOM_BLOCK_FILES: dict[str, int] = {
    # rel path -> number of custom blocks tshark lists as frames
    "gopacket/be/test202.pcapng": 3,
    "gopacket/le/test202.pcapng": 3,
    "gopacket/le/test017.pcapng": 4,
    "captures/formats/multi-le.pcapng": 2,
    "captures/formats/multi-be.pcapng": 2,
    "captures/formats/multi-le.pcapng.gz": 2,
    "captures/formats/multi-le.pcapng.zst": 2,
}

# test_public_corpus.py: (file, counter) -> (value lmcap is expected to give, reason)
_FRAG = (
    "the oracle runs tshark with IPv4 reassembly on: it counts a datagram's L4 on the "
    "frame that completes it (and none for datagrams it cannot reassemble); lmcap "
    "decodes L4 from each first fragment (offset 0)"
)
_TUNNEL = "the oracle counts the first TCP/UDP anywhere in the stack; lmcap does not decode "
_BADLEN = (
    "IP total length > wire length: lmcap stops after IP (bad_ip_total_length), tshark "
    "flags it and still dissects the transport header"
)
PUBLIC_COUNT_DISAGREEMENTS: dict[tuple, tuple] = {
    ("libpcap/rarp_req_reply.pcapng", "garp_frames"): (
        0,
        "frame 1 is a RARP request with sender and target IP 0.0.0.0; the oracle counts "
        "sender == target, lmcap's gratuitous excludes 0.0.0.0 (RFC 5227 probe form)",
    ),
    ("tcpdump/arp-oobr.pcap", "garp_frames"): (
        37,
        "frames 148 (hlen 7) and 993 (hlen 14) are not Ethernet/IPv4 ARP: lmcap says "
        "unsupported_arp_format and puts them in no arp row; tshark compares the IPs",
    ),
    ("tcpdump/arp-too-long-tha.pcap", "garp_frames"): (
        0,
        "hardware size 14: unsupported_arp_format in lmcap, no arp row",
    ),
    ("ndpi/6in4tunnel.pcap", "tcp_frames"): (0, _TUNNEL + "6in4 (IP proto 41)"),
    ("ndpi/6in4tunnel.pcap", "udp_frames"): (0, _TUNNEL + "6in4 (IP proto 41)"),
    ("zeek/mixed-vlan-mpls.pcap", "tcp_frames"): (36, _TUNNEL + "MPLS (unknown_ethertype)"),
    ("pcapplusplus/ip4_bad_fragment.pcap", "ipv4_fragment_frames"): (
        0,
        "the only frame is IPv4 over MPLS, which lmcap does not decode",
    ),
    ("ndpi/badpackets.pcap", "udp_frames"): (0, _BADLEN),
    ("tcpdump/ipv4_invalid_total_length.pcap", "udp_frames"): (0, _BADLEN),
    ("tcpdump/LINKTYPE_IPV4_invalid.pcap", "udp_frames"): (
        0,
        "LINKTYPE_IPV4 holding a version-6 packet: lmcap bad_ip_version, tshark decodes",
    ),
    ("pcapplusplus/null_loopback.pcap", "udp_frames"): (
        1,
        "frame 3: non-standard loopback header 0f 00 08 00, see TSHARK_FRAME_DISAGREEMENTS",
    ),
    ("ndpi/fuzz-2006-06-26-2594.pcap", "tcp_frames"): (
        47,
        "fuzzed frames lmcap stops on (bad_ip_total_length, bad_tcp_header_length, "
        "bad_ip_version...; each checked frame by frame in test_oracle_tshark.py)",
    ),
    ("ndpi/fuzz-2006-06-26-2594.pcap", "udp_frames"): (502, "as tcp_frames"),
    ("pcapplusplus/ip4_fragments.pcap", "udp_frames"): (12, _FRAG),
    ("zeek/fragmented-1.pcap", "udp_frames"): (2, _FRAG),
    ("zeek/fragmented-2.pcap", "udp_frames"): (2, _FRAG),
    ("zeek/fragmented-3.pcap", "tcp_frames"): (1, _FRAG),
}

# test_public_corpus.py: (file, counter) -> reason; lmcap bugs, the file's test xfails strictly
PUBLIC_COUNT_BUGS: dict[tuple, str] = {}
