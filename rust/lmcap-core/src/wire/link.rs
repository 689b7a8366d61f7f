//! Link-layer headers other than Ethernet: Linux cooked captures (SLL, SLL2), BSD loopback
//! (NULL, LOOP) and raw IP. Each yields the ethertype of what follows and its offset.

use super::StopReason;
use super::{be16, need, Stop};
use crate::wire::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};

pub const LINKTYPE_NULL: u16 = 0;
pub const LINKTYPE_ETHERNET: u16 = 1;
pub const LINKTYPE_RAW: u16 = 101;
pub const LINKTYPE_LOOP: u16 = 108;
pub const LINKTYPE_LINUX_SLL: u16 = 113;
pub const LINKTYPE_IPV4: u16 = 228;
pub const LINKTYPE_IPV6: u16 = 229;
pub const LINKTYPE_LINUX_SLL2: u16 = 276;

/// A link header that is not Ethernet: what it carries and, for cooked captures, the source
/// link address when it is a 6-byte MAC.
pub struct Cooked<'a> {
    pub ethertype: u16,
    pub header_len: usize,
    pub src_mac: Option<&'a [u8; 6]>,
}

fn mac_if_6(b: &[u8], len: u16, at: usize) -> Option<&[u8; 6]> {
    if len == 6 {
        b.get(at..at + 6).and_then(|s| s.try_into().ok())
    } else {
        None
    }
}

/// Linux "cooked" capture v1: 16-byte header, protocol at 14.
pub fn sll(b: &[u8]) -> Result<Cooked<'_>, Stop> {
    need(b, 16)?;
    Ok(Cooked {
        ethertype: be16(b, 14),
        header_len: 16,
        src_mac: mac_if_6(b, be16(b, 4), 6),
    })
}

/// Linux "cooked" capture v2: 20-byte header, protocol at 0.
pub fn sll2(b: &[u8]) -> Result<Cooked<'_>, Stop> {
    need(b, 20)?;
    Ok(Cooked {
        ethertype: be16(b, 0),
        header_len: 20,
        src_mac: mac_if_6(b, b[11] as u16, 12),
    })
}

/// BSD loopback: a 4-byte address family, in the writer's byte order for NULL and in network
/// byte order for LOOP. IPv6 has several family numbers depending on the BSD.
pub fn loopback(b: &[u8], network_order: bool) -> Result<Cooked<'static>, Stop> {
    need(b, 4)?;
    let raw = [b[0], b[1], b[2], b[3]];
    let family = if network_order {
        u32::from_be_bytes(raw)
    } else {
        // NULL's byte order is the capturing host's: small values tell which one it was.
        let le = u32::from_le_bytes(raw);
        if le <= 0xffff {
            le
        } else {
            u32::from_be_bytes(raw)
        }
    };
    let ethertype = match family {
        2 => ETHERTYPE_IPV4,
        10 | 24 | 28 | 30 => ETHERTYPE_IPV6,
        _ => 0,
    };
    Ok(Cooked {
        ethertype,
        header_len: 4,
        src_mac: None,
    })
}

/// Raw IP: the version nibble says which.
pub fn raw_ip(b: &[u8]) -> Result<Cooked<'static>, Stop> {
    need(b, 1)?;
    let ethertype = match b[0] >> 4 {
        4 => ETHERTYPE_IPV4,
        6 => ETHERTYPE_IPV6,
        _ => return Err(Stop::Malformed(StopReason::BadIpVersion)),
    };
    Ok(Cooked {
        ethertype,
        header_len: 0,
        src_mac: None,
    })
}
