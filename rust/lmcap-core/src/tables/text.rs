//! Address text for string columns, written without `fmt`: these run up to four times per
//! frame, and `write!(s, "{v6}")` costs about 2,300 instructions per IPv6 address (the
//! formatting machinery, one `pad_integral` per group) where the code below needs about a
//! tenth of that.
//!
//! Every writer fills a fixed-size stack buffer and returns how many bytes it used. The
//! buffers are larger than the longest text so the column can copy a constant number of bytes
//! (a couple of vector stores, no `memcpy` call) and then keep only the used prefix; see
//! `StrColumn::push_prefix`. Every writer here puts only ASCII (hex digits, ':' and '.') into
//! its buffer: the string columns rely on that to skip UTF-8 validation.

use std::net::IpAddr;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes of the buffer a MAC is written into (the text is 17; see `mac`).
pub const MAC_BUF: usize = 20;
/// Length of a MAC's text.
pub const MAC_LEN: usize = 17;
/// Bytes of the buffer an IPv4 address is written into (longest text: 15).
pub const IPV4_BUF: usize = 16;
/// Bytes of the buffer an address of either family is written into (longest IPv6 text: 39).
pub const IP_BUF: usize = 40;

/// Two hex digits and a colon for every byte value: one load and one 4-byte store per MAC
/// byte instead of two table lookups and three single-byte stores.
const HEX_PAIRS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15], b':', 0];
        i += 1;
    }
    t
};

/// `aa:bb:cc:dd:ee:ff`, lower case as tshark prints it, in `out[..MAC_LEN]` (the bytes after
/// it are scratch).
#[inline]
pub fn mac(m: &[u8; 6], out: &mut [u8; MAC_BUF]) {
    for (i, &byte) in m.iter().enumerate() {
        out[i * 3..i * 3 + 4].copy_from_slice(&HEX_PAIRS[byte as usize]);
    }
}

/// Decimal text of every octet followed by a '.', and its length without the dot: one table
/// load and one 4-byte store per octet instead of up to three divisions and branches.
const OCTETS: ([[u8; 4]; 256], [u8; 256]) = {
    let mut text = [[0u8; 4]; 256];
    let mut len = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let v = i as u8;
        let (t, n) = if v >= 100 {
            (
                [b'0' + v / 100, b'0' + (v / 10) % 10, b'0' + v % 10, b'.'],
                3,
            )
        } else if v >= 10 {
            ([b'0' + v / 10, b'0' + v % 10, b'.', 0], 2)
        } else {
            ([b'0' + v, b'.', 0, 0], 1)
        };
        text[i] = t;
        len[i] = n;
        i += 1;
    }
    (text, len)
};

/// Dotted-quad IPv4 into `out`; returns the length.
#[inline]
pub fn ipv4(a: &[u8; 4], out: &mut [u8; IPV4_BUF]) -> usize {
    let mut n = 0;
    for &octet in a {
        // Writes 4 bytes (digits and a dot) and moves past the digits and the dot; the last
        // dot lands in the buffer's spare byte and is not part of the result.
        out[n..n + 4].copy_from_slice(&OCTETS.0[octet as usize]);
        n += OCTETS.1[octet as usize] as usize + 1;
    }
    n - 1
}

/// One group in lower-case hex without leading zeros ("0" for zero) followed by ':', at
/// `out[n..]`; returns the new length. Always stores 4 bytes plus the colon (one bounds check,
/// no loop), so the caller's buffer has room past the text.
#[inline(always)]
fn hex_group(v: u16, out: &mut [u8; IP_BUF], n: usize) -> usize {
    let digits = (16 - v.leading_zeros()).div_ceil(4).max(1);
    let chars = u32::from_be_bytes([
        HEX[(v >> 12) as usize],
        HEX[((v >> 8) & 15) as usize],
        HEX[((v >> 4) & 15) as usize],
        HEX[(v & 15) as usize],
    ]);
    // Shift the leading zero digits out (digits is 1..=4, so the shift is at most 24).
    out[n..n + 4].copy_from_slice(&(chars << (8 * (4 - digits))).to_be_bytes());
    let n = n + digits as usize;
    out[n] = b':';
    n + 1
}

