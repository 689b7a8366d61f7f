//! Microbenchmarks of the per-frame path: one group per frame kind (the layer's own parser and
//! the whole `decode()` walk over that frame), `decode()` over a mixed set, and
//! `PacketsBuilder::append` per frame. Frames are byte literals below; each benchmark first
//! asserts what its frames decode to, so a fast wrong answer fails instead of looking good.
//!
//! `cargo bench -p lmcap-core --bench decoders [-- FILTER]`. Times on a shared machine are
//! noisy; the project compares changes by instruction counts (docs/performance.md), and uses
//! these to see where a single decoder stands.

use std::hint::black_box;

use arrow_array::Array;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use lmcap_core::decode::{decode, Decoded, StopReason};
use lmcap_core::frame::FrameMeta;
use lmcap_core::tables::builders::PacketsBuilder;
use lmcap_core::wire::arp::Arp;
use lmcap_core::wire::ethernet::Ethernet;
use lmcap_core::wire::igmp::{self, Igmp};
use lmcap_core::wire::ipv4::Ipv4;
use lmcap_core::wire::ipv6::Ipv6;
use lmcap_core::wire::nlb::Heartbeat;
use lmcap_core::wire::tcp::Tcp;
use lmcap_core::wire::udp::Udp;

const LINKTYPE_ETHERNET: u16 = 1;

/// Ethernet + IPv4 + TCP (ACK with a timestamp option) + 10 bytes of payload: 76 bytes.
#[rustfmt::skip]
const TCP4: &[u8] = &[
    // Ethernet: dst, src, IPv4
    0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03, 0x08, 0x00,
    // IPv4: IHL 5, total 62, id 0x1234, DF, TTL 64, TCP, 10.0.0.1 -> 10.0.0.2
    0x45, 0x00, 0x00, 0x3e, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    // TCP: 49152 -> 5201, seq, ack, offset 8 (32 bytes), ACK|PSH, window 501
    0xc0, 0x00, 0x14, 0x51, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00,
    0x80, 0x18, 0x01, 0xf5, 0x00, 0x00, 0x00, 0x00,
    // options: NOP NOP timestamp(10)
    0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
    // payload
    b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9',
];

/// Ethernet + IPv6 + UDP + 8 bytes of payload: 70 bytes.
#[rustfmt::skip]
const UDP6: &[u8] = &[
    0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03, 0x86, 0xdd,
    // IPv6: payload 16, next header UDP, hop limit 64, 2001:db8::1 -> 2001:db8:0:1::2
    0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x40,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02,
    // UDP: 40000 -> 4791, length 16
    0x9c, 0x40, 0x12, 0xb7, 0x00, 0x10, 0x00, 0x00,
    1, 2, 3, 4, 5, 6, 7, 8,
];

/// Ethernet + 802.1Q (PCP 5, VLAN 100) + IPv4 + UDP + 4 bytes of payload: 50 bytes.
#[rustfmt::skip]
const VLAN_UDP4: &[u8] = &[
    0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03,
    0x81, 0x00, 0xa0, 0x64, 0x08, 0x00,
    // IPv4: total 32, UDP, 192.168.100.10 -> 192.168.100.20
    0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
    0xc0, 0xa8, 0x64, 0x0a, 0xc0, 0xa8, 0x64, 0x14,
    // UDP: 5353 -> 5353, length 12
    0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0c, 0x00, 0x00,
    0xde, 0xad, 0xbe, 0xef,
];

