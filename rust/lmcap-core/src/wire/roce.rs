//! InfiniBand transport headers as RoCE carries them (InfiniBand Architecture Specification
//! Volume 1, release 1.4, chapter 9 "Transport layer", and its annexes A16 "RoCE" and
//! A17 "RoCEv2").
//!
//! RoCE v1 (annex A16) puts a 40-byte Global Route Header (GRH, IBA §8.3, laid out like an
//! IPv6 header with Next Header 0x1B) straight after an Ethernet header with ethertype
//! 0x8915. RoCE v2 (annex A17) drops the GRH and puts the Base Transport Header (BTH) in a
//! UDP datagram to port 4791 over IPv4 or IPv6. Either way the packet ends with a 4-byte
//! invariant CRC (ICRC); there is no VCRC on Ethernet.
//!
//! ```text
//! BTH (IBA §9.2, 12 bytes)
//!  0 OpCode                     class in bits 7-5, operation in bits 4-0 (IBA table 38)
//!  1 SE:1 MigReq:1 PadCnt:2 TVer:4
//!  2 P_Key u16
//!  4 FECN:1 BECN:1 reserved:6   (IBA 1.2.1 §9.2; RoCE v2 signals congestion in the IP ECN bits)
//!  5 DestQP u24
//!  8 AckReq:1 reserved:7
//!  9 PSN u24
//! then the extended transport headers the opcode calls for, in this order (IBA §9.3):
//! RDETH 4, DETH 8, RETH 16, AtomicETH 28, AETH 4, AtomicAckETH 8, ImmDt 4, IETH 4;
//! then the payload, PadCnt pad bytes, and the ICRC.
//! ```

use super::StopReason;
use super::{be16, be32, be64, need, Stop};

pub use super::ethernet::ETHERTYPE_ROCE_V1;

/// RoCE v2 UDP destination port (IANA, annex A17.2).
pub const UDP_PORT_ROCE_V2: u16 = 4791;
/// GRH Next Header value for "IBA transport" (annex A16.4).
pub const GRH_NEXT_HEADER_BTH: u8 = 0x1B;
pub const GRH_LEN: usize = 40;
pub const BTH_LEN: usize = 12;
pub const ICRC_LEN: usize = 4;

pub const RDETH_LEN: usize = 4;
pub const DETH_LEN: usize = 8;
pub const RETH_LEN: usize = 16;
pub const ATOMIC_ETH_LEN: usize = 28;
pub const AETH_LEN: usize = 4;
pub const ATOMIC_ACK_ETH_LEN: usize = 8;
pub const IMMDT_LEN: usize = 4;
pub const IETH_LEN: usize = 4;
/// A Congestion Notification Packet carries 16 reserved bytes after the BTH (annex A17.9.3).
pub const CNP_RESERVED_LEN: usize = 16;

/// A BTH whose TVer is not 0 (IBA §9.2.1 defines only version 0).
pub const BAD_BTH_VERSION: Stop = Stop::Malformed(StopReason::BadBthVersion);
/// The outer length (UDP length or GRH PayLen) is shorter than BTH + extended headers + pad +
/// ICRC.
pub const BAD_ROCE_LENGTH: Stop = Stop::Malformed(StopReason::BadRocePayloadLength);
/// A RoCE v1 GRH whose Next Header is not 0x1B.
pub const GRH_NOT_BTH: Stop = Stop::Malformed(StopReason::GrhNotBth);

