//! Application protocols that span TCP segments (SMB 2/3; iWARP), decoded in capture order.
//!
//! Per-frame decoding runs on several threads and cannot see across frames; this stage runs
//! after it, in frame order, on the few frames whose ports name a stream protocol. It reads
//! their payloads straight from the frame bytes (no copy beyond each message's first bytes)
//! and keeps one [`framer::MessageFramer`] per direction of each connection.
//!
//! What it frames it hands to a [`StreamSink`] as typed events (an SMB message's head, an
//! iWARP message and its place, bytes lost); this stage builds no rows: `tables/` does, from
//! the events.

pub mod framer;
pub mod iwarp;
pub mod smb;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::Decoded;
use crate::frame::{At, Endpoints};
use crate::wire::tcp;
use framer::{Event, LostKind, MessageFramer, Segment};
use iwarp::IwarpMessage;

/// TCP ports whose payload is SMB: 445 (Direct TCP) and 139 (NetBIOS session service).
pub const SMB_PORTS: [u16; 2] = [445, 139];

/// Whether a decoded frame belongs to a stream protocol this stage follows.
pub fn wants(d: &Decoded<'_>) -> bool {
    match (d.tcp, d.ip) {
        (Some(t), Some(ip)) if !ip.is_fragment => {
            SMB_PORTS.contains(&t.dst_port)
                || SMB_PORTS.contains(&t.src_port)
                || t.dst_port == iwarp::IWARP_SMBD_PORT
                || t.src_port == iwarp::IWARP_SMBD_PORT
        }
        _ => false,
    }
}

/// A frame kept for this stage: where its TCP payload is and what the headers said.
#[derive(Debug, Clone, Copy)]
pub struct StreamFrame {
    pub at: At,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub flags: u16,
    /// Payload offset in the frame bytes and captured length.
    pub payload_start: usize,
    pub payload_captured: usize,
    pub payload_len: u32,
}

impl StreamFrame {
    /// None when the frame is not one [`wants`] accepts.
    pub fn new(frame: &[u8], at: At, d: &Decoded<'_>) -> Option<StreamFrame> {
        if !wants(d) {
            return None;
        }
        let (t, ip) = (d.tcp?, d.ip?);
        let (payload_start, payload_captured) = match d.payload {
            // Offset of a subslice within its frame: both point into the same bytes.
            Some(p) => (p.as_ptr() as usize - frame.as_ptr() as usize, p.len()),
            None => (frame.len(), 0),
        };
        Some(StreamFrame {
            at,
            src: ip.src,
            dst: ip.dst,
            src_port: t.src_port,
            dst_port: t.dst_port,
            seq: t.seq,
            flags: t.flags,
            payload_start,
            payload_captured,
            payload_len: d.payload_len.unwrap_or(0),
        })
    }
}

/// One direction of a connection.
type DirectionKey = Endpoints;

/// The protocols this stage frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamProtocol {
    Smb,
    Iwarp,
}

impl StreamProtocol {
    /// The name the tables use (`stream_gaps.protocol`).
    pub fn name(self) -> &'static str {
        match self {
            StreamProtocol::Smb => "smb",
            StreamProtocol::Iwarp => "iwarp",
        }
    }
}

/// Where the stream stage hands what it framed, in frame order: the table builders turn each
/// event into rows (`tables::streams::StreamRows`).
pub trait StreamSink {
    /// An SMB message on `ends`: its `head` from the transport header on (as much as the
    /// framer collected: see `SmbFraming`), its `total` length on the wire, and whether the
    /// capture `cut` it before the head was complete.
    fn smb_message(&mut self, ends: &Endpoints, at: At, head: &[u8], total: usize, cut: bool);
    /// An iWARP message on `ends` (an MPA start or an FPDU, from the MPA length on), with what
    /// its place in the direction says of it.
    fn iwarp_message(
        &mut self,
        ends: &Endpoints,
        at: At,
        head: &[u8],
        cut: bool,
        message: IwarpMessage,
    );
    /// Bytes of a direction that could not be framed, and why.
    fn lost(
        &mut self,
        protocol: StreamProtocol,
        ends: &Endpoints,
        at: At,
        kind: LostKind,
        bytes: u64,
    );
}

/// Directions followed at once; past this, frames of new connections are not framed and are
/// counted ([`StreamCounters::directions_untracked`]): a capture of a port scan or a SYN flood
/// on port 445 must not grow the table without bound. Each costs about 300 bytes with the
/// map's share (some 20 MB when full); 32 k SMB connections at once is far beyond a cluster's.
pub const MAX_DIRECTIONS: usize = 1 << 16;

