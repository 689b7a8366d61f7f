//! Application protocols that span TCP segments (SMB 2/3; iWARP), decoded in capture order.
//!
//! Per-frame decoding runs on several threads and cannot see across frames; this stage runs
//! after it, in frame order, on the few frames whose ports name a stream protocol. It reads
//! their payloads straight from the frame bytes (no copy beyond each message's first bytes)
//! and keeps one [`framer::MessageFramer`] per direction of each connection.

pub mod framer;
pub mod iwarp;
pub mod smb;

use std::collections::HashMap;
use std::net::IpAddr;

use arrow_array::RecordBatch;

use crate::decode::Decoded;
use crate::tables::rdma::RdmaRows;
use crate::tables::smb::SmbRows;
use crate::tables::text;
use crate::wire::tcp;
use framer::{At, Event, MessageFramer, Segment};

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
type DirectionKey = smb::Endpoints;

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

/// The in-order stage: feed it every [`StreamFrame`] in frame order, take its rows per batch.
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
    rows: SmbRows,
    rdma: RdmaRows,
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
            rows: SmbRows::new(),
            rdma: RdmaRows::new(),
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
    pub fn expire(&mut self, now_ns: Option<i64>) {
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
        let rows = &mut self.rows;
        for key in smb {
            if let Some((mut framer, at)) = self.smb.remove(&key) {
                self.heads_bytes -= framer.head_capacity();
                framer.finish(at, &mut |e| emit(rows, &key, e));
            }
        }
        let rdma = &mut self.rdma;
        for key in iwarp {
            if let Some((mut framer, mut st, at)) = self.iwarp.remove(&key) {
                self.heads_bytes -= framer.head_capacity();
                framer.finish(at, &mut |e| emit_iwarp(rows, rdma, &mut st, &key, e));
            }
        }
    }

    pub fn frame(&mut self, f: &StreamFrame, frame: &[u8]) {
        self.last = f.at;
        let key = smb::Endpoints {
            src_ip: f.src,
            src_port: f.src_port,
            dst_ip: f.dst,
            dst_port: f.dst_port,
        };
        let is_iwarp = f.dst_port == iwarp::IWARP_SMBD_PORT || f.src_port == iwarp::IWARP_SMBD_PORT;
        if f.flags & tcp::RST != 0 {
            let back = smb::Endpoints {
                src_ip: f.dst,
                src_port: f.dst_port,
                dst_ip: f.src,
                dst_port: f.src_port,
            };
            // the connection ends here: what each direction still holds is reported
            let rows = &mut self.rows;
            for k in [key, back] {
                if let Some((mut framer, _)) = self.smb.remove(&k) {
                    self.heads_bytes -= framer.head_capacity();
                    framer.finish(f.at, &mut |e| emit(rows, &k, e));
                }
                if let Some((mut framer, mut st, _)) = self.iwarp.remove(&k) {
                    self.heads_bytes -= framer.head_capacity();
                    let rdma = &mut self.rdma;
                    framer.finish(f.at, &mut |e| emit_iwarp(rows, rdma, &mut st, &k, e));
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
        let (rows, rdma) = (&mut self.rows, &mut self.rdma);
        if is_iwarp {
            let (framer, st, last) = self.iwarp.entry(key).or_insert_with(|| {
                let (framer, st) = Default::default();
                (framer, st, f.at)
            });
            *last = f.at;
            let mut on = |e: Event<'_>| emit_iwarp(rows, rdma, st, &ends, e);
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
            let mut on = |e: Event<'_>| emit(rows, &ends, e);
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
    pub fn finish(&mut self) {
        let at = self.last;
        let rows = &mut self.rows;
        for (ends, (framer, _)) in self.smb.iter_mut() {
            framer.finish(at, &mut |e| emit(rows, ends, e));
        }
        let rdma = &mut self.rdma;
        for (ends, (framer, st, _)) in self.iwarp.iter_mut() {
            framer.finish(at, &mut |e| emit_iwarp(rows, rdma, st, ends, e));
        }
    }

    /// Rows gathered since the last call, as batches (empty tables left out).
    pub fn take_batches(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = self.rows.finish();
        out.extend(self.rdma.finish());
        out
    }
}

fn emit(rows: &mut SmbRows, ends: &smb::Endpoints, e: Event<'_>) {
    match e {
        Event::Message {
            at,
            head,
            total,
            cut,
        } => smb::message_rows(rows, ends, at, head, total, cut),
        Event::Lost { at, kind, bytes } => rows.lost(ends, at, "smb", kind.name(), bytes),
    }
}

fn emit_iwarp(
    rows: &mut SmbRows,
    rdma: &mut RdmaRows,
    st: &mut iwarp::IwarpDirection,
    ends: &smb::Endpoints,
    e: Event<'_>,
) {
    match e {
        Event::Message { at, head, cut, .. } => {
            if let Some(mut row) = iwarp::message_row(st, at, head, cut) {
                row.src = text::ip_string(&ends.src_ip);
                row.dst = text::ip_string(&ends.dst_ip);
                row.src_port = Some(ends.src_port);
                row.dst_port = Some(ends.dst_port);
                rdma.push(row);
            }
        }
        Event::Lost { at, kind, bytes } => rows.lost(ends, at, "iwarp", kind.name(), bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Deterministic xorshift: no dependency, same bytes on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    /// Untrusted streams: random bytes, bit-flipped real-looking messages, lying lengths,
    /// random sequence jumps, retransmissions and snaplen cuts on SMB and iWARP ports. The
    /// tracker must not panic, and every table it emits must build (schemas hold).
    #[test]
    fn random_and_corrupt_streams_never_panic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut tracker = StreamTracker::new();
        let mut frame_number = 0;
        let mut rows: HashMap<&str, usize> = HashMap::new();
        let smb_like: Vec<u8> = {
            let mut m = vec![0, 0, 0, 100, 0xFE, b'S', b'M', b'B', 64, 0];
            m.resize(104, 0);
            m
        };
        let mpa_like: Vec<u8> = {
            let mut m = b"MPA ID Req Frame".to_vec();
            m.extend([0x40, 1, 0, 4, 0, 0, 0, 0]);
            m
        };
        for conn in 0..60u16 {
            let port = [445, 139, 5445][conn as usize % 3];
            let client = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 40000 + conn);
            let server = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20)), port);
            let mut seq = [rng.next() as u32, rng.next() as u32];
            for step in 0..300 {
                // Both directions open with a SYN (then the framer is in sync), later anything.
                let dir = if step < 2 {
                    step
                } else {
                    (rng.next() & 1) as usize
                };
                let (src, dst) = if dir == 0 {
                    (client, server)
                } else {
                    (server, client)
                };
                let mut payload: Vec<u8> = match rng.below(4) {
                    0 => (0..rng.below(3000)).map(|_| rng.next() as u8).collect(),
                    1 => smb_like.clone(),
                    2 => mpa_like.clone(),
                    _ => {
                        let mut m = smb_like.clone();
                        m.extend(mpa_like.iter());
                        m
                    }
                };
                for _ in 0..rng.below(4) {
                    if !payload.is_empty() {
                        let i = rng.below(payload.len() as u64) as usize;
                        payload[i] ^= 1 << rng.below(8);
                    }
                }
                let declared = if step < 2 {
                    0
                } else {
                    payload.len() as u32 + rng.below(2) as u32 * rng.below(5000) as u32
                };
                let captured = payload.len().min(rng.below(4000) as usize);
                if step < 2 {
                    payload.clear();
                }
                let flags = match (step, rng.below(40)) {
                    (0 | 1, _) => tcp::SYN,
                    (_, 0) => tcp::FIN,
                    (_, 1) => tcp::RST,
                    _ => tcp::ACK,
                };
                let s = match rng.below(10) {
                    0 => seq[dir].wrapping_sub(rng.below(10_000) as u32),
                    1 => seq[dir].wrapping_add(rng.below(1 << 31) as u32),
                    _ => seq[dir],
                };
                frame_number += 1;
                let f = StreamFrame {
                    at: At {
                        frame_number,
                        timestamp_ns: Some(frame_number as i64),
                    },
                    src: src.0,
                    dst: dst.0,
                    src_port: src.1,
                    dst_port: dst.1,
                    seq: s,
                    flags,
                    payload_start: 0,
                    payload_captured: captured,
                    payload_len: declared,
                };
                tracker.frame(&f, &payload);
                seq[dir] = s.wrapping_add(declared.max(u32::from(flags == tcp::SYN)));
                for (name, b) in tracker.take_batches() {
                    *rows.entry(name).or_default() += b.num_rows();
                }
            }
        }
        tracker.finish();
        for (name, b) in tracker.take_batches() {
            *rows.entry(name).or_default() += b.num_rows();
        }
        // The inputs reach every table: the test exercises the decoders, not just the framer.
        for table in ["smb_pdus", "stream_gaps", "rdma_segments"] {
            assert!(
                rows.get(table).copied().unwrap_or(0) > 0,
                "{table}: {rows:?}"
            );
        }
    }
}
