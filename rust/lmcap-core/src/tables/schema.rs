//! The one place that declares every table lmcap produces: column names, Arrow types,
//! meaning and when a value is null. `docs/schema.md` is generated from here
//! (`lmcap schema --markdown`) and a test fails when it falls behind.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub struct Column {
    pub name: &'static str,
    pub data_type: DataType,
    pub nullable: bool,
    pub meaning: &'static str,
    pub null_when: &'static str,
}

pub struct TableDef {
    pub name: &'static str,
    pub meaning: &'static str,
    pub columns: Vec<Column>,
}

impl TableDef {
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }
}

fn col(name: &'static str, data_type: DataType, meaning: &'static str) -> Column {
    Column {
        name,
        data_type,
        nullable: false,
        meaning,
        null_when: "never",
    }
}

fn opt(
    name: &'static str,
    data_type: DataType,
    meaning: &'static str,
    null_when: &'static str,
) -> Column {
    Column {
        name,
        data_type,
        nullable: true,
        meaning,
        null_when,
    }
}

pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
}

fn utf8_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

use DataType::{Boolean, UInt16, UInt32, UInt64, UInt8, Utf8};

const NOT_IP: &str = "the frame has no decoded IPv4/IPv6 header";
const NOT_TCP: &str = "the frame has no decoded TCP header";
const NOT_ICMP: &str = "the frame has no decoded ICMP/ICMPv6 header";
const NOT_ERROR_QUOTE: &str = "not an ICMP error, or the quoted header is cut";

pub fn packets() -> TableDef {
    TableDef {
        name: "packets",
        meaning: "One row per frame read from the capture files, in time order across files. Rows out equal frames in: a frame that cannot be decoded still has its row, with `decode_status` saying why.",
        columns: vec![
            col("frame_number", UInt64, "1-based frame number across all input files, in merged time order (equals tshark's frame.number for one file)"),
            col("file_index", UInt32, "0-based index of the input file in the order given"),
            col("interface_id", UInt32, "pcapng interface id, numbered across all sections of the file; 0 for pcap"),
            opt("link_type", UInt16, "LINKTYPE_ value of the frame's interface (1 Ethernet, 113 SLL, 276 SLL2, 101 raw IP, 0 BSD loopback...)", "a pcapng packet names an interface that was never described"),
            opt("timestamp", timestamp_type(), "capture time, nanoseconds since the epoch, UTC", "the timestamp does not fit (pcapng values past year 2262) or the block has none (Simple Packet Block)"),
            col("cap_len", UInt32, "bytes captured (after snaplen cut)"),
            col("wire_len", UInt32, "bytes the frame had on the wire (original length)"),
            col("truncated", Boolean, "cap_len < wire_len: the snaplen cut this frame"),
            col("decode_status", dictionary_type(), "why decoding stopped where it did: `ok`, `truncated_<layer>`, `unknown_ethertype`, `bad_ipv4_header_length`... (full list in docs/schema.md)"),
            opt("src_mac", Utf8, "Ethernet source MAC, lower-case colon form; for Linux cooked captures the link-layer source when it is a MAC", "no Ethernet header (raw IP, loopback, or a non-MAC cooked address)"),
            opt("dst_mac", Utf8, "Ethernet destination MAC", "no Ethernet header"),
            opt("dst_mac_kind", dictionary_type(), "how a switch forwards it: `unicast`, `broadcast`, `multicast`, `nlb_unicast` (02:bf:VIP), `nlb_multicast` (03:bf:VIP), `nlb_igmp_multicast` (01:00:5e:7f:x:y)", "no Ethernet header"),
            opt("vlan_id", UInt16, "outermost VLAN id (802.1Q or 802.1ad S-tag)", "the frame is untagged"),
            opt("inner_vlan_id", UInt16, "second VLAN id (the C-tag of QinQ)", "fewer than two tags"),
            opt("vlan_pcp", UInt8, "priority code point of the outermost tag", "the frame is untagged"),
            col("vlan_tags", UInt8, "number of VLAN tags (0 untagged, 2 QinQ)"),
            opt("ethertype", UInt16, "ethertype after the VLAN tags (or implied by the link type: 0x0800/0x86dd for raw IP and loopback)", "the link header is cut, the link type is unknown, or the frame is 802.3/LLC"),
            opt("l3_len", UInt32, "bytes of the network-layer packet on the wire: wire_len minus the link header and VLAN tags. The size an MTU limits; the size classes (standard <=1500, jumbo 1501-9000, oversize >9000) use it", "the link header could not be decoded"),
            opt("ip_version", UInt8, "4 or 6", NOT_IP),
            opt("src_ip", Utf8, "source IP address (IPv6 in RFC 5952 form)", NOT_IP),
            opt("dst_ip", Utf8, "destination IP address", NOT_IP),
            opt("ip_proto", UInt8, "transport protocol number (IPv6: after the extension headers)", NOT_IP),
            opt("ip_len", UInt32, "IP packet length the header states (IPv4 total length; IPv6 40 + payload length or the jumbogram length)", "no IP header, or the length field is 0 (TSO/BIG TCP super-segments captured on the host)"),
            opt("ip_header_len", UInt16, "IP header bytes, IPv4 options and IPv6 extension headers included", NOT_IP),
            opt("ttl", UInt8, "IPv4 TTL or IPv6 hop limit", NOT_IP),
            opt("dscp", UInt8, "DSCP (upper 6 bits of TOS / traffic class)", NOT_IP),
            opt("ecn", UInt8, "ECN bits (3 = congestion experienced)", NOT_IP),
            opt("ip_id", UInt32, "IPv4 identification, or the IPv6 fragment header's identification", "no IPv4 header and no IPv6 fragment header"),
            opt("df", Boolean, "IPv4 Don't Fragment flag", "not IPv4"),
            opt("mf", Boolean, "More Fragments flag (IPv4 flag or IPv6 fragment header M bit)", "no IPv4 header and no IPv6 fragment header"),
            opt("frag_offset", UInt32, "fragment offset in bytes (as tshark's ip.frag_offset)", "no IPv4 header and no IPv6 fragment header"),
            opt("is_fragment", Boolean, "part of a fragmented datagram: MF set or offset > 0 (an IPv6 atomic fragment is not)", NOT_IP),
            opt("src_port", UInt16, "TCP/UDP source port", "no decoded TCP/UDP header"),
            opt("dst_port", UInt16, "TCP/UDP destination port", "no decoded TCP/UDP header"),
            opt("tcp_flags", UInt16, "TCP flags as tshark's tcp.flags: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80, AE 0x100", NOT_TCP),
            opt("tcp_seq", UInt32, "raw sequence number", NOT_TCP),
            opt("tcp_ack", UInt32, "raw acknowledgement number", NOT_TCP),
            opt("tcp_window", UInt16, "raw window field (not scaled)", NOT_TCP),
            opt("tcp_mss", UInt16, "MSS option value (SYN segments)", "no MSS option"),
            opt("tcp_wscale", UInt8, "window scale option shift count", "no window scale option"),
            opt("tcp_sack_permitted", Boolean, "SACK-permitted option present", NOT_TCP),
            opt("tcp_sack_blocks", UInt8, "number of SACK blocks in the segment", NOT_TCP),
            opt("payload_len", UInt32, "transport payload bytes as the headers state them (TCP segment data, UDP data, ICMP body; for later IP fragments the fragment data), regardless of the snaplen", "no IP header, or the headers could not be decoded far enough"),
            opt("icmp_type", UInt8, "ICMP or ICMPv6 type (ip_proto tells which)", NOT_ICMP),
            opt("icmp_code", UInt8, "ICMP or ICMPv6 code", NOT_ICMP),
            opt("icmp_id", UInt16, "echo request/reply identifier", "not an echo request or reply"),
            opt("icmp_seq", UInt16, "echo request/reply sequence number", "not an echo request or reply"),
            opt("icmp_next_hop_mtu", UInt32, "next-hop MTU of ICMP fragmentation-needed (type 3 code 4) or ICMPv6 Packet Too Big", "any other ICMP message"),
            opt("icmp_quoted_src_ip", Utf8, "source address of the packet an ICMP error quotes", NOT_ERROR_QUOTE),
            opt("icmp_quoted_dst_ip", Utf8, "destination address of the quoted packet", NOT_ERROR_QUOTE),
            opt("icmp_quoted_proto", UInt8, "protocol of the quoted packet", NOT_ERROR_QUOTE),
            opt("icmp_quoted_src_port", UInt16, "source port of the quoted TCP/UDP header", "no quoted TCP/UDP ports"),
            opt("icmp_quoted_dst_port", UInt16, "destination port of the quoted TCP/UDP header", "no quoted TCP/UDP ports"),
            opt("icmp_quoted_ip_len", UInt32, "length the quoted packet's IP header states: the size that did not fit", NOT_ERROR_QUOTE),
            opt("icmp_quoted_ip_id", UInt32, "IPv4 identification (or IPv6 fragment id) of the quoted packet: ties a reassembly time-exceeded to its datagram", "not an ICMP error, or the quoted header has no id"),
            opt("igmp_type", UInt8, "IGMP message type (0x11 query, 0x12 v1 report, 0x16 v2 report, 0x17 leave, 0x22 v3 report)", "not IGMP"),
            opt("igmp_version", UInt8, "IGMP version, told apart as RFC 3376 section 7.1 says", "not IGMP"),
            opt("igmp_group", Utf8, "group address of a v1/v2 message or v3 query (0.0.0.0 for general queries); v3 reports list theirs in `igmp_records`", "not IGMP, or an IGMPv3 report"),
            opt("arp_opcode", UInt16, "ARP/RARP opcode (1 request, 2 reply, 3/4 RARP); details in the `arp` table", "not ARP"),
        ],
    }
}