/// Broadcast ARP request "who has 10.0.0.2, tell 10.0.0.1", padded to 60 bytes.
#[rustfmt::skip]
const ARP: &[u8] = &[
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03, 0x08, 0x06,
    // Ethernet/IPv4, sizes 6/4, request
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    0x00, 0x1b, 0x21, 0x01, 0x02, 0x03, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// IGMPv3 membership report with two group records (one with two sources) in IPv4 with the
/// Router Alert option, to 224.0.0.22: 70 bytes.
#[rustfmt::skip]
const IGMP3: &[u8] = &[
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03, 0x08, 0x00,
    // IPv4: IHL 6, total 56, TTL 1, IGMP, 10.0.0.1 -> 224.0.0.22, Router Alert
    0x46, 0xc0, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x16,
    0x94, 0x04, 0x00, 0x00,
    // IGMPv3 report, 2 records
    0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    // MODE_IS_EXCLUDE 239.1.1.1, no sources
    0x02, 0x00, 0x00, 0x00, 0xef, 0x01, 0x01, 0x01,
    // ALLOW_NEW_SOURCES 232.1.1.1 from 10.1.1.1 and 10.1.1.2
    0x05, 0x00, 0x00, 0x02, 0xe8, 0x01, 0x01, 0x01,
    0x0a, 0x01, 0x01, 0x01, 0x0a, 0x01, 0x01, 0x02,
];

/// Windows NLB membership heartbeat (ethertype 0x886F, little-endian fields): 50 bytes.
#[rustfmt::skip]
const NLB: &[u8] = &[
    0x03, 0xbf, 0x0a, 0x00, 0x00, 0x64, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x0b, 0x88, 0x6f,
    0xbf, 0x01, 0xde, 0xc0, // signature 0xC0DE01BF
    0x04, 0x02, 0x00, 0x00, // version 2.4
    0x01, 0x00, 0x00, 0x00, // host priority 1
    0x0a, 0x00, 0x00, 0x64, // cluster IP 10.0.0.100
    0x0a, 0x00, 0x00, 0x0b, // dedicated IP 10.0.0.11
    0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, // host ids, convergence, port rules
    0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, // host code, packets handled 42
];

fn decode_ok(frame: &[u8]) -> Decoded<'_> {
    let d = decode(frame, Some(LINKTYPE_ETHERNET), frame.len() as u32);
    assert_eq!(d.status, StopReason::Ok, "{frame:02x?}");
    d
}

fn bench_decode(c: &mut Criterion, group: &str, frame: &[u8], parser: impl Fn() -> u64) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    g.bench_function("parser", |b| b.iter(&parser));
    g.bench_function("decode", |b| {
        b.iter(|| {
            decode(
                black_box(frame),
                Some(LINKTYPE_ETHERNET),
                frame.len() as u32,
            )
        })
    });
    g.finish();
}

fn ethernet_ipv4_tcp(c: &mut Criterion) {
    let d = decode_ok(TCP4);
    let t = d.tcp.expect("tcp");
    assert_eq!(
        (t.src_port, t.dst_port, t.flags, t.window),
        (49152, 5201, 0x18, 501)
    );
    assert_eq!(d.payload_len, Some(10));
    bench_decode(c, "ethernet_ipv4_tcp", TCP4, || {
        let e = Ethernet::parse(black_box(TCP4)).unwrap();
        let ip = Ipv4::parse(&TCP4[e.header_len..]).unwrap();
        let t = Tcp::parse(&TCP4[e.header_len + ip.header_len..]).unwrap();
        t.seq as u64 + ip.total_len as u64
    });
}

fn ipv6_udp(c: &mut Criterion) {
    let d = decode_ok(UDP6);
    assert_eq!(d.ip.unwrap().src.to_string(), "2001:db8::1");
    assert_eq!(d.udp.unwrap().dst_port, 4791);
    assert_eq!(d.payload_len, Some(8));
    bench_decode(c, "ipv6_udp", UDP6, || {
        let ip = Ipv6::parse(&black_box(UDP6)[14..]).unwrap();
        let u = Udp::parse(&UDP6[14 + ip.header_len..]).unwrap();
        u.length as u64 + ip.payload_len as u64
    });
}

fn vlan_tagged(c: &mut Criterion) {
    let d = decode_ok(VLAN_UDP4);
    assert_eq!(
        (d.vlan_count, d.vlan_tags[0].vid, d.vlan_tags[0].pcp),
        (1, 100, 5)
    );
    assert_eq!(d.udp.unwrap().src_port, 5353);
    bench_decode(c, "vlan_tagged", VLAN_UDP4, || {
        let e = Ethernet::parse(black_box(VLAN_UDP4)).unwrap();
        e.tags[0].vid as u64 + e.header_len as u64
    });
}

fn arp(c: &mut Criterion) {
    let d = decode_ok(ARP);
    let a = d.arp.expect("arp");
    assert_eq!((a.opcode, a.target_ip), (1, [10, 0, 0, 2]));
    bench_decode(c, "arp", ARP, || {
        let a = Arp::parse(&black_box(ARP)[14..]).unwrap();
        a.opcode as u64 + a.sender_ip[3] as u64
    });
}

