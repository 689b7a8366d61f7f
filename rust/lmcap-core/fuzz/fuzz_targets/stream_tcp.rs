//! A sequence of TCP segments through the stream stage: the SMB and iWARP framers (message
//! boundaries, resync after a gap or a bad header, snaplen cuts, retransmissions) and what they
//! decode (SMB2 message rows, MPA/DDP/RDMAP and SMB Direct rows).
//!
//! Input layout (what `scripts/fuzz_seeds.py` writes): byte 0 picks the server port (bits 0-1:
//! 445, 139, 5445, 445), then segments, each:
//!   control u8: bit 0 direction (0 client->server), bit 1 SYN, bit 2 FIN, bit 3 RST (only
//!     with bits 4-7 all set, so that it stays rare), bit 4 a sequence jump follows,
//!     bit 5 a captured length follows, bit 6 extra wire bytes follow;
//!   [i32 LE sequence jump] [u16 LE captured length] [u16 LE extra wire bytes];
//!   u16 LE payload length, then that many payload bytes (cut at the end of the input).
//!
//! Checks:
//! - the whole stage (`StreamTracker`) takes any such sequence; every table it emits builds
//!   and every row names a frame that was fed;
//! - each framer on its own, fed the same payloads as one clean stream (in order, nothing
//!   missing, nothing cut), accounts for every byte: bytes in messages plus bytes reported
//!   lost match the bytes fed (up to the message still open at the end), and a clean stream
//!   never reports a gap or uncaptured bytes;
//! - a message's head is never longer than the message nor than the framer's collection
//!   limit (no allocation sized by an untrusted length).
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use libfuzzer_sys::fuzz_target;
use lmcap_core::frame::At;
use lmcap_core::stream::framer::{Event, Framing, LostKind, MessageFramer, Segment};
use lmcap_core::stream::iwarp::{IwarpFraming, IWARP_SMBD_PORT};
use lmcap_core::stream::smb::SmbFraming;
use lmcap_core::stream::{StreamFrame, StreamTracker};
use lmcap_core::tables::streams::StreamRows;
use lmcap_core::wire::tcp;

/// The most a framer collects of one message: SMB's 4 + 64 KiB, an iWARP FPDU's
/// 2 + 65535 + pad + CRC, an MPA start frame's 20 + 512.
const MAX_HEAD: usize = 2 + 65_535 + 3 + 4;

#[derive(Clone, Copy)]
struct Seg<'a> {
    dir: usize,
    flags: u16,
    jump: i32,
    captured: Option<usize>,
    extra: u32,
    payload: &'a [u8],
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (h, t) = b.split_at_checked(n)?;
    *b = t;
    Some(h)
}

fn parse(mut b: &[u8]) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    while let Some(&[c]) = take(&mut b, 1) {
        let mut s = Seg {
            dir: usize::from(c & 1),
            flags: if c & 2 != 0 { tcp::SYN } else { tcp::ACK },
            jump: 0,
            captured: None,
            extra: 0,
            payload: &[],
        };
        if c & 4 != 0 {
            s.flags |= tcp::FIN;
        }
        if c & 0xf8 == 0xf8 {
            s.flags |= tcp::RST;
        }
        if c & 0x10 != 0 {
            let Some(j) = take(&mut b, 4) else { break };
            s.jump = i32::from_le_bytes(j.try_into().unwrap());
        }
        if c & 0x20 != 0 {
            let Some(j) = take(&mut b, 2) else { break };
            s.captured = Some(u16::from_le_bytes(j.try_into().unwrap()) as usize);
        }
        if c & 0x40 != 0 {
            let Some(j) = take(&mut b, 2) else { break };
            s.extra = u32::from(u16::from_le_bytes(j.try_into().unwrap()));
        }
        let Some(l) = take(&mut b, 2) else { break };
        let len = (u16::from_le_bytes(l.try_into().unwrap()) as usize).min(b.len());
        s.payload = take(&mut b, len).unwrap_or(&[]);
        out.push(s);
    }
    out
}

