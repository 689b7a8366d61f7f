//! The lax layer walker: decodes one frame as far as its bytes allow, keeps every layer it
//! decoded, and records in a [`StopReason`] where and why it stopped. A frame is never an error.

use std::net::IpAddr;

use crate::wire::arp::Arp;
use crate::wire::ethernet::{self, Ethernet, VlanTag, MAX_RECORDED_TAGS};
use crate::wire::icmp::Icmp;
use crate::wire::igmp::Igmp;
use crate::wire::ipv4::Ipv4;
use crate::wire::ipv6::Ipv6;
use crate::wire::link;
use crate::wire::nlb::Heartbeat;
use crate::wire::roce::{self, Bth, Grh};
use crate::wire::tcp::Tcp;
use crate::wire::udp::Udp;
pub use crate::wire::StopReason;
use crate::wire::{be16, Stop};

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_IGMP: u8 = 2;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ICMPV6: u8 = 58;

/// Source/destination of the network layer, without allocation.
#[derive(Debug, Clone, Copy)]
pub struct IpLayer {
    pub version: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    /// Header-declared packet length (None for offload super-segments that leave it 0).
    pub ip_len: Option<u32>,
    pub header_len: u16,
    pub ttl: u8,
    pub dscp: u8,
    pub ecn: u8,
    /// IPv4 identification, or the IPv6 fragment header's identification.
    pub id: Option<u32>,
    pub dont_fragment: Option<bool>,
    pub more_fragments: Option<bool>,
    pub frag_offset: Option<u32>,
    pub is_fragment: bool,
}

/// Everything decoded from one frame. Borrowed fields point into the frame bytes.
#[derive(Debug, Clone, Default)]
pub struct Decoded<'a> {
    pub status: StopReason,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlan_tags: [VlanTag; MAX_RECORDED_TAGS],
    pub vlan_count: u8,
    pub ethertype: Option<u16>,
    /// Offset of the network layer in the frame (the L2 header length).
    pub l3_offset: Option<usize>,
    pub ip: Option<IpLayer>,
    pub tcp: Option<Tcp>,
    pub udp: Option<Udp>,
    pub icmp: Option<Icmp>,
    pub igmp: Option<Igmp<'a>>,
    pub arp: Option<Arp<'a>>,
    pub nlb: Option<Heartbeat>,
    /// RoCE v1 (ethertype 0x8915) or v2 (UDP 4791): its headers and how far they were read.
    pub roce: Option<RoceLayer<'a>>,
    /// L4 payload length as the headers state it (not limited by the snaplen).
    pub payload_len: Option<u32>,
    /// Captured L4 payload: the hook where application decoders (SMB, RDMA) take over.
    pub payload: Option<&'a [u8]>,
}

/// A RoCE packet's headers: the GRH (v1 only) and the BTH with the extended headers its
/// opcode calls for, as far as they were read. `stop` is the RoCE layer's own reason (`ok`,
/// `truncated_roce`, `bad_ip_version` or `grh_not_bth` in a v1 GRH, `bad_bth_version`,
/// `bad_roce_payload_length`); the frame's `status` is the same unless a layer below
/// stopped first (a UDP length beyond the IP payload).
#[derive(Debug, Clone, Copy)]
pub struct RoceLayer<'a> {
    pub grh: Option<Grh<'a>>,
    pub bth: Option<Bth<'a>>,
    /// Bytes from the BTH to the end of the ICRC, as the outer length (UDP length, GRH
    /// payload length) states them.
    pub total_len: usize,
    pub stop: StopReason,
}

impl<'a> Decoded<'a> {
    pub fn src_port(&self) -> Option<u16> {
        self.tcp
            .map(|t| t.src_port)
            .or(self.udp.map(|u| u.src_port))
    }

    pub fn dst_port(&self) -> Option<u16> {
        self.tcp
            .map(|t| t.dst_port)
            .or(self.udp.map(|u| u.dst_port))
    }

    pub fn outer_vlan(&self) -> Option<u16> {
        (self.vlan_count > 0).then(|| self.vlan_tags[0].vid)
    }