/// Opcodes lmcap names (IBA §9.2, table 38; CNP from annex A17.9.3).
pub mod opcode {
    pub const RC_SEND_FIRST: u8 = 0x00;
    pub const RC_SEND_MIDDLE: u8 = 0x01;
    pub const RC_SEND_LAST: u8 = 0x02;
    pub const RC_SEND_LAST_IMM: u8 = 0x03;
    pub const RC_SEND_ONLY: u8 = 0x04;
    pub const RC_SEND_ONLY_IMM: u8 = 0x05;
    pub const RC_RDMA_WRITE_FIRST: u8 = 0x06;
    pub const RC_RDMA_WRITE_MIDDLE: u8 = 0x07;
    pub const RC_RDMA_WRITE_LAST: u8 = 0x08;
    pub const RC_RDMA_WRITE_LAST_IMM: u8 = 0x09;
    pub const RC_RDMA_WRITE_ONLY: u8 = 0x0A;
    pub const RC_RDMA_WRITE_ONLY_IMM: u8 = 0x0B;
    pub const RC_RDMA_READ_REQUEST: u8 = 0x0C;
    pub const RC_RDMA_READ_RESPONSE_FIRST: u8 = 0x0D;
    pub const RC_RDMA_READ_RESPONSE_MIDDLE: u8 = 0x0E;
    pub const RC_RDMA_READ_RESPONSE_LAST: u8 = 0x0F;
    pub const RC_RDMA_READ_RESPONSE_ONLY: u8 = 0x10;
    pub const RC_ACKNOWLEDGE: u8 = 0x11;
    pub const RC_ATOMIC_ACKNOWLEDGE: u8 = 0x12;
    pub const RC_CMP_SWAP: u8 = 0x13;
    pub const RC_FETCH_ADD: u8 = 0x14;
    pub const RC_SEND_LAST_INVALIDATE: u8 = 0x16;
    pub const RC_SEND_ONLY_INVALIDATE: u8 = 0x17;
    pub const UD_SEND_ONLY: u8 = 0x64;
    pub const UD_SEND_ONLY_IMM: u8 = 0x65;
    pub const CNP: u8 = 0x81;
}

/// The transport service an opcode belongs to: its top three bits (IBA §9.2, table 38).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportClass {
    /// Reliable Connection (000).
    Rc,
    /// Unreliable Connection (001).
    Uc,
    /// Reliable Datagram (010).
    Rd,
    /// Unreliable Datagram (011).
    Ud,
    /// Congestion Notification Packet (100, annex A17.9.3).
    Cnp,
    /// Extended Reliable Connection (101, annex A14). Its XRCETH is not decoded here.
    Xrc,
    /// 110 and 111: manufacturer specific.
    Vendor,
}

impl TransportClass {
    pub fn of(opcode: u8) -> TransportClass {
        match opcode >> 5 {
            0 => TransportClass::Rc,
            1 => TransportClass::Uc,
            2 => TransportClass::Rd,
            3 => TransportClass::Ud,
            4 => TransportClass::Cnp,
            5 => TransportClass::Xrc,
            _ => TransportClass::Vendor,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TransportClass::Rc => "rc",
            TransportClass::Uc => "uc",
            TransportClass::Rd => "rd",
            TransportClass::Ud => "ud",
            TransportClass::Cnp => "cnp",
            TransportClass::Xrc => "xrc",
            TransportClass::Vendor => "vendor",
        }
    }
}

/// Stable snake_case name of an opcode, or None for reserved, XRC and vendor opcodes.
pub fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        0x00 => "rc_send_first",
        0x01 => "rc_send_middle",
        0x02 => "rc_send_last",
        0x03 => "rc_send_last_with_immediate",
        0x04 => "rc_send_only",
        0x05 => "rc_send_only_with_immediate",
        0x06 => "rc_rdma_write_first",
        0x07 => "rc_rdma_write_middle",
        0x08 => "rc_rdma_write_last",
        0x09 => "rc_rdma_write_last_with_immediate",
        0x0A => "rc_rdma_write_only",
        0x0B => "rc_rdma_write_only_with_immediate",
        0x0C => "rc_rdma_read_request",
        0x0D => "rc_rdma_read_response_first",
        0x0E => "rc_rdma_read_response_middle",
        0x0F => "rc_rdma_read_response_last",
        0x10 => "rc_rdma_read_response_only",
        0x11 => "rc_acknowledge",
        0x12 => "rc_atomic_acknowledge",
        0x13 => "rc_compare_swap",
        0x14 => "rc_fetch_add",
        0x16 => "rc_send_last_with_invalidate",
        0x17 => "rc_send_only_with_invalidate",
        0x20 => "uc_send_first",
        0x21 => "uc_send_middle",
        0x22 => "uc_send_last",
        0x23 => "uc_send_last_with_immediate",
        0x24 => "uc_send_only",
        0x25 => "uc_send_only_with_immediate",
        0x26 => "uc_rdma_write_first",
        0x27 => "uc_rdma_write_middle",
        0x28 => "uc_rdma_write_last",
        0x29 => "uc_rdma_write_last_with_immediate",
        0x2A => "uc_rdma_write_only",
        0x2B => "uc_rdma_write_only_with_immediate",
        0x40 => "rd_send_first",
        0x41 => "rd_send_middle",
        0x42 => "rd_send_last",
        0x43 => "rd_send_last_with_immediate",
        0x44 => "rd_send_only",
        0x45 => "rd_send_only_with_immediate",
        0x46 => "rd_rdma_write_first",
        0x47 => "rd_rdma_write_middle",
        0x48 => "rd_rdma_write_last",
        0x49 => "rd_rdma_write_last_with_immediate",
        0x4A => "rd_rdma_write_only",
        0x4B => "rd_rdma_write_only_with_immediate",
        0x4C => "rd_rdma_read_request",
        0x4D => "rd_rdma_read_response_first",
        0x4E => "rd_rdma_read_response_middle",
        0x4F => "rd_rdma_read_response_last",
        0x50 => "rd_rdma_read_response_only",
        0x51 => "rd_acknowledge",
        0x52 => "rd_atomic_acknowledge",
        0x53 => "rd_compare_swap",
        0x54 => "rd_fetch_add",
        0x55 => "rd_resync",
        0x64 => "ud_send_only",
        0x65 => "ud_send_only_with_immediate",
        0x81 => "cnp",
        _ => return None,
    })
}

