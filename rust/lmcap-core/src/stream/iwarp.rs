//! iWARP on TCP (SMB Direct's port 5445): MPA start frames, then FPDUs (RFC 5044), each
//! carrying a DDP segment and its RDMAP message (RFC 5041, RFC 5040). One row per FPDU in
//! `rdma_segments`; Sends are checked for SMB Direct messages (MS-SMBD 2.2).
//!
//! Limits: a stream that negotiated MPA markers is not framed (markers every 512 bytes would
//! have to be cut out first; no implementation lmcap knows of enables them); the CRC flag of
//! each direction is taken from that direction's start frame, and assumed on when the capture
//! began after it (as Wireshark does).

use super::framer::Framing;
use crate::wire::be16;
use crate::wire::iwarp::{self, MpaStart, MPA_START_HEADER_LEN};
use crate::wire::smbdirect::Position;

/// TCP port of SMB Direct over iWARP ([MS-SMBD] 2.1).
pub const IWARP_SMBD_PORT: u16 = 5445;

/// An untagged DDP header, plus an SMB Direct negotiate response (the longest fixed part).
const SEND_HEAD: usize = 2 + iwarp::DDP_UNTAGGED_HEADER_LEN + 32;

pub struct IwarpFraming {
    crc: bool,
    started: bool,
    markers: bool,
}

impl Default for IwarpFraming {
    fn default() -> Self {
        IwarpFraming {
            crc: true,
            started: false,
            markers: false,
        }
    }
}

impl Framing for IwarpFraming {
    fn prefix(&self) -> usize {
        if self.started {
            2
        } else {
            MPA_START_HEADER_LEN
        }
    }

    fn message_len(&mut self, prefix: &[u8]) -> Option<usize> {
        if self.markers {
            return None;
        }
        if !self.started {
            self.started = true;
            if MpaStart::is_start(prefix) {
                let m = MpaStart::parse(prefix).ok()?;
                self.crc = m.crc;
                self.markers = m.markers;
                return Some(m.wire_len());
            }
        }
        Some(iwarp::fpdu_wire_len(be16(prefix, 0), self.crc))
    }

    fn want(&mut self, head: &[u8], total: usize) -> Option<usize> {
        if MpaStart::is_start(head) {
            return Some(total);
        }
        let header = (2 + iwarp::DDP_UNTAGGED_HEADER_LEN).min(total);
        if head.len() < header {
            return Some(header);
        }
        let (f, _) = iwarp::fpdu(head, self.crc).ok()?;
        let send = !f.tagged() && f.queue_number() == Some(iwarp::QN_SEND);
        Some(if send {
            SEND_HEAD.min(total)
        } else {
            head.len()
        })
    }

    fn find_start(&self, data: &[u8]) -> Option<usize> {
        if self.markers {
            return None;
        }
        // No magic number in an FPDU: accept a position only when the versions, reserved bits,
        // opcode and queue are right and the whole FPDU is here with a correct CRC (or,
        // without CRCs, not at all). The CRC runs over up to 64 KiB, so a segment of bytes that
        // pass the cheap checks everywhere (0x7D repeated) cost one CRC per byte: 2.5 s for a
        // 64 KiB segment. Past MAX_RESYNC_CRC_CHECKS the segment is given up as unsynced; the
        // next one is tried afresh (senders align FPDUs to segments, RFC 5044 §5.1, so a real
        // stream resyncs at the start of a segment).
        if !self.crc {
            return None;
        }
        let mut checks = 0;
        (0..data.len().saturating_sub(3)).find(|&i| {
            if checks >= MAX_RESYNC_CRC_CHECKS || !plausible_start(&data[i..]) {
                return false;
            }
            match iwarp::fpdu(&data[i..], true) {
                Ok((f, total)) if total <= data.len() - i => {
                    checks += 1;
                    f.crc_ok() == Some(true)
                }
                _ => false,
            }
        })
    }
}

/// CRC checks one search for an FPDU start makes in a segment at most (see `find_start`).
const MAX_RESYNC_CRC_CHECKS: u32 = 16;

/// Whether `b` starts like an FPDU by its fixed bits: DDP and RDMAP version 1, reserved bits
/// zero, an opcode of the buffer model (tagged: RDMA Write or Read Response; untagged: the
/// others) and, untagged, a queue number RFC 5040 defines (0-2).
fn plausible_start(b: &[u8]) -> bool {
    use iwarp::opcode::{RDMA_READ_RESPONSE, RDMA_WRITE, TERMINATE};
    let (Some(&ddp), Some(&rdmap)) = (b.get(2), b.get(3)) else {
        return false;
    };
    let (tagged, op) = (ddp & 0x80 != 0, rdmap & 0x0f);
    if ddp & 0x3f != 1 || rdmap & 0xf0 != 0x40 {
        return false;
    }
    if tagged {
        return matches!(op, RDMA_WRITE | RDMA_READ_RESPONSE);
    }
    // (the queue number is bytes 8..12, when captured)
    let queue_ok = b
        .get(8..12)
        .is_none_or(|q| q[..3] == [0, 0, 0] && q[3] <= 2);
    (1..=TERMINATE).contains(&op) && op != RDMA_READ_RESPONSE && queue_ok
}

