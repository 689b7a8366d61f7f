//! SMB over TCP 445/139: where messages start ([`SmbFraming`]). What each says is read by
//! the table builder (`tables/smb.rs`) from the head the framer collected.

use super::framer::Framing;
use crate::wire::smb2::{
    self, command, Header, Protocol, TransportHeader, HEADER_LEN, TRANSPORT_HEADER_LEN,
};

/// Bytes of a message collected for decoding. Negotiate, session setup and IOCTL responses
/// (the interface list: 152 bytes per interface) fit easily; READ responses and WRITE
/// requests stop after their fixed part, so their data is skipped, never copied.
const MAX_HEAD: usize = TRANSPORT_HEADER_LEN + 65_536;
/// READ response / WRITE request: header plus the 48-byte fixed part of the body.
const DATA_HEAD: usize = TRANSPORT_HEADER_LEN + HEADER_LEN + 48;

pub struct SmbFraming;

impl Framing for SmbFraming {
    fn prefix(&self) -> usize {
        TRANSPORT_HEADER_LEN
    }

    fn message_len(&mut self, prefix: &[u8]) -> Option<usize> {
        let t = TransportHeader::parse(prefix).ok()?;
        Some(TRANSPORT_HEADER_LEN + t.length as usize)
    }

    fn want(&mut self, head: &[u8], total: usize) -> Option<usize> {
        if head[0] != 0 || total <= TRANSPORT_HEADER_LEN {
            // NetBIOS session control (port 139) or an empty message: nothing to decode.
            return Some(head.len());
        }
        let id_end = (TRANSPORT_HEADER_LEN + 4).min(total);
        if head.len() < id_end {
            return Some(id_end);
        }
        let cap = match Protocol::of(&head[TRANSPORT_HEADER_LEN..])? {
            Protocol::Smb2 => {
                let header_end = TRANSPORT_HEADER_LEN + HEADER_LEN;
                if head.len() < header_end.min(total) {
                    return Some(header_end.min(total));
                }
                match Header::parse(&head[TRANSPORT_HEADER_LEN..]) {
                    Ok(h)
                        if h.next_command == 0
                            && ((h.command == command::READ && h.is_response())
                                || (h.command == command::WRITE && !h.is_response())) =>
                    {
                        DATA_HEAD
                    }
                    _ => MAX_HEAD,
                }
            }
            Protocol::Encrypted => TRANSPORT_HEADER_LEN + smb2::TRANSFORM_HEADER_LEN,
            Protocol::Compressed => DATA_HEAD + smb2::COMPRESSION_HEADER_LEN,
            Protocol::Smb1 => TRANSPORT_HEADER_LEN + 4096,
        };
        Some(cap.min(total))
    }