    /// Bytes of the network-layer packet on the wire: `wire_len` minus the link header and
    /// VLAN tags (the size an MTU limits); None when no network layer was located.
    pub fn l3_len(&self, wire_len: u32) -> Option<u32> {
        self.l3_offset.map(|o| wire_len.saturating_sub(o as u32))
    }
}

fn truncated_or(stop: Stop, truncated: StopReason) -> StopReason {
    match stop {
        Stop::Truncated => truncated,
        Stop::Malformed(r) => r,
        // The decoder reads frames, not the messages of a stream; were one handed to it, the
        // layer reads as cut where the message stopped making sense.
        Stop::BadMessage(_) => truncated,
    }
}

impl Decoded<'_> {
    /// Back to the state of `Decoded::default()`, in place. The destructuring names every
    /// field, so a field added to the struct cannot be forgotten here.
    fn reset(&mut self) {
        let Decoded {
            status,
            src_mac,
            dst_mac,
            vlan_tags,
            vlan_count,
            ethertype,
            l3_offset,
            ip,
            tcp,
            udp,
            icmp,
            igmp,
            arp,
            nlb,
            roce,
            payload_len,
            payload,
        } = self;
        *status = StopReason::default();
        *src_mac = None;
        *dst_mac = None;
        *vlan_tags = Default::default();
        *vlan_count = 0;
        *ethertype = None;
        *l3_offset = None;
        *ip = None;
        *tcp = None;
        *udp = None;
        *icmp = None;
        *igmp = None;
        *arp = None;
        *nlb = None;
        *roce = None;
        *payload_len = None;
        *payload = None;
    }
}

/// Decode one frame. `link_type` is None when the frame's interface is unknown; `wire_len` is
/// the original length (used to tell a snaplen cut from a lying length field).
pub fn decode(frame: &[u8], link_type: Option<u16>, wire_len: u32) -> Decoded<'_> {
    let mut d = Decoded::default();
    decode_into(frame, link_type, wire_len, &mut d);
    d
}

/// [`decode`] into a `Decoded` the caller keeps from frame to frame (it is reset first): the
/// per-frame path of a scan, which this spares building and copying the struct per frame.
#[inline]
pub fn decode_into<'a>(
    frame: &'a [u8],
    link_type: Option<u16>,
    wire_len: u32,
    d: &mut Decoded<'a>,
) {
    d.reset();
    d.status = walk(frame, link_type, wire_len, d);
}

