//! ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443): type, code, echo id/sequence, the next-hop
//! MTU of "fragmentation needed" and "packet too big", and the header of the packet an error
//! message quotes, so an error can be tied to the flow that caused it.

use super::ipv4::Ipv4;
use super::ipv6::Ipv6;
use super::{be16, be32, need, Stop};

pub const V4_ECHO_REPLY: u8 = 0;
pub const V4_DEST_UNREACHABLE: u8 = 3;
pub const V4_ECHO_REQUEST: u8 = 8;
pub const V4_TIME_EXCEEDED: u8 = 11;
pub const V4_CODE_FRAG_NEEDED: u8 = 4;

pub const V6_DEST_UNREACHABLE: u8 = 1;
pub const V6_PACKET_TOO_BIG: u8 = 2;
pub const V6_TIME_EXCEEDED: u8 = 3;
pub const V6_PARAMETER_PROBLEM: u8 = 4;
pub const V6_ECHO_REQUEST: u8 = 128;
pub const V6_ECHO_REPLY: u8 = 129;

/// The start of the packet an ICMP error quotes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quoted {
    pub src: Option<std::net::IpAddr>,
    pub dst: Option<std::net::IpAddr>,
    pub protocol: Option<u8>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// Length of the quoted packet as its own header gave it (the size that did not fit).
    pub ip_len: Option<u32>,
    /// IPv4 identification (or IPv6 fragment id) of the quoted packet: ties a reassembly
    /// time-exceeded message to the datagram that never completed.
    pub ip_id: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub struct Icmp {
    pub icmp_type: u8,
    pub code: u8,
    /// Echo identifier and sequence number.
    pub echo: Option<(u16, u16)>,
    pub next_hop_mtu: Option<u32>,
    pub quoted: Option<Quoted>,
}

fn ports(proto: u8, l4: &[u8]) -> (Option<u16>, Option<u16>) {
    // TCP and UDP (and SCTP, DCCP) keep their ports in the first four bytes, which RFC 792
    // guarantees an error quotes.
    if matches!(proto, 6 | 17 | 33 | 132) && l4.len() >= 4 {
        (Some(be16(l4, 0)), Some(be16(l4, 2)))
    } else {
        (None, None)
    }
}

fn quoted_v4(b: &[u8]) -> Option<Quoted> {
    let ip = Ipv4::parse(b).ok()?;
    let l4 = &b[ip.header_len..];
    let (src_port, dst_port) = if ip.frag_offset == 0 {
        ports(ip.protocol, l4)
    } else {
        (None, None)
    };
    Some(Quoted {
        src: Some(ip.src.into()),
        dst: Some(ip.dst.into()),
        protocol: Some(ip.protocol),
        src_port,
        dst_port,
        ip_len: Some(ip.total_len as u32),
        ip_id: Some(ip.id as u32),
    })
}

fn quoted_v6(b: &[u8]) -> Option<Quoted> {
    // A quotation is cut short by design: take the fixed header even if the chain is cut.
    need(b, 40).ok()?;
    let src: [u8; 16] = b[8..24].try_into().ok()?;
    let dst: [u8; 16] = b[24..40].try_into().ok()?;
    let mut q = Quoted {
        src: Some(src.into()),
        dst: Some(dst.into()),
        protocol: Some(b[6]),
        ip_len: Some(40 + be16(b, 4) as u32),
        ..Quoted::default()
    };
    if let Ok(ip) = Ipv6::parse(b) {
        q.protocol = Some(ip.protocol);
        q.ip_id = ip.fragment.map(|f| f.id);
        if ip.fragment.is_none_or(|f| f.offset == 0) {
            (q.src_port, q.dst_port) = ports(ip.protocol, &b[ip.header_len..]);
        }
    }
    Some(q)
}

impl Icmp {
    pub fn parse_v4(b: &[u8]) -> Result<Icmp, Stop> {
        need(b, 8)?;
        let (t, code) = (b[0], b[1]);
        let mut m = Icmp {
            icmp_type: t,
            code,
            echo: None,
            next_hop_mtu: None,
            quoted: None,
        };
        match t {
            V4_ECHO_REQUEST | V4_ECHO_REPLY | 13 | 14 => m.echo = Some((be16(b, 4), be16(b, 6))),
            V4_DEST_UNREACHABLE | V4_TIME_EXCEEDED | 4 | 5 | 12 => {
                if t == V4_DEST_UNREACHABLE && code == V4_CODE_FRAG_NEEDED {
                    m.next_hop_mtu = Some(be16(b, 6) as u32);
                }
                m.quoted = quoted_v4(&b[8..]);
            }
            _ => {}
        }
        Ok(m)
    }

    pub fn parse_v6(b: &[u8]) -> Result<Icmp, Stop> {
        need(b, 8)?;
        let (t, code) = (b[0], b[1]);
        let mut m = Icmp {
            icmp_type: t,
            code,
            echo: None,
            next_hop_mtu: None,
            quoted: None,
        };
        match t {
            V6_ECHO_REQUEST | V6_ECHO_REPLY => m.echo = Some((be16(b, 4), be16(b, 6))),
            V6_DEST_UNREACHABLE | V6_PACKET_TOO_BIG | V6_TIME_EXCEEDED | V6_PARAMETER_PROBLEM => {
                if t == V6_PACKET_TOO_BIG {
                    m.next_hop_mtu = Some(be32(b, 4));
                }
                m.quoted = quoted_v6(&b[8..]);
            }
            _ => {}
        }
        Ok(m)
    }
}