/// Which extended transport headers follow the BTH (IBA §9.2, table 38 "Packet Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtHeaders {
    pub rdeth: bool,
    pub deth: bool,
    pub reth: bool,
    pub atomic_eth: bool,
    pub aeth: bool,
    pub atomic_ack_eth: bool,
    pub immdt: bool,
    pub ieth: bool,
    /// The 16 reserved bytes of a CNP.
    pub cnp_reserved: bool,
}

impl ExtHeaders {
    /// Their total length in bytes.
    pub fn len(&self) -> usize {
        self.offset_after_aeth()
            + self.atomic_ack_eth as usize * ATOMIC_ACK_ETH_LEN
            + self.immdt as usize * IMMDT_LEN
            + self.ieth as usize * IETH_LEN
            + self.cnp_reserved as usize * CNP_RESERVED_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of the RETH from the end of the BTH.
    fn reth_offset(&self) -> usize {
        self.rdeth as usize * RDETH_LEN + self.deth as usize * DETH_LEN
    }

    /// Offset of the AETH from the end of the BTH.
    fn aeth_offset(&self) -> usize {
        self.reth_offset()
            + self.reth as usize * RETH_LEN
            + self.atomic_eth as usize * ATOMIC_ETH_LEN
    }

    fn offset_after_aeth(&self) -> usize {
        self.aeth_offset() + self.aeth as usize * AETH_LEN
    }

    fn immdt_offset(&self) -> usize {
        self.offset_after_aeth() + self.atomic_ack_eth as usize * ATOMIC_ACK_ETH_LEN
    }
}

/// The extended headers an opcode calls for; None for reserved, XRC and vendor opcodes,
/// whose layout lmcap does not know.
pub fn ext_headers(op: u8) -> Option<ExtHeaders> {
    let class = TransportClass::of(op);
    let low = op & 0x1f;
    let mut h = ExtHeaders::default();
    match class {
        TransportClass::Cnp => {
            if op != opcode::CNP {
                return None;
            }
            h.cnp_reserved = true;
            return Some(h);
        }
        TransportClass::Ud => {
            // Only SEND Only (with Immediate) exists on UD, always with a DETH (IBA §9.2).
            if !(0x04..=0x05).contains(&low) {
                return None;
            }
            h.deth = true;
            h.immdt = low == 0x05;
            return Some(h);
        }
        TransportClass::Uc if low > 0x0B => return None,
        TransportClass::Rd if low > 0x15 => return None,
        TransportClass::Rc if low == 0x15 || low > 0x17 => return None,
        TransportClass::Xrc | TransportClass::Vendor => return None,
        _ => {}
    }
    match low {
        0x00..=0x02 | 0x04 | 0x07 | 0x08 | 0x0E | 0x15 => {}
        0x03 | 0x05 | 0x09 => h.immdt = true,
        0x06 | 0x0A | 0x0C => h.reth = true,
        0x0B => {
            h.reth = true;
            h.immdt = true;
        }
        0x0D | 0x0F | 0x10 | 0x11 => h.aeth = true,
        0x12 => {
            h.aeth = true;
            h.atomic_ack_eth = true;
        }
        0x13 | 0x14 => h.atomic_eth = true,
        0x16 | 0x17 => h.ieth = true,
        _ => return None,
    }
    if class == TransportClass::Rd {
        // Every RD packet names its end-to-end context; requests also carry the datagram
        // header (IBA §9.3.1-9.3.2). Responses (READ response, ACK, atomic ACK) do not.
        h.rdeth = true;
        h.deth = !matches!(low, 0x0D..=0x12);
    }
    Some(h)
}

/// Length of the extended headers after the BTH for an opcode (see [`ext_headers`]).
pub fn ext_header_len(op: u8) -> Option<usize> {
    ext_headers(op).map(|h| h.len())
}

/// RDMA Extended Transport Header (IBA §9.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reth {
    pub va: u64,
    pub rkey: u32,
    pub dma_len: u32,
}