fn walk<'a>(b: &'a [u8], link_type: Option<u16>, wire_len: u32, d: &mut Decoded<'a>) -> StopReason {
    let Some(link_type) = link_type else {
        return StopReason::UnknownInterface;
    };
    if b.is_empty() {
        return StopReason::EmptyFrame;
    }
    let (mut ethertype, mut off) = match link_type {
        link::LINKTYPE_ETHERNET => match Ethernet::parse(b) {
            Ok(e) => {
                d.src_mac = Some(*e.src);
                d.dst_mac = Some(*e.dst);
                d.vlan_tags = e.tags;
                d.vlan_count = e.tag_count;
                (e.ethertype, e.header_len)
            }
            Err(s) => return truncated_or(s, StopReason::TruncatedEthernet),
        },
        link::LINKTYPE_LINUX_SLL | link::LINKTYPE_LINUX_SLL2 => {
            let cooked = if link_type == link::LINKTYPE_LINUX_SLL {
                link::sll(b)
            } else {
                link::sll2(b)
            };
            match cooked {
                Ok(c) => {
                    d.src_mac = c.src_mac.copied();
                    (c.ethertype, c.header_len)
                }
                Err(s) => return truncated_or(s, StopReason::TruncatedLink),
            }
        }
        link::LINKTYPE_NULL | link::LINKTYPE_LOOP => {
            match link::loopback(b, link_type == link::LINKTYPE_LOOP) {
                Ok(c) => (c.ethertype, c.header_len),
                Err(s) => return truncated_or(s, StopReason::TruncatedLink),
            }
        }
        link::LINKTYPE_RAW | link::LINKTYPE_IPV4 | link::LINKTYPE_IPV6 => match link::raw_ip(b) {
            Ok(c) => {
                let expected = match link_type {
                    link::LINKTYPE_IPV4 => Some(ethernet::ETHERTYPE_IPV4),
                    link::LINKTYPE_IPV6 => Some(ethernet::ETHERTYPE_IPV6),
                    _ => None,
                };
                if expected.is_some_and(|e| e != c.ethertype) {
                    return StopReason::BadIpVersion;
                }
                (c.ethertype, 0)
            }
            Err(s) => return truncated_or(s, StopReason::TruncatedLink),
        },
        _ => return StopReason::UnknownLinkType,
    };
    // Cooked captures keep VLAN tags in the packet when the NIC did not strip them.
    if link_type != link::LINKTYPE_ETHERNET {
        while matches!(
            ethertype,
            ethernet::ETHERTYPE_VLAN | ethernet::ETHERTYPE_QINQ | ethernet::ETHERTYPE_QINQ_OLD
        ) {
            if b.len() < off + 4 {
                return StopReason::TruncatedLink;
            }
            if d.vlan_count as usize >= 8 {
                return StopReason::TooManyVlanTags;
            }
            let tci = be16(b, off);
            if (d.vlan_count as usize) < MAX_RECORDED_TAGS {
                d.vlan_tags[d.vlan_count as usize] = VlanTag {
                    tpid: ethertype,
                    pcp: (tci >> 13) as u8,
                    dei: tci & 0x1000 != 0,
                    vid: tci & 0x0fff,
                };
            }
            d.vlan_count += 1;
            ethertype = be16(b, off + 2);
            off += 4;
        }
    }
    if ethertype < 0x0600 && link_type == link::LINKTYPE_ETHERNET {
        d.l3_offset = Some(off);
        return StopReason::Llc;
    }
    if ethertype == 0 && matches!(link_type, link::LINKTYPE_NULL | link::LINKTYPE_LOOP) {
        // A loopback address family lmcap does not know: there is no ethertype to report.
        d.l3_offset = Some(off);
        return StopReason::UnknownEthertype;
    }
    d.ethertype = Some(ethertype);
    d.l3_offset = Some(off);
    let l3 = &b[off..];
    let l3_wire_len = (wire_len as usize).saturating_sub(off);
    match ethertype {
        ethernet::ETHERTYPE_IPV4 => ipv4(l3, l3_wire_len, d),
        ethernet::ETHERTYPE_IPV6 => ipv6(l3, l3_wire_len, d),
        ethernet::ETHERTYPE_ARP | ethernet::ETHERTYPE_RARP => match Arp::parse(l3) {
            Ok(a) => {
                d.arp = Some(a);
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedArp),
        },
        ethernet::ETHERTYPE_NLB => match Heartbeat::parse(l3) {
            Ok(h) => {
                d.nlb = Some(h);
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedNlb),
        },
        ethernet::ETHERTYPE_ROCE_V1 => match Grh::parse(l3) {
            Ok(g) => roce_bth(Some(g), &l3[roce::GRH_LEN..], g.payload_len as usize, d),
            Err(s) => {
                let stop = truncated_or(s, StopReason::TruncatedRoce);
                d.roce = Some(RoceLayer {
                    grh: None,
                    bth: None,
                    total_len: 0,
                    stop,
                });
                stop
            }
        },
        _ => StopReason::UnknownEthertype,
    }
}

fn ipv4<'a>(b: &'a [u8], wire_len: usize, d: &mut Decoded<'a>) -> StopReason {
    let ip = match Ipv4::parse(b) {
        // Total length below the header length: the header itself is readable, keep it.
        Err(Stop::Malformed(StopReason::BadIpTotalLength)) => {
            if let Ok(ip) = Ipv4::parse_ignoring_length(b) {
                d.ip = Some(ipv4_layer(&ip));
            }
            return StopReason::BadIpTotalLength;
        }
        Ok(ip) => ip,
        // The whole frame is here, so the header (IHL) claims more than the packet holds.
        Err(Stop::Truncated) if b.len() >= wire_len && b.len() >= 20 => {
            return StopReason::BadIpv4HeaderLength
        }
        Err(s) => return truncated_or(s, StopReason::TruncatedIpv4),
    };
    d.ip = Some(ipv4_layer(&ip));
    if ip.total_len as usize > wire_len {
        return StopReason::BadIpTotalLength;
    }
    // Cut Ethernet padding off; keep the frame for offload super-segments (length 0).
    let packet = match ip.payload_len() {
        Some(_) => &b[..(ip.total_len as usize).min(b.len())],
        None => b,
    };
    let payload_len = ip
        .payload_len()
        .unwrap_or(wire_len.saturating_sub(ip.header_len));
    if ip.frag_offset != 0 {
        // A later fragment: no transport header here. Its payload is fragment data.
        d.payload_len = Some(payload_len as u32);
        return StopReason::Ok;
    }
    transport(
        ip.protocol,
        false,
        ip.more_fragments,
        &packet[ip.header_len..],
        payload_len,
        d,
    )
}

