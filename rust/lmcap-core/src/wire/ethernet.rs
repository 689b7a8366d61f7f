//! Ethernet II with any number of 802.1Q / 802.1ad tags.

use super::StopReason;
use super::{be16, need, Stop};

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_RARP: u16 = 0x8035;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
/// Pre-standard QinQ S-tag value still used by some switches.
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_NLB: u16 = 0x886f;
pub const ETHERTYPE_ROCE_V1: u16 = 0x8915;

/// How many tags we record; deeper stacks are walked but only counted.
pub const MAX_RECORDED_TAGS: usize = 2;
/// Tags beyond this are not a real stack but a malformed frame.
const MAX_TAGS: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
pub struct VlanTag {
    pub tpid: u16,
    pub pcp: u8,
    pub dei: bool,
    pub vid: u16,
}

#[derive(Debug, Clone, Copy)]
pub struct Ethernet<'a> {
    pub dst: &'a [u8; 6],
    pub src: &'a [u8; 6],
    /// Outer tags first; only the first `MAX_RECORDED_TAGS` are kept.
    pub tags: [VlanTag; MAX_RECORDED_TAGS],
    pub tag_count: u8,
    /// Ethertype after the last tag (or the 802.3 length field when below 0x0600).
    pub ethertype: u16,
    pub header_len: usize,
}

impl<'a> Ethernet<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Ethernet<'a>, Stop> {
        need(b, 14)?;
        let mut e = Ethernet {
            dst: b[0..6].try_into().unwrap(),
            src: b[6..12].try_into().unwrap(),
            tags: [VlanTag::default(); MAX_RECORDED_TAGS],
            tag_count: 0,
            ethertype: be16(b, 12),
            header_len: 14,
        };
        while matches!(
            e.ethertype,
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
        ) {
            if e.tag_count as usize >= MAX_TAGS {
                return Err(Stop::Malformed(StopReason::TooManyVlanTags));
            }
            need(b, e.header_len + 4)?;
            let tci = be16(b, e.header_len);
            let tag = VlanTag {
                tpid: e.ethertype,
                pcp: (tci >> 13) as u8,
                dei: tci & 0x1000 != 0,
                vid: tci & 0x0fff,
            };
            if (e.tag_count as usize) < MAX_RECORDED_TAGS {
                e.tags[e.tag_count as usize] = tag;
            }
            e.tag_count += 1;
            e.ethertype = be16(b, e.header_len + 2);
            e.header_len += 4;
        }
        Ok(e)
    }
}