    fn find_start(&self, data: &[u8]) -> Option<usize> {
        // A zero byte, a 24-bit length of at least an SMB1 header, then a protocol id.
        (5..data.len().saturating_sub(2)).find_map(|j| {
            let plausible = &data[j..j + 3] == b"SMB"
                && matches!(data[j - 1], 0xFC..=0xFF)
                && data[j - 5] == 0
                && u32::from_be_bytes([0, data[j - 4], data[j - 3], data[j - 2]]) >= 32;
            plausible.then_some(j - 5)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::At;
    use crate::stream::framer::{Event, LostKind, MessageFramer, Segment};

    fn smb2_message(command: u16, response: bool, session: u64, body_len: usize) -> Vec<u8> {
        let mut m = vec![0u8; 4 + HEADER_LEN + body_len];
        let len = (HEADER_LEN + body_len) as u32;
        m[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
        let h = &mut m[4..];
        h[..4].copy_from_slice(b"\xFESMB");
        h[4..6].copy_from_slice(&64u16.to_le_bytes());
        h[12..14].copy_from_slice(&command.to_le_bytes());
        h[16..20].copy_from_slice(&(response as u32).to_le_bytes());
        h[40..48].copy_from_slice(&session.to_le_bytes());
        m
    }

    /// (frame, total, cut) per message and (kind, bytes) per loss.
    type Framed = (Vec<(u64, usize, bool)>, Vec<(LostKind, u64)>);

    fn frame_all(stream: &[u8], cuts: &[usize], snap: usize) -> Framed {
        frame_stream(stream, cuts, snap, false)
    }

    /// `stream` after a SYN, cut into segments at `cuts`, each captured up to `snap` bytes;
    /// `finish`: then the stream ends (the framer's `finish`).
    fn frame_stream(stream: &[u8], cuts: &[usize], snap: usize, finish: bool) -> Framed {
        let mut f = MessageFramer::new(SmbFraming);
        let (mut msgs, mut lost) = (Vec::new(), Vec::new());
        let mut emit = |e: Event<'_>| match e {
            Event::Message { at, total, cut, .. } => msgs.push((at.frame_number, total, cut)),
            Event::Lost { kind, bytes, .. } => lost.push((kind, bytes)),
        };
        let at = |n| At {
            frame_number: n,
            timestamp_ns: None,
        };
        f.segment(
            &Segment {
                at: at(0),
                seq: 999,
                syn: true,
                payload: &[],
                payload_len: 0,
            },
            &mut emit,
        );
        let mut start = 0;
        for (i, &end) in cuts.iter().chain([stream.len()].iter()).enumerate() {
            let piece = &stream[start..end];
            f.segment(
                &Segment {
                    at: at(i as u64 + 1),
                    seq: 1000 + start as u32,
                    syn: false,
                    payload: &piece[..piece.len().min(snap)],
                    payload_len: piece.len() as u32,
                },
                &mut emit,
            );
            start = end;
        }
        if finish {
            f.finish(at(cuts.len() as u64 + 2), &mut emit);
        }
        (msgs, lost)
    }

    #[test]
    fn a_stream_that_ends_inside_a_head_reports_it() {
        // An IOCTL (whose head is collected up to 64 KiB) of which 100 bytes arrive, then the
        // stream ends: a message cut short, its length known. Two bytes of a length prefix:
        // bytes not captured.
        let ioctl = smb2_message(0x000B, false, 7, 10_000);
        for (sent, want_msgs, want_lost) in [
            (100, vec![(1, ioctl.len(), true)], vec![]),
            (2, vec![], vec![(LostKind::NotCaptured, 2)]),
        ] {
            let got = frame_stream(&ioctl[..sent], &[], usize::MAX, true);
            assert_eq!(got, (want_msgs, want_lost), "{sent} bytes sent");
        }
    }

    #[test]
    fn messages_across_and_within_segments() {
        let mut s = smb2_message(command::NEGOTIATE, false, 0, 40);
        s.extend(smb2_message(command::WRITE, false, 7, 5000));
        s.extend(smb2_message(command::ECHO, false, 7, 4));
        let a = 4 + 64 + 40;
        let b = a + 4 + 64 + 5000;
        // Cut inside the first header, inside the write's data, and just before the echo.
        let (msgs, lost) = frame_all(&s, &[10, a + 30, a + 2000, b], usize::MAX);
        assert_eq!(
            msgs,
            vec![(1, a, false), (2, 4 + 64 + 5000, false), (5, 4 + 68, false)]
        );
        assert!(lost.is_empty());
    }

    #[test]
    fn snaplen_cut_data_is_skipped_and_a_lost_header_resyncs() {
        let mut s = smb2_message(command::WRITE, false, 7, 3000);
        let w = s.len();
        s.extend(smb2_message(command::ECHO, false, 7, 4));
        let e = s.len();
        s.extend(smb2_message(command::ECHO, false, 7, 4));
        // Segments captured to 200 bytes: the write's header fits in the first; the first echo
        // starts 268 bytes into the fourth segment (not captured), the second starts the fifth.
        let (msgs, lost) = frame_all(&s, &[1000, 2000, 2800, e], 200);
        assert_eq!(msgs, vec![(1, w, false), (5, 72, false)]);
        assert_eq!(lost, vec![(LostKind::NotCaptured, (e - w) as u64)]);
        // Cut 168 bytes into the fourth segment instead: the echo's first 32 bytes are there,
        // so it is a row (truncated) and framing goes on without a loss.
        let (msgs, lost) = frame_all(&s, &[1000, 2000, 2900, e], 200);
        assert_eq!(msgs, vec![(1, w, false), (4, 72, true), (5, 72, false)]);
        assert!(lost.is_empty());
    }

    #[test]
    fn resyncs_on_a_length_prefix_sent_in_a_segment_of_its_own() {
        // Joined mid-stream (no SYN): garbage, then a message whose 4-byte transport header
        // travels alone in one segment and its SMB2 header in the next (smb-rs does this).
        let msg = smb2_message(command::CLOSE, false, 3, 24);
        let mut f = MessageFramer::new(SmbFraming);
        let (mut found, mut lost) = (Vec::new(), Vec::new());
        let mut seq = 77u32;
        for (n, piece) in [&[0x55u8; 300][..], &msg[..4], &msg[4..]]
            .iter()
            .enumerate()
        {
            f.segment(
                &Segment {
                    at: At {
                        frame_number: n as u64 + 1,
                        timestamp_ns: None,
                    },
                    seq,
                    syn: false,
                    payload: piece,
                    payload_len: piece.len() as u32,
                },
                &mut |e| match e {
                    Event::Message { at, total, cut, .. } => {
                        found.push((at.frame_number, total, cut))
                    }
                    Event::Lost { kind, bytes, .. } => lost.push((kind, bytes)),
                },
            );
            seq = seq.wrapping_add(piece.len() as u32);
        }
        assert_eq!(found, vec![(2, msg.len(), false)]);
        assert_eq!(lost, vec![(LostKind::Resync, 300)]);
    }

    #[test]
    fn joins_mid_stream() {
        let mut s = vec![0x55u8; 300];
        s.extend(smb2_message(command::ECHO, true, 1, 4));
        let mut f = MessageFramer::new(SmbFraming);
        let mut n = 0;
        let mut resync = 0;
        f.segment(
            &Segment {
                at: At {
                    frame_number: 1,
                    timestamp_ns: None,
                },
                seq: 5,
                syn: false,
                payload: &s,
                payload_len: s.len() as u32,
            },
            &mut |e| match e {
                Event::Message { .. } => n += 1,
                Event::Lost { bytes, .. } => resync += bytes,
            },
        );
        assert_eq!((n, resync), (1, 300));
    }
}