/// IPv6 text exactly as Rust's `Display for Ipv6Addr` writes it, which is RFC 5952's canonical
/// form: lower-case hex without leading zeros; the longest run of two or more zero groups
/// (the first of equally long runs) replaced by `::`, a single zero group kept as `0`; and
/// IPv4-mapped addresses (`::ffff:a.b.c.d`) with the IPv4 part dotted. (std prints IPv4-
/// compatible `::a.b.c.d` addresses in hex, e.g. `::102:304`, and so does this.) Returns the
/// length; a test compares it with std over edge cases and random addresses.
pub fn ipv6(a: &[u8; 16], out: &mut [u8; IP_BUF]) -> usize {
    if a[..10] == [0; 10] && a[10] == 0xff && a[11] == 0xff {
        out[..7].copy_from_slice(b"::ffff:");
        let mut v4 = [0u8; IPV4_BUF];
        let n = ipv4(&[a[12], a[13], a[14], a[15]], &mut v4);
        out[7..7 + IPV4_BUF].copy_from_slice(&v4);
        return 7 + n;
    }
    let mut groups = [0u16; 8];
    for (i, g) in groups.iter_mut().enumerate() {
        *g = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // The longest run of zero groups; a later run must be strictly longer to win.
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let (mut start, mut len) = (0usize, 0usize);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if len == 0 {
                start = i;
            }
            len += 1;
            if len > best_len {
                (best_start, best_len) = (start, len);
            }
        } else {
            len = 0;
        }
    }
    // Every group is written with a trailing ':'; the last one is dropped at the end. The
    // longest text (8 groups of 4 digits) ends at 39 with its colon at 39, inside the buffer.
    let mut n = 0;
    if best_len > 1 {
        for &g in &groups[..best_start] {
            n = hex_group(g, out, n);
        }
        if best_start == 0 {
            out[n] = b':';
            n += 1;
        }
        out[n] = b':';
        n += 1;
        let tail = &groups[best_start + best_len..];
        for &g in tail {
            n = hex_group(g, out, n);
        }
        if tail.is_empty() {
            return n;
        }
    } else {
        for &g in &groups {
            n = hex_group(g, out, n);
        }
    }
    n - 1
}

/// An address of either family in the form tshark prints it; returns the length.
#[inline]
pub fn ip(addr: &IpAddr, out: &mut [u8; IP_BUF]) -> usize {
    match addr {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; IPV4_BUF];
            let n = ipv4(&v4.octets(), &mut buf);
            out[..IPV4_BUF].copy_from_slice(&buf);
            n
        }
        IpAddr::V6(v6) => ipv6(&v6.octets(), out),
    }
}

/// View bytes this module wrote as text. Validating UTF-8 again per address is measurably hot,
/// so it is skipped in release builds and checked in debug builds.
#[inline]
pub fn ascii(b: &[u8]) -> &str {
    debug_assert!(b.is_ascii());
    // SAFETY: ASCII is valid UTF-8, and callers only pass bytes written by this module.
    unsafe { std::str::from_utf8_unchecked(b) }
}

/// Replace `out` with the address (for row-wise tables that keep a reusable buffer).
pub fn ip_into(addr: &IpAddr, out: &mut String) {
    let mut buf = [0u8; IP_BUF];
    let n = ip(addr, &mut buf);
    out.clear();
    out.push_str(ascii(&buf[..n]));
}

/// An address as an owned string (for the rare list columns built with arrow's builders).
pub fn ip_string(addr: &IpAddr) -> String {
    let mut buf = [0u8; IP_BUF];
    let n = ip(addr, &mut buf);
    ascii(&buf[..n]).to_owned()
}

