//! The rows of the stream stage's events: SMB messages become `smb_pdus` and
//! `smb_interfaces` rows, iWARP messages `rdma_segments` rows, lost bytes `stream_gaps` rows.
//! The stream stage (`stream/`) frames and classifies; this is where its events are read
//! into columns.

use arrow_array::RecordBatch;

use super::rdma::RdmaRows;
use super::smb::{self, SmbRows};
use crate::frame::{At, Endpoints};
use crate::stream::framer::LostKind;
use crate::stream::iwarp::IwarpMessage;
use crate::stream::{StreamProtocol, StreamSink};

/// The rows of the stream tables gathered since the last [`StreamRows::take_batches`].
#[derive(Default)]
pub struct StreamRows {
    smb: SmbRows,
    rdma: RdmaRows,
}

impl StreamRows {
    /// Rows gathered since the last call, as batches (empty tables left out).
    pub fn take_batches(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = self.smb.finish();
        out.extend(self.rdma.finish());
        out
    }
}

impl StreamSink for StreamRows {
    fn smb_message(&mut self, ends: &Endpoints, at: At, head: &[u8], total: usize, cut: bool) {
        smb::message_rows(&mut self.smb, ends, at, head, total, cut);
    }

    fn iwarp_message(
        &mut self,
        ends: &Endpoints,
        at: At,
        head: &[u8],
        cut: bool,
        message: IwarpMessage,
    ) {
        self.rdma.append_iwarp(ends, at, head, cut, message);
    }

    fn lost(
        &mut self,
        protocol: StreamProtocol,
        ends: &Endpoints,
        at: At,
        kind: LostKind,
        bytes: u64,
    ) {
        self.smb.lost(ends, at, protocol.name(), kind.name(), bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{StreamFrame, StreamTracker};
    use crate::wire::tcp;
    use std::collections::HashMap;
    use std::net::{IpAddr, Ipv4Addr};

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
        let mut sink = StreamRows::default();
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
                tracker.frame(&f, &payload, &mut sink);
                seq[dir] = s.wrapping_add(declared.max(u32::from(flags == tcp::SYN)));
                for (name, b) in sink.take_batches() {
                    *rows.entry(name).or_default() += b.num_rows();
                }
            }
        }
        tracker.finish(&mut sink);
        for (name, b) in sink.take_batches() {
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