pub fn arp() -> TableDef {
    TableDef {
        name: "arp",
        meaning: "One row per Ethernet/IPv4 ARP or RARP packet; join to `packets` on frame_number.",
        columns: vec![
            col("frame_number", UInt64, "frame the packet is in"),
            opt(
                "timestamp",
                timestamp_type(),
                "capture time",
                "the frame has no timestamp",
            ),
            opt("vlan_id", UInt16, "outermost VLAN id", "untagged"),
            opt("src_mac", Utf8, "Ethernet source MAC", "no Ethernet header"),
            opt(
                "dst_mac",
                Utf8,
                "Ethernet destination MAC",
                "no Ethernet header",
            ),
            col(
                "opcode",
                UInt16,
                "1 request, 2 reply, 3 RARP request, 4 RARP reply",
            ),
            col("sender_mac", Utf8, "sender hardware address"),
            col("sender_ip", Utf8, "sender protocol address"),
            col("target_mac", Utf8, "target hardware address"),
            col("target_ip", Utf8, "target protocol address"),
            col(
                "gratuitous",
                Boolean,
                "sender IP equals target IP (RFC 5227 announcement), request or reply form",
            ),
            col(
                "probe",
                Boolean,
                "request from sender IP 0.0.0.0 (RFC 5227 address-conflict probe)",
            ),
        ],
    }
}

pub fn igmp_records() -> TableDef {
    TableDef {
        name: "igmp_records",
        meaning: "One row per IGMP v1/v2 message or v3 query, and one per group record of an IGMPv3 report; join to `packets` on frame_number.",
        columns: vec![
            col("frame_number", UInt64, "frame the message is in"),
            opt("timestamp", timestamp_type(), "capture time", "the frame has no timestamp"),
            opt("vlan_id", UInt16, "outermost VLAN id", "untagged"),
            opt("src_mac", Utf8, "Ethernet source MAC", "no Ethernet header"),
            col("src_ip", Utf8, "the host that sent the message"),
            col("dst_ip", Utf8, "IP destination (224.0.0.1 queries, the group for v2 reports, 224.0.0.22 v3 reports, 224.0.0.2 leaves)"),
            col("version", UInt8, "IGMP version 1, 2 or 3"),
            col("msg_type", UInt8, "IGMP type (0x11, 0x12, 0x16, 0x17, 0x22)"),
            opt("record_type", UInt8, "IGMPv3 record type: 1 MODE_IS_INCLUDE, 2 MODE_IS_EXCLUDE, 3 CHANGE_TO_INCLUDE, 4 CHANGE_TO_EXCLUDE, 5 ALLOW_NEW_SOURCES, 6 BLOCK_OLD_SOURCES", "not a v3 report record"),
            col("action", dictionary_type(), "what it means for membership: `query`, `join`, `leave` (v2 leave, or a v3 IS_IN/TO_IN record with no sources), `block` (v3 BLOCK_OLD_SOURCES), `other`"),
            opt("group", Utf8, "the group concerned", "a general query (group 0.0.0.0 is null)"),
            col("num_sources", UInt16, "number of sources listed"),
            col("sources", utf8_list(), "source addresses (v3 records and group-and-source-specific queries)"),
            opt("max_resp_code", UInt8, "max response code of queries (tenths of a second for v2)", "not a query"),
        ],
    }
}