/// Bytes all directions' message heads may hold at once. A head is collected to decode a
/// message (an SMB IOCTL response up to 64 KiB: the interface list); 65,536 directions each
/// collecting one would hold 4 GiB. Past this budget a direction's message is handed over cut
/// at what it has (a row marked truncated, its length known) and counted
/// ([`StreamCounters::heads_cut`]); a real capture holds a few heads at a time.
pub const HEADS_BUDGET_BYTES: usize = 64 << 20;

/// Capture time without a segment after which a direction's framer is closed (its unframed
/// bytes reported as at the end of the capture); the flow map's idle timeout.
pub const STREAM_IDLE_TIMEOUT_NS: i64 = crate::flows::FLOW_IDLE_TIMEOUT_NS;

/// How far capture time moves between two looks for idle directions.
const IDLE_SWEEP_NS: i64 = 10 * 1_000_000_000;

/// What the bounds of the stream framers closed early or did not follow.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamCounters {
    /// Directions closed after [`STREAM_IDLE_TIMEOUT_NS`] without a segment.
    pub directions_expired: u64,
    /// Frames of directions not followed because [`MAX_DIRECTIONS`] were open.
    pub directions_untracked: u64,
    /// Messages handed over cut because the heads of all directions held
    /// [`HEADS_BUDGET_BYTES`].
    pub heads_cut: u64,
}

