//! Classic libpcap files: both byte orders, microsecond and nanosecond magic, and the
//! "modified" (Kuznetzov) variant whose record headers are 8 bytes longer.
//!
//! Parsing works on byte slices handed out by [`super::source::ByteSource`], so a record's data
//! is never copied here.

use crate::error::ErrorKind;

pub const GLOBAL_HEADER_LEN: usize = 24;

pub const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
pub const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// What the global header says about every record that follows.
#[derive(Debug, Clone, Copy)]
pub struct PcapHeader {
    pub big_endian: bool,
    pub nanosecond: bool,
    /// Record headers carry 8 more bytes (interface index, protocol, packet type).
    pub modified: bool,
    pub version_major: u16,
    pub version_minor: u16,
    pub snaplen: u32,
    pub link_type: u16,
    /// The FCS length announced in the link-type field's upper bits, when present.
    pub fcs_len: Option<u8>,
    /// Files older than version 2.4 may hold captured and original length in the opposite
    /// order: always for 2.0-2.2, and for 2.3 when the "captured" one is the larger (the rule
    /// libpcap and Wireshark apply).
    pub lengths_swapped: LengthOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthOrder {
    Normal,
    Swapped,
    MaybeSwapped,
}

impl PcapHeader {
    pub fn record_header_len(&self) -> usize {
        if self.modified {
            24
        } else {
            16
        }
    }

    pub fn parse(b: &[u8]) -> Result<PcapHeader, ErrorKind> {
        debug_assert!(b.len() >= GLOBAL_HEADER_LEN);
        let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let (magic, big_endian) = match le {
            MAGIC_MICROS | MAGIC_NANOS | MAGIC_MODIFIED => (le, false),
            _ => (u32::from_be_bytes([b[0], b[1], b[2], b[3]]), true),
        };
        let rd16 = |o: usize| read_u16(b, o, big_endian);
        let rd32 = |o: usize| read_u32(b, o, big_endian);
        let (nanosecond, modified) = match magic {
            MAGIC_MICROS => (false, false),
            MAGIC_NANOS => (true, false),
            MAGIC_MODIFIED => (false, true),
            _ => {
                return Err(ErrorKind::BadHeader(format!(
                    "unknown pcap magic 0x{:08x}",
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
                )))
            }
        };
        let version_major = rd16(4);
        let version_minor = rd16(6);
        if version_major != 2 {
            return Err(ErrorKind::BadHeader(format!(
                "unsupported pcap version {version_major}.{version_minor} (only 2.x exists)"
            )));
        }
        let snaplen = rd32(16);
        let network = rd32(20);
        // Bits 16-25 are reserved and must be zero (libpcap refuses such files too); bits 28-31
        // may announce an FCS length in 16-bit words when bit 26 is set.
        if network & 0x03ff_0000 != 0 {
            return Err(ErrorKind::BadHeader(format!(
                "link-type field 0x{network:08x} has reserved bits set"
            )));
        }
        let fcs_len = if network & 0x0400_0000 != 0 {
            Some(((network >> 28) as u8) * 2)
        } else {
            None
        };
        Ok(PcapHeader {
            big_endian,
            nanosecond,
            modified,
            version_major,
            version_minor,
            snaplen,
            link_type: (network & 0xffff) as u16,
            fcs_len,
            lengths_swapped: match version_minor {
                0..=2 => LengthOrder::Swapped,
                3 => LengthOrder::MaybeSwapped,
                _ => LengthOrder::Normal,
            },
        })
    }

    /// Timestamp (ns since the epoch), captured length and original length of one record header.
    #[inline]
    pub fn parse_record(&self, b: &[u8]) -> (Option<i64>, u32, u32) {
        // One bounds check for the four fields (the caller hands at least 16 bytes).
        let b: &[u8; 16] = b[..16].try_into().expect("16 bytes");
        let rd32 = |o: usize| read_u32(b, o, self.big_endian);
        let secs = rd32(0) as i64;
        let frac = rd32(4) as i64;
        let frac_ns = if self.nanosecond { frac } else { frac * 1_000 };
        // u32 seconds times 1e9 fits in i64 (good until 2106 and beyond); an out-of-range
        // fraction (bad writers put > 1e6 µs) is added as is, the way tshark shows it.
        let ts = secs * 1_000_000_000 + frac_ns;
        let (cap, wire) = (rd32(8), rd32(12));
        let swap = match self.lengths_swapped {
            LengthOrder::Normal => false,
            LengthOrder::Swapped => true,
            LengthOrder::MaybeSwapped => cap > wire,
        };
        if swap {
            (Some(ts), wire, cap)
        } else {
            (Some(ts), cap, wire)
        }
    }
}

#[inline(always)]
pub(crate) fn read_u16(b: &[u8], o: usize, big_endian: bool) -> u16 {
    let v = [b[o], b[o + 1]];
    if big_endian {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

#[inline(always)]
pub(crate) fn read_u32(b: &[u8], o: usize, big_endian: bool) -> u32 {
    let v = [b[o], b[o + 1], b[o + 2], b[o + 3]];
    if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(magic: u32, be: bool, network: u32) -> Vec<u8> {
        let mut v = Vec::new();
        let p32 = |v: &mut Vec<u8>, x: u32| {
            v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() })
        };
        let p16 = |v: &mut Vec<u8>, x: u16| {
            v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() })
        };
        p32(&mut v, magic);
        p16(&mut v, 2);
        p16(&mut v, 4);
        p32(&mut v, 0);
        p32(&mut v, 0);
        p32(&mut v, 65535);
        p32(&mut v, network);
        v
    }

    #[test]
    fn both_byte_orders_and_resolutions() {
        for be in [false, true] {
            let h = PcapHeader::parse(&header(MAGIC_NANOS, be, 1)).unwrap();
            assert_eq!(h.big_endian, be);
            assert!(h.nanosecond);
            assert_eq!(h.link_type, 1);
            let h = PcapHeader::parse(&header(MAGIC_MICROS, be, 113)).unwrap();
            assert!(!h.nanosecond);
            assert_eq!(h.link_type, 113);
        }
    }

    #[test]
    fn reserved_link_type_bits_are_refused() {
        assert!(PcapHeader::parse(&header(MAGIC_MICROS, false, 0x0030_0000)).is_err());
        let h = PcapHeader::parse(&header(MAGIC_MICROS, false, 0x2400_0001)).unwrap();
        assert_eq!(h.fcs_len, Some(4));
    }
}