pub fn nlb_heartbeats() -> TableDef {
    TableDef {
        name: "nlb_heartbeats",
        meaning: "One row per Windows NLB heartbeat (ethertype 0x886F); join to `packets` on frame_number.",
        columns: vec![
            col("frame_number", UInt64, "frame the heartbeat is in"),
            opt("timestamp", timestamp_type(), "capture time", "the frame has no timestamp"),
            opt("vlan_id", UInt16, "outermost VLAN id", "untagged"),
            opt("src_mac", Utf8, "source MAC (in unicast mode the masked 02:<host id>:<VIP> form)", "no Ethernet header"),
            opt("dst_mac", Utf8, "destination MAC", "no Ethernet header"),
            col("kind", Utf8, "`membership`, `extended`, `reliable` or `unknown` (from the signature)"),
            col("signature", UInt32, "raw signature (0xC0DE01BF membership heartbeat)"),
            col("version", Utf8, "NLB version major.minor"),
            col("host_priority", UInt32, "unique host id (the host priority, 1-32)"),
            col("cluster_ip", Utf8, "cluster virtual IP"),
            col("dedicated_ip", Utf8, "the host's dedicated IP"),
            opt("my_host_id", UInt16, "host id from the membership data", "not a membership heartbeat or cut by the snaplen"),
            opt("default_host_id", UInt16, "default host id", "not a membership heartbeat or cut by the snaplen"),
            opt("convergence_state", UInt16, "convergence state", "not a membership heartbeat or cut by the snaplen"),
            opt("port_rules", UInt16, "number of port rules", "not a membership heartbeat or cut by the snaplen"),
            opt("packets_handled", UInt32, "packets handled counter", "not a membership heartbeat or cut by the snaplen"),
        ],
    }
}

pub fn capture_files() -> TableDef {
    TableDef {
        name: "capture_files",
        meaning: "One row per input file: what it is and whether it was read to its end.",
        columns: vec![
            col("file_index", UInt32, "0-based index in the order given"),
            col("path", Utf8, "path as given (`-` for standard input)"),
            opt("format", Utf8, "`pcap` or `pcapng`", "the format could not be recognised"),
            col("compression", Utf8, "`none`, `gzip` or `zstd`"),
            opt("big_endian", Boolean, "byte order of the file (of its last section for pcapng)", "unknown format"),
            opt("nanosecond", Boolean, "pcap nanosecond magic", "not pcap"),
            opt("snaplen", UInt32, "snaplen of the file (pcapng: of its first interface)", "unknown format or no interface"),
            col("link_types", Utf8, "comma-separated LINKTYPE_ values of its interfaces"),
            col("sections", UInt32, "pcapng sections (0 for pcap)"),
            col("interfaces", UInt32, "interfaces described (1 for pcap)"),
            col("packets", UInt64, "frames read"),
            col("bytes_read", UInt64, "bytes of the (uncompressed) stream consumed"),
            opt("error_kind", Utf8, "why reading stopped early: `cut_short`, `bad_length`, `bad_header`, `unknown_format`, `io_error`, `decompress_error`", "the file was read to its end"),
            opt("error_offset", UInt64, "byte offset (in the uncompressed stream) where reading stopped", "the file was read to its end"),
            opt("error_message", Utf8, "the full error, naming file, offset and reason", "the file was read to its end"),
        ],
    }
}

/// The connection columns shared by the stream tables.
fn endpoint_columns() -> Vec<Column> {
    use DataType::*;
    vec![
        col(
            "src_ip",
            Utf8,
            "sender of the message (IPv4 dotted or IPv6 RFC 5952 text)",
        ),
        col("src_port", UInt16, "sender's TCP port"),
        col("dst_ip", Utf8, "receiver of the message"),
        col("dst_port", UInt16, "receiver's TCP port"),
    ]
}

