//! iWARP over TCP: MPA framing (RFC 5044), DDP segments (RFC 5041) and RDMAP messages
//! (RFC 5040).
//!
//! An MPA connection starts in streaming mode: the initiator sends an MPA Request frame and
//! the responder an MPA Reply frame (RFC 5044 §7.1). After that the byte stream is a run of
//! Framed PDUs (FPDUs, §4):
//!
//! ```text
//!  0 ULPDU_Length u16            bytes of the DDP segment that follows
//!  2 DDP control: T:1 L:1 rsvd:4 DV:2            (RFC 5041 §4.2; DV is 1)
//!  3 RDMAP control: RV:2 rsvd:2 opcode:4          (RFC 5040 §4.2; RV is 1, in DDP's RsvdULP)
//!  tagged (T=1, RFC 5041 §4.3):   4 STag u32, 8 TO u64                       -> 14-byte DDP header
//!  untagged (T=0, §4.4):          4 RsvdULP u32 (RDMAP: invalidate STag), 8 QN u32,
//!                                 12 MSN u32, 16 MO u32                      -> 18-byte DDP header
//!  then the rest of the ULPDU, 0-3 pad bytes so that 2 + ULPDU_Length + pad is a multiple of
//!  4, and a 4-byte CRC32c when both ends set the C flag (RFC 5044 §4.1, §7.1).
//! ```
//!
//! Markers (the M flag, RFC 5044 §5) put a 4-byte marker every 512 bytes of TCP sequence
//! space, in the middle of FPDUs; lmcap does not remove them, so a stream that negotiated
//! markers must not be walked with [`fpdu`]: the lengths would drift. When the MPA frames
//! were not captured the CRC setting is unknown; like Wireshark, assume it is present (every
//! implementation we know of negotiates it).

use super::{be16, be32, be64, need, MessageFault, Stop};

/// "MPA ID Req Frame" (RFC 5044 §7.1).
pub const MPA_REQUEST_KEY: &[u8; 16] = b"MPA ID Req Frame";
/// "MPA ID Rep Frame".
pub const MPA_REPLY_KEY: &[u8; 16] = b"MPA ID Rep Frame";
pub const MPA_START_HEADER_LEN: usize = 20;
/// RFC 5044 §7.1: PD_Length MUST NOT exceed 512.
pub const MPA_MAX_PRIVATE_DATA: u16 = 512;
pub const MPA_CRC_LEN: usize = 4;
pub const DDP_TAGGED_HEADER_LEN: usize = 14;
pub const DDP_UNTAGGED_HEADER_LEN: usize = 18;
/// DDP queue numbers RDMAP uses (RFC 5040 §5.1, §5.2).
pub const QN_SEND: u32 = 0;
pub const QN_READ_REQUEST: u32 = 1;
pub const QN_TERMINATE: u32 = 2;
/// Length of the RDMA Read Request header carried in the untagged payload (RFC 5040 §4.4).
pub const READ_REQUEST_LEN: usize = 28;

// Per message of a TCP stream, not per frame (see `Stop::BadMessage`): `rdma_segments.status`
// says `bad_fpdu` or `truncated` for the message, and the framer only needs "no readable
// header here".
/// 16 bytes that are neither MPA key.
pub const NOT_MPA_START: Stop = Stop::BadMessage(MessageFault::NotMpaStart);
/// PD_Length above 512.
pub const BAD_MPA_PRIVATE_DATA_LENGTH: Stop =
    Stop::BadMessage(MessageFault::BadMpaPrivateDataLength);
/// ULPDU_Length shorter than the DDP header it announces.
pub const BAD_ULPDU_LENGTH: Stop = Stop::BadMessage(MessageFault::BadUlpduLength);
/// DDP version not 1 (the stream is likely out of step).
pub const BAD_DDP_VERSION: Stop = Stop::BadMessage(MessageFault::BadDdpVersion);
/// RDMAP version not 1.
pub const BAD_RDMAP_VERSION: Stop = Stop::BadMessage(MessageFault::BadRdmapVersion);