fn ipv4_layer(ip: &Ipv4<'_>) -> IpLayer {
    IpLayer {
        version: 4,
        src: ip.src.into(),
        dst: ip.dst.into(),
        protocol: ip.protocol,
        ip_len: (ip.total_len != 0).then_some(ip.total_len as u32),
        header_len: ip.header_len as u16,
        ttl: ip.ttl,
        dscp: ip.dscp,
        ecn: ip.ecn,
        id: Some(ip.id as u32),
        dont_fragment: Some(ip.dont_fragment),
        more_fragments: Some(ip.more_fragments),
        frag_offset: Some(ip.frag_offset),
        is_fragment: ip.is_fragment(),
    }
}

fn ipv6<'a>(b: &'a [u8], wire_len: usize, d: &mut Decoded<'a>) -> StopReason {
    let mut ip = match Ipv6::parse_fixed(b) {
        Ok(ip) => ip,
        Err(s) => return truncated_or(s, StopReason::TruncatedIpv6),
    };
    let chain = ip.walk_extension_headers(b);
    if let Err(stop) = chain {
        // The fixed header is sound: keep addresses and the rest, report where the chain broke.
        d.ip = Some(ipv6_layer(&ip, None));
        return match stop {
            // The whole frame is here, so an extension header claims more than the packet holds.
            Stop::Truncated if b.len() >= wire_len => StopReason::BadIpv6ExtHeaderLength,
            s => truncated_or(s, StopReason::TruncatedIpv6),
        };
    }
    let declared = ip
        .jumbo_len
        .map(|j| 40 + j as usize)
        .or((ip.payload_len != 0).then_some(40 + ip.payload_len as usize));
    let frag = ip.fragment;
    d.ip = Some(ipv6_layer(&ip, declared));
    if declared.is_some_and(|l| l > wire_len) {
        return StopReason::BadIpTotalLength;
    }
    let packet = match declared {
        Some(l) => &b[..l.min(b.len())],
        None => b,
    };
    let payload_len = declared.unwrap_or(wire_len).saturating_sub(ip.header_len);
    if frag.is_some_and(|f| f.offset != 0) {
        d.payload_len = Some(payload_len as u32);
        return StopReason::Ok;
    }
    transport(
        ip.protocol,
        true,
        frag.is_some_and(|f| f.more),
        &packet[ip.header_len.min(packet.len())..],
        payload_len,
        d,
    )
}

fn ipv6_layer(ip: &Ipv6<'_>, declared: Option<usize>) -> IpLayer {
    let frag = ip.fragment;
    IpLayer {
        version: 6,
        src: IpAddr::from(*ip.src),
        dst: IpAddr::from(*ip.dst),
        protocol: ip.protocol,
        ip_len: declared.map(|l| l as u32),
        header_len: ip.header_len as u16,
        ttl: ip.hop_limit,
        dscp: ip.traffic_class >> 2,
        ecn: ip.traffic_class & 3,
        id: frag.map(|f| f.id),
        dont_fragment: None,
        more_fragments: frag.map(|f| f.more),
        frag_offset: frag.map(|f| f.offset),
        is_fragment: ip.is_fragment(),
    }
}