pub fn smb_pdus() -> TableDef {
    use DataType::*;
    let mut columns = vec![
        col(
            "frame_number",
            UInt64,
            "frame where the message begins (its 4-byte transport header); join to `packets`",
        ),
        opt(
            "timestamp",
            timestamp_type(),
            "capture time of that frame",
            "the frame has no timestamp",
        ),
    ];
    columns.extend(endpoint_columns());
    columns.extend([
        col("protocol", Utf8, "`smb2`, `smb2_encrypted` (transform header: only the session id is readable), `smb2_compressed` or `smb1`"),
        col("message_length", UInt32, "length from the Direct TCP / NetBIOS header: bytes of the whole message (all of a compound chain)"),
        col("compound_index", UInt16, "position in a compound chain (0: first or only message)"),
        col("truncated", Boolean, "the capture does not hold the message's headers and fixed fields entirely (snaplen, missing frames)"),
        opt("is_response", Boolean, "server-to-client (SMB2_FLAGS_SERVER_TO_REDIR; SMB1 reply flag)", "encrypted, or the header was not captured"),
        opt("command", UInt16, "SMB2 command code (SMB1: the command byte)", "encrypted, or the header was not captured"),
        opt("command_name", Utf8, "`negotiate`, `session_setup`, `logoff`, `tree_connect`, `tree_disconnect`, `create`, `close`, `flush`, `read`, `write`, `lock`, `ioctl`, `cancel`, `echo`, `query_directory`, `change_notify`, `query_info`, `set_info`, `oplock_break`, `server_to_client_notification` (SMB1: only `negotiate`)", "no command, or a code the protocol does not define"),
        opt("status", UInt32, "NT status of a response (0 success, 0xC0000016 more processing required)", "a request, or no header"),
        opt("flags", UInt32, "SMB2 header flags (0x1 response, 0x2 async, 0x4 related, 0x8 signed)", "not SMB2, or no header"),
        opt("message_id", UInt64, "SMB2 message id (pairs a request with its response on one connection)", "not SMB2, or no header"),
        opt("async_id", UInt64, "async id of an async response", "a sync message"),
        opt("tree_id", UInt32, "tree id of a sync message", "an async message, not SMB2, or no header"),
        opt("session_id", UInt64, "SMB2 session id (the transform header's for encrypted messages); the same id on several connections is one multichannel session", "SMB1, or no header"),
        opt("credit_charge", UInt16, "credits this message costs", "not SMB2, or no header"),
        opt("credits", UInt16, "credits requested (request) or granted (response)", "not SMB2, or no header"),
        opt("dialect", UInt16, "NEGOTIATE: the dialect chosen (response) or the highest offered (request), e.g. 0x0311", "not a NEGOTIATE, or cut"),
        opt("dialect_name", Utf8, "`dialect` as text: `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`, `2.???`", "no dialect"),
        opt("dialects", Utf8, "NEGOTIATE request: every dialect offered, comma-separated (SMB1 negotiate: the dialect strings)", "not a negotiate request"),
        opt("capabilities", UInt32, "NEGOTIATE / SESSION_SETUP capabilities (0x8 multichannel, 0x40 encryption)", "other commands"),
        opt("security_mode", UInt16, "NEGOTIATE / SESSION_SETUP security mode (0x1 signing enabled, 0x2 required)", "other commands"),
        opt("session_setup_flags", UInt8, "SESSION_SETUP request Flags (0x01 binding)", "not a SESSION_SETUP request"),
        opt("binding", Boolean, "SESSION_SETUP request binds this connection to an existing session: a new channel of a multichannel session", "not a SESSION_SETUP request"),
        opt("session_flags", UInt16, "SESSION_SETUP response SessionFlags (0x1 guest, 0x2 null, 0x4 encrypt data)", "not a SESSION_SETUP response"),
        opt("ioctl_code", UInt32, "IOCTL control code (0x001401FC FSCTL_QUERY_NETWORK_INTERFACE_INFO, 0x00140204 validate negotiate)", "not an IOCTL, or an error response"),
        opt("data_length", UInt32, "READ/WRITE: bytes asked for (requests) or moved (responses)", "not a READ/WRITE, or an error response"),
        opt("file_offset", UInt64, "READ/WRITE request file offset", "not a READ/WRITE request"),
        opt("channel", UInt32, "READ/WRITE request Channel: 0 data in the message (TCP), 1/2 SMB Direct RDMA v1 (data moved by RDMA), 3 RDMA transform", "not a READ/WRITE request"),
        opt("share_type", UInt8, "TREE_CONNECT response share type: 1 disk, 2 pipe, 3 print", "not a TREE_CONNECT response"),
        opt("tree_path", Utf8, "TREE_CONNECT request path (`\\\\server\\share`)", "not a TREE_CONNECT request, or cut"),
        opt("inner_size", UInt32, "encrypted/compressed messages: size of the message inside", "plain SMB2/SMB1"),
    ]);
    TableDef {
        name: "smb_pdus",
        meaning: "One row per SMB message on TCP 445/139 (each element of a compound chain is a row), framed across TCP segments in capture order. Messages whose start the capture lost are counted in `stream_gaps`.",
        columns,
    }
}

pub fn smb_interfaces() -> TableDef {
    use DataType::*;
    let mut columns = vec![
        col(
            "frame_number",
            UInt64,
            "frame where the IOCTL response begins",
        ),
        opt(
            "timestamp",
            timestamp_type(),
            "capture time",
            "the frame has no timestamp",
        ),
    ];
    columns.extend([
        col("src_ip", Utf8, "the server that answered"),
        col("src_port", UInt16, "its port"),
        col("dst_ip", Utf8, "the client that asked"),
        col("dst_port", UInt16, "its port"),
        col("session_id", UInt64, "session of the IOCTL"),
        col("message_id", UInt64, "message id of the IOCTL response"),
        col("if_index", UInt32, "interface index on the server"),
        col("capability", UInt32, "capability bits (0x1 RSS, 0x2 RDMA)"),
        col(
            "rss_capable",
            Boolean,
            "the interface does receive-side scaling (more than one channel may use it)",
        ),
        col(
            "rdma_capable",
            Boolean,
            "the interface does RDMA (SMB Direct possible)",
        ),
        col(
            "link_speed_bps",
            UInt64,
            "link speed the server advertises, bits/s",
        ),
        opt(
            "address",
            Utf8,
            "interface address",
            "an address family other than IPv4/IPv6",
        ),
    ]);
    TableDef {
        name: "smb_interfaces",
        meaning: "One row per interface listed in an SMB2 FSCTL_QUERY_NETWORK_INTERFACE_INFO response: what the server offers for multichannel.",
        columns,
    }
}

pub fn stream_gaps() -> TableDef {
    use DataType::*;
    let mut columns = vec![
        col("frame_number", UInt64, "frame where the loss was noticed"),
        opt(
            "timestamp",
            timestamp_type(),
            "capture time",
            "the frame has no timestamp",
        ),
    ];
    columns.extend(endpoint_columns());
    columns.extend([
        col("protocol", Utf8, "stream protocol: `smb` or `iwarp`"),
        col("kind", Utf8, "why bytes could not be framed: `gap` (frames missing where a message header was due), `not_captured` (the snaplen cut a message header), `bad_header` (bytes where a message was due are not one), `resync` (bytes skipped until the next message start: after a loss, or when the capture began mid-connection)"),
        col("bytes", UInt64, "bytes of the stream concerned"),
    ]);
    TableDef {
        name: "stream_gaps",
        meaning: "What the stream decoders (SMB, iWARP) could not frame, one row per loss of sync and per resynchronisation: nothing is dropped silently.",
        columns,
    }
}