/// RDMAP opcodes (RFC 5040 §4.2, table 1).
pub mod opcode {
    pub const RDMA_WRITE: u8 = 0;
    pub const RDMA_READ_REQUEST: u8 = 1;
    pub const RDMA_READ_RESPONSE: u8 = 2;
    pub const SEND: u8 = 3;
    pub const SEND_INVALIDATE: u8 = 4;
    pub const SEND_SE: u8 = 5;
    pub const SEND_SE_INVALIDATE: u8 = 6;
    pub const TERMINATE: u8 = 7;
}

/// Stable snake_case name of an RDMAP opcode; None for the ones RFC 5040 leaves reserved
/// (RFC 7306 gives some of them to atomics and immediate data, which lmcap does not decode).
pub fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        opcode::RDMA_WRITE => "rdma_write",
        opcode::RDMA_READ_REQUEST => "rdma_read_request",
        opcode::RDMA_READ_RESPONSE => "rdma_read_response",
        opcode::SEND => "send",
        opcode::SEND_INVALIDATE => "send_invalidate",
        opcode::SEND_SE => "send_se",
        opcode::SEND_SE_INVALIDATE => "send_se_invalidate",
        opcode::TERMINATE => "terminate",
        _ => return None,
    })
}

/// MPA Request or Reply frame (RFC 5044 §7.1).
#[derive(Debug, Clone, Copy)]
pub struct MpaStart<'a> {
    pub is_reply: bool,
    /// M: the sender wants markers.
    pub markers: bool,
    /// C: the sender wants CRCs. CRCs are used when either side sets it.
    pub crc: bool,
    /// R: the reply rejects the connection.
    pub reject: bool,
    /// Rev: 1 for RFC 5044, 2 for the enhanced connection set-up of RFC 6581.
    pub revision: u8,
    pub pd_length: u16,
    /// The captured part of the private data.
    private_data: &'a [u8],
}

impl<'a> MpaStart<'a> {
    /// True when `b` starts with either MPA key (what a stream classifier needs).
    pub fn is_start(b: &[u8]) -> bool {
        b.starts_with(MPA_REQUEST_KEY) || b.starts_with(MPA_REPLY_KEY)
    }

    /// `b` starts at the key; the private data may be cut short.
    pub fn parse(b: &'a [u8]) -> Result<MpaStart<'a>, Stop> {
        need(b, MPA_START_HEADER_LEN)?;
        let is_reply = match &b[..16] {
            k if k == MPA_REQUEST_KEY => false,
            k if k == MPA_REPLY_KEY => true,
            _ => return Err(NOT_MPA_START),
        };
        let pd_length = be16(b, 18);
        if pd_length > MPA_MAX_PRIVATE_DATA {
            return Err(BAD_MPA_PRIVATE_DATA_LENGTH);
        }
        let end = (MPA_START_HEADER_LEN + pd_length as usize).min(b.len());
        Ok(MpaStart {
            is_reply,
            markers: b[16] & 0x80 != 0,
            crc: b[16] & 0x40 != 0,
            reject: b[16] & 0x20 != 0,
            revision: b[17],
            pd_length,
            private_data: &b[MPA_START_HEADER_LEN..end],
        })
    }

    pub fn private_data(&self) -> &'a [u8] {
        self.private_data
    }

    /// Bytes the frame takes in the stream.
    pub fn wire_len(&self) -> usize {
        MPA_START_HEADER_LEN + self.pd_length as usize
    }
}

/// Bytes an FPDU with this ULPDU_Length takes in the stream (markers aside).
pub fn fpdu_wire_len(ulpdu_len: u16, crc: bool) -> usize {
    let framed = 2 + ulpdu_len as usize;
    framed + (4 - framed % 4) % 4 + if crc { MPA_CRC_LEN } else { 0 }
}

/// An FPDU's MPA and DDP/RDMAP headers.
#[derive(Debug, Clone, Copy)]
pub struct Fpdu<'a> {
    /// From ULPDU_Length to the end of what was captured (at most the FPDU).
    b: &'a [u8],
    crc: bool,
}

