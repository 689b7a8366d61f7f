//! Zero-copy protocol header views, one module per layer.
//!
//! Every module follows one recipe: byte offsets of the fields, a checked constructor that
//! looks only at the bytes it was given and returns a [`Stop`] when they cannot hold the header,
//! and accessors that cannot panic afterwards. No module allocates. Numbers a protocol leaves
//! open (ethertypes, IP protocols, ICMP types) stay plain integers so unknown values survive.

pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod igmp;
pub mod ipv4;
pub mod ipv6;
pub mod iwarp;
pub mod link;
pub mod mac;
pub mod nlb;
pub mod roce;
pub mod smb2;
pub mod smbdirect;
pub mod stop;
pub mod tcp;
pub mod udp;

pub use stop::{MessageFault, Stop, StopReason};

#[inline(always)]
pub(crate) fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

#[inline(always)]
pub(crate) fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

#[inline(always)]
pub(crate) fn be64(b: &[u8], o: usize) -> u64 {
    ((be32(b, o) as u64) << 32) | be32(b, o + 4) as u64
}

#[inline(always)]
pub(crate) fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

#[inline(always)]
pub(crate) fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

#[inline(always)]
pub(crate) fn le64(b: &[u8], o: usize) -> u64 {
    ((le32(b, o + 4) as u64) << 32) | le32(b, o) as u64
}

/// Check that `b` holds at least `n` bytes.
#[inline(always)]
pub(crate) fn need(b: &[u8], n: usize) -> Result<(), Stop> {
    if b.len() < n {
        Err(Stop::Truncated)
    } else {
        Ok(())
    }
}