pub fn rdma_segments() -> TableDef {
    use DataType::*;
    let roce = "not RoCE, or the BTH was not readable";
    let iwarp = "not iWARP";
    TableDef {
        name: "rdma_segments",
        meaning: "One row per RDMA transport segment: each RoCE v1 (ethertype 0x8915) and RoCE v2 (UDP 4791) packet, and each iWARP FPDU on TCP 5445 (framed across segments after the MPA start frames), with the SMB Direct message a Send carries. Queue pairs, PSN gaps (loss), ECN marks and congestion notification packets are read from here (`lmcap/queries/rdma_*.sql`).",
        columns: vec![
            col("frame_number", UInt64, "frame of the packet (iWARP: where the FPDU begins)"),
            opt("timestamp", timestamp_type(), "capture time", "the frame has no timestamp"),
            col("transport", Utf8, "`roce_v1`, `roce_v2` or `iwarp`"),
            col("src", Utf8, "sender: IP address (RoCE v2, iWARP) or source GID (RoCE v1)"),
            col("dst", Utf8, "receiver: IP address or destination GID"),
            opt("src_port", UInt16, "UDP source port (RoCE v2: flow entropy) or TCP port (iWARP)", "RoCE v1"),
            opt("dst_port", UInt16, "UDP 4791 or the iWARP TCP port", "RoCE v1"),
            opt("ecn", UInt8, "ECN bits of the IP header (RoCE v1: of the GRH traffic class); 3 = congestion experienced", "iWARP"),
            col("status", Utf8, "`ok`, `truncated` (the BTH or GRH was cut by the snaplen), `bad_grh`, `bad_bth` (transport version not 0), `bad_length` (the length cannot hold the headers), `bad_fpdu` (iWARP: DDP/RDMAP version not 1)"),
            opt("opcode", UInt8, "BTH opcode (RoCE) or RDMAP opcode (iWARP)", "not readable"),
            opt("opcode_name", Utf8, "RoCE: `rc_send_only`, `rc_rdma_write_first`, `rc_acknowledge`, `cnp`, ... ; iWARP: `rdma_write`, `rdma_read_request`, `rdma_read_response`, `send`, `send_invalidate`, `send_se`, `send_se_invalidate`, `terminate`", "unknown or unreadable opcode"),
            opt("dest_qp", UInt32, "destination queue pair (24 bits)", roce),
            opt("psn", UInt32, "packet sequence number (24 bits); a jump on a queue pair is loss", roce),
            opt("ack_request", Boolean, "BTH AckReq", roce),
            opt("solicited", Boolean, "BTH solicited event", roce),
            opt("pkey", UInt16, "partition key", roce),
            col("is_cnp", Boolean, "RoCE v2 congestion notification packet (opcode 0x81): the receiver saw ECN marks and asks the sender to slow down"),
            opt("payload_len", UInt32, "data bytes carried (after headers; before pad and ICRC/CRC)", "the length could not be worked out"),
            opt("dma_length", UInt32, "RETH DMA length: bytes of the whole RDMA WRITE or READ", "no RETH"),
            opt("rkey", UInt32, "RETH R_Key (RoCE) or STag (iWARP tagged)", "no RETH / untagged"),
            opt("remote_offset", UInt64, "RETH virtual address (RoCE) or tagged offset (iWARP)", "no RETH / untagged"),
            opt("aeth_syndrome", UInt8, "AETH syndrome of an acknowledge (0x00-0x1F ACK, 0x60-0x7F NAK)", "no AETH"),
            opt("msn", UInt32, "message sequence number (RoCE AETH, iWARP untagged)", "none in this segment"),
            opt("queue_number", UInt32, "iWARP untagged queue number (0 send, 1 read request, 2 terminate)", iwarp),
            opt("message_offset", UInt32, "iWARP untagged message offset", iwarp),
            opt("last", Boolean, "iWARP DDP Last flag", iwarp),
            opt("smbd_kind", Utf8, "SMB Direct message in a Send: `negotiate_request`, `negotiate_response`, `data_transfer` (MS-SMBD 2.2)", "not the start of a Send, or not SMB Direct"),
            opt("smbd_data_length", UInt32, "SMB Direct data transfer DataLength (bytes of SMB2 message carried)", "not a data transfer"),
        ],
    }
}