/// Read the FPDU that starts at `b[0]`: its headers, and the bytes it takes in the stream
/// (2 + ULPDU_Length + pad + CRC), which may run past `b` when the FPDU continues in later
/// TCP segments. A framer steps to the next FPDU with that length. `crc` is the negotiated C
/// flag (true when unknown). Needs the 2-byte length and the whole DDP header.
pub fn fpdu(b: &[u8], crc: bool) -> Result<(Fpdu<'_>, usize), Stop> {
    need(b, 3)?;
    let ulpdu_len = be16(b, 0);
    let tagged = b[2] & 0x80 != 0;
    let hdr = if tagged {
        DDP_TAGGED_HEADER_LEN
    } else {
        DDP_UNTAGGED_HEADER_LEN
    };
    if (ulpdu_len as usize) < hdr {
        return Err(BAD_ULPDU_LENGTH);
    }
    // DV (RFC 5041 §4.2) and RV (RFC 5040 §4.2) are both 1; any other value most likely means
    // the framer lost its place in the stream.
    if b[2] & 0x03 != 1 {
        return Err(BAD_DDP_VERSION);
    }
    need(b, 4)?;
    if b[3] >> 6 != 1 {
        return Err(BAD_RDMAP_VERSION);
    }
    need(b, 2 + hdr)?;
    let total = fpdu_wire_len(ulpdu_len, crc);
    Ok((
        Fpdu {
            b: &b[..total.min(b.len())],
            crc,
        },
        total,
    ))
}

/// Header of an RDMA Read Request (RFC 5040 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    pub sink_stag: u32,
    pub sink_to: u64,
    pub size: u32,
    pub source_stag: u32,
    pub source_to: u64,
}

impl<'a> Fpdu<'a> {
    pub fn ulpdu_len(&self) -> u16 {
        be16(self.b, 0)
    }

    /// T: tagged buffer model (RDMA Write, Read Response).
    pub fn tagged(&self) -> bool {
        self.b[2] & 0x80 != 0
    }

    /// L: last segment of the DDP message.
    pub fn last(&self) -> bool {
        self.b[2] & 0x40 != 0
    }

    pub fn ddp_version(&self) -> u8 {
        self.b[2] & 0x03
    }

    pub fn rdmap_version(&self) -> u8 {
        self.b[3] >> 6
    }

    pub fn opcode(&self) -> u8 {
        self.b[3] & 0x0f
    }

