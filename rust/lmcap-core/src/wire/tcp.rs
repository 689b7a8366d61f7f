//! TCP header (RFC 9293) with the options a transfer's health depends on: MSS, window scale,
//! SACK permitted, SACK blocks and timestamps.

use super::StopReason;
use super::{be16, be32, need, Stop};

pub const FIN: u16 = 0x001;
pub const SYN: u16 = 0x002;
pub const RST: u16 = 0x004;
pub const PSH: u16 = 0x008;
pub const ACK: u16 = 0x010;
pub const URG: u16 = 0x020;
pub const ECE: u16 = 0x040;
pub const CWR: u16 = 0x080;
pub const AE: u16 = 0x100;

#[derive(Debug, Clone, Copy, Default)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub sack_blocks: u8,
    pub timestamp: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub header_len: usize,
    pub flags: u16,
    pub window: u16,
    pub options: TcpOptions,
}

impl Tcp {
    /// `b` is the IP payload as captured. The header must fit in it entirely.
    pub fn parse(b: &[u8]) -> Result<Tcp, Stop> {
        let t = Self::parse_fixed(b)?;
        if t.header_len < 20 {
            return Err(Stop::Malformed(StopReason::BadTcpHeaderLength));
        }
        need(b, t.header_len)?;
        Ok(t)
    }

    /// The fields lmcap records (ports, sequence and acknowledgement numbers, data offset,
    /// flags, window: the first 16 bytes; checksum and urgent pointer are not kept) and
    /// whatever options are present, even when the header runs past `b` (a snaplen cut, or a
    /// header continued in the next IP fragment) or its data offset is below 5. The caller
    /// decides what a short or lying header means, with the fields in hand.
    pub fn parse_fixed(b: &[u8]) -> Result<Tcp, Stop> {
        need(b, 16)?;
        let header_len = ((b[12] >> 4) as usize) * 4;
        Ok(Tcp {
            src_port: be16(b, 0),
            dst_port: be16(b, 2),
            seq: be32(b, 4),
            ack: be32(b, 8),
            header_len,
            // 12 bits, the 3 reserved ones included, as tshark's tcp.flags shows them.
            flags: be16(b, 12) & 0x0fff,
            window: be16(b, 14),
            options: parse_options(b.get(20..header_len.min(b.len())).unwrap_or(&[])),
        })
    }
}

fn parse_options(mut o: &[u8]) -> TcpOptions {
    let mut out = TcpOptions::default();
    while let Some(&kind) = o.first() {
        match kind {
            0 => break,
            1 => o = &o[1..],
            _ => {
                let Some(&len) = o.get(1) else { break };
                let len = len as usize;
                if len < 2 || len > o.len() {
                    break;
                }
                let v = &o[2..len];
                match (kind, v.len()) {
                    (2, 2) => out.mss = Some(be16(v, 0)),
                    (3, 1) => out.window_scale = Some(v[0]),
                    (4, 0) => out.sack_permitted = true,
                    (5, n) => out.sack_blocks = (n / 8) as u8,
                    (8, 8) => out.timestamp = Some((be32(v, 0), be32(v, 4))),
                    _ => {}
                }
                o = &o[len..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn_options() {
        let mut h = vec![
            0x04, 0xd2, 0x19, 0xc8, 0, 0, 0, 1, 0, 0, 0, 0, 0xb0, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ];
        h.extend_from_slice(&[
            2, 4, 0x23, 0x00, 4, 2, 1, 3, 3, 7, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0,
        ]);
        let t = Tcp::parse(&h).unwrap();
        assert_eq!(t.dst_port, 6600);
        assert_eq!(t.flags, SYN);
        assert_eq!(t.options.mss, Some(8960));
        assert_eq!(t.options.window_scale, Some(7));
        assert!(t.options.sack_permitted);
        assert_eq!(t.options.timestamp, Some((1, 0)));
    }

    #[test]
    fn bad_data_offset() {
        let mut h = vec![0u8; 20];
        h[12] = 0x40;
        assert_eq!(
            Tcp::parse(&h).unwrap_err(),
            Stop::Malformed(StopReason::BadTcpHeaderLength)
        );
        h[12] = 0xf0;
        assert_eq!(Tcp::parse(&h).unwrap_err(), Stop::Truncated);
        for cut in 0..20 {
            assert!(Tcp::parse(&h[..cut]).is_err());
        }
    }
}