/// What a framed iWARP message is, as far as its place in its direction decides: the table
/// builder reads the rest from its bytes. An SMB Direct message's kind depends on where it
/// stands (the first Send of each side is a negotiate request or response), which only the
/// direction's history tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IwarpMessage {
    /// An MPA request (`reply` false) or reply.
    MpaStart { reply: bool },
    /// The first FPDU of a Send (queue 0, offset 0): an SMB Direct message at `position`
    /// (None when the MPA exchange was not captured, so the sides are not known).
    SendStart { position: Option<Position> },
    /// Any other FPDU, or bytes that do not parse as one.
    Other,
}

/// What one direction said so far, for placing its SMB Direct messages.
#[derive(Debug, Default)]
pub struct IwarpDirection {
    /// Some(true): this side sent the MPA reply (the responder); Some(false) the request.
    responder: Option<bool>,
    sends: u64,
}

impl IwarpDirection {
    /// Classify one framed message (its `head`, from the MPA length on) and count it.
    pub fn classify(&mut self, head: &[u8]) -> IwarpMessage {
        if let Ok(m) = MpaStart::parse(head) {
            self.responder = Some(m.is_reply);
            return IwarpMessage::MpaStart { reply: m.is_reply };
        }
        let Ok((f, _)) = iwarp::fpdu(head, true) else {
            return IwarpMessage::Other;
        };
        if f.queue_number() != Some(iwarp::QN_SEND) || f.message_offset() != Some(0) {
            return IwarpMessage::Other;
        }
        let position = match (self.responder, self.sends) {
            (Some(false), 0) => Some(Position::InitiatorFirst),
            (Some(true), 0) => Some(Position::ResponderFirst),
            (Some(_), _) => Some(Position::Later),
            (None, _) => None,
        };
        self.sends += 1;
        IwarpMessage::SendStart { position }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An untagged Send FPDU carrying `payload`, with its CRC right or wrong.
    fn send_fpdu(payload: &[u8], crc_right: bool) -> Vec<u8> {
        let ulpdu = iwarp::DDP_UNTAGGED_HEADER_LEN + payload.len();
        let mut b = (ulpdu as u16).to_be_bytes().to_vec();
        b.extend_from_slice(&[0x41, 0x43]); // last, DDP v1; RDMAP v1, Send
        b.extend_from_slice(&[0; 4]); // reserved
        b.extend_from_slice(&[0, 0, 0, 0]); // queue 0 (Send)
        b.extend_from_slice(&[0, 0, 0, 1]); // MSN
        b.extend_from_slice(&[0; 4]); // message offset
        b.extend_from_slice(payload);
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let crc = iwarp::crc32c(&b) ^ u32::from(!crc_right);
        b.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(b.len(), iwarp::fpdu_wire_len(ulpdu as u16, true));
        b
    }

    #[test]
    fn an_fpdu_behind_junk_is_found_and_a_bad_crc_is_not() {
        let f = IwarpFraming::default();
        let mut data = vec![0xee; 7];
        data.extend(send_fpdu(b"hello", true));
        assert_eq!(f.find_start(&data), Some(7));
        let mut bad = vec![0xee; 7];
        bad.extend(send_fpdu(b"hello", false));
        assert_eq!(f.find_start(&bad), None);
    }

    #[test]
    fn the_fixed_bits_rule_out_a_start_before_any_crc() {
        let good = send_fpdu(b"x", true);
        assert!(plausible_start(&good));
        for (at, value) in [(2, 0x45), (3, 0x53), (3, 0x42), (11, 3), (8, 1)] {
            let mut b = good.clone();
            b[at] = value;
            assert!(!plausible_start(&b), "byte {at} = {value:#x}");
        }
        let mut tagged = good.clone();
        tagged[2] = 0xc1; // tagged, last, v1
        tagged[3] = 0x40; // RDMA Write
        assert!(plausible_start(&tagged));
        tagged[3] = 0x43; // a Send cannot be tagged
        assert!(!plausible_start(&tagged));
    }

    #[test]
    fn a_search_gives_up_after_its_crc_checks() {
        // candidates that pass every cheap check but carry a wrong CRC, then a good FPDU: found
        // behind a few of them, given up behind more than MAX_RESYNC_CRC_CHECKS
        let f = IwarpFraming::default();
        for (bad, found) in [(3, true), (MAX_RESYNC_CRC_CHECKS as usize, false)] {
            let mut data = Vec::new();
            for _ in 0..bad {
                data.extend(send_fpdu(b"bad", false));
            }
            let at = data.len();
            data.extend(send_fpdu(b"good", true));
            assert_eq!(
                f.find_start(&data),
                found.then_some(at),
                "{bad} bad ones before"
            );
        }
    }
}
