//! Address formatting for string columns, without going through `fmt` for the common cases:
//! these run once or twice per frame.

use std::net::IpAddr;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `aa:bb:cc:dd:ee:ff`, lower case as tshark prints it.
#[inline]
pub fn mac<'o>(m: &[u8; 6], out: &'o mut [u8; 17]) -> &'o str {
    for (i, byte) in m.iter().enumerate() {
        out[i * 3] = HEX[(byte >> 4) as usize];
        out[i * 3 + 1] = HEX[(byte & 15) as usize];
        if i < 5 {
            out[i * 3 + 2] = b':';
        }
    }
    ascii(&out[..])
}

/// View bytes this module wrote as text. Every writer here puts only ASCII digits, hex digits,
/// ':' and '.' into its buffer, so validating UTF-8 again per address (measurably hot) is
/// skipped in release builds and checked in debug builds.
#[inline]
pub fn ascii(b: &[u8]) -> &str {
    debug_assert!(b.is_ascii());
    // SAFETY: ASCII is valid UTF-8, and callers only pass bytes written by this module.
    unsafe { std::str::from_utf8_unchecked(b) }
}

/// Dotted-quad IPv4 into a caller buffer.
#[inline]
pub fn ipv4(a: &[u8; 4], out: &mut [u8; 15]) -> usize {
    let mut n = 0;
    for (i, &octet) in a.iter().enumerate() {
        if octet >= 100 {
            out[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            out[n] = b'0' + (octet / 10) % 10;
            n += 1;
        }
        out[n] = b'0' + octet % 10;
        n += 1;
        if i < 3 {
            out[n] = b'.';
            n += 1;
        }
    }
    n
}

/// Append an address in the form tshark prints it (RFC 5952 for IPv6) to `out`.
pub fn ip_into(addr: &IpAddr, out: &mut String) {
    out.clear();
    match addr {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let n = ipv4(&v4.octets(), &mut buf);
            out.push_str(ascii(&buf[..n]));
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write;
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_tshark() {
        let mut b = [0u8; 17];
        assert_eq!(
            mac(&[0x02, 0xbf, 0xc0, 0x00, 0x02, 0x64], &mut b),
            "02:bf:c0:00:02:64"
        );
        let mut s = String::new();
        for a in ["0.0.0.0", "192.0.2.255", "10.100.9.1", "255.255.255.255"] {
            ip_into(&a.parse().unwrap(), &mut s);
            assert_eq!(s, a);
        }
        ip_into(&"2001:db8::1".parse().unwrap(), &mut s);
        assert_eq!(s, "2001:db8::1");
    }
}
