//! pcapng (draft-ietf-opsawg-pcapng): sections in either byte order, interfaces with their own
//! link type, snaplen, `if_tsresol` and `if_tsoffset`, Enhanced, Simple and the obsolete Packet
//! blocks. Every other block type is skipped by its length.
//!
//! The block framing lives here once, for both ways `capture/file.rs` reads a file: the fast
//! step over a packet block that lies wholly in the current file window, and the general step
//! that reads any block from any source and reports what is wrong with it. Both check a block
//! with [`block_type_and_len`] and [`check_trailer`] and read a packet with
//! [`Section::packet`], so a block frames the same whichever step reads it.

use super::pcap::{read_u16, read_u32};
use super::source::MAX_RECORD_BYTES;
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
    #[inline]
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

/// Block type and total length from the first 8 bytes of a block, the length checked: a
/// multiple of 4, at least 12 (header and trailer), at most [`MAX_RECORD_BYTES`] (a lying
/// length must not make the reader hold gigabytes).
#[inline(always)]
pub fn block_type_and_len(b: &[u8], big_endian: bool) -> Result<(u32, usize), ErrorKind> {
    let (block_type, total_len) = block_header(b, big_endian);
    let len = total_len as usize;
    if len < 12 || len % 4 != 0 || len > MAX_RECORD_BYTES {
        return Err(bad_block_len(block_type, total_len));
    }
    Ok((block_type, len))
}

#[cold]
#[inline(never)]
fn bad_block_len(block_type: u32, total_len: u32) -> ErrorKind {
    if total_len as usize > MAX_RECORD_BYTES && total_len % 4 == 0 {
        return ErrorKind::BadLength(format!(
            "pcapng block type 0x{block_type:08x} has total length {total_len}, above the {} MiB limit",
            MAX_RECORD_BYTES >> 20
        ));
    }
    ErrorKind::BadLength(format!(
        "pcapng block type 0x{block_type:08x} has total length {total_len} (must be a multiple of 4, at least 12)"
    ))
}

/// Whether the trailing length of `block` (the whole block, as long as its leading length
/// says) repeats the leading one.
#[inline(always)]
pub fn check_trailer(block: &[u8], big_endian: bool) -> Result<(), ErrorKind> {
    if read_u32(block, block.len() - 4, big_endian) != read_u32(block, 4, big_endian) {
        return Err(bad_trailer(block, big_endian));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn bad_trailer(block: &[u8], big_endian: bool) -> ErrorKind {
    let (block_type, total_len) = block_header(block, big_endian);
    let trailer = read_u32(block, block.len() - 4, big_endian);
    ErrorKind::BadLength(format!(
        "pcapng block type 0x{block_type:08x}: trailing length {trailer} differs from leading length {total_len}"
    ))
}

/// Whether a block type carries a packet.
#[inline(always)]
pub fn is_packet_block(block_type: u32) -> bool {
    matches!(
        block_type,
        BLOCK_ENHANCED_PACKET | BLOCK_SIMPLE_PACKET | BLOCK_PACKET_OBSOLETE
    )
}

/// A section as its packet blocks need it: the byte order, the interfaces described so far,
/// and where the section's interface ids start in the file's numbering.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
    /// Interfaces described in earlier sections: ids are numbered across the whole file.
    pub base: u32,
}

/// A packet block framed and read against its section's interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub timestamp_ns: Option<i64>,
    pub cap_len: u32,
    pub wire_len: u32,
    /// The interface's number across the whole file.
    pub interface_id: u32,
    /// None when the packet names an interface its section never described.
    pub link_type: Option<u16>,
    /// Offset of the frame data from the start of the block.
    pub data_offset: usize,
}

impl Section {
    /// A new section in the file: its byte order, no interfaces yet, numbered after those of
    /// the sections before it.
    pub fn start(&mut self, big_endian: bool) {
        self.big_endian = big_endian;
        self.base = self.base.saturating_add(self.interfaces.len() as u32);
        self.interfaces.clear();
    }

    /// The packet of a packet block (`block` the whole block, its lengths checked). A packet on
    /// an interface never described keeps its place: microsecond timestamps (the format's
    /// default) and no link type.
    #[inline(always)]
    pub fn packet(&self, block_type: u32, block: &[u8]) -> Result<Packet, ErrorKind> {
        let snaplen0 = self.interfaces.first().map(|i| i.snaplen);
        let f = packet_fields(block_type, block, self.big_endian, snaplen0)?;
        let iface = self.interfaces.get(f.interface_id as usize);
        let timestamp_ns = match (iface, f.ts_units) {
            (Some(i), Some(units)) => i.ts_resolution.to_ns(units, i.ts_offset_s),
            (None, Some(units)) => TsResolution::Pow10(6).to_ns(units, 0),
            (_, None) => None,
        };
        Ok(Packet {
            timestamp_ns,
            cap_len: f.cap_len,
            wire_len: f.wire_len,
            interface_id: self.base.saturating_add(f.interface_id),
            link_type: iface.map(|i| i.link_type),
            data_offset: f.data_offset,
        })
    }
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
/// Runs for every packet of a pcapng file: the fixed fields are read at constant offsets from
/// one checked 28-byte head, and the error texts are built out of line.
#[inline(always)]
pub fn packet_fields(
    block_type: u32,
    block: &[u8],
    big_endian: bool,
    snaplen0: Option<u32>,
) -> Result<PacketFields, ErrorKind> {
    let u32_of = |b: [u8; 4]| {
        if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let fields = match block_type {
        BLOCK_ENHANCED_PACKET | BLOCK_PACKET_OBSOLETE => {
            // 8 bytes of block header, 20 of fixed fields, 4 of trailer
            let Some(h) = block.get(..28).filter(|_| block.len() >= 32) else {
                return Err(too_short(block_type, block.len(), 20));
            };
            let h: &[u8; 28] = h.try_into().expect("28 bytes");
            let at = |o: usize| u32_of([h[o], h[o + 1], h[o + 2], h[o + 3]]);
            let interface_id = if block_type == BLOCK_ENHANCED_PACKET {
                at(8)
            } else {
                u32::from(read_u16(h, 8, big_endian))
            };
            PacketFields {
                interface_id,
                ts_units: Some((at(12) as u64) << 32 | at(16) as u64),
                cap_len: at(20),
                wire_len: at(24),
                data_offset: 28,
            }
        }
        _ => {
            let Some(h) = block.get(..12).filter(|_| block.len() >= 16) else {
                return Err(too_short(block_type, block.len(), 4));
            };
            let wire_len = u32_of([h[8], h[9], h[10], h[11]]);
            let room = (block.len() - 16) as u32;
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
        return Err(cap_len_past_block(fields.cap_len, block.len()));
    }
    Ok(fields)
}

#[cold]
#[inline(never)]
fn too_short(block_type: u32, block_len: usize, fixed: usize) -> ErrorKind {
    let what = match block_type {
        BLOCK_ENHANCED_PACKET => "enhanced packet block",
        BLOCK_PACKET_OBSOLETE => "packet block",
        _ => "simple packet block",
    };
    ErrorKind::BadLength(format!(
        "{what} of {block_len} bytes is shorter than its fixed fields ({fixed} bytes)"
    ))
}

#[cold]
#[inline(never)]
fn cap_len_past_block(cap_len: u32, block_len: usize) -> ErrorKind {
    ErrorKind::BadLength(format!(
        "captured length {cap_len} does not fit in a block of {block_len} bytes"
    ))
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
