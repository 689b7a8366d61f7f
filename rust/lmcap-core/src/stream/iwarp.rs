//! iWARP on TCP (SMB Direct's port 5445): MPA start frames, then FPDUs (RFC 5044), each
//! carrying a DDP segment and its RDMAP message (RFC 5041, RFC 5040). One row per FPDU in
//! `rdma_segments`; Sends are checked for SMB Direct messages (MS-SMBD 2.2).
//!
//! Limits: a stream that negotiated MPA markers is not framed (markers every 512 bytes would
//! have to be cut out first; no implementation lmcap knows of enables them); the CRC flag of
//! each direction is taken from that direction's start frame, and assumed on when the capture
//! began after it (as Wireshark does).

use super::framer::{At, Framing};
use crate::tables::rdma::{set_smbd, RdmaRow};
use crate::wire::be16;
use crate::wire::iwarp::{self, MpaStart, MPA_START_HEADER_LEN};
use crate::wire::smbdirect::{DataTransfer, Message, Position};

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
                let m = MpaStart::new(prefix).ok()?;
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
        // No magic number in an FPDU: accept a position only when the versions are right and
        // the whole FPDU is here with a correct CRC (or, without CRCs, not at all).
        (0..data.len().saturating_sub(3)).find(|&i| {
            data[i + 2] & 3 == 1
                && data[i + 3] >> 6 == 1
                && self.crc
                && iwarp::fpdu(&data[i..], true)
                    .ok()
                    .is_some_and(|(f, total)| total <= data.len() - i && f.crc_ok() == Some(true))
        })
    }
}

/// What one direction said so far, for recognising SMB Direct negotiation.
#[derive(Default)]
pub struct IwarpDirection {
    /// Some(true): this side sent the MPA reply (the responder); Some(false) the request.
    responder: Option<bool>,
    sends: u64,
}

/// The row for one framed message (None for nothing worth a row).
pub fn message_row(st: &mut IwarpDirection, at: At, head: &[u8], cut: bool) -> Option<RdmaRow> {
    let mut row = RdmaRow {
        frame_number: at.frame_number,
        timestamp_ns: at.timestamp_ns,
        transport: "iwarp",
        status: "ok",
        ..Default::default()
    };
    if let Ok(m) = MpaStart::new(head) {
        st.responder = Some(m.is_reply);
        row.opcode_name = Some(if m.is_reply {
            "mpa_reply"
        } else {
            "mpa_request"
        });
        return Some(row);
    }
    let f = match iwarp::fpdu(head, true) {
        Ok((f, _)) => f,
        Err(_) => {
            row.status = if cut { "truncated" } else { "bad_fpdu" };
            return Some(row);
        }
    };
    row.opcode = Some(f.opcode());
    row.opcode_name = f.opcode_name();
    row.payload_len = Some(f.payload_len() as u32);
    row.last = Some(f.last());
    if let Some((stag, to)) = f.stag_to() {
        row.rkey = Some(stag);
        row.remote_offset = Some(to);
    }
    row.queue_number = f.queue_number();
    row.msn = f.msn();
    row.message_offset = f.message_offset();
    if row.queue_number == Some(iwarp::QN_SEND) && row.message_offset == Some(0) {
        let position = match (st.responder, st.sends) {
            (Some(false), 0) => Some(Position::InitiatorFirst),
            (Some(true), 0) => Some(Position::ResponderFirst),
            (Some(_), _) => Some(Position::Later),
            (None, _) => None,
        };
        st.sends += 1;
        let payload = f.payload();
        let message = match position {
            Some(p) => Message::parse(payload, p).ok(),
            // Joined mid-connection: only a plausible data transfer is claimed.
            None => DataTransfer::new(payload)
                .ok()
                .filter(|d| d.reserved == 0 && d.plausible(f.payload_len()))
                .map(Message::DataTransfer),
        };
        if let Some(m) = message {
            set_smbd(&mut row, &m);
        }
    }
    Some(row)
}
