//! Application protocols that span TCP segments (SMB 2/3; iWARP), decoded in capture order.
//!
//! Per-frame decoding runs on several threads and cannot see across frames; this stage runs
//! after it, in frame order, on the few frames whose ports name a stream protocol. It reads
//! their payloads straight from the frame bytes (no copy beyond each message's first bytes)
//! and keeps one [`framer::Framer`] per direction of each connection.

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
use framer::{At, Event, Framer, Segment};

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

type DirectionKey = (IpAddr, u16, IpAddr, u16);

/// Directions followed at once; past this, new connections are not framed (a capture of a
/// port scan must not grow the table without bound). Each costs a few hundred bytes idle.
const MAX_DIRECTIONS: usize = 1 << 18;

/// The in-order stage: feed it every [`StreamFrame`] in frame order, take its rows per batch.
pub struct StreamTracker {
    smb: HashMap<DirectionKey, Framer<smb::SmbFraming>>,
    iwarp: HashMap<DirectionKey, (Framer<iwarp::IwarpFraming>, iwarp::IwarpDirection)>,
    rows: SmbRows,
    rdma: RdmaRows,
    src_ip: String,
    dst_ip: String,
    last: At,
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
            src_ip: String::new(),
            dst_ip: String::new(),
            last: At {
                frame_number: 0,
                timestamp_ns: None,
            },
        }
    }

    pub fn frame(&mut self, f: &StreamFrame, frame: &[u8]) {
        self.last = f.at;
        let key = (f.src, f.src_port, f.dst, f.dst_port);
        let is_iwarp = f.dst_port == iwarp::IWARP_SMBD_PORT || f.src_port == iwarp::IWARP_SMBD_PORT;
        if f.flags & tcp::RST != 0 {
            let back = (f.dst, f.dst_port, f.src, f.src_port);
            for k in [key, back] {
                self.smb.remove(&k);
                self.iwarp.remove(&k);
            }
            return;
        }
        let known = if is_iwarp {
            self.iwarp.contains_key(&key)
        } else {
            self.smb.contains_key(&key)
        };
        if !known && self.smb.len() + self.iwarp.len() >= MAX_DIRECTIONS {
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
        let ends = endpoints(&key, &mut self.src_ip, &mut self.dst_ip);
        let (rows, rdma) = (&mut self.rows, &mut self.rdma);
        if is_iwarp {
            let (framer, st) = self.iwarp.entry(key).or_default();
            let mut on = |e: Event<'_>| emit_iwarp(rows, rdma, st, &ends, e);
            framer.segment(&seg, &mut on);
            if fin {
                framer.finish(f.at, &mut on);
                self.iwarp.remove(&key);
            }
        } else {
            let framer = self
                .smb
                .entry(key)
                .or_insert_with(|| Framer::new(smb::SmbFraming));
            framer.segment(&seg, &mut |e| emit(rows, &ends, e));
            if fin {
                framer.finish(f.at, &mut |e| emit(rows, &ends, e));
                self.smb.remove(&key);
            }
        }
    }

    /// Account for bytes still unframed at the end of the capture.
    pub fn finish(&mut self) {
        let at = self.last;
        let rows = &mut self.rows;
        let (mut src, mut dst) = (String::new(), String::new());
        for (key, framer) in self.smb.iter_mut() {
            let ends = endpoints(key, &mut src, &mut dst);
            framer.finish(at, &mut |e| emit(rows, &ends, e));
        }
        let rdma = &mut self.rdma;
        for (key, (framer, st)) in self.iwarp.iter_mut() {
            let ends = endpoints(key, &mut src, &mut dst);
            framer.finish(at, &mut |e| emit_iwarp(rows, rdma, st, &ends, e));
        }
    }

    /// Rows gathered since the last call, as batches (empty tables left out).
    pub fn take_batches(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = self.rows.finish();
        out.extend(self.rdma.finish());
        out
    }
}

/// A direction's addresses as text, formatted into reusable buffers.
fn endpoints<'s>(
    key: &DirectionKey,
    src: &'s mut String,
    dst: &'s mut String,
) -> smb::Endpoints<'s> {
    text::ip_into(&key.0, src);
    text::ip_into(&key.2, dst);
    smb::Endpoints {
        src_ip: src,
        src_port: key.1,
        dst_ip: dst,
        dst_port: key.3,
    }
}

fn emit(rows: &mut SmbRows, ends: &smb::Endpoints<'_>, e: Event<'_>) {
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
    ends: &smb::Endpoints<'_>,
    e: Event<'_>,
) {
    match e {
        Event::Message { at, head, cut, .. } => {
            if let Some(mut row) = iwarp::message_row(st, at, head, cut) {
                row.src = ends.src_ip.to_owned();
                row.dst = ends.dst_ip.to_owned();
                row.src_port = Some(ends.src_port);
                row.dst_port = Some(ends.dst_port);
                rdma.push(row);
            }
        }
        Event::Lost { at, kind, bytes } => rows.lost(ends, at, "iwarp", kind.name(), bytes),
    }
}
