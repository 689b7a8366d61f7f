//! One SMB message as the SMB framer hands it over (from the 4-byte transport header on,
//! collected up to the announced length), through `tables::smb::message_rows` (compound
//! chains, encrypted/compressed/SMB1 heads, the interface list) and every parser in
//! `wire::smb2` on its own.
//!
//! Input layout: the message bytes; the announced total length is the transport header's.
//!
//! Checks: rows build and stay within the documented limits (64 messages per compound, 1024
//! interfaces); every slice a parser returns lies inside the message; a full header and the
//! partial reading of the same bytes agree; counts are capped whatever the lengths claim.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use lmcap_core::frame::{At, Endpoints};
use lmcap_core::tables::smb::{message_rows, SmbRows};
use lmcap_core::wire::smb2::{
    self, CompressionHeader, Header, Protocol, Smb1Header, TransformHeader, TransportHeader,
    TRANSPORT_HEADER_LEN,
};
use lmcap_core_fuzz::assert_inside;

fn parsers(msg: &[u8]) {
    let protocol = Protocol::of(msg);
    if let Ok(h) = Header::parse(msg) {
        assert_eq!(protocol, Some(Protocol::Smb2));
        assert!(msg.len() >= smb2::HEADER_FIELDS_LEN);
        let (command, flags, message_id) =
            smb2::partial_header(msg).expect("a full header reads partially too");
        assert_eq!(command, h.command);
        assert_eq!(flags, Some(h.flags));
        assert_eq!(message_id, Some(h.message_id));
        let _ = smb2::body(&h, msg);
        assert!(
            smb2::dialects(&h, msg).count() <= 64,
            "more than 64 dialects read"
        );
        if let Some(path) = smb2::tree_connect_path(&h, msg) {
            assert!(
                path.encode_utf16().count() <= msg.len() / 2,
                "path longer than the message"
            );
        }
        let nics = smb2::network_interfaces(&h, msg).count();
        assert!(
            nics <= 1024 && nics <= msg.len() / 152,
            "{nics} interfaces in {} bytes",
            msg.len()
        );
    } else if msg.len() >= smb2::HEADER_FIELDS_LEN {
        assert!(
            smb2::partial_header(msg).is_none(),
            "partial header where no full one is"
        );
    }
    if let Ok(c) = CompressionHeader::parse(msg) {
        if let Some(o) = c.inner_offset {
            assert!(o < msg.len(), "compressed inner offset past the message");
            assert_eq!(Protocol::of(&msg[o..]), Some(Protocol::Smb2));
        }
    }
    let _ = TransformHeader::parse(msg);
    if Smb1Header::parse(msg).is_ok() {
        let dialects: Vec<&[u8]> = smb2::smb1_dialects(msg).collect();
        assert!(dialects.len() <= 64);
        for d in dialects {
            assert!(!d.is_empty());
            assert_inside(d, msg, "smb1 dialect");
        }
    }
    if msg.len() >= 2 {
        let _ = smb2::dialect_name(u16::from_le_bytes([msg[0], msg[1]]));
    }
}

fuzz_target!(|head: &[u8]| {
    let Ok(t) = TransportHeader::parse(head) else {
        return;
    };
    let total = TRANSPORT_HEADER_LEN + t.length as usize;
    // The framer never hands over more than the message.
    let head = &head[..head.len().min(total)];
    parsers(&head[TRANSPORT_HEADER_LEN..]);
    let ends = Endpoints {
        src_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        src_port: 49_152,
        dst_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        dst_port: 445,
    };
    let at = At {
        frame_number: 1,
        timestamp_ns: Some(0),
    };
    let mut rows = SmbRows::new();
    message_rows(&mut rows, &ends, at, head, total, head.len() < total);
    for (name, batch) in rows.finish() {
        let limit = match name {
            "smb_pdus" => 64,
            "smb_interfaces" => 1024 * 64,
            _ => usize::MAX,
        };
        assert!(
            batch.num_rows() <= limit,
            "{name}: {} rows from one message",
            batch.num_rows()
        );
    }
});