fn igmpv3_report(c: &mut Criterion) {
    let d = decode_ok(IGMP3);
    let g = d.igmp.expect("igmp");
    assert_eq!((g.msg_type, g.version, g.count), (igmp::V3_REPORT, 3, 2));
    let (records, complete) = g.records();
    let records: Vec<_> = records.collect();
    assert!(complete);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].source_count(), 2);
    bench_decode(c, "igmpv3_report", IGMP3, || {
        let g = Igmp::parse(&black_box(IGMP3)[38..]).unwrap();
        g.records().0.map(|r| r.source_count() as u64 + 1).sum()
    });
}

fn nlb_heartbeat(c: &mut Criterion) {
    let d = decode_ok(NLB);
    let h = d.nlb.expect("nlb");
    assert_eq!((h.version_major, h.version_minor), (2, 4));
    assert_eq!(h.cluster_ip, [10, 0, 0, 100]);
    assert_eq!(h.membership.map(|m| m.4), Some(42));
    bench_decode(c, "nlb_heartbeat", NLB, || {
        let h = Heartbeat::parse(&black_box(NLB)[14..]).unwrap();
        h.signature as u64
    });
}

/// The frame kinds above in the proportions of the benchmark capture's `small` profile
/// (mostly TCP over IPv4, some IPv6 and VLAN, a little ARP, IGMP and NLB): 32 frames.
fn mixed() -> Vec<&'static [u8]> {
    let mut v = vec![TCP4; 24];
    v.extend([UDP6, UDP6, UDP6, VLAN_UDP4, VLAN_UDP4, ARP, IGMP3, NLB]);
    v
}

fn decode_mixed(c: &mut Criterion) {
    let frames = mixed();
    for f in &frames {
        decode_ok(f);
    }
    let mut g = c.benchmark_group("decode_mixed");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(decode(
                    black_box(f),
                    Some(LINKTYPE_ETHERNET),
                    f.len() as u32,
                ));
            }
        })
    });
    g.finish();
}

fn packets_append(c: &mut Criterion) {
    const ROWS: usize = 1024;
    let frames = mixed();
    let decoded: Vec<(FrameMeta, Decoded<'_>)> = (0..ROWS)
        .map(|i| {
            let f = frames[i % frames.len()];
            let meta = FrameMeta {
                frame_number: i as u64 + 1,
                file_index: 0,
                interface_id: 0,
                link_type: Some(LINKTYPE_ETHERNET),
                timestamp_ns: Some(1_700_000_000_000_000_000 + i as i64 * 1000),
                cap_len: f.len() as u32,
                wire_len: f.len() as u32,
            };
            (meta, decode_ok(f))
        })
        .collect();
    // The answer: one row per frame, addresses as text.
    let mut check = PacketsBuilder::new(ROWS);
    for (m, d) in &decoded {
        check.append(m, d);
    }
    let batch = check.finish();
    assert_eq!(batch.num_rows(), ROWS);
    let src_ip = batch.column_by_name("src_ip").unwrap();
    let src_ip = src_ip
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .unwrap();
    assert_eq!(src_ip.value(0), "10.0.0.1");
    assert_eq!(src_ip.value(24), "2001:db8::1");

    let mut g = c.benchmark_group("packets_builder");
    g.throughput(Throughput::Elements(ROWS as u64));
    // Appending rows alone (the builder is made and dropped outside the timed part).
    g.bench_function("append", |b| {
        b.iter_batched_ref(
            || PacketsBuilder::new(ROWS),
            |builder| {
                for (m, d) in &decoded {
                    builder.append(m, d);
                }
            },
            BatchSize::SmallInput,
        )
    });
    // Appending and building the Arrow batch: the whole per-frame cost of the table.
    g.bench_function("append_finish", |b| {
        b.iter_batched_ref(
            || PacketsBuilder::new(ROWS),
            |builder| {
                for (m, d) in &decoded {
                    builder.append(m, d);
                }
                black_box(builder.finish())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    ethernet_ipv4_tcp,
    ipv6_udp,
    vlan_tagged,
    arp,
    igmpv3_report,
    nlb_heartbeat,
    decode_mixed,
    packets_append
);
criterion_main!(benches);