pub fn flows() -> TableDef {
    use DataType::*;
    let tcp = "not TCP, or no SYN/SYN-ACK from that side carried the option";
    TableDef {
        name: "flows",
        meaning: "One row per TCP connection (handshake seen or not) and per UDP flow: frames of protocol 6/17 with ports (not later IP fragments), grouped by protocol and the unordered pair of endpoints (a 4-tuple reused for a new connection stays one row), built in the scan. The client is the sender of the first SYN, else the receiver of the first SYN-ACK, else the endpoint with the higher port (the first sender on a tie). Ordered and numbered by start time, then the endpoints as text, then the protocol. `python/lmcap/queries/flows.sql` computes the same table in SQL over `packets`: it is the specification, and a test compares the two on every capture.",
        columns: vec![
            col("flow_id", Int64, "1-based number in the table's order: by start time, except that flows written out early by the flow map's bounds (see `resumed`) come first, in the order written"),
            col("proto", Utf8, "`tcp` or `udp`"),
            col("class", Utf8, "`live-migration-tcp` (server port 6600), `smb` (445), `smb-direct-iwarp` (5445), `roce-v2` (UDP 4791 either side), `cluster-heartbeat` (UDP 3343 either side), `other`"),
            col("client", Utf8, "client endpoint, `ip:port` (`[ip]:port` for IPv6)"),
            col("server", Utf8, "server endpoint"),
            col("client_ip", Utf8, "client address"),
            col("client_port", UInt16, "client port"),
            col("server_ip", Utf8, "server address"),
            col("server_port", UInt16, "server port"),
            opt("vlan", UInt16, "outermost VLAN id of the first tagged frame", "no frame of the flow is tagged"),
            opt("start_ns", Int64, "first capture time, nanoseconds since the epoch", "no frame of the flow has a timestamp"),
            opt("end_ns", Int64, "last capture time", "no frame of the flow has a timestamp"),
            opt("duration_s", Float64, "end_ns - start_ns in seconds", "no frame of the flow has a timestamp"),
            col("packets_c2s", Int64, "frames client to server"),
            col("packets_s2c", Int64, "frames server to client"),
            col("wire_bytes_c2s", Int64, "wire_len summed, client to server"),
            col("wire_bytes_s2c", Int64, "wire_len summed, server to client"),
            col("payload_bytes_c2s", Int64, "payload_len summed, client to server (retransmissions included)"),
            col("payload_bytes_s2c", Int64, "payload_len summed, server to client"),
            col("unique_bytes_c2s", Int64, "TCP: span of sequence space the client's data covered (sequence numbers relative to the direction's first, unwrapped past 4 GiB); UDP: payload_bytes_c2s"),
            col("unique_bytes_s2c", Int64, "the same, server to client"),
            col("retrans_bytes_c2s", Int64, "TCP: payload_bytes_c2s - unique_bytes_c2s, at least 0 (bytes sent more than once); UDP: 0"),
            col("retrans_bytes_s2c", Int64, "the same, server to client"),
            col("resets_by_client", Int64, "TCP segments with RST from the client"),
            col("resets_by_server", Int64, "TCP segments with RST from the server"),
            col("fin_c2s", Int64, "TCP segments with FIN from the client"),
            col("fin_s2c", Int64, "TCP segments with FIN from the server"),
            col("syn_seen", Boolean, "a SYN or SYN-ACK was captured (roles come from the handshake, not the port rule)"),
            opt("client_mss", UInt16, "highest MSS option on the client's SYN segments", tcp),
            opt("server_mss", UInt16, "highest MSS option on the server's SYN-ACK segments", tcp),
            opt("client_wscale", UInt8, "highest window scale option on the client's SYN segments", tcp),
            opt("server_wscale", UInt8, "highest window scale option on the server's SYN-ACK segments", tcp),
            col("zero_windows_by_client", Int64, "client segments advertising a zero window (not SYN, FIN or RST)"),
            col("zero_windows_by_server", Int64, "server segments advertising a zero window"),
            opt("handshake_rtt_ms", Float64, "earliest client ACK (without SYN) captured after the server's first SYN-ACK, minus the earliest client SYN, in ms rounded to 3 decimals", "UDP, or no client SYN, server SYN-ACK or client ACK after it (with timestamps)"),
            col("unacked_bytes_c2s", Int64, "TCP: bytes of the client's data beyond the highest acknowledgement the server sent by the end of the capture (acknowledgements unwrapped like sequence numbers, against the client's first sequence number); UDP: 0"),
            col("unacked_bytes_s2c", Int64, "the same, server to client"),
            col("resumed", Boolean, "the flow was written out early (idle in capture time past the idle timeout, or the oldest when the flow map was full; `scan_settings.flows_idle_expired`, `flows_memcap_evicted`) and came back: this row continues an earlier one of the same endpoints"),
        ],
    }
}

pub fn traffic() -> TableDef {
    use DataType::*;
    let no_ip = "the frames have no decoded IPv4/IPv6 header";
    let no_ports =
        "the frames have no decoded TCP/UDP header (not TCP/UDP, or a later IP fragment)";
    TableDef {
        name: "traffic",
        meaning: "Evidence built in the scan: frames and bytes summed per time bucket (`scan_settings.bucket_ns`: the one asked for, 1 s by default; with `bucket_ns=None`, what `lmcap analyze` uses unless given `--bucket`, the scan chooses it: it starts at 1 ms and cuts ten times coarser each time more than 65,536 rows are held, up to 1 s, past which rows stream out), outer VLAN, MAC pair, IP direction (addresses, protocol, ports) and MTU size class. The grain the traffic, frame-size and throughput questions share; it grows with flows x buckets, not with frames. A key can appear in more than one row (a frame that arrives after its bucket was written out, or open rows written early when more than 65,536 were open): always sum over a GROUP BY. `python/lmcap/queries/traffic.sql` computes the same sums in SQL over `packets`: it is the specification, and a test compares the two on every capture.",
        columns: vec![
            opt("bucket_start_ns", Int64, "start of the time bucket, nanoseconds since the epoch (timestamp floored to a multiple of the bucket width)", "the frames have no timestamp"),
            opt("vlan_id", UInt16, "outermost 802.1Q/802.1ad VLAN id", "untagged"),
            opt("src_mac", Utf8, "source MAC", "not an Ethernet-family link layer"),
            opt("dst_mac", Utf8, "destination MAC", "not an Ethernet-family link layer"),
            opt("src_ip", Utf8, "IP source address", no_ip),
            opt("dst_ip", Utf8, "IP destination address", no_ip),
            opt("ip_proto", UInt8, "IP protocol (next header after IPv6 extension headers)", no_ip),
            opt("src_port", UInt16, "TCP/UDP source port", no_ports),
            opt("dst_port", UInt16, "TCP/UDP destination port", no_ports),
            opt("size_class", Utf8, "MTU size class of the network-layer packet (`l3_len`): `standard` (<= 1500), `jumbo` (1501-9000), `oversize` (> 9000)", "no network layer located (`l3_len` null)"),
            col("frames", Int64, "frames"),
            col("wire_bytes", Int64, "wire_len summed"),
            col("captured_bytes", Int64, "cap_len summed"),
            col("truncated_frames", Int64, "frames cut by the snap length (cap_len < wire_len)"),
            col("payload_bytes", Int64, "payload_len summed (0 where null)"),
            col("payload_frames", Int64, "frames with payload_len > 0"),
            col("payload_wire_bytes", Int64, "wire_len summed over the frames with payload_len > 0"),
            col("over_switch_max", Int64, "frames whose wire_len exceeds the scan's `switch_max_frame` (9216 by default)"),
            col("max_wire_len", UInt32, "largest wire_len"),
            opt("max_l3_len", UInt32, "largest l3_len", "no network layer located"),
            opt("max_tcp_mss", UInt16, "highest TCP MSS option seen", "no frame carried one"),
            opt("first_ns", Int64, "earliest timestamp, nanoseconds since the epoch", "the frames have no timestamp"),
            opt("last_ns", Int64, "latest timestamp", "the frames have no timestamp"),
            col("first_frame", UInt64, "lowest frame_number"),
            opt("link_type", UInt16, "link-layer header type of the frames' interface (part of the grain)", "the frames' interface was never described"),
            col("fit_payload_frames", Int64, "frames with payload_len > 0 whose l3_len fits the switch (at most the scan's `switch_max_frame`)"),
            col("fit_payload_wire_bytes", Int64, "wire_len summed over those frames"),
            opt("fit_payload_max_l3_len", UInt32, "largest l3_len among those frames", "no such frame"),
            opt("truncated_max_wire_len", UInt32, "largest wire_len among the frames the snap length cut", "no frame was cut"),
            opt("truncated_max_cap_len", UInt32, "largest cap_len among them", "no frame was cut"),
            opt("truncated_first_frame", UInt64, "the first of them", "no frame was cut"),
        ],
    }
}

