//! pcapng (draft-ietf-opsawg-pcapng): sections in either byte order, interfaces with their own
//! link type, snaplen, `if_tsresol` and `if_tsoffset`, Enhanced, Simple and the obsolete Packet
//! blocks. Every other block type is skipped by its length.

use super::pcap::{read_u16, read_u32};
use crate::error::ErrorKind;

pub const BLOCK_SECTION_HEADER: u32 = 0x0A0D_0D0A;
pub const BLOCK_INTERFACE_DESCRIPTION: u32 = 0x0000_0001;
pub const BLOCK_PACKET_OBSOLETE: u32 = 0x0000_0002;
pub const BLOCK_SIMPLE_PACKET: u32 = 0x0000_0003;
pub const BLOCK_ENHANCED_PACKET: u32 = 0x0000_0006;

const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Units of an interface's timestamps: 10^-n or 2^-n seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsResolution {
    Pow10(u8),
    Pow2(u8),
}

impl TsResolution {
    fn from_option(v: u8) -> TsResolution {
        if v & 0x80 != 0 {
            TsResolution::Pow2(v & 0x7f)
        } else {
            TsResolution::Pow10(v)
        }
    }

    /// Nanoseconds since the epoch for a raw 64-bit timestamp, or None when it does not fit
    /// (a writer bug we report as a null timestamp rather than a wrapped date).
    pub fn to_ns(self, units: u64, offset_s: i64) -> Option<i64> {
        let ns: u128 = match self {
            // The usual resolutions (µs, ns) in u64: a product past u64 is past i64 too, so
            // None either way, as the u128 arithmetic below would give. Called per packet.
            TsResolution::Pow10(n) if n <= 9 => {
                let ns = units.checked_mul(POW10[9 - n as usize])?;
                return i64::try_from(ns)
                    .ok()?
                    .checked_add(offset_s.checked_mul(1_000_000_000)?);
            }
            TsResolution::Pow10(n) if n <= 38 => units as u128 / 10u128.pow(n as u32 - 9),
            TsResolution::Pow10(_) => 0,
            TsResolution::Pow2(n) => (units as u128 * 1_000_000_000) >> n.min(127),
        };
        let ns = i64::try_from(ns).ok()?;
        ns.checked_add(offset_s.checked_mul(1_000_000_000)?)
    }
}

#[derive(Debug, Clone)]
pub struct Interface {
    pub link_type: u16,
    pub snaplen: u32,
    pub ts_resolution: TsResolution,
    pub ts_offset_s: i64,
}

/// Block type and total length from the first 8 bytes of a block.
#[inline]
pub fn block_header(b: &[u8], big_endian: bool) -> (u32, u32) {
    (read_u32(b, 0, big_endian), read_u32(b, 4, big_endian))
}

/// Byte order and version of a Section Header Block (`b` holds at least its first 16 bytes).
pub fn section_header(b: &[u8]) -> Result<bool, ErrorKind> {
    let magic_le = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
    let big_endian = match magic_le {
        BYTE_ORDER_MAGIC => false,
        m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
        m => {
            return Err(ErrorKind::BadHeader(format!(
                "pcapng section byte-order magic 0x{m:08x} is not 0x1a2b3c4d"
            )))
        }
    };
    let major = read_u16(b, 12, big_endian);
    let minor = read_u16(b, 14, big_endian);
    if major != 1 {
        return Err(ErrorKind::BadHeader(format!(
            "unsupported pcapng version {major}.{minor} (only 1.x exists)"
        )));
    }
    Ok(big_endian)
}

/// Options of a block: (code, value) pairs, stopping at opt_endofopt or at the first option
/// whose length runs past the block (a lying option length ends the list, never the file).
pub fn options(mut b: &[u8], big_endian: bool) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let code = read_u16(b, 0, big_endian);
        let len = read_u16(b, 2, big_endian) as usize;
        if code == OPT_END || 4 + len > b.len() {
            return None;
        }
        let value = &b[4..4 + len];
        let padded = (4 + len + 3) & !3;
        b = &b[padded.min(b.len())..];
        Some((code, value))
    })
}

