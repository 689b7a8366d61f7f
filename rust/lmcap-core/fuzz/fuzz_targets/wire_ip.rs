//! Network and transport headers on their own: IPv4 (options), IPv6 (extension headers,
//! fragments, jumbograms), ICMP/ICMPv6 (with the quoted packet), IGMP v1-v3 (records and
//! sources), TCP (options), UDP, ARP, Ethernet (VLAN stacks), the NLB heartbeat and the
//! non-Ethernet link headers.
//!
//! Input layout: byte 0 picks the parser (value % 10), the rest is its input.
//!
//! Checks: a header accepted by a parser fits in the bytes it was given; lengths and counts
//! stay within what the protocol allows (IPv4 header 20-60, TCP header 20-60, at most 16 IPv6
//! extension headers, 4 SACK blocks); every borrowed slice lies inside the input; IGMP records
//! and sources never claim more bytes than the message holds; the quoted header of an ICMP
//! error only has ports for protocols that carry them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lmcap_core::wire::arp::Arp;
use lmcap_core::wire::ethernet::Ethernet;
use lmcap_core::wire::icmp::Icmp;
use lmcap_core::wire::igmp::{self, Igmp};
use lmcap_core::wire::ipv4::Ipv4;
use lmcap_core::wire::ipv6::{Ipv6, MAX_EXTENSION_HEADERS};
use lmcap_core::wire::link;
use lmcap_core::wire::nlb::{self, Heartbeat};
use lmcap_core::wire::tcp::Tcp;
use lmcap_core::wire::udp::Udp;
use lmcap_core_fuzz::assert_inside;

fn icmp(m: Icmp) {
    if let Some(q) = m.quoted {
        if q.src_port.is_some() || q.dst_port.is_some() {
            assert!(
                matches!(q.protocol, Some(6 | 17 | 33 | 132)),
                "ports for protocol {:?}",
                q.protocol
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, b)) = data.split_first() else {
        return;
    };
    match pick % 10 {
        0 => {
            if let Ok(ip) = Ipv4::parse(b) {
                assert!((20..=60).contains(&ip.header_len) && ip.header_len <= b.len());
                assert_inside(ip.header, b, "IPv4 header");
                if let Some(n) = ip.payload_len() {
                    assert_eq!(n + ip.header_len, ip.total_len as usize);
                }
            }
            let _ = Ipv4::parse_ignoring_length(b);
        }
        1 => {
            if let Ok(ip) = Ipv6::parse(b) {
                assert!(ip.header_len <= b.len(), "IPv6 headers past the bytes");
                assert!(ip.extension_headers as usize <= MAX_EXTENSION_HEADERS);
                assert_inside(ip.src, b, "IPv6 src");
                let _ = (ip.upper_payload_len(), ip.is_fragment());
            }
        }
        2 => {
            if let Ok(m) = Icmp::parse_v4(b) {
                icmp(m);
            }
        }
        3 => {
            if let Ok(m) = Icmp::parse_v6(b) {
                icmp(m);
            }
        }
        4 => {
            if let Ok(m) = Igmp::parse(b) {
                let (records, _complete) = m.records();
                let mut bytes = 0;
                for r in records {
                    bytes += 8 + r.source_count() * 4;
                    assert_eq!(r.sources().count(), r.source_count());
                }
                assert!(
                    bytes <= b.len(),
                    "IGMP records claim {bytes} of {} bytes",
                    b.len()
                );
                let q = m.query_sources().count();
                assert!(q <= m.count as usize && 12 + 4 * q <= b.len().max(12));
                if m.msg_type != igmp::V3_REPORT {
                    assert_eq!(m.records().0.count(), 0);
                }
            }
        }
        5 => {
            if let Ok(t) = Tcp::parse(b) {
                assert!((20..=60).contains(&t.header_len) && t.header_len <= b.len());
                assert!(t.options.sack_blocks <= 4);
            }
            if let Ok(t) = Tcp::parse_fixed(b) {
                assert!(t.header_len <= 60 && t.flags <= 0x0fff);
            }
        }
        6 => {
            let _ = Udp::parse(b);
            if let Ok(h) = Heartbeat::parse(b) {
                let _ = h.kind();
                assert_eq!(
                    h.membership.is_some(),
                    h.signature == nlb::SIGNATURE_MEMBERSHIP && b.len() >= 36
                );
            }
        }
        7 => {
            if let Ok(a) = Arp::parse(b) {
                assert_inside(a.sender_mac, b, "ARP sender");
                assert_inside(a.target_mac, b, "ARP target");
                let _ = (a.is_gratuitous(), a.is_probe());
            }
        }
        8 => {
            if let Ok(e) = Ethernet::parse(b) {
                assert!(e.header_len <= b.len(), "Ethernet header past the bytes");
                assert!(e.header_len == 14 + 4 * e.tag_count as usize);
                assert!(e.tag_count <= 8, "{} VLAN tags", e.tag_count);
                assert_inside(e.src, b, "Ethernet src");
            }
        }
        _ => {
            for r in [
                link::sll(b),
                link::sll2(b),
                link::loopback(b, false),
                link::loopback(b, true),
                link::raw_ip(b),
            ]
            .into_iter()
            .flatten()
            {
                assert!(r.header_len <= b.len(), "link header past the bytes");
                if let Some(m) = r.src_mac {
                    assert_inside(m, b, "cooked source MAC");
                }
            }
        }
    }
});