/// A MAC address as an owned string (for tables built row by row at the end of a scan).
pub fn mac_string(m: &[u8; 6]) -> String {
    let mut buf = [0u8; MAC_BUF];
    mac(m, &mut buf);
    ascii(&buf[..MAC_LEN]).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v6_text(a: &Ipv6Addr) -> String {
        let mut buf = [0u8; IP_BUF];
        let n = ipv6(&a.octets(), &mut buf);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn formats_like_tshark() {
        let mut b = [0u8; MAC_BUF];
        mac(&[0x02, 0xbf, 0xc0, 0x00, 0x02, 0x64], &mut b);
        assert_eq!(&b[..MAC_LEN], b"02:bf:c0:00:02:64");
        for v in 0..=255u8 {
            let m = [v, v ^ 0x5a, 255 - v, v / 2, v.rotate_left(3), 0];
            mac(&m, &mut b);
            let want: Vec<String> = m.iter().map(|x| format!("{x:02x}")).collect();
            assert_eq!(ascii(&b[..MAC_LEN]), want.join(":"));
        }
        for a in ["0.0.0.0", "192.0.2.255", "10.100.9.1", "255.255.255.255"] {
            assert_eq!(ip_string(&a.parse().unwrap()), a);
        }
        assert_eq!(ip_string(&"2001:db8::1".parse().unwrap()), "2001:db8::1");
    }

    #[test]
    fn every_ipv4_octet_like_std() {
        for v in 0..=255u8 {
            let a = [v, 255 - v, v / 3, v.wrapping_mul(7)];
            let mut buf = [0u8; IPV4_BUF];
            let n = ipv4(&a, &mut buf);
            assert_eq!(ascii(&buf[..n]), Ipv4Addr::from(a).to_string());
        }
    }

    /// Groups from a small alphabet of values so that zero runs of every length and position
    /// (and ties between runs) occur often.
    fn groups_to_addr(g: [u16; 8]) -> Ipv6Addr {
        Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
    }

    #[test]
    fn ipv6_edge_cases_like_std() {
        let cases = [
            "::",
            "::1",
            "1::",
            "::ffff:192.0.2.1",
            "::ffff:0.0.0.0",
            "::fffe:192.0.2.1",
            "::1:ffff:192.0.2.1",
            "::192.0.2.1",
            "64:ff9b::192.0.2.1",
            "2001:db8::1",
            "2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1",
            "2001:db8:0:0:1:0:0:1",
            "1:0:0:2:0:0:3:4",
            "0:0:1:0:0:1:0:0",
            "1:0:1:0:1:0:1:0",
            "0:1:0:1:0:1:0:1",
            "fe80::1:2:3:4",
            "ff02::1:ff00:1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:0",
            "0:2:3:4:5:6:7:8",
            "1:2:3:0:0:6:7:8",
            "a:b0:c00:d000:f:f0:f00:f000",
        ];
        for c in cases {
            let a: Ipv6Addr = c.parse().unwrap();
            assert_eq!(v6_text(&a), a.to_string(), "{c}");
        }
        // Every pattern of zero and non-zero groups (256 of them), with two non-zero values.
        for mask in 0..=255u16 {
            for nz in [1u16, 0xabcd] {
                let g = std::array::from_fn(|i| if mask >> i & 1 == 1 { nz } else { 0 });
                let a = groups_to_addr(g);
                assert_eq!(v6_text(&a), a.to_string(), "{g:?}");
            }
        }
    }

    #[test]
    fn ipv6_random_addresses_like_std() {
        // xorshift64: deterministic, no dependency.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for i in 0..200_000 {
            let (r1, r2) = (next(), next());
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&r1.to_be_bytes());
            b[8..].copy_from_slice(&r2.to_be_bytes());
            match i % 4 {
                // Fully random: no or short zero runs.
                0 => {}
                // Groups from {0, 1, f, 10, ff0, ffff, random}: many zero runs and ties.
                1 | 2 => {
                    let pick = [0u16, 0, 0, 1, 0xf, 0x10, 0xff0, 0xffff];
                    for g in 0..8 {
                        let v = pick[((r1 >> (g * 3)) & 7) as usize];
                        let v = if v == 0xffff { r2 as u16 } else { v };
                        b[2 * g..2 * g + 2].copy_from_slice(&v.to_be_bytes());
                    }
                }
                // IPv4-mapped and near-mapped prefixes.
                _ => {
                    b[..10].fill(0);
                    b[10] = 0xff;
                    b[11] = if r1 & 1 == 0 { 0xff } else { r1 as u8 };
                }
            }
            let a = Ipv6Addr::from(b);
            assert_eq!(v6_text(&a), a.to_string(), "{b:?}");
        }
    }
}