/// An Interface Description Block body (after the 8-byte block header, before the trailer).
pub fn interface(body: &[u8], big_endian: bool) -> Result<Interface, ErrorKind> {
    if body.len() < 8 {
        return Err(ErrorKind::BadLength(format!(
            "interface description block body of {} bytes (needs 8)",
            body.len()
        )));
    }
    let mut iface = Interface {
        link_type: read_u16(body, 0, big_endian),
        snaplen: read_u32(body, 4, big_endian),
        ts_resolution: TsResolution::Pow10(6),
        ts_offset_s: 0,
    };
    for (code, value) in options(&body[8..], big_endian) {
        match code {
            OPT_IF_TSRESOL if !value.is_empty() => {
                iface.ts_resolution = TsResolution::from_option(value[0])
            }
            OPT_IF_TSOFFSET if value.len() >= 8 => {
                let raw = if big_endian {
                    i64::from_be_bytes(value[..8].try_into().unwrap())
                } else {
                    i64::from_le_bytes(value[..8].try_into().unwrap())
                };
                iface.ts_offset_s = raw;
            }
            _ => {}
        }
    }
    Ok(iface)
}

/// Where a packet block keeps its fields.
pub struct PacketFields {
    pub interface_id: u32,
    pub ts_units: Option<u64>,
    pub cap_len: u32,
    pub wire_len: u32,
    /// Offset of the frame data from the start of the block.
    pub data_offset: usize,
}

/// Fields of an Enhanced, obsolete or Simple Packet block. `block` is the whole block;
/// `snaplen0` is interface 0's snaplen (Simple Packet Blocks have no captured-length field).
pub fn packet_fields(
    block_type: u32,
    block: &[u8],
    big_endian: bool,
    snaplen0: Option<u32>,
) -> Result<PacketFields, ErrorKind> {
    let body_len = block.len() - 12;
    let need = |n: usize, what: &str| {
        if body_len < n {
            Err(ErrorKind::BadLength(format!(
                "{what} of {} bytes is shorter than its fixed fields ({n} bytes)",
                block.len()
            )))
        } else {
            Ok(())
        }
    };
    let fields = match block_type {
        BLOCK_ENHANCED_PACKET => {
            need(20, "enhanced packet block")?;
            let hi = read_u32(block, 12, big_endian) as u64;
            let lo = read_u32(block, 16, big_endian) as u64;
            PacketFields {
                interface_id: read_u32(block, 8, big_endian),
                ts_units: Some(hi << 32 | lo),
                cap_len: read_u32(block, 20, big_endian),
                wire_len: read_u32(block, 24, big_endian),
                data_offset: 28,
            }
        }
        BLOCK_PACKET_OBSOLETE => {
            need(20, "packet block")?;
            let hi = read_u32(block, 12, big_endian) as u64;
            let lo = read_u32(block, 16, big_endian) as u64;
            PacketFields {
                interface_id: read_u16(block, 8, big_endian) as u32,
                ts_units: Some(hi << 32 | lo),
                cap_len: read_u32(block, 20, big_endian),
                wire_len: read_u32(block, 24, big_endian),
                data_offset: 28,
            }
        }
        _ => {
            need(4, "simple packet block")?;
            let wire_len = read_u32(block, 8, big_endian);
            let room = (body_len - 4) as u32;
            let cap_len = wire_len
                .min(room)
                .min(snaplen0.filter(|&s| s > 0).unwrap_or(u32::MAX));
            PacketFields {
                interface_id: 0,
                ts_units: None,
                cap_len,
                wire_len,
                data_offset: 12,
            }
        }
    };
    if fields.data_offset + fields.cap_len as usize > block.len() - 4 {
        return Err(ErrorKind::BadLength(format!(
            "captured length {} does not fit in a block of {} bytes",
            fields.cap_len,
            block.len()
        )));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(
            TsResolution::Pow10(6).to_ns(1_500_000, 0),
            Some(1_500_000_000)
        );
        assert_eq!(TsResolution::Pow10(9).to_ns(7, 1), Some(1_000_000_007));
        assert_eq!(TsResolution::Pow10(12).to_ns(5_000, 0), Some(5));
        assert_eq!(TsResolution::Pow2(10).to_ns(1024, 0), Some(1_000_000_000));
        assert_eq!(TsResolution::Pow10(0).to_ns(u64::MAX, 0), None);
    }

    #[test]
    fn lying_option_length_ends_the_list() {
        let body = [9u8, 0, 1, 0, 9, 0, 0, 0, 14, 0, 200, 0, 1, 2, 3, 4];
        let opts: Vec<_> = options(&body, false).collect();
        assert_eq!(opts, vec![(9u16, &[9u8][..])]);
    }
}