/// Feed one segment to a direction's framer (and its end too, on a FIN) with what the heads
/// budget leaves it ([`HEADS_BUDGET_BYTES`] less what the other directions' heads hold),
/// then account for what its head holds after and the messages it had to cut. On a FIN the
/// direction's head leaves the budget: the caller drops the direction.
fn feed_within_budget<F: framer::Framing>(
    framer: &mut MessageFramer<F>,
    heads_bytes: &mut usize,
    counters: &mut StreamCounters,
    seg: &Segment<'_>,
    fin: bool,
    emit: &mut impl FnMut(Event<'_>),
) {
    let (before, cut) = (framer.head_capacity(), framer.heads_cut);
    framer.head_limit = HEADS_BUDGET_BYTES.saturating_sub(*heads_bytes - before);
    framer.segment(seg, emit);
    if fin {
        framer.finish(seg.at, emit);
    }
    *heads_bytes = *heads_bytes - before + framer.head_capacity();
    counters.heads_cut += framer.heads_cut - cut;
    if fin {
        *heads_bytes -= framer.head_capacity();
    }
}

/// The in-order stage: feed it every [`StreamFrame`] in frame order with the sink that takes
/// its events.
/// Each direction keeps the time of its last segment, for the idle timeout.
pub struct StreamTracker {
    smb: HashMap<DirectionKey, (MessageFramer<smb::SmbFraming>, At)>,
    iwarp: HashMap<
        DirectionKey,
        (
            MessageFramer<iwarp::IwarpFraming>,
            iwarp::IwarpDirection,
            At,
        ),
    >,
    last: At,
    last_sweep_ns: Option<i64>,
    /// Bytes the framers' heads hold allocated, together (bounded by [`HEADS_BUDGET_BYTES`]).
    heads_bytes: usize,
    pub counters: StreamCounters,
}

impl Default for StreamTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamTracker {
    pub fn new() -> Self {
        StreamTracker {
            smb: HashMap::new(),
            iwarp: HashMap::new(),
            last: At {
                frame_number: 0,
                timestamp_ns: None,
            },
            last_sweep_ns: None,
            heads_bytes: 0,
            counters: StreamCounters::default(),
        }
    }

    /// Close the directions idle for [`STREAM_IDLE_TIMEOUT_NS`] at capture time `now_ns`
    /// (the earliest timestamp of the chunk just passed). Call after each chunk.
    pub fn expire(&mut self, now_ns: Option<i64>, sink: &mut impl StreamSink) {
        let Some(now) = now_ns else { return };
        if self
            .last_sweep_ns
            .is_some_and(|t| now.saturating_sub(t) < IDLE_SWEEP_NS)
        {
            return;
        }
        self.last_sweep_ns = Some(now);
        let limit = now.saturating_sub(STREAM_IDLE_TIMEOUT_NS);
        let idle = |at: &At| at.timestamp_ns.is_some_and(|t| t < limit);
        let smb: Vec<DirectionKey> = self
            .smb
            .iter()
            .filter(|(_, (_, at))| idle(at))
            .map(|(k, _)| *k)
            .collect();
        let iwarp: Vec<DirectionKey> = self
            .iwarp
            .iter()
            .filter(|(_, (_, _, at))| idle(at))
            .map(|(k, _)| *k)
            .collect();
        self.counters.directions_expired += (smb.len() + iwarp.len()) as u64;
        for key in smb {
            if let Some((mut framer, at)) = self.smb.remove(&key) {
                self.heads_bytes -= framer.head_capacity();
                framer.finish(at, &mut |e| emit_smb(sink, &key, e));
            }
        }
        for key in iwarp {
            if let Some((mut framer, mut st, at)) = self.iwarp.remove(&key) {
                self.heads_bytes -= framer.head_capacity();
                framer.finish(at, &mut |e| emit_iwarp(sink, &mut st, &key, e));
            }
        }
    }

    /// Feed one frame (`frame` its bytes) and hand what it completes to `sink`.
    pub fn frame(&mut self, f: &StreamFrame, frame: &[u8], sink: &mut impl StreamSink) {
        self.last = f.at;
        let key = Endpoints {
            src_ip: f.src,
            src_port: f.src_port,
            dst_ip: f.dst,
            dst_port: f.dst_port,
        };
        let is_iwarp = f.dst_port == iwarp::IWARP_SMBD_PORT || f.src_port == iwarp::IWARP_SMBD_PORT;
        if f.flags & tcp::RST != 0 {
            // the connection ends here: what each direction still holds is reported
            for k in [key, key.reversed()] {
                if let Some((mut framer, _)) = self.smb.remove(&k) {
                    self.heads_bytes -= framer.head_capacity();
                    framer.finish(f.at, &mut |e| emit_smb(sink, &k, e));
                }
                if let Some((mut framer, mut st, _)) = self.iwarp.remove(&k) {
                    self.heads_bytes -= framer.head_capacity();
                    framer.finish(f.at, &mut |e| emit_iwarp(sink, &mut st, &k, e));
                }
            }
            return;
        }
        let known = if is_iwarp {
            self.iwarp.contains_key(&key)
        } else {
            self.smb.contains_key(&key)
        };
        if !known && self.smb.len() + self.iwarp.len() >= MAX_DIRECTIONS {
            self.counters.directions_untracked += 1;
            return;
        }
        let payload = frame
            .get(f.payload_start..f.payload_start + f.payload_captured)
            .unwrap_or(&[]);
        let seg = Segment {
            at: f.at,
            seq: f.seq,
            syn: f.flags & tcp::SYN != 0,
            payload,
            payload_len: f.payload_len,
        };
        let fin = f.flags & tcp::FIN != 0;
        let ends = key;
        if is_iwarp {
            let (framer, st, last) = self.iwarp.entry(key).or_insert_with(|| {
                let (framer, st) = Default::default();
                (framer, st, f.at)
            });
            *last = f.at;
            let mut on = |e: Event<'_>| emit_iwarp(sink, st, &ends, e);
            feed_within_budget(
                framer,
                &mut self.heads_bytes,
                &mut self.counters,
                &seg,
                fin,
                &mut on,
            );
            if fin {
                self.iwarp.remove(&key);
            }
        } else {
            let (framer, last) = self
                .smb
                .entry(key)
                .or_insert_with(|| (MessageFramer::new(smb::SmbFraming), f.at));
            *last = f.at;
            let mut on = |e: Event<'_>| emit_smb(sink, &ends, e);
            feed_within_budget(
                framer,
                &mut self.heads_bytes,
                &mut self.counters,
                &seg,
                fin,
                &mut on,
            );
            if fin {
                self.smb.remove(&key);
            }
        }
    }

    /// Account for bytes still unframed at the end of the capture.
    pub fn finish(&mut self, sink: &mut impl StreamSink) {
        let at = self.last;
        for (ends, (framer, _)) in self.smb.iter_mut() {
            framer.finish(at, &mut |e| emit_smb(sink, ends, e));
        }
        for (ends, (framer, st, _)) in self.iwarp.iter_mut() {
            framer.finish(at, &mut |e| emit_iwarp(sink, st, ends, e));
        }
    }
}

fn emit_smb(sink: &mut impl StreamSink, ends: &Endpoints, e: Event<'_>) {
    match e {
        Event::Message {
            at,
            head,
            total,
            cut,
        } => sink.smb_message(ends, at, head, total, cut),
        Event::Lost { at, kind, bytes } => sink.lost(StreamProtocol::Smb, ends, at, kind, bytes),
    }
}

fn emit_iwarp(
    sink: &mut impl StreamSink,
    st: &mut iwarp::IwarpDirection,
    ends: &Endpoints,
    e: Event<'_>,
) {
    match e {
        Event::Message { at, head, cut, .. } => {
            let message = st.classify(head);
            sink.iwarp_message(ends, at, head, cut, message);
        }
        Event::Lost { at, kind, bytes } => sink.lost(StreamProtocol::Iwarp, ends, at, kind, bytes),
    }
}