pub fn tcp_resends() -> TableDef {
    use DataType::*;
    TableDef {
        name: "tcp_resends",
        meaning: "Evidence built in the scan: one row per TCP data segment that sends sequence space its direction had already sent (a retransmission, or a segment reordered before the capture point), in frame order. Whether an earlier segment seen here covered its first byte says where the original was lost: after the capture point (downstream) or before it (upstream). Grows with retransmissions, not frames. IP fragments are left out. `python/lmcap/queries/spec/tcp_loss_sides.sql` is the packet-level specification of what is read from it; a test compares the answers on every capture.",
        columns: vec![
            col("src_ip", Utf8, "sender address"),
            col("src_port", UInt16, "sender port"),
            col("dst_ip", Utf8, "receiver address"),
            col("dst_port", UInt16, "receiver port"),
            opt("vlan_id", UInt16, "outermost VLAN id", "untagged"),
            col("frame_number", UInt64, "the re-sent segment's frame"),
            opt("timestamp_ns", Int64, "its time, nanoseconds since the epoch", "the frame has no timestamp"),
            col("tcp_seq", UInt32, "raw sequence number"),
            col("rel_seq", Int64, "sequence offset from the direction's first segment, unwrapped (beyond 4 GB it keeps counting)"),
            col("payload_len", UInt32, "TCP payload bytes"),
            opt("l3_len", UInt32, "bytes of the network-layer packet", "no network layer located"),
            col("original_seen", Boolean, "an earlier segment seen here covered this one's first byte: the original passed the capture point and was lost after it (downstream); false: it never passed here (lost upstream, or the capture dropped it)"),
        ],
    }
}

pub fn tcp_unacked_resends() -> TableDef {
    use DataType::*;
    TableDef {
        name: "tcp_unacked_resends",
        meaning: "Evidence built in the scan: one row per TCP data segment (direction and sequence offset) that was sent at least twice and that no acknowledgement covered by the end of the capture, with the largest frame of its direction that demonstrably got through (frames without data, and data the receiver acknowledged) and the first reset of the connection after it. How an MTU black hole looks from the sender: small frames pass, a big one is sent again and again. Grows with such segments, not frames. `python/lmcap/queries/spec/mtu_blackhole.sql` is the packet-level specification of what is read from it; a test compares the answers on every capture.",
        columns: vec![
            col("src_ip", Utf8, "sender address"),
            col("src_port", UInt16, "sender port"),
            col("dst_ip", Utf8, "receiver address"),
            col("dst_port", UInt16, "receiver port"),
            opt("vlan_id", UInt16, "outermost VLAN id of the first send", "untagged"),
            col("tcp_seq", UInt32, "raw sequence number"),
            col("rel_seq", Int64, "sequence offset from the direction's first segment, unwrapped"),
            col("payload_len", UInt32, "largest TCP payload among the sends"),
            opt("l3_len", UInt32, "largest network-layer packet among the sends", "no network layer located"),
            col("sends", Int64, "times the segment was sent (seen here)"),
            col("first_frame", UInt64, "frame of the first send"),
            col("last_frame", UInt64, "frame of the last send"),
            opt("first_ns", Int64, "time of the first send, nanoseconds since the epoch", "no timestamp"),
            opt("last_ns", Int64, "time of the last send", "no timestamp"),
            opt("largest_passed_l3_len", UInt32, "largest network-layer packet of the direction that got through (no data, or acknowledged data)", "nothing of the direction demonstrably got through"),
            opt("rst_by", Utf8, "address that sent the connection's first reset at or after the first send", "no reset followed"),
            opt("rst_frame", UInt64, "frame of that reset", "no reset followed"),
        ],
    }
}

pub fn tcp_oversize_segments() -> TableDef {
    use DataType::*;
    TableDef {
        name: "tcp_oversize_segments",
        meaning: "Evidence built in the scan: per TCP direction that sent any, the data segments larger than the wire could carry: a network-layer packet above the scan's `switch_max_frame`, IPv4 total length 0, or more payload than the highest MSS any peer announced to the sender (on SYN or SYN-ACK segments before it; per host, so a connection whose handshake the capture missed is judged too). A capture taken on a host with segmentation offload (TSO/GSO, or GRO on the receiver) shows these; on the wire they were cut into MSS-sized segments. `python/lmcap/queries/spec/mtu_capture_offload.sql` is the packet-level specification of what is read from it.",
        columns: vec![
            col("src_ip", Utf8, "sender address"),
            col("src_port", UInt16, "sender port"),
            col("dst_ip", Utf8, "receiver address"),
            col("dst_port", UInt16, "receiver port"),
            col("segments", Int64, "oversize data segments"),
            opt("first_frame", UInt64, "the first of them", "never"),
            opt("max_l3_len", UInt32, "largest network-layer packet among them", "no network layer located"),
            col("max_payload_len", UInt32, "largest TCP payload among them"),
            opt("peer_mss", UInt16, "highest MSS any peer announced to the sender", "no SYN or SYN-ACK to the sender carried one"),
        ],
    }
}

