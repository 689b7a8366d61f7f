//! Why a header or a frame could not be decoded further: [`Stop`] for one header's parser,
//! [`StopReason`] for the frame (the `decode_status` column). Declared here, at the bottom of
//! the layers, so that every protocol file can name its own reasons without depending on the
//! decoder above it.

/// Why a header could not be read from the bytes at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The captured bytes end inside the header (snaplen or a short frame).
    Truncated,
    /// A length or version field contradicts the bytes around it.
    Malformed(StopReason),
    /// A message inside a TCP stream (iWARP, SMB Direct) is not what its header claims. Per
    /// message, not per frame: no `decode_status` carries it (a frame can hold several
    /// messages, or a piece of one); the stream tables' rows say so in their own `status`.
    BadMessage(MessageFault),
}

/// What is wrong with a message a stream protocol's parser was handed (see
/// [`Stop::BadMessage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFault {
    /// 16 bytes that are neither MPA key (RFC 5044 §7.1).
    NotMpaStart,
    /// An MPA start frame's PD_Length above 512.
    BadMpaPrivateDataLength,
    /// An FPDU's ULPDU_Length shorter than the DDP header it announces.
    BadUlpduLength,
    /// DDP version not 1 (the stream is likely out of step).
    BadDdpVersion,
    /// RDMAP version not 1.
    BadRdmapVersion,
    /// An SMB Direct data transfer whose DataOffset points into its own header or whose data
    /// runs past the message.
    BadSmbdDataOffset,
}

macro_rules! stop_reasons {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// Why decoding of a frame stopped where it did: the `decode_status` column. The names
        /// are a contract (reports and scripts match on them): add, never rename.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #[repr(u8)]
        pub enum StopReason {
            #[default]
            $($variant,)*
        }

        impl StopReason {
            pub const ALL: &'static [StopReason] = &[$(StopReason::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(StopReason::$variant => $name,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(StopReason::$variant => $doc,)* }
            }
        }
    };
}

stop_reasons! {
    Ok => "ok", "every layer lmcap knows in this frame was decoded";
    EmptyFrame => "empty_frame", "the record holds no bytes at all";
    UnknownLinkType => "unknown_link_type", "the capture's link type is not one lmcap decodes (the frame is still counted)";
    UnknownInterface => "unknown_interface", "a pcapng packet names an interface no Interface Description Block described";
    UnknownEthertype => "unknown_ethertype", "the link layer was decoded; its ethertype (or loopback family) is not one lmcap decodes";
    Llc => "llc", "an IEEE 802.3 length-field frame (LLC/SNAP: STP, CDP, LLDP over SNAP...), decoded to layer 2 only";
    TruncatedLink => "truncated_link", "the captured bytes end inside a cooked/loopback link header";
    TruncatedEthernet => "truncated_ethernet", "the captured bytes end inside the Ethernet header or a VLAN tag";
    TruncatedArp => "truncated_arp", "the captured bytes end inside the ARP packet";
    TruncatedIpv4 => "truncated_ipv4", "the captured bytes end inside the IPv4 header or its options";
    TruncatedIpv6 => "truncated_ipv6", "the captured bytes end inside the IPv6 header or an extension header";
    TruncatedIcmp => "truncated_icmp", "the captured bytes end inside the ICMP/ICMPv6 header";
    TruncatedIgmp => "truncated_igmp", "the captured bytes end inside the IGMP header";
    TruncatedTcp => "truncated_tcp", "the captured bytes end inside the TCP header or its options";
    TruncatedUdp => "truncated_udp", "the captured bytes end inside the UDP header";
    TruncatedNlb => "truncated_nlb", "the captured bytes end inside the NLB heartbeat's fixed fields";
    TooManyVlanTags => "too_many_vlan_tags", "more than 8 stacked VLAN tags: not a real frame";
    BadIpVersion => "bad_ip_version", "the IP version nibble does not match the ethertype or link type";
    BadIpv4HeaderLength => "bad_ipv4_header_length", "IPv4 IHL below 5 (20 bytes)";
    BadIpTotalLength => "bad_ip_total_length", "IP length field below the header length or beyond the frame's wire length";
    Ipv6ExtChainTooLong => "ipv6_ext_chain_too_long", "more than 16 IPv6 extension headers: the walk stops there";
    BadIpv6ExtHeaderLength => "bad_ipv6_ext_header_length", "an IPv6 extension header runs past the payload length";
    BadTcpHeaderLength => "bad_tcp_header_length", "TCP data offset below 5 (20 bytes)";
    BadUdpLength => "bad_udp_length", "UDP length field below 8 or beyond the IP payload";
    UnsupportedArpFormat => "unsupported_arp_format", "ARP with address sizes other than Ethernet/IPv4 (6/4)";
    BadIgmpRecordCount => "bad_igmp_record_count", "an IGMPv3 report announces more records or sources than it holds (those that fit are kept)";
    TruncatedRoce => "truncated_roce", "the captured bytes end inside a RoCE v1 GRH, a BTH or the extended headers its opcode calls for";
    GrhNotBth => "grh_not_bth", "a RoCE v1 Global Route Header whose next header is not a BTH (0x1B)";
    BadBthVersion => "bad_bth_version", "a RoCE Base Transport Header whose version is not 0 (the only one IBA defines)";
    BadRocePayloadLength => "bad_roce_payload_length", "the UDP length (RoCE v2) or GRH payload length (v1) is shorter than the BTH, its extended headers, pad and ICRC";
}
