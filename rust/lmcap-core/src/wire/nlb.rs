//! Windows Network Load Balancing heartbeats (ethertype 0x886F). The protocol is undocumented;
//! the layout below is the one Wireshark's and tcpdump's dissectors agree on: little-endian
//! integers, IPv4 addresses in network order.
//!
//! ```text
//!  0 signature  u32 LE  0xC0DE01BF membership heartbeat, 0xC0DE01C0 extended, 0xC0DE01DE reliable
//!  4 version    u32 LE  major in bits 8-15, minor in 0-7
//!  8 unique host id u32 LE (the host priority)
//! 12 cluster (virtual) IP, network order
//! 16 dedicated (host) IP, network order
//! membership heartbeats only:
//! 20 my host id u16 LE, 22 default host id u16 LE, 24 convergence state u16 LE,
//! 26 number of port rules u16 LE, 28 unique host code u32 LE, 32 packets handled u32 LE
//! ```

use super::{le16, le32, need, Stop};

pub const SIGNATURE_MEMBERSHIP: u32 = 0xC0DE_01BF;
pub const SIGNATURE_EXTENDED: u32 = 0xC0DE_01C0;
pub const SIGNATURE_RELIABLE: u32 = 0xC0DE_01DE;

#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub signature: u32,
    pub version_major: u8,
    pub version_minor: u8,
    pub host_priority: u32,
    pub cluster_ip: [u8; 4],
    pub dedicated_ip: [u8; 4],
    /// Membership heartbeats: (my host id, default host id, convergence state, port rules,
    /// packets handled), when captured.
    pub membership: Option<(u16, u16, u16, u16, u32)>,
}

impl Heartbeat {
    pub fn parse(b: &[u8]) -> Result<Heartbeat, Stop> {
        need(b, 20)?;
        let signature = le32(b, 0);
        let version = le32(b, 4);
        let membership = (signature == SIGNATURE_MEMBERSHIP && b.len() >= 36).then(|| {
            (
                le16(b, 20),
                le16(b, 22),
                le16(b, 24),
                le16(b, 26),
                le32(b, 32),
            )
        });
        Ok(Heartbeat {
            signature,
            version_major: (version >> 8) as u8,
            version_minor: version as u8,
            host_priority: le32(b, 8),
            cluster_ip: b[12..16].try_into().unwrap(),
            dedicated_ip: b[16..20].try_into().unwrap(),
            membership,
        })
    }

    pub fn kind(&self) -> &'static str {
        match self.signature {
            SIGNATURE_MEMBERSHIP => "membership",
            SIGNATURE_EXTENDED => "extended",
            SIGNATURE_RELIABLE => "reliable",
            _ => "unknown",
        }
    }
}
