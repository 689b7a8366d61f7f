//! SMB over TCP 445/139: where messages start ([`SmbFraming`]) and what each says
//! ([`message_rows`]).

use std::net::IpAddr;

use super::framer::{At, Framing};
use crate::tables::smb::{SmbInterfaceRow, SmbPduRow, SmbRows};
use crate::wire::smb2::{
    self, command, CompressionHeader, Header, NetworkInterface, Protocol, Smb1Header,
    TransformHeader, TransportHeader, HEADER_LEN, TRANSPORT_HEADER_LEN,
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
                    Some(h)
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

/// The direction of a connection a message travelled on. Kept as addresses: they become text
/// only when a row is written, not for every segment of a long transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoints {
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
}

/// Chained messages read from one compound at most (real compounds hold a handful).
const MAX_COMPOUND: u16 = 64;

/// Append the rows of one framed message (its `head` from the transport header on).
pub fn message_rows(
    out: &mut SmbRows,
    ends: &Endpoints,
    at: At,
    head: &[u8],
    total: usize,
    cut: bool,
) {
    let Ok(t) = TransportHeader::parse(head) else {
        return;
    };
    if t.kind != 0 {
        return;
    }
    let msg = &head[TRANSPORT_HEADER_LEN..];
    let length = total - TRANSPORT_HEADER_LEN;
    let base = SmbPduRow {
        frame_number: at.frame_number,
        timestamp_ns: at.timestamp_ns,
        message_length: length as u32,
        truncated: cut,
        ..Default::default()
    };
    match Protocol::of(msg) {
        Some(Protocol::Smb2) => smb2_chain(out, ends, base, msg, length),
        Some(Protocol::Encrypted) => {
            let mut row = SmbPduRow {
                protocol: "smb2_encrypted",
                ..base
            };
            if let Ok(th) = TransformHeader::parse(msg) {
                row.session_id = Some(th.session_id);
                row.inner_size = Some(th.original_size);
            } else {
                row.truncated = true;
            }
            out.pdu(ends, &row);
        }
        Some(Protocol::Compressed) => {
            let mut row = SmbPduRow {
                protocol: "smb2_compressed",
                ..base
            };
            match CompressionHeader::parse(msg) {
                Ok(ch) => {
                    row.inner_size = Some(ch.original_size);
                    if let Some(inner) = ch.inner_offset.and_then(|o| msg.get(o..)) {
                        if let Some(h) = Header::parse(inner) {
                            fill_header(&mut row, &h, inner);
                        }
                    }
                }
                Err(_) => row.truncated = true,
            }
            out.pdu(ends, &row);
        }
        Some(Protocol::Smb1) => {
            let mut row = SmbPduRow {
                protocol: "smb1",
                ..base
            };
            match Smb1Header::parse(msg) {
                Ok(h) => {
                    row.command = Some(u16::from(h.command));
                    row.command_name =
                        (h.command == smb2::SMB1_COM_NEGOTIATE).then_some("negotiate");
                    row.is_response = Some(h.is_response);
                    row.status = h.is_response.then_some(h.status);
                    let names: Vec<String> = smb2::smb1_dialects(msg)
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect();
                    if !names.is_empty() {
                        row.dialects = Some(names.join(","));
                    }
                }
                Err(_) => row.truncated = true,
            }
            out.pdu(ends, &row);
        }
        None => {}
    }
}

fn smb2_chain(out: &mut SmbRows, ends: &Endpoints, base: SmbPduRow, msg: &[u8], length: usize) {
    let mut offset = 0usize;
    for index in 0..MAX_COMPOUND {
        // A chained message ends where the next begins: offsets inside it (a share path, an
        // interface list) cannot reach into the later ones. Without that bound 64 parts could
        // each point at the same 60 KB tail, and one 64 KiB message made 5.9 MB of rows.
        let header = Header::parse(&msg[offset..]);
        let next = header.map_or(0, |h| h.next_command as usize);
        let end = if next >= HEADER_LEN {
            offset.saturating_add(next).min(msg.len())
        } else {
            msg.len()
        };
        let part = &msg[offset..end];
        let mut row = SmbPduRow {
            protocol: "smb2",
            compound_index: index,
            ..base.clone()
        };
        let Some(h) = header else {
            // A header cut by the snaplen: keep what its first bytes say. A chained message
            // whose first bytes are not SMB2 is not counted (it might never have been there).
            row.truncated = true;
            if let Some((command, flags, message_id)) = smb2::partial_header(part) {
                row.command = Some(command);
                row.command_name = smb2::command_name(command);
                row.flags = flags;
                row.is_response = flags.map(|f| f & smb2::FLAG_SERVER_TO_REDIR != 0);
                row.message_id = message_id;
                out.pdu(ends, &row);
            } else if index == 0 {
                out.pdu(ends, &row);
            }
            return;
        };
        fill_header(&mut row, &h, part);
        out.pdu(ends, &row);
        for nic in smb2::network_interfaces(&h, part) {
            out.interface(
                ends,
                &SmbInterfaceRow {
                    frame_number: base.frame_number,
                    timestamp_ns: base.timestamp_ns,
                    session_id: h.session_id,
                    message_id: h.message_id,
                    if_index: nic.if_index,
                    capability: nic.capability,
                    rss_capable: nic.capability & NetworkInterface::RSS_CAPABLE != 0,
                    rdma_capable: nic.capability & NetworkInterface::RDMA_CAPABLE != 0,
                    link_speed_bps: nic.link_speed,
                    address: nic.address,
                },
            );
        }
        if next < HEADER_LEN || offset + next >= length.min(msg.len()) {
            return;
        }
        offset += next;
    }
}

