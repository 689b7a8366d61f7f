//! IPv6 header (RFC 8200) and its extension-header chain, fragment header included.

use super::StopReason;
use super::{be16, be32, need, Stop};

pub const NEXT_HOP_BY_HOP: u8 = 0;
pub const NEXT_ROUTING: u8 = 43;
pub const NEXT_FRAGMENT: u8 = 44;
pub const NEXT_AUTH: u8 = 51;
pub const NEXT_DEST_OPTS: u8 = 60;
pub const NEXT_MOBILITY: u8 = 135;
pub const NEXT_HIP: u8 = 139;
pub const NEXT_SHIM6: u8 = 140;
pub const NEXT_NONE: u8 = 59;

/// A chain longer than this is not a real packet. The bound makes the walk finite even though a
/// chain cannot loop (each header only points forward), since 1500 bytes could hold ~180 of them.
pub const MAX_EXTENSION_HEADERS: usize = 16;

#[derive(Debug, Clone, Copy)]
pub struct Fragment {
    pub offset: u32,
    pub more: bool,
    pub id: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Ipv6<'a> {
    pub payload_len: u16,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub hop_limit: u8,
    pub src: &'a [u8; 16],
    pub dst: &'a [u8; 16],
    /// Upper-layer protocol after the extension headers.
    pub protocol: u8,
    /// Fixed header plus extension headers, in bytes.
    pub header_len: usize,
    pub extension_headers: u8,
    pub fragment: Option<Fragment>,
    /// A hop-by-hop Jumbo Payload option (RFC 2675) gave the real payload length.
    pub jumbo_len: Option<u32>,
}

impl<'a> Ipv6<'a> {
    /// Parse the fixed header and walk the extension headers inside `b`. A chain that runs past
    /// the captured bytes stops with `Truncated` only when the packet itself is longer than what
    /// was captured; otherwise the extension length is a lie.
    pub fn parse(b: &'a [u8]) -> Result<Ipv6<'a>, Stop> {
        let mut ip = Self::parse_fixed(b)?;
        ip.walk_extension_headers(b)?;
        Ok(ip)
    }

    /// The fixed 40-byte header only; `protocol` is its Next Header field.
    pub fn parse_fixed(b: &'a [u8]) -> Result<Ipv6<'a>, Stop> {
        need(b, 40)?;
        if b[0] >> 4 != 6 {
            return Err(Stop::Malformed(StopReason::BadIpVersion));
        }
        let vtf = be32(b, 0);
        let ip = Ipv6 {
            payload_len: be16(b, 4),
            traffic_class: ((vtf >> 20) & 0xff) as u8,
            flow_label: vtf & 0x000f_ffff,
            hop_limit: b[7],
            src: b[8..24].try_into().unwrap(),
            dst: b[24..40].try_into().unwrap(),
            protocol: b[6],
            header_len: 40,
            extension_headers: 0,
            fragment: None,
            jumbo_len: None,
        };
        Ok(ip)
    }

    /// Walk the extension headers after the fixed header (`b` is the whole packet), updating
    /// `protocol`, `header_len`, the fragment header and the jumbogram length as it goes.
    pub fn walk_extension_headers(&mut self, b: &'a [u8]) -> Result<(), Stop> {
        let ip = self;
        loop {
            let next = ip.protocol;
            let at = ip.header_len;
            let ext_len = match next {
                NEXT_HOP_BY_HOP | NEXT_ROUTING | NEXT_DEST_OPTS | NEXT_MOBILITY | NEXT_HIP
                | NEXT_SHIM6 => {
                    need(b, at + 2)?;
                    (b[at + 1] as usize + 1) * 8
                }
                NEXT_AUTH => {
                    need(b, at + 2)?;
                    (b[at + 1] as usize + 2) * 4
                }
                NEXT_FRAGMENT => 8,
                _ => return Ok(()),
            };
            if ip.extension_headers as usize >= MAX_EXTENSION_HEADERS {
                return Err(Stop::Malformed(StopReason::Ipv6ExtChainTooLong));
            }
            let declared_end = 40 + ip.payload_len as usize;
            if ip.jumbo_len.is_none() && ip.payload_len != 0 && at + ext_len > declared_end {
                return Err(Stop::Malformed(StopReason::BadIpv6ExtHeaderLength));
            }
            need(b, at + ext_len)?;
            let h = &b[at..at + ext_len];
            if next == NEXT_FRAGMENT {
                let off_flags = be16(h, 2);
                ip.fragment = Some(Fragment {
                    offset: ((off_flags >> 3) as u32) * 8,
                    more: off_flags & 1 != 0,
                    id: be32(h, 4),
                });
            } else if next == NEXT_HOP_BY_HOP {
                ip.jumbo_len = jumbo_option(&h[2..]);
            }
            ip.protocol = h[0];
            ip.header_len += ext_len;
            ip.extension_headers += 1;
            if next == NEXT_FRAGMENT && ip.fragment.is_some_and(|f| f.offset != 0) {
                // Later fragments carry no upper-layer header: stop walking.
                return Ok(());
            }
        }
    }

    /// Payload length from the header (jumbogram option included), after extension headers.
    pub fn upper_payload_len(&self) -> Option<usize> {
        let total = match self.jumbo_len {
            Some(j) => j as usize,
            None if self.payload_len == 0 => return None,
            None => self.payload_len as usize,
        };
        (40 + total).checked_sub(self.header_len)
    }

    /// A fragment header that really fragments (not an RFC 6946 atomic fragment).
    pub fn is_fragment(&self) -> bool {
        self.fragment.is_some_and(|f| f.more || f.offset != 0)
    }
}

/// The Jumbo Payload option (type 0xC2) inside hop-by-hop options.
fn jumbo_option(mut opts: &[u8]) -> Option<u32> {
    while !opts.is_empty() {
        match opts[0] {
            0 => opts = &opts[1..],
            t => {
                let len = *opts.get(1)? as usize;
                let body = opts.get(2..2 + len)?;
                if t == 0xc2 && len == 4 {
                    return Some(be32(body, 0));
                }
                opts = &opts[2 + len..];
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(next: u8, payload_len: u16) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0];
        v.extend_from_slice(&payload_len.to_be_bytes());
        v.push(next);
        v.push(64);
        v.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v.extend_from_slice(&[0; 11]);
        v.push(1);
        v
    }

    #[test]
    fn long_chain_is_bounded() {
        let n = 200;
        let mut p = header(NEXT_DEST_OPTS, (n * 8) as u16);
        for i in 0..n {
            let next = if i + 1 == n { 59 } else { NEXT_DEST_OPTS };
            p.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
        }
        assert_eq!(
            Ipv6::parse(&p).unwrap_err(),
            Stop::Malformed(StopReason::Ipv6ExtChainTooLong)
        );
    }

    #[test]
    fn fragment_header() {
        let mut p = header(NEXT_FRAGMENT, 16);
        p.extend_from_slice(&[17, 0, 0x05, 0xa9, 0, 0, 0, 42]);
        p.extend_from_slice(&[0; 8]);
        let ip = Ipv6::parse(&p).unwrap();
        let f = ip.fragment.unwrap();
        assert_eq!((f.offset, f.more, f.id), (1448, true, 42));
        assert_eq!(ip.header_len, 48);
        assert!(ip.is_fragment());
    }

    #[test]
    fn truncation_sweep_never_panics() {
        let mut p = header(NEXT_HOP_BY_HOP, 24);
        p.extend_from_slice(&[NEXT_FRAGMENT, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0; 8]);
        for cut in 0..p.len() {
            let _ = Ipv6::parse(&p[..cut]);
        }
    }
}
