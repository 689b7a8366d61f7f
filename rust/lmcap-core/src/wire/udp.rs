//! UDP header (RFC 768).

use super::StopReason;
use super::{be16, need, Stop};

#[derive(Debug, Clone, Copy)]
pub struct Udp {
    pub src_port: u16,
    pub dst_port: u16,
    /// The length field: header plus payload. Zero for IPv6 jumbograms (RFC 2675).
    pub length: u16,
}

impl Udp {
    pub fn parse(b: &[u8]) -> Result<Udp, Stop> {
        need(b, 8)?;
        let length = be16(b, 4);
        if length != 0 && length < 8 {
            return Err(Stop::Malformed(StopReason::BadUdpLength));
        }
        Ok(Udp {
            src_port: be16(b, 0),
            dst_port: be16(b, 2),
            length,
        })
    }
}
