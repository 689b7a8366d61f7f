//! ARP (RFC 826) and RARP for Ethernet/IPv4, the only pairing that carries addresses lmcap
//! tracks. Other hardware/protocol sizes are recognised and reported, not decoded.

use super::StopReason;
use super::{be16, need, Stop};

pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;
pub const OP_RARP_REQUEST: u16 = 3;
pub const OP_RARP_REPLY: u16 = 4;

#[derive(Debug, Clone, Copy)]
pub struct Arp<'a> {
    pub hardware_type: u16,
    pub protocol_type: u16,
    pub opcode: u16,
    pub sender_mac: &'a [u8; 6],
    pub sender_ip: [u8; 4],
    pub target_mac: &'a [u8; 6],
    pub target_ip: [u8; 4],
}

impl<'a> Arp<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Arp<'a>, Stop> {
        need(b, 8)?;
        let (hlen, plen) = (b[4], b[5]);
        let hardware_type = be16(b, 0);
        // ATM ARP (hardware type 19, RFC 2225) lays its addresses out differently.
        if hlen != 6 || plen != 4 || hardware_type == 19 {
            return Err(Stop::Malformed(StopReason::UnsupportedArpFormat));
        }
        need(b, 28)?;
        Ok(Arp {
            hardware_type: be16(b, 0),
            protocol_type: be16(b, 2),
            opcode: be16(b, 6),
            sender_mac: b[8..14].try_into().unwrap(),
            sender_ip: b[14..18].try_into().unwrap(),
            target_mac: b[18..24].try_into().unwrap(),
            target_ip: b[24..28].try_into().unwrap(),
        })
    }

    /// Sender announces its own address (RFC 5227 announcement, request or reply form).
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip && self.sender_ip != [0; 4]
    }

    /// Address-conflict probe (RFC 5227): a request from 0.0.0.0.
    pub fn is_probe(&self) -> bool {
        self.opcode == OP_REQUEST && self.sender_ip == [0; 4]
    }
}