/// The whole stage, as the scanner drives it.
fn tracker(port: u16, segs: &[Seg<'_>]) {
    let client = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 49_152u16);
    let server = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), port);
    let mut seq = [1_000u32, 900_000u32];
    let mut t = StreamTracker::new();
    let mut rows = StreamRows::default();
    let mut frames = 0u64;
    let check = |batches: Vec<(&'static str, arrow_array::RecordBatch)>, frames: u64| {
        for (name, b) in batches {
            if let Some(c) = b.column_by_name("frame_number") {
                for f in c.as_primitive::<UInt64Type>().iter() {
                    let f = f.unwrap_or_else(|| panic!("{name}: null frame_number"));
                    assert!(
                        (1..=frames).contains(&f),
                        "{name}: row names frame {f} of {frames}"
                    );
                }
            }
        }
    };
    for s in segs {
        let (src, dst) = if s.dir == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let declared = s.payload.len() as u32 + s.extra;
        let this_seq = seq[s.dir].wrapping_add_signed(s.jump);
        frames += 1;
        let f = StreamFrame {
            at: At {
                frame_number: frames,
                timestamp_ns: Some(frames as i64),
            },
            src: src.0,
            dst: dst.0,
            src_port: src.1,
            dst_port: dst.1,
            seq: this_seq,
            flags: s.flags,
            payload_start: 0,
            payload_captured: s.captured.unwrap_or(usize::MAX).min(s.payload.len()),
            payload_len: declared,
        };
        t.frame(&f, s.payload, &mut rows);
        seq[s.dir] = this_seq
            .wrapping_add(declared)
            .wrapping_add(u32::from(s.flags & tcp::SYN != 0));
        // The scanner takes the rows once per batch of frames; so does this, every 32 frames
        // (tables built after every segment would cost more than the framing under test).
        if frames.is_multiple_of(32) {
            check(rows.take_batches(), frames);
        }
    }
    t.finish(&mut rows);
    check(rows.take_batches(), frames);
}

/// One framer fed the payloads as a clean stream: every byte is accounted for.
fn clean<F: Framing>(framing: F, segs: &[Seg<'_>], syn: bool) {
    let mut framer = MessageFramer::new(framing);
    // At the end of the stream a head still being collected is handed over cut, and a length
    // prefix not yet whole is reported not captured: the capture ended inside them.
    let ending = std::cell::Cell::new(false);
    let (mut messages, mut lost, mut last_total, mut fed) = (0u64, 0u64, 0u64, 0u64);
    let mut seq = 7u32;
    let mut frame_number = 0;
    let mut on = |e: Event<'_>| match e {
        Event::Message {
            head, total, cut, ..
        } => {
            assert!(!head.is_empty(), "an empty message head");
            assert!(
                head.len() <= total,
                "head of {} bytes for a {total}-byte message",
                head.len()
            );
            assert!(
                head.len() <= MAX_HEAD,
                "head of {} bytes collected",
                head.len()
            );
            assert!(
                !cut || ending.get(),
                "a message cut in a stream where nothing was cut"
            );
            messages += total as u64;
            last_total = total as u64;
        }
        Event::Lost { kind, bytes, .. } => {
            assert!(
                matches!(kind, LostKind::Resync | LostKind::BadHeader)
                    || (ending.get() && kind == LostKind::NotCaptured),
                "a clean stream reported {}",
                kind.name()
            );
            lost += bytes;
        }
    };
    let at = |n: u64| At {
        frame_number: n,
        timestamp_ns: None,
    };
    if syn {
        frame_number += 1;
        let s = Segment {
            at: at(frame_number),
            seq: seq.wrapping_sub(1),
            syn: true,
            payload: &[],
            payload_len: 0,
        };
        framer.segment(&s, &mut on);
    }
    for s in segs {
        frame_number += 1;
        let seg = Segment {
            at: at(frame_number),
            seq,
            syn: false,
            payload: s.payload,
            payload_len: s.payload.len() as u32,
        };
        framer.segment(&seg, &mut on);
        seq = seq.wrapping_add(s.payload.len() as u32);
        fed += s.payload.len() as u64;
    }
    ending.set(true);
    framer.finish(at(frame_number), &mut on);
    let accounted = messages + lost;
    // The last message may announce more bytes than were fed; a head still being collected
    // (at most MAX_HEAD bytes) is fed but not yet reported.
    assert!(
        accounted <= fed + last_total,
        "{accounted} bytes accounted for, {fed} fed"
    );
    assert!(
        fed <= accounted + MAX_HEAD as u64,
        "{fed} bytes fed, only {accounted} in messages or reported lost"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let port = [445, 139, IWARP_SMBD_PORT, 445][usize::from(pick & 3)];
    let segs = parse(rest);
    tracker(port, &segs);
    let client: Vec<Seg<'_>> = segs.iter().filter(|s| s.dir == 0).copied().collect();
    let syn = pick & 4 != 0;
    if port == IWARP_SMBD_PORT {
        clean(IwarpFraming::default(), &client, syn);
    } else {
        clean(SmbFraming, &client, syn);
    }
});