    pub fn opcode_name(&self) -> Option<&'static str> {
        opcode_name(self.opcode())
    }

    /// DDP header length: 14 tagged, 18 untagged.
    pub fn ddp_header_len(&self) -> usize {
        if self.tagged() {
            DDP_TAGGED_HEADER_LEN
        } else {
            DDP_UNTAGGED_HEADER_LEN
        }
    }

    /// Tagged: (STag, tagged offset).
    pub fn stag_to(&self) -> Option<(u32, u64)> {
        self.tagged().then(|| (be32(self.b, 4), be64(self.b, 8)))
    }

    /// Untagged: the STag a Send with Invalidate names (reserved in other messages).
    pub fn invalidate_stag(&self) -> Option<u32> {
        (!self.tagged()).then(|| be32(self.b, 4))
    }

    /// Untagged: queue number (0 Send, 1 Read Request, 2 Terminate).
    pub fn queue_number(&self) -> Option<u32> {
        (!self.tagged()).then(|| be32(self.b, 8))
    }

    /// Untagged: message sequence number.
    pub fn msn(&self) -> Option<u32> {
        (!self.tagged()).then(|| be32(self.b, 12))
    }

    /// Untagged: message offset of this segment's payload.
    pub fn message_offset(&self) -> Option<u32> {
        (!self.tagged()).then(|| be32(self.b, 16))
    }

    /// Bytes of DDP payload the segment carries.
    pub fn payload_len(&self) -> usize {
        self.ulpdu_len() as usize - self.ddp_header_len()
    }

    /// The captured part of the DDP payload (pad and CRC excluded).
    pub fn payload(&self) -> &'a [u8] {
        let start = 2 + self.ddp_header_len();
        let end = (start + self.payload_len()).min(self.b.len());
        self.b.get(start..end).unwrap_or(&[])
    }

    pub fn pad_len(&self) -> usize {
        let framed = 2 + self.ulpdu_len() as usize;
        (4 - framed % 4) % 4
    }

    /// The CRC32c value sent, when negotiated and captured. It travels least-significant
    /// byte first, like the iSCSI digest RFC 5044 §4.1 borrows (Wireshark's MPA dissector and
    /// Linux siw agree on that order).
    pub fn crc(&self) -> Option<u32> {
        let o = 2 + self.ulpdu_len() as usize + self.pad_len();
        let c = self.b.get(o..o + MPA_CRC_LEN).filter(|_| self.crc)?;
        Some(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// Whether the CRC matches the FPDU, when it was negotiated and the FPDU captured whole.
    pub fn crc_ok(&self) -> Option<bool> {
        let sent = self.crc()?;
        let covered = 2 + self.ulpdu_len() as usize + self.pad_len();
        Some(crc32c(&self.b[..covered]) == sent)
    }

    /// An RDMA Read Request's fields (untagged, QN 1), when captured.
    pub fn read_request(&self) -> Option<ReadRequest> {
        if self.opcode() != opcode::RDMA_READ_REQUEST || self.tagged() {
            return None;
        }
        let p = self.payload();
        (p.len() >= READ_REQUEST_LEN).then(|| ReadRequest {
            sink_stag: be32(p, 0),
            sink_to: be64(p, 4),
            size: be32(p, 12),
            source_stag: be32(p, 16),
            source_to: be64(p, 20),
        })
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as RFC 5044 §4.1 and RFC 3385 use.
const CRC32C_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

pub fn crc32c(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &x| {
        (c >> 8) ^ CRC32C_TABLE[((c ^ x as u32) & 0xff) as usize]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An FPDU as a sender builds it.
    fn build(ctrl: u8, rdmap: u8, hdr_rest: &[u8], payload: &[u8], crc: bool) -> Vec<u8> {
        let ulpdu = 2 + hdr_rest.len() + payload.len();
        let mut v = (ulpdu as u16).to_be_bytes().to_vec();
        v.push(ctrl);
        v.push(rdmap);
        v.extend_from_slice(hdr_rest);
        v.extend_from_slice(payload);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        if crc {
            let c = crc32c(&v);
            v.extend_from_slice(&c.to_le_bytes());
        }
        v
    }

    fn untagged(qn: u32, msn: u32, mo: u32) -> Vec<u8> {
        [0u32, qn, msn, mo]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect()
    }

    #[test]
    fn crc32c_check_value() {
        // RFC 3720 appendix B.4 test vector and the usual "123456789" check value
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
    }

    #[test]
    fn mpa_start() {
        let mut r = MPA_REQUEST_KEY.to_vec();
        r.extend_from_slice(&[0x40, 1, 0, 4, 1, 2, 3, 4]);
        assert!(MpaStart::is_start(&r));
        let m = MpaStart::parse(&r).unwrap();
        assert!(!m.is_reply && m.crc && !m.markers && !m.reject);
        assert_eq!((m.revision, m.pd_length, m.wire_len()), (1, 4, 24));
        assert_eq!(m.private_data(), &[1, 2, 3, 4]);
        r[18] = 0x02;
        r[19] = 0x01;
        assert_eq!(
            MpaStart::parse(&r).unwrap_err(),
            BAD_MPA_PRIVATE_DATA_LENGTH
        );
        r[3] = b'x';
        assert!(!MpaStart::is_start(&r));
        assert_eq!(MpaStart::parse(&r).unwrap_err(), NOT_MPA_START);
    }

    #[test]
    fn send_untagged() {
        let f = build(0x41, 0x43, &untagged(0, 1, 0), b"hello", true);
        assert_eq!(f.len(), 2 + 18 + 5 + 3 + 4);
        let (p, total) = fpdu(&f, true).unwrap();
        assert_eq!(total, f.len());
        assert_eq!(p.opcode_name(), Some("send"));
        assert!(p.last() && !p.tagged());
        assert_eq!(
            (p.queue_number(), p.msn(), p.message_offset()),
            (Some(0), Some(1), Some(0))
        );
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.crc_ok(), Some(true));
        assert_eq!(p.stag_to(), None);
        // without CRC the same FPDU is 4 bytes shorter
        assert_eq!(fpdu(&f, false).unwrap().1, f.len() - 4);
    }

    #[test]
    fn tagged_write_and_read_request() {
        let mut h = 0x1234_5678u32.to_be_bytes().to_vec();
        h.extend_from_slice(&0x1000u64.to_be_bytes());
        let f = build(0x81, 0x40, &h, &[7; 100], true);
        let (p, total) = fpdu(&f, true).unwrap();
        assert_eq!(p.opcode_name(), Some("rdma_write"));
        assert_eq!(p.stag_to(), Some((0x1234_5678, 0x1000)));
        assert!(!p.last());
        assert_eq!((p.payload_len(), total), (100, 2 + 14 + 100 + 4));
        let mut rr = Vec::new();
        rr.extend_from_slice(&1u32.to_be_bytes());
        rr.extend_from_slice(&2u64.to_be_bytes());
        rr.extend_from_slice(&65536u32.to_be_bytes());
        rr.extend_from_slice(&3u32.to_be_bytes());
        rr.extend_from_slice(&4u64.to_be_bytes());
        let f = build(0x41, 0x41, &untagged(1, 1, 0), &rr, true);
        let (p, _) = fpdu(&f, true).unwrap();
        assert_eq!(
            p.read_request(),
            Some(ReadRequest {
                sink_stag: 1,
                sink_to: 2,
                size: 65536,
                source_stag: 3,
                source_to: 4
            })
        );
    }

    #[test]
    fn malformed() {
        let mut f = build(0x41, 0x43, &untagged(0, 1, 0), b"x", true);
        f[1] = 10; // ULPDU_Length 10 < 18
        assert_eq!(fpdu(&f, true).unwrap_err(), BAD_ULPDU_LENGTH);
        let mut f = build(0x41, 0x43, &untagged(0, 1, 0), b"x", true);
        f[2] = 0x42;
        assert_eq!(fpdu(&f, true).unwrap_err(), BAD_DDP_VERSION);
        f[2] = 0x41;
        f[3] = 0x83;
        assert_eq!(fpdu(&f, true).unwrap_err(), BAD_RDMAP_VERSION);
        f[3] = 0x43;
        let last = f.len() - 1;
        f[last] ^= 1;
        assert_eq!(fpdu(&f, true).unwrap().0.crc_ok(), Some(false));
    }

    #[test]
    fn truncation_sweep() {
        let mut h = 9u32.to_be_bytes().to_vec();
        h.extend_from_slice(&0u64.to_be_bytes());
        let frames = [
            build(0x41, 0x43, &untagged(0, 1, 0), b"hello", true),
            build(0xc1, 0x42, &h, &[1; 33], true),
            build(0x41, 0x47, &untagged(2, 1, 0), &[], false),
        ];
        for f in &frames {
            let (_, total) = fpdu(f, true).unwrap();
            for cut in 0..=f.len() {
                match fpdu(&f[..cut], true) {
                    Ok((p, t)) => {
                        assert_eq!(t, total);
                        assert!(cut >= 2 + p.ddp_header_len());
                        let _ = (p.payload(), p.crc(), p.crc_ok(), p.read_request());
                        let _ = (p.stag_to(), p.msn(), p.invalidate_stag());
                        assert!(p.payload().len() <= p.payload_len());
                        if cut < f.len() {
                            assert_eq!(p.crc_ok(), None);
                        }
                    }
                    Err(e) => assert_eq!(e, Stop::Truncated),
                }
            }
        }
        let mut r = MPA_REPLY_KEY.to_vec();
        r.extend_from_slice(&[0x40, 1, 0, 3, 9, 9, 9]);
        for cut in 0..=r.len() {
            match MpaStart::parse(&r[..cut]) {
                Ok(m) => {
                    assert!(m.is_reply);
                    assert_eq!(m.private_data().len(), cut - 20);
                }
                Err(e) => assert_eq!(e, Stop::Truncated),
            }
        }
    }
}