/// The BTH (and its extended headers) at `b`, after the GRH of a v1 packet; `total_len`: bytes
/// from the BTH to the end of the ICRC as the outer length states them.
fn roce_bth<'a>(
    grh: Option<Grh<'a>>,
    b: &'a [u8],
    total_len: usize,
    d: &mut Decoded<'a>,
) -> StopReason {
    let (bth, stop) = match Bth::parse(b) {
        Ok(bth) => {
            // (an opcode of unknown layout has no payload length to check: not a stop)
            let stop = match bth.payload_len(total_len) {
                Err(Stop::Malformed(r)) => r,
                _ => StopReason::Ok,
            };
            (Some(bth), stop)
        }
        Err(s) => (None, truncated_or(s, StopReason::TruncatedRoce)),
    };
    d.roce = Some(RoceLayer {
        grh,
        bth,
        total_len,
        stop,
    });
    stop
}

/// `b`: captured transport bytes; `len`: transport length as the IP header states it.
fn transport<'a>(
    protocol: u8,
    v6: bool,
    first_fragment: bool,
    b: &'a [u8],
    len: usize,
    d: &mut Decoded<'a>,
) -> StopReason {
    match protocol {
        IPPROTO_TCP => match Tcp::parse_fixed(b) {
            Ok(t) => {
                d.tcp = Some(t);
                if t.header_len < 20 {
                    return StopReason::BadTcpHeaderLength;
                }
                if t.header_len > len {
                    // The header continues in the next fragment (RFC 1858 tiny fragments
                    // aside, legal); otherwise the data offset lies about the segment.
                    return if first_fragment {
                        StopReason::Ok
                    } else {
                        StopReason::BadTcpHeaderLength
                    };
                }
                d.payload_len = Some((len - t.header_len) as u32);
                if t.header_len > b.len() || b.len() < 20 {
                    // Options cut by the snaplen: the fixed fields are kept.
                    return StopReason::TruncatedTcp;
                }
                d.payload = Some(&b[t.header_len..]);
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedTcp),
        },
        IPPROTO_UDP => match Udp::parse(b) {
            Ok(u) => {
                d.udp = Some(u);
                let udp_len = if u.length == 0 {
                    len
                } else {
                    u.length as usize
                };
                d.payload_len = Some(udp_len.saturating_sub(8) as u32);
                d.payload = Some(&b[8..]);
                let roce = (u.dst_port == roce::UDP_PORT_ROCE_V2)
                    .then(|| roce_bth(None, &b[8..], udp_len.saturating_sub(8), d));
                // A first fragment's UDP length covers the whole datagram, so more than the
                // fragment holds (legal); otherwise the length lies about the datagram.
                if u.length as usize > len && !first_fragment {
                    return StopReason::BadUdpLength;
                }
                roce.unwrap_or(StopReason::Ok)
            }
            Err(s) => truncated_or(s, StopReason::TruncatedUdp),
        },
        IPPROTO_ICMP if !v6 => match Icmp::parse_v4(b) {
            Ok(m) => {
                d.icmp = Some(m);
                d.payload_len = Some(len.saturating_sub(8) as u32);
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedIcmp),
        },
        IPPROTO_ICMPV6 if v6 => match Icmp::parse_v6(b) {
            Ok(m) => {
                d.icmp = Some(m);
                d.payload_len = Some(len.saturating_sub(8) as u32);
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedIcmp),
        },
        IPPROTO_IGMP if !v6 => match Igmp::parse(&b[..len.min(b.len())]) {
            Ok(m) => {
                d.igmp = Some(m);
                if !m.records().1
                    || (m.version == 3
                        && m.msg_type == crate::wire::igmp::MEMBERSHIP_QUERY
                        && m.query_sources().count() < m.count as usize)
                {
                    // Fewer records or sources than announced: the snaplen's doing when the
                    // IP length says more was sent than captured, else the count lies.
                    return if b.len() < len {
                        StopReason::TruncatedIgmp
                    } else {
                        StopReason::BadIgmpRecordCount
                    };
                }
                StopReason::Ok
            }
            Err(s) => truncated_or(s, StopReason::TruncatedIgmp),
        },
        _ => {
            d.payload_len = Some(len as u32);
            d.payload = Some(b);
            StopReason::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet/IPv4/UDP to port 4791 carrying `roce` (BTH onwards); `udp_len` None: right.
    fn roce_v2(roce: &[u8], udp_len: Option<u16>) -> Vec<u8> {
        let udp_len = udp_len.unwrap_or(8 + roce.len() as u16);
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = 20 + 8 + roce.len() as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
        f.extend(ip);
        f.extend_from_slice(&49152u16.to_be_bytes());
        f.extend_from_slice(&roce::UDP_PORT_ROCE_V2.to_be_bytes());
        f.extend_from_slice(&udp_len.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(roce);
        f
    }

    /// An RC SEND ONLY (no extended headers) with 8 payload bytes and the ICRC.
    fn send_only(version: u8) -> Vec<u8> {
        let mut b = vec![0x04, version, 0xff, 0xff, 0, 0, 0, 0x11, 0x80, 0, 0, 1];
        b.extend_from_slice(&[0xaa; 8]);
        b.extend_from_slice(&[0; 4]); // ICRC
        b
    }

    fn status(frame: &[u8]) -> (StopReason, Option<RoceLayer<'_>>) {
        let d = decode(frame, Some(link::LINKTYPE_ETHERNET), frame.len() as u32);
        (d.status, d.roce)
    }

    #[test]
    fn roce_v2_is_a_layer_with_named_stops() {
        let ok = roce_v2(&send_only(0), None);
        let (s, r) = status(&ok);
        assert_eq!(s, StopReason::Ok);
        let r = r.unwrap();
        assert_eq!(r.bth.unwrap().dest_qp(), 0x11);
        assert_eq!(r.total_len, 24);

        let bad_version = roce_v2(&send_only(1), None);
        let (s, r) = status(&bad_version);
        assert_eq!(s, StopReason::BadBthVersion);
        assert!(r.unwrap().bth.is_none());

        // the snaplen cuts inside the BTH: the wire length says the rest existed
        let cut = &ok[..14 + 20 + 8 + 7];
        let d = decode(cut, Some(link::LINKTYPE_ETHERNET), ok.len() as u32);
        assert_eq!(d.status, StopReason::TruncatedRoce);

        // a UDP length too short for BTH + ICRC
        let short = roce_v2(&send_only(0), Some(8 + 14));
        let (s, r) = status(&short);
        assert_eq!(s, StopReason::BadRocePayloadLength);
        assert!(r.unwrap().bth.is_some(), "the BTH itself was read");
    }

    #[test]
    fn a_first_fragment_may_hold_less_than_its_udp_length() {
        // Ethernet/IPv4/UDP: 16 bytes of a datagram whose UDP length says 3238
        let mut f = roce_v2(&[0xaa; 8], Some(3238));
        f[14 + 20 + 2..14 + 20 + 4].copy_from_slice(&5353u16.to_be_bytes()); // not RoCE
        assert_eq!(
            status(&f).0,
            StopReason::BadUdpLength,
            "whole: the length lies"
        );
        f[14 + 6] = 0x20; // more fragments, offset 0: the first fragment
        let d = decode(&f, Some(link::LINKTYPE_ETHERNET), f.len() as u32);
        assert_eq!(d.status, StopReason::Ok);
        assert!(d.udp.is_some() && d.ip.is_some_and(|ip| ip.is_fragment));
    }

    #[test]
    fn roce_v1_reads_the_grh_first() {
        let mut grh = vec![0x60, 0, 0, 0];
        grh.extend_from_slice(&24u16.to_be_bytes()); // payload length: BTH to ICRC
        grh.extend_from_slice(&[0x1b, 64]);
        grh.extend_from_slice(&[0xfe; 32]);
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ethernet::ETHERTYPE_ROCE_V1.to_be_bytes());
        f.extend_from_slice(&grh);
        f.extend(send_only(0));
        let (s, r) = status(&f);
        assert_eq!(s, StopReason::Ok);
        assert!(r.unwrap().grh.is_some());
        f[14 + 6] = 0x11; // next header: not a BTH
        assert_eq!(status(&f).0, StopReason::GrhNotBth);
        f[14 + 6] = 0x1b;
        f[14] = 0x40; // IP version 4 in a GRH
        assert_eq!(status(&f).0, StopReason::BadIpVersion);
        let cut = &f[..14 + 30];
        let d = decode(cut, Some(link::LINKTYPE_ETHERNET), f.len() as u32);
        assert_eq!(d.status, StopReason::TruncatedRoce);
        assert!(d.roce.is_some_and(|r| r.grh.is_none()));
    }
}
