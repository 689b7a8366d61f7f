//! IPv4 header (RFC 791), options included.

use super::StopReason;
use super::{be16, need, Stop};

#[derive(Debug, Clone, Copy)]
pub struct Ipv4<'a> {
    pub header: &'a [u8],
    pub header_len: usize,
    /// The total-length field. Zero on TSO/BIG TCP super-segments, where the frame is the truth.
    pub total_len: u16,
    pub dscp: u8,
    pub ecn: u8,
    pub id: u16,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in bytes.
    pub frag_offset: u32,
    pub ttl: u8,
    pub protocol: u8,
    pub src: [u8; 4],
    pub dst: [u8; 4],
}

impl<'a> Ipv4<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Ipv4<'a>, Stop> {
        Self::parse_inner(b, true)
    }

    /// The header even when its total-length field is below the header length (the fields are
    /// still worth reporting beside the error).
    pub fn parse_ignoring_length(b: &'a [u8]) -> Result<Ipv4<'a>, Stop> {
        Self::parse_inner(b, false)
    }

    fn parse_inner(b: &'a [u8], check_length: bool) -> Result<Ipv4<'a>, Stop> {
        need(b, 20)?;
        if b[0] >> 4 != 4 {
            return Err(Stop::Malformed(StopReason::BadIpVersion));
        }
        let header_len = ((b[0] & 0x0f) as usize) * 4;
        if header_len < 20 {
            return Err(Stop::Malformed(StopReason::BadIpv4HeaderLength));
        }
        let total_len = be16(b, 2);
        if check_length && total_len != 0 && (total_len as usize) < header_len {
            return Err(Stop::Malformed(StopReason::BadIpTotalLength));
        }
        need(b, header_len)?;
        let flags_frag = be16(b, 6);
        Ok(Ipv4 {
            header: &b[..header_len],
            header_len,
            total_len,
            dscp: b[1] >> 2,
            ecn: b[1] & 3,
            id: be16(b, 4),
            dont_fragment: flags_frag & 0x4000 != 0,
            more_fragments: flags_frag & 0x2000 != 0,
            frag_offset: ((flags_frag & 0x1fff) as u32) * 8,
            ttl: b[8],
            protocol: b[9],
            src: b[12..16].try_into().unwrap(),
            dst: b[16..20].try_into().unwrap(),
        })
    }

    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.frag_offset != 0
    }

    /// Length of the IP payload as the header states it, or None for offload super-segments
    /// (total length 0) where only the frame can tell.
    pub fn payload_len(&self) -> Option<usize> {
        (self.total_len != 0).then(|| self.total_len as usize - self.header_len)
    }
}
