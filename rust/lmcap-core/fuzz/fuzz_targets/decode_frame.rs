//! One frame through the layer walker (`decode::decode` / `decode_into`), from every link type
//! lmcap decodes, and through what reads a decoded frame next (RoCE rows, the stream stage's
//! payload location).
//!
//! Input layout (what `scripts/fuzz_seeds.py` writes): byte 0 picks the link type (0-7: the
//! eight supported ones, 255: unknown interface, anything else: that number as an unknown link
//! type), byte 1 moves the wire length away from the captured length (as i8: a snaplen cut
//! when positive, a lying record when negative), the rest is the frame.
//!
//! Checks:
//! - `decode_into` into a `Decoded` that held another frame equals a fresh `decode` (reset
//!   forgets nothing);
//! - every borrowed slice (payload, ARP addresses) lies inside the frame, `l3_offset` too;
//! - each truncation of a frame that decoded `ok` decodes without panic and stops with `ok`,
//!   `empty_frame` or a `truncated_*` reason: a snaplen cut is never reported as a malformed
//!   packet;
//! - a stream frame's payload location stays inside the frame; RoCE rows build.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lmcap_core::decode::{decode, decode_into, Decoded, StopReason};
use lmcap_core::frame::{At, FrameMeta};
use lmcap_core::stream::StreamFrame;
use lmcap_core::tables::rdma::RdmaRows;
use lmcap_core::wire::link;
use lmcap_core_fuzz::assert_inside;

const LINK_TYPES: [u16; 8] = [
    link::LINKTYPE_NULL,
    link::LINKTYPE_ETHERNET,
    link::LINKTYPE_RAW,
    link::LINKTYPE_LOOP,
    link::LINKTYPE_LINUX_SLL,
    link::LINKTYPE_IPV4,
    link::LINKTYPE_IPV6,
    link::LINKTYPE_LINUX_SLL2,
];

fn check_inside(d: &Decoded<'_>, frame: &[u8]) {
    if let Some(p) = d.payload {
        assert_inside(p, frame, "payload");
    }
    if let Some(a) = &d.arp {
        assert_inside(a.sender_mac, frame, "arp sender_mac");
        assert_inside(a.target_mac, frame, "arp target_mac");
    }
    if let Some(o) = d.l3_offset {
        assert!(
            o <= frame.len(),
            "l3_offset {o} past the {}-byte frame",
            frame.len()
        );
    }
    assert!(d.vlan_count <= 8, "{} VLAN tags recorded", d.vlan_count);
    if let (Some(ip), Some(o)) = (d.ip, d.l3_offset) {
        if d.status == StopReason::Ok && !ip.is_fragment {
            assert!(
                o + ip.header_len as usize <= frame.len(),
                "IP header past the frame"
            );
        }
    }
}

fn truncation_is_allowed(s: StopReason) -> bool {
    matches!(s, StopReason::Ok | StopReason::EmptyFrame) || s.name().starts_with("truncated_")
}

fuzz_target!(|data: &[u8]| {
    let [pick, shift, frame @ ..] = data else {
        return;
    };
    let link_type = match *pick {
        p if (p as usize) < LINK_TYPES.len() => Some(LINK_TYPES[p as usize]),
        255 => None,
        p => Some(u16::from(p) << 4 | 0xf),
    };
    let wire_len = (frame.len() as u32).saturating_add_signed(i32::from(*shift as i8));

    let fresh = decode(frame, link_type, wire_len);
    check_inside(&fresh, frame);

    // The reused struct first holds the decode of another frame (the same bytes as Ethernet,
    // cut in half), so stale fields would show.
    let mut reused = Decoded::default();
    decode_into(
        &frame[frame.len() / 2..],
        Some(link::LINKTYPE_ETHERNET),
        wire_len,
        &mut reused,
    );
    decode_into(frame, link_type, wire_len, &mut reused);
    assert_eq!(
        format!("{fresh:?}"),
        format!("{reused:?}"),
        "decode_into kept state"
    );
    assert_eq!(
        fresh.payload.map(|p| (p.as_ptr(), p.len())),
        reused.payload.map(|p| (p.as_ptr(), p.len()))
    );

    let at = At {
        frame_number: 1,
        timestamp_ns: None,
    };
    if let Some(f) = StreamFrame::new(frame, at, &fresh) {
        assert!(
            f.payload_start + f.payload_captured <= frame.len(),
            "stream payload past the frame"
        );
    }
    let meta = FrameMeta {
        frame_number: 1,
        file_index: 0,
        interface_id: 0,
        link_type,
        timestamp_ns: None,
        cap_len: frame.len() as u32,
        wire_len,
    };
    let mut rdma = RdmaRows::new();
    rdma.append_roce(&meta, &fresh);
    let _ = rdma.finish();

    // A frame the walker fully understood, cut by a snaplen: each cut must read as a cut.
    if fresh.status == StopReason::Ok && wire_len as usize == frame.len() {
        for cut in 0..frame.len() {
            let d = decode(&frame[..cut], link_type, wire_len);
            check_inside(&d, &frame[..cut]);
            assert!(
                truncation_is_allowed(d.status),
                "a frame that decodes ok, cut to {cut} of {} bytes, stops with {}",
                frame.len(),
                d.status.name()
            );
        }
    }
});