/// ACK Extended Transport Header (IBA §9.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aeth {
    pub syndrome: u8,
    /// Message Sequence Number, 24 bits.
    pub msn: u32,
}

impl Aeth {
    /// "ack", "rnr_nak", "nak" or "reserved": bits 6-5 of the syndrome (IBA §9.7.5.1, table 42).
    pub fn kind(&self) -> &'static str {
        match (self.syndrome >> 5) & 3 {
            0 => "ack",
            1 => "rnr_nak",
            3 => "nak",
            _ => "reserved",
        }
    }

    /// A NAK's code (0 PSN sequence error, 1 invalid request, 2 remote access error,
    /// 3 remote operational error, 4 invalid RD request); an ACK's credit count; an RNR
    /// NAK's timer value: the syndrome's low five bits in each case.
    pub fn value(&self) -> u8 {
        self.syndrome & 0x1f
    }
}

/// Base Transport Header, with the extended headers its opcode calls for.
#[derive(Debug, Clone, Copy)]
pub struct Bth<'a> {
    /// From the BTH to the end of what was captured.
    b: &'a [u8],
    ext: Option<ExtHeaders>,
}

fn be24(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([0, b[o], b[o + 1], b[o + 2]])
}

impl<'a> Bth<'a> {
    /// `b` starts at the BTH (the UDP payload for v2, after the GRH for v1). It must hold the
    /// 12-byte BTH and the extended headers of a known opcode; payload, pad and ICRC may be
    /// cut by the snaplen.
    pub fn parse(b: &'a [u8]) -> Result<Bth<'a>, Stop> {
        need(b, BTH_LEN)?;
        // TVer: IBA §9.2.1 defines version 0 only; anything else is not a BTH lmcap can read.
        if b[1] & 0x0f != 0 {
            return Err(BAD_BTH_VERSION);
        }
        let ext = ext_headers(b[0]);
        need(b, BTH_LEN + ext.map_or(0, |h| h.len()))?;
        Ok(Bth { b, ext })
    }

    pub fn opcode(&self) -> u8 {
        self.b[0]
    }

    pub fn class(&self) -> TransportClass {
        TransportClass::of(self.opcode())
    }

    pub fn opcode_name(&self) -> Option<&'static str> {
        opcode_name(self.opcode())
    }

    /// Solicited Event: the requester wants the responder's consumer woken.
    pub fn solicited(&self) -> bool {
        self.b[1] & 0x80 != 0
    }

    pub fn mig_req(&self) -> bool {
        self.b[1] & 0x40 != 0
    }

    /// Bytes of padding that align the payload to 4 bytes (0-3).
    pub fn pad_count(&self) -> u8 {
        (self.b[1] >> 4) & 3
    }

    pub fn transport_version(&self) -> u8 {
        self.b[1] & 0x0f
    }

    pub fn pkey(&self) -> u16 {
        be16(self.b, 2)
    }

    /// Forward/backward explicit congestion notification (IBA 1.2.1 annex A10); RoCE v2 uses
    /// the IP ECN bits instead and leaves these zero.
    pub fn fecn(&self) -> bool {
        self.b[4] & 0x80 != 0
    }

    pub fn becn(&self) -> bool {
        self.b[4] & 0x40 != 0
    }

    /// Destination queue pair, 24 bits.
    pub fn dest_qp(&self) -> u32 {
        be24(self.b, 5)
    }

    /// AckReq: the requester asks for an acknowledgement of this packet.
    pub fn ack_request(&self) -> bool {
        self.b[8] & 0x80 != 0
    }