fn fill_header(row: &mut SmbPduRow, h: &Header, msg: &[u8]) {
    let b = smb2::body(h, msg);
    let response = h.is_response();
    row.command = Some(h.command);
    row.command_name = smb2::command_name(h.command);
    row.is_response = Some(response);
    row.status = response.then_some(h.status);
    row.flags = Some(h.flags);
    row.message_id = Some(h.message_id);
    row.async_id = h.async_id;
    row.tree_id = h.tree_id;
    row.session_id = Some(h.session_id);
    row.credit_charge = Some(h.credit_charge);
    row.credits = Some(h.credits);
    row.dialect = b.dialect;
    row.capabilities = b.capabilities;
    row.security_mode = b.security_mode;
    row.session_setup_flags = b.session_setup_flags;
    row.binding = b
        .session_setup_flags
        .map(|f| f & smb2::SESSION_FLAG_BINDING != 0);
    row.session_flags = b.session_flags;
    row.ioctl_code = b.ioctl_code;
    row.data_length = b.data_length;
    row.file_offset = b.file_offset;
    row.channel = b.channel;
    row.share_type = b.share_type;
    row.tree_path = smb2::tree_connect_path(h, msg);
    let offered: Vec<String> = smb2::dialects(h, msg)
        .flatten()
        .map(smb2::dialect_name)
        .collect();
    if !offered.is_empty() {
        row.dialects = Some(offered.join(","));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn a_chained_message_reads_no_offset_past_its_own_end() {
        // 64 chained TREE_CONNECT requests, 72 bytes each, whose paths all point at the same
        // 4,000-byte tail after the chain: only the last part, which runs to the end of the
        // message, may read it; each of the others would have made a 2,000-character path.
        const PART: usize = HEADER_LEN + 8;
        let tail = 4000;
        let mut msg = vec![0u8; 64 * PART + tail];
        for i in 0..64 {
            let h = &mut msg[i * PART..(i + 1) * PART];
            h[..4].copy_from_slice(b"\xFESMB");
            h[4..6].copy_from_slice(&64u16.to_le_bytes());
            h[12..14].copy_from_slice(&smb2::command::TREE_CONNECT.to_le_bytes());
            let next = if i < 63 { PART as u32 } else { 0 };
            h[20..24].copy_from_slice(&next.to_le_bytes());
            let body = &mut h[HEADER_LEN..];
            body[..2].copy_from_slice(&9u16.to_le_bytes());
            let to_tail = ((64 - i) * PART) as u16; // from this part's header to the tail
            body[4..6].copy_from_slice(&to_tail.to_le_bytes());
            body[6..8].copy_from_slice(&(tail as u16).to_le_bytes());
        }
        let mut out = SmbRows::new();
        let ends = Endpoints {
            src_ip: IpAddr::from([192, 0, 2, 1]),
            src_port: 50000,
            dst_ip: IpAddr::from([192, 0, 2, 2]),
            dst_port: 445,
        };
        smb2_chain(&mut out, &ends, SmbPduRow::default(), &msg, msg.len());
        let tables = out.finish();
        let (_, pdus) = tables.iter().find(|(name, _)| *name == "smb_pdus").unwrap();
        assert_eq!(pdus.num_rows(), 64);
        let paths = pdus.column_by_name("tree_path").unwrap();
        let paths = paths
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        let kept: Vec<usize> = (0..64)
            .filter(|&i| arrow_array::Array::is_valid(paths, i))
            .collect();
        assert_eq!(kept, vec![63], "only the last part reaches the tail");
        assert_eq!(
            paths.value(63).chars().count(),
            smb2::MAX_TREE_PATH_BYTES / 2
        );
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
