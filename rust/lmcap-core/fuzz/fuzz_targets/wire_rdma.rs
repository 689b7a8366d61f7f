//! RDMA headers: RoCE (BTH and its extended headers, GRH), iWARP (MPA start frames, FPDUs with
//! DDP/RDMAP headers and CRC) and SMB Direct messages, through their parsers and through
//! the stream stage's classification of an iWARP message (`stream::iwarp::IwarpDirection`) and
//! the row it becomes (`tables::rdma::RdmaRows::append_iwarp`).
//!
//! Input layout: byte 0 picks what the rest is read as (bits 0-1: 0 RoCE BTH, 1 RoCE v1 GRH +
//! BTH, 2 iWARP FPDU or MPA start, 3 SMB Direct message; bit 2: the iWARP CRC flag; bits 3-4:
//! the SMB Direct position); bytes 1-2 are a little-endian length the outer header would
//! announce (for RoCE), the rest the bytes.
//!
//! Checks: every payload slice lies inside the bytes and within its announced length; header
//! lengths agree with the opcode's extended headers; an FPDU needs its whole DDP header and
//! reports a wire length that covers it; a parsed MPA start frame keeps at most 512 bytes of
//! private data; SMB Direct data lies inside the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

use lmcap_core::frame::{At, Endpoints};
use lmcap_core::stream::iwarp::{IwarpDirection, IwarpMessage};
use lmcap_core::tables::rdma::RdmaRows;
use lmcap_core::wire::iwarp::{self, MpaStart};
use lmcap_core::wire::roce::{self, Bth, Grh};
use lmcap_core::wire::smbdirect::{BufferDescriptorV1, Message, Position};
use lmcap_core_fuzz::assert_inside;

fn bth(b: &[u8], total: usize) {
    let Ok(h) = Bth::parse(b) else {
        return;
    };
    let ext = roce::ext_header_len(h.opcode());
    assert_eq!(h.ext_headers().map(|e| e.len()), ext);
    assert!(
        b.len() >= roce::BTH_LEN + ext.unwrap_or(0),
        "BTH accepted without its extended headers"
    );
    let _ = (
        h.reth(),
        h.aeth(),
        h.immediate(),
        h.invalidate_rkey(),
        h.deth(),
        h.opcode_name(),
    );
    let _ = (h.class().name(), h.dest_qp(), h.psn(), h.pkey(), h.is_cnp());
    if let Some(o) = h.payload_offset() {
        assert_eq!(o, roce::BTH_LEN + ext.unwrap_or(0));
    }
    if let (Ok(n), Ok(p)) = (h.payload_len(total), h.payload(total)) {
        assert!(p.len() <= n, "payload of {} bytes, {n} announced", p.len());
        assert_inside(p, b, "RoCE payload");
        let _ = Message::guess(p);
    }
}

fn fpdu(b: &[u8], crc: bool) {
    if let Ok((f, total)) = iwarp::fpdu(b, crc) {
        let hdr = f.ddp_header_len();
        assert!(b.len() >= 2 + hdr, "FPDU accepted without its DDP header");
        assert!(total >= 2 + f.ulpdu_len() as usize && total >= 2 + hdr);
        assert_eq!(total % 4, 0, "an FPDU ends on a 4-byte boundary");
        let p = f.payload();
        assert_inside(p, b, "DDP payload");
        assert!(p.len() <= f.payload_len());
        let _ = (
            f.crc(),
            f.crc_ok(),
            f.read_request(),
            f.stag_to(),
            f.msn(),
            f.opcode_name(),
        );
        let _ = (
            f.queue_number(),
            f.message_offset(),
            f.invalidate_stag(),
            f.last(),
        );
    }
    if let Ok(m) = MpaStart::parse(b) {
        assert!(m.pd_length <= iwarp::MPA_MAX_PRIVATE_DATA);
        assert!(m.private_data().len() <= m.pd_length as usize);
        assert_inside(m.private_data(), b, "MPA private data");
        assert_eq!(
            m.wire_len(),
            iwarp::MPA_START_HEADER_LEN + m.pd_length as usize
        );
    }
    let at = At {
        frame_number: 1,
        timestamp_ns: None,
    };
    let ends = Endpoints {
        src_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        src_port: 49_152,
        dst_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        dst_port: 5445,
    };
    let mut rows = RdmaRows::new();
    for responder in [None, Some(false), Some(true)] {
        let mut st = IwarpDirection::default();
        if let Some(r) = responder {
            // Put the direction in a known state the way a real stream does: its start frame.
            let mut start = if r {
                iwarp::MPA_REPLY_KEY
            } else {
                iwarp::MPA_REQUEST_KEY
            }
            .to_vec();
            start.extend([0x40, 1, 0, 0]);
            assert_eq!(
                st.classify(&start),
                IwarpMessage::MpaStart { reply: r },
                "a start frame places the direction"
            );
        }
        let message = st.classify(b);
        rows.append_iwarp(&ends, at, b, false, message);
        rows.append_iwarp(&ends, at, b, true, message);
    }
    for (_, batch) in rows.finish() {
        assert_eq!(batch.num_rows(), 6, "one row per message");
    }
}

fn smbd(b: &[u8], position: Position) {
    if let Ok(Message::DataTransfer(d)) = Message::parse(b, position) {
        assert_inside(d.data(), b, "SMB Direct data");
        assert!(d.data().len() <= d.data_length as usize);
        assert_eq!(d.data_complete(), d.data().len() == d.data_length as usize);
        let _ = (d.plausible(b.len()), d.response_requested());
    }
    if let Some(m) = Message::guess(b) {
        let _ = m.kind();
        if let Message::DataTransfer(d) = m {
            assert!(
                d.plausible(b.len()),
                "guess accepted an implausible data transfer"
            );
        }
    }
    let _ = BufferDescriptorV1::parse(b);
}

fuzz_target!(|data: &[u8]| {
    let [pick, l0, l1, b @ ..] = data else {
        return;
    };
    let announced = usize::from(u16::from_le_bytes([*l0, *l1]));
    match pick & 3 {
        0 => bth(b, announced),
        1 => {
            if let Ok(g) = Grh::parse(b) {
                assert_eq!(g.next_header, roce::GRH_NEXT_HEADER_BTH);
                bth(&b[roce::GRH_LEN..], g.payload_len as usize);
            }
        }
        2 => fpdu(b, pick & 4 != 0),
        _ => {
            let position = match (pick >> 3) & 3 {
                0 => Position::InitiatorFirst,
                1 => Position::ResponderFirst,
                _ => Position::Later,
            };
            smbd(b, position);
        }
    }
});