pub fn ipv4_claim_runs() -> TableDef {
    use DataType::*;
    TableDef {
        name: "ipv4_claim_runs",
        meaning: "Evidence built in the scan: who claimed each IPv4 address over time, as runs of consecutive claims by one MAC on one VLAN. A claim is an ARP request or reply with that sender address (not 0.0.0.0; sender MAC not all zeros or broadcast) or an IPv4 frame sent from the address with that source MAC. One row per change of owner, not per frame. Past 4,096 runs of one address, or 1,048,576 over all addresses, the runs of MACs that have not (yet) claimed the address in ARP are dropped and neighbours joined (then the oldest dropped), counted in `scan_settings.claim_runs_dropped`; past 262,144 addresses, further ones are counted, not followed (`claims_untracked`). `python/lmcap/queries/spec/arp_claim_runs.sql` is the packet-level specification of what is read from it.",
        columns: vec![
            col("ip", Utf8, "the claimed address"),
            col("mac", Utf8, "the claiming MAC (ARP sender MAC, or the frame's source MAC)"),
            opt("vlan", UInt16, "outermost VLAN id", "untagged"),
            col("run", Int64, "1, 2, ... in time order per address"),
            col("start_ns", Int64, "first claim of the run, nanoseconds since the epoch"),
            col("end_ns", Int64, "last claim of the run"),
            col("claims", Int64, "claims in the run (ARP and IPv4 frames)"),
            col("arp_claims", Int64, "ARP claims in the run"),
            col("first_frame", UInt64, "first frame of the run"),
            col("last_frame", UInt64, "last frame of the run"),
            opt("garp_frame", UInt64, "first gratuitous ARP of the run", "none"),
            opt("garp_ns", Int64, "its time", "none"),
            col("arp_frames", List(Arc::new(Field::new("item", UInt64, true))), "the first 10 ARP frames of the run"),
        ],
    }
}

/// Every table, in the order the documentation lists them.
pub fn all_tables() -> Vec<TableDef> {
    vec![
        packets(),
        arp(),
        igmp_records(),
        nlb_heartbeats(),
        smb_pdus(),
        smb_interfaces(),
        stream_gaps(),
        rdma_segments(),
        flows(),
        traffic(),
        tcp_resends(),
        tcp_unacked_resends(),
        tcp_oversize_segments(),
        ipv4_claim_runs(),
        capture_files(),
    ]
}

/// `docs/schema.md`, generated.
pub fn markdown() -> String {
    use crate::decode::StopReason;
    let mut s = String::from(
        "# lmcap tables\n\n<!-- Generated by `lmcap schema --markdown` from rust/lmcap-core/src/tables/schema.rs. Do not edit by hand: a test compares this file with the declaration. -->\n\nEvery table is an Arrow table; `lmcap.connect()` registers each under its name in DuckDB. Names and types are a contract: columns are added, never renamed.\n",
    );
    for t in all_tables() {
        s.push_str(&format!(
            "\n## `{}`\n\n{}\n\n| column | type | meaning | null when |\n|---|---|---|---|\n",
            t.name, t.meaning
        ));
        for c in &t.columns {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                type_name(&c.data_type),
                c.meaning.replace('|', "\\|"),
                if c.nullable { c.null_when } else { "never" }
            ));
        }
    }
    s.push_str(
        "\n## Derived tables\n\n`lmcap.connect()` also makes `detail_frames`, with the columns of `packets`: with `packets=\"detail\"` (what `lmcap analyze` uses) the only rows of `packets` loaded, the frames the diagnostics still read one by one (ARP, IGMP, ICMP, fragments, flooded frames, TCP handshakes and resets, offload super-segments, frames a decoder stopped on, and the first 20 frames of each hour in each chunk of the scan; of the frames nothing could be decoded from (empty records, bytes ending inside the link header) only the first 20 per decode status in each chunk; see docs/architecture.md), and otherwise a view of all of `packets`. It builds, in SQL over the tables above: `flooded_frames` (every frame a switch floods, with its kind; `python/lmcap/queries/flooded_frames.sql`), `analysis_window` (the stretch of time rates are measured over, outlying timestamps left out; `python/lmcap/queries/analysis_window.sql`) and `frag_datagrams` (every fragmented IP datagram, seen whole or not; `python/lmcap/queries/frag_datagrams.sql`); and it writes `scan_settings`, one row saying how the scan was cut and filtered (`bucket_ns` (the width `traffic` was cut at), `bucket_auto` (the scan chose it), `switch_max_frame`, the filter's `since_ns`, `until_ns`, `since_offset_s`, `until_offset_s`, `vlans`, `hosts`, `frames_filtered`, `traffic_cap_flushes`, `out_of_order_frames` and `first_out_of_order_frame` (frames stamped earlier than the one before them in their file), `missing_timestamp_frames` and `first_missing_timestamp_frame`, `decode_status_frames` (every frame counted per `decode_status`: a list of `{decode_status, frames}`), and what the bounds of the evidence dropped: `tcp_open_evicted`, `tcp_cover_evicted`, `tcp_resets_dropped`, `claim_runs_dropped`, `claims_untracked`, `flows_memcap_evicted` (flows written out early because the flow map was full), `flows_resumed` (rows marked `resumed`), `flows_evicted_forgotten`, `mss_hosts_untracked`, `stream_directions_untracked` (frames of SMB/iWARP connections not framed: too many open), `stream_heads_cut` (SMB/iWARP messages decoded from their first bytes only: the heads being collected held 64 MiB over all connections); and what the idle timeouts in capture time closed, which loses nothing: `flows_idle_expired`, `stream_directions_expired`). (`flows` and `traffic` are built in the scan; `python/lmcap/queries/flows.sql` and `traffic.sql` are their specifications in SQL; the other evidence tables answer the packet-level queries kept in `python/lmcap/queries/spec/`.)\n",
    );
    s.push_str("\n## `decode_status` values\n\n| value | meaning |\n|---|---|\n");
    for r in StopReason::ALL {
        s.push_str(&format!("| `{}` | {} |\n", r.name(), r.description()));
    }
    s
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Timestamp(TimeUnit::Nanosecond, Some(tz)) => format!("timestamp[ns, {tz}]"),
        DataType::Dictionary(_, _) => "dictionary<int8, utf8>".into(),
        DataType::List(f) => format!("list<{}>", type_name(f.data_type())),
        DataType::Utf8 => "utf8".into(),
        DataType::Boolean => "bool".into(),
        other => format!("{other}").to_lowercase(),
    }
}
