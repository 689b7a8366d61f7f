//! What the scan knows of a frame and of a connection besides the frame's bytes: the facts
//! every stage above the decoder shares (the in-order evidence, the stream framers, the table
//! builders). It sits below all of them and depends on nothing in the crate, so that none of
//! them has to import another to name a frame.

use std::net::IpAddr;

/// Per-frame facts that come from the capture file rather than the frame bytes.
#[derive(Debug, Clone, Copy)]
pub struct FrameMeta {
    pub frame_number: u64,
    pub file_index: u32,
    pub interface_id: u32,
    pub link_type: Option<u16>,
    pub timestamp_ns: Option<i64>,
    pub cap_len: u32,
    pub wire_len: u32,
}

/// Where an event happened: the frame that began a message (or noticed a loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub frame_number: u64,
    pub timestamp_ns: Option<i64>,
}

/// One direction of a connection. Kept as addresses: they become text only when a row is
/// written, not for every segment of a long transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoints {
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
}

impl Endpoints {
    /// The other direction of the same connection.
    pub fn reversed(&self) -> Endpoints {
        Endpoints {
            src_ip: self.dst_ip,
            src_port: self.dst_port,
            dst_ip: self.src_ip,
            dst_port: self.src_port,
        }
    }
}