    /// Packet Sequence Number, 24 bits.
    pub fn psn(&self) -> u32 {
        be24(self.b, 9)
    }

    pub fn is_cnp(&self) -> bool {
        self.opcode() == opcode::CNP
    }

    /// The extended headers, when the opcode is one lmcap knows.
    pub fn ext_headers(&self) -> Option<ExtHeaders> {
        self.ext
    }

    /// RETH fields (RDMA WRITE First/Only, READ request).
    pub fn reth(&self) -> Option<Reth> {
        let h = self.ext.filter(|h| h.reth)?;
        let e = self.b.get(BTH_LEN + h.reth_offset()..)?.get(..RETH_LEN)?;
        Some(Reth {
            va: be64(e, 0),
            rkey: be32(e, 8),
            dma_len: be32(e, 12),
        })
    }

    /// AETH fields (ACK, atomic ACK, READ response First/Last/Only).
    pub fn aeth(&self) -> Option<Aeth> {
        let h = self.ext.filter(|h| h.aeth)?;
        let e = self.b.get(BTH_LEN + h.aeth_offset()..)?.get(..AETH_LEN)?;
        Some(Aeth {
            syndrome: e[0],
            msn: be24(e, 1),
        })
    }

    /// Immediate data, as sent (IBA §9.3.6).
    pub fn immediate(&self) -> Option<u32> {
        let h = self.ext.filter(|h| h.immdt)?;
        let e = self.b.get(BTH_LEN + h.immdt_offset()..)?;
        (e.len() >= IMMDT_LEN).then(|| be32(e, 0))
    }

    /// The R_Key to invalidate of a SEND with Invalidate (IETH, IBA §9.3.7).
    pub fn invalidate_rkey(&self) -> Option<u32> {
        let h = self.ext.filter(|h| h.ieth)?;
        let e = self
            .b
            .get(BTH_LEN + h.immdt_offset() + h.immdt as usize * IMMDT_LEN..)?;
        (e.len() >= IETH_LEN).then(|| be32(e, 0))
    }

    /// DETH (UD and RD requests): (Q_Key, source QP).
    pub fn deth(&self) -> Option<(u32, u32)> {
        let h = self.ext.filter(|h| h.deth)?;
        let e = self.b.get(BTH_LEN + h.rdeth as usize * RDETH_LEN..)?;
        (e.len() >= DETH_LEN).then(|| (be32(e, 0), be24(e, 5)))
    }

    /// Offset of the payload from the start of the BTH.
    pub fn payload_offset(&self) -> Option<usize> {
        self.ext.map(|h| BTH_LEN + h.len())
    }

    /// Payload length when `total_len` bytes run from the BTH to the end of the ICRC (UDP
    /// length minus 8 for v2, the GRH's PayLen for v1): total minus BTH, extended headers,
    /// pad and ICRC (IBA §9.1, figure 85). Errors when the opcode's layout is unknown
    /// (`Truncated`) or the total cannot hold those parts ([`BAD_ROCE_LENGTH`]).
    pub fn payload_len(&self, total_len: usize) -> Result<usize, Stop> {
        let start = self.payload_offset().ok_or(Stop::Truncated)?;
        total_len
            .checked_sub(start + self.pad_count() as usize + ICRC_LEN)
            .ok_or(BAD_ROCE_LENGTH)
    }

    /// The captured part of the payload (pad and ICRC excluded); see [`Bth::payload_len`].
    pub fn payload(&self, total_len: usize) -> Result<&'a [u8], Stop> {
        let len = self.payload_len(total_len)?;
        let start = BTH_LEN + self.ext.map_or(0, |h| h.len());
        let end = (start + len).min(self.b.len());
        Ok(self.b.get(start..end).unwrap_or(&[]))
    }
}

/// RoCE v1 Global Route Header (IBA §8.3; annex A16.4). Same layout as an IPv6 header.
#[derive(Debug, Clone, Copy)]
pub struct Grh<'a> {
    pub traffic_class: u8,
    pub flow_label: u32,
    /// Bytes after the GRH up to and including the ICRC.
    pub payload_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
    pub sgid: &'a [u8; 16],
    pub dgid: &'a [u8; 16],
}

impl<'a> Grh<'a> {
    /// `b` is the Ethernet payload of an ethertype 0x8915 frame.
    pub fn parse(b: &'a [u8]) -> Result<Grh<'a>, Stop> {
        need(b, GRH_LEN)?;
        // IPVer is 6 in a GRH (IBA §8.3.1).
        if b[0] >> 4 != 6 {
            return Err(Stop::Malformed(StopReason::BadIpVersion));
        }
        if b[6] != GRH_NEXT_HEADER_BTH {
            return Err(GRH_NOT_BTH);
        }
        let vtf = be32(b, 0);
        Ok(Grh {
            traffic_class: ((vtf >> 20) & 0xff) as u8,
            flow_label: vtf & 0x000f_ffff,
            payload_len: be16(b, 4),
            next_header: b[6],
            hop_limit: b[7],
            sgid: b[8..24].try_into().unwrap(),
            dgid: b[24..40].try_into().unwrap(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bth(op: u8, pad: u8, qp: u32, psn: u32, ack: bool) -> Vec<u8> {
        let mut v = vec![op, 0x80 | (pad << 4), 0xff, 0xff, 0];
        v.extend_from_slice(&qp.to_be_bytes()[1..]);
        v.push(if ack { 0x80 } else { 0 });
        v.extend_from_slice(&psn.to_be_bytes()[1..]);
        v
    }

    #[test]
    fn write_first_with_reth() {
        let mut p = bth(opcode::RC_RDMA_WRITE_FIRST, 0, 0x000d12, 0x00abcdef, false);
        p.extend_from_slice(&0x0000_7f00_1234_0000u64.to_be_bytes());
        p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
        p.extend_from_slice(&(1u32 << 20).to_be_bytes());
        p.extend_from_slice(&[0xaa; 4096]);
        p.extend_from_slice(&[0; 4]);
        let b = Bth::parse(&p).unwrap();
        assert_eq!(b.opcode_name(), Some("rc_rdma_write_first"));
        assert_eq!(b.class(), TransportClass::Rc);
        assert_eq!(b.dest_qp(), 0xd12);
        assert_eq!(b.psn(), 0xabcdef);
        assert!(b.solicited() && !b.ack_request());
        assert_eq!(b.pkey(), 0xffff);
        assert_eq!(
            b.reth(),
            Some(Reth {
                va: 0x7f00_1234_0000,
                rkey: 0x1122_3344,
                dma_len: 1 << 20
            })
        );
        assert_eq!(b.aeth(), None);
        assert_eq!(b.payload_len(p.len()), Ok(4096));
        assert_eq!(b.payload(p.len()).unwrap().len(), 4096);
    }

    #[test]
    fn ack_and_pad() {
        let mut p = bth(opcode::RC_ACKNOWLEDGE, 0, 7, 9, false);
        p.extend_from_slice(&[0x60, 0, 0, 5, 0, 0, 0, 0]);
        let b = Bth::parse(&p).unwrap();
        let a = b.aeth().unwrap();
        assert_eq!((a.kind(), a.value(), a.msn), ("nak", 0, 5));
        assert_eq!(b.payload_len(p.len()), Ok(0));
        // a SEND ONLY of 5 bytes needs 3 bytes of pad
        let mut p = bth(opcode::RC_SEND_ONLY, 3, 7, 10, true);
        p.extend_from_slice(b"hello\0\0\0ICRC");
        let b = Bth::parse(&p).unwrap();
        assert_eq!(b.pad_count(), 3);
        assert_eq!(b.payload(p.len()).unwrap(), b"hello");
        assert!(b.ack_request());
    }

    #[test]
    fn cnp_and_ud() {
        let mut p = bth(opcode::CNP, 0, 0x11, 0, false);
        p.extend_from_slice(&[0; 20]);
        let b = Bth::parse(&p).unwrap();
        assert!(b.is_cnp());
        assert_eq!(b.class(), TransportClass::Cnp);
        assert_eq!(b.payload_len(p.len()), Ok(0));
        let mut p = bth(opcode::UD_SEND_ONLY_IMM, 0, 1, 0, false);
        p.extend_from_slice(&[0x80, 0x01, 0, 0, 0, 0, 0, 0x42]);
        p.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        p.extend_from_slice(&[0; 4]);
        let b = Bth::parse(&p).unwrap();
        assert_eq!(b.deth(), Some((0x8001_0000, 0x42)));
        assert_eq!(b.immediate(), Some(0xdead_beef));
        assert_eq!(b.payload_len(p.len()), Ok(0));
    }

    #[test]
    fn ext_header_table() {
        assert_eq!(ext_header_len(opcode::RC_SEND_ONLY), Some(0));
        assert_eq!(ext_header_len(opcode::RC_RDMA_WRITE_ONLY_IMM), Some(20));
        assert_eq!(ext_header_len(opcode::RC_RDMA_READ_REQUEST), Some(16));
        assert_eq!(
            ext_header_len(opcode::RC_RDMA_READ_RESPONSE_MIDDLE),
            Some(0)
        );
        assert_eq!(ext_header_len(opcode::RC_ATOMIC_ACKNOWLEDGE), Some(12));
        assert_eq!(ext_header_len(opcode::RC_FETCH_ADD), Some(28));
        assert_eq!(ext_header_len(opcode::RC_SEND_ONLY_INVALIDATE), Some(4));
        assert_eq!(ext_header_len(0x4c), Some(28)); // RD READ request: RDETH+DETH+RETH
        assert_eq!(ext_header_len(0x51), Some(8)); // RD ACK: RDETH+AETH
        assert_eq!(ext_header_len(0x2c), None); // UC has no READ
        assert_eq!(ext_header_len(0x15), None);
        assert_eq!(ext_header_len(0xa0), None);
        // every named opcode has a layout, and every layout has a name
        for op in 0..=255u8 {
            assert_eq!(
                opcode_name(op).is_some(),
                ext_headers(op).is_some(),
                "{op:#x}"
            );
        }
    }

    #[test]
    fn malformed() {
        let mut p = bth(opcode::RC_SEND_ONLY, 0, 1, 1, false);
        p[1] |= 0x01;
        assert_eq!(Bth::parse(&p).unwrap_err(), BAD_BTH_VERSION);
        let p = bth(opcode::RC_SEND_ONLY, 2, 1, 1, false);
        let b = Bth::parse(&p).unwrap();
        // 12 bytes cannot hold pad 2 + ICRC
        assert_eq!(b.payload_len(12), Err(BAD_ROCE_LENGTH));
        let mut g = vec![0x60, 0, 0, 0, 0, 16, 0x11, 64];
        g.extend_from_slice(&[0; 32]);
        assert_eq!(Grh::parse(&g).unwrap_err(), GRH_NOT_BTH);
        g[0] = 0x40;
        assert_eq!(
            Grh::parse(&g).unwrap_err(),
            Stop::Malformed(StopReason::BadIpVersion)
        );
        g[0] = 0x60;
        g[6] = GRH_NEXT_HEADER_BTH;
        let h = Grh::parse(&g).unwrap();
        assert_eq!((h.payload_len, h.hop_limit), (16, 64));
    }

    #[test]
    fn truncation_sweep() {
        let mut all = Vec::new();
        for op in [
            opcode::RC_RDMA_WRITE_ONLY_IMM,
            opcode::RC_ATOMIC_ACKNOWLEDGE,
            opcode::RC_SEND_LAST_INVALIDATE,
            opcode::CNP,
            0x4c,
            0xe0,
        ] {
            let mut p = bth(op, 1, 3, 4, true);
            p.extend((0..60u8).map(|i| i.wrapping_mul(37)));
            all.push(p);
        }
        let mut g = vec![0x60, 0, 0, 0, 0, 72, GRH_NEXT_HEADER_BTH, 1];
        g.extend_from_slice(&[0xfe; 32]);
        g.extend_from_slice(&all[0]);
        for p in &all {
            let full_ok = Bth::parse(p).is_ok();
            assert!(full_ok);
            for cut in 0..=p.len() {
                match Bth::parse(&p[..cut]) {
                    Ok(b) => {
                        let _ = (b.reth(), b.aeth(), b.immediate(), b.invalidate_rkey());
                        let _ = (b.deth(), b.payload_len(p.len()), b.payload(p.len()));
                        let _ = b.payload(cut);
                        assert!(cut >= BTH_LEN + b.ext_headers().map_or(0, |h| h.len()));
                    }
                    Err(e) => assert_eq!(e, Stop::Truncated),
                }
            }
        }
        for cut in 0..GRH_LEN {
            assert_eq!(Grh::parse(&g[..cut]).unwrap_err(), Stop::Truncated);
        }
        assert!(Grh::parse(&g).is_ok());
    }
}
