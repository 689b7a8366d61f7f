//! SMB 2/3 messages ([MS-SMB2] 2.2) and the transport framing in front of them.
//!
//! Over TCP 445 every message is preceded by the 4-byte Direct TCP header ([MS-SMB2] 2.1: a
//! zero byte and a 24-bit big-endian length); over TCP 139 by a NetBIOS session header (RFC
//! 1002 4.3.1), whose message types other than 0x00 carry no SMB. The bytes after it start with
//! a protocol id: 0xFE 'SMB' (SMB2 header), 0xFD 'SMB' (transform header: encrypted),
//! 0xFC 'SMB' (compression transform) or 0xFF 'SMB' (SMB1).
//!
//! These views read one message's bytes from its protocol id on (the framer in
//! `stream/smb.rs` finds where messages start). SMB2 fields are little-endian. Like every
//! `wire` module: checked constructors, accessors that cannot panic, no allocation.

use super::{le16, le32, le64, need, Stop};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Length of the Direct TCP / NetBIOS session header.
pub const TRANSPORT_HEADER_LEN: usize = 4;
/// Length of the SMB2 sync/async header ([MS-SMB2] 2.2.1).
pub const HEADER_LEN: usize = 64;
/// The header's fields before the signature: what lmcap reads.
pub const HEADER_FIELDS_LEN: usize = 48;
/// Length of the SMB2 TRANSFORM_HEADER ([MS-SMB2] 2.2.41).
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// Length of the unchained COMPRESSION_TRANSFORM_HEADER ([MS-SMB2] 2.2.42.1).
pub const COMPRESSION_HEADER_LEN: usize = 16;
/// Length of the SMB1 header ([MS-CIFS] 2.2.3.1).
pub const SMB1_HEADER_LEN: usize = 32;

/// What a message is, from its first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Smb2,
    /// SMB 3 encryption: only the session id and the size are readable.
    Encrypted,
    Compressed,
    Smb1,
}

impl Protocol {
    pub fn of(b: &[u8]) -> Option<Protocol> {
        if b.len() < 4 || &b[1..4] != b"SMB" {
            return None;
        }
        match b[0] {
            0xFE => Some(Protocol::Smb2),
            0xFD => Some(Protocol::Encrypted),
            0xFC => Some(Protocol::Compressed),
            0xFF => Some(Protocol::Smb1),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smb2 => "smb2",
            Protocol::Encrypted => "smb2_encrypted",
            Protocol::Compressed => "smb2_compressed",
            Protocol::Smb1 => "smb1",
        }
    }
}

/// The transport header in front of a message: `Some(length of what follows)` for a session
/// message, `Some(0)`-sized control messages on port 139 are reported by [`TransportHeader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportHeader {
    /// 0x00 session message; 0x81-0x85 NetBIOS session control (port 139 only).
    pub kind: u8,
    /// Bytes that follow the 4-byte header.
    pub length: u32,
}

impl TransportHeader {
    pub fn parse(b: &[u8]) -> Result<TransportHeader, Stop> {
        need(b, TRANSPORT_HEADER_LEN)?;
        let kind = b[0];
        let length = match kind {
            // Direct TCP: 24-bit length. (On 139 the high byte is a flags byte whose low bit
            // extends a 16-bit length to 17 bits; reading 24 bits gives the same value for the
            // only flag defined.)
            0x00 => u32::from_be_bytes([0, b[1], b[2], b[3]]),
            0x81..=0x85 => {
                u32::from(u16::from_be_bytes([b[2], b[3]])) | (u32::from(b[1] & 1) << 16)
            }
            _ => return Err(Stop::Truncated),
        };
        Ok(TransportHeader { kind, length })
    }
}

/// SMB2 command codes ([MS-SMB2] 2.2.1.2).
pub mod command {
    pub const NEGOTIATE: u16 = 0x00;
    pub const SESSION_SETUP: u16 = 0x01;
    pub const LOGOFF: u16 = 0x02;
    pub const TREE_CONNECT: u16 = 0x03;
    pub const TREE_DISCONNECT: u16 = 0x04;
    pub const CREATE: u16 = 0x05;
    pub const CLOSE: u16 = 0x06;
    pub const FLUSH: u16 = 0x07;
    pub const READ: u16 = 0x08;
    pub const WRITE: u16 = 0x09;
    pub const LOCK: u16 = 0x0A;
    pub const IOCTL: u16 = 0x0B;
    pub const CANCEL: u16 = 0x0C;
    pub const ECHO: u16 = 0x0D;
    pub const QUERY_DIRECTORY: u16 = 0x0E;
    pub const CHANGE_NOTIFY: u16 = 0x0F;
    pub const QUERY_INFO: u16 = 0x10;
    pub const SET_INFO: u16 = 0x11;
    pub const OPLOCK_BREAK: u16 = 0x12;
    pub const SERVER_TO_CLIENT_NOTIFICATION: u16 = 0x13;
}

/// Stable lower-case name of an SMB2 command (None for codes the protocol does not define).
pub fn command_name(code: u16) -> Option<&'static str> {
    const NAMES: [&str; 20] = [
        "negotiate",
        "session_setup",
        "logoff",
        "tree_connect",
        "tree_disconnect",
        "create",
        "close",
        "flush",
        "read",
        "write",
        "lock",
        "ioctl",
        "cancel",
        "echo",
        "query_directory",
        "change_notify",
        "query_info",
        "set_info",
        "oplock_break",
        "server_to_client_notification",
    ];
    NAMES.get(code as usize).copied()
}

pub const FLAG_SERVER_TO_REDIR: u32 = 0x0000_0001;
pub const FLAG_ASYNC_COMMAND: u32 = 0x0000_0002;
pub const FLAG_RELATED_OPERATIONS: u32 = 0x0000_0004;
pub const FLAG_SIGNED: u32 = 0x0000_0008;

/// NEGOTIATE capability bits ([MS-SMB2] 2.2.3).
pub const CAP_MULTI_CHANNEL: u32 = 0x0000_0008;
pub const CAP_ENCRYPTION: u32 = 0x0000_0040;
/// SESSION_SETUP request flag: bind this connection to an existing session (a new channel).
pub const SESSION_FLAG_BINDING: u8 = 0x01;
/// Intermediate SESSION_SETUP status: more legs of authentication follow.
pub const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
pub const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;
pub const FSCTL_QUERY_NETWORK_INTERFACE_INFO: u32 = 0x0014_01FC;
/// Channel values of READ/WRITE ([MS-SMB2] 2.2.19): data moved over RDMA, not in the message.
pub const CHANNEL_RDMA_V1: u32 = 1;
pub const CHANNEL_RDMA_V1_INVALIDATE: u32 = 2;
pub const CHANNEL_RDMA_TRANSFORM: u32 = 3;

/// The SMB2 header ([MS-SMB2] 2.2.1.1 / 2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub credit_charge: u16,
    /// NT status (responses; requests carry the channel sequence here, not a status).
    pub status: u32,
    pub command: u16,
    /// Credits requested (request) or granted (response).
    pub credits: u16,
    pub flags: u32,
    /// Offset from this header to the next one of a compound chain (0: last).
    pub next_command: u32,
    pub message_id: u64,
    /// Async id (async responses) or None.
    pub async_id: Option<u64>,
    /// Tree id (sync messages) or None.
    pub tree_id: Option<u32>,
    pub session_id: u64,
}

impl Header {
    /// Parse the header at the start of `b` (the bytes from 0xFE 'SMB' on). `Stop::Truncated`
    /// when the fields up to the session id (48 bytes) were not captured or the protocol id /
    /// StructureSize are not SMB2's (like the other SMB parsers: a message-level failure, not
    /// a `decode_status`). The 16-byte signature that ends the header is not needed,
    /// so a header the snaplen cut inside its signature still counts.
    pub fn parse(b: &[u8]) -> Result<Header, Stop> {
        if b.len() < HEADER_FIELDS_LEN
            || Protocol::of(b) != Some(Protocol::Smb2)
            || le16(b, 4) != 64
        {
            return Err(Stop::Truncated);
        }
        let flags = le32(b, 16);
        let is_async = flags & FLAG_ASYNC_COMMAND != 0;
        Ok(Header {
            credit_charge: le16(b, 6),
            status: le32(b, 8),
            command: le16(b, 12),
            credits: le16(b, 14),
            flags,
            next_command: le32(b, 20),
            message_id: le64(b, 24),
            async_id: is_async.then(|| le64(b, 32)),
            tree_id: (!is_async).then(|| le32(b, 36)),
            session_id: le64(b, 40),
        })
    }

    pub fn is_response(&self) -> bool {
        self.flags & FLAG_SERVER_TO_REDIR != 0
    }
}

/// What a header cut before its session id still tells (snaplen): the command from 16 bytes
/// on, the flags from 20, the message id from 32. None below 16 bytes or when not SMB2.
pub fn partial_header(b: &[u8]) -> Option<(u16, Option<u32>, Option<u64>)> {
    if b.len() < 16 || Protocol::of(b) != Some(Protocol::Smb2) || le16(b, 4) != 64 {
        return None;
    }
    Some((
        le16(b, 12),
        (b.len() >= 20).then(|| le32(b, 16)),
        (b.len() >= 32).then(|| le64(b, 24)),
    ))
}

/// What the fixed part of a command body says, for the commands lmcap diagnoses. `msg` is the
/// message from its SMB2 header on; fields cut by the snaplen are left out (None).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Body {
    /// NEGOTIATE response: the dialect chosen; request: the highest dialect offered.
    pub dialect: Option<u16>,
    pub capabilities: Option<u32>,
    pub security_mode: Option<u16>,
    /// SESSION_SETUP request flags (0x01 binding).
    pub session_setup_flags: Option<u8>,
    /// SESSION_SETUP response: SessionFlags (guest, null, encrypt data).
    pub session_flags: Option<u16>,
    pub ioctl_code: Option<u32>,
    /// READ/WRITE: bytes asked for (requests) or moved (responses).
    pub data_length: Option<u32>,
    pub file_offset: Option<u64>,
    /// READ/WRITE request channel: 0 none (data in the message), 1-3 RDMA.
    pub channel: Option<u32>,
    /// TREE_CONNECT response: 1 disk, 2 pipe, 3 print.
    pub share_type: Option<u8>,
}

/// Read the body fields of one SMB2 message. A response whose StructureSize is not the
/// command's (an error response) yields no body fields.
pub fn body(h: &Header, msg: &[u8]) -> Body {
    let mut out = Body::default();
    let b = msg.get(HEADER_LEN..).unwrap_or(&[]);
    let has = |n: usize| b.len() >= n;
    if !has(2) {
        return out;
    }
    let size = le16(b, 0);
    let resp = h.is_response();
    match (h.command, resp, size) {
        (command::NEGOTIATE, false, 36) if has(8) => {
            out.security_mode = Some(le16(b, 4));
            if has(12) {
                out.capabilities = Some(le32(b, 8));
            }
            out.dialect = dialects(h, msg).flatten().max();
        }
        (command::NEGOTIATE, true, 65) if has(6) => {
            out.security_mode = Some(le16(b, 2));
            out.dialect = Some(le16(b, 4));
            if has(28) {
                out.capabilities = Some(le32(b, 24));
            }
        }
        (command::SESSION_SETUP, false, 25) if has(8) => {
            out.session_setup_flags = Some(b[2]);
            out.security_mode = Some(u16::from(b[3]));
            out.capabilities = Some(le32(b, 4));
        }
        (command::SESSION_SETUP, true, 9) if has(4) => {
            out.session_flags = Some(le16(b, 2));
        }
        (command::TREE_CONNECT, true, 16) if has(3) => {
            out.share_type = Some(b[2]);
        }
        (command::IOCTL, false, 57) | (command::IOCTL, true, 49) if has(8) => {
            out.ioctl_code = Some(le32(b, 4));
        }
        (command::READ, false, 49) if has(8) => {
            out.data_length = Some(le32(b, 4));
            if has(16) {
                out.file_offset = Some(le64(b, 8));
            }
            if has(40) {
                out.channel = Some(le32(b, 36));
            }
        }
        (command::READ, true, 17) if has(8) => {
            out.data_length = Some(le32(b, 4));
        }
        (command::WRITE, false, 49) if has(8) => {
            out.data_length = Some(le32(b, 4));
            if has(16) {
                out.file_offset = Some(le64(b, 8));
            }
            if has(36) {
                out.channel = Some(le32(b, 32));
            }
        }
        (command::WRITE, true, 17) if has(8) => {
            out.data_length = Some(le32(b, 4));
        }
        _ => {}
    }
    out
}

/// Dialects listed by a NEGOTIATE request (None entries: cut by the snaplen). Empty for any
/// other message. At most 64 are read: the field is 16 bits, real clients offer up to 6.
pub fn dialects<'a>(h: &Header, msg: &'a [u8]) -> impl Iterator<Item = Option<u16>> + 'a {
    let b = msg.get(HEADER_LEN..).unwrap_or(&[]);
    let count = if h.command == command::NEGOTIATE
        && !h.is_response()
        && b.len() >= 4
        && le16(b, 0) == 36
    {
        (le16(b, 2) as usize).min(64)
    } else {
        0
    };
    (0..count).map(move |i| {
        let o = 36 + 2 * i;
        (b.len() >= o + 2).then(|| le16(b, o))
    })
}

/// Bytes of a TREE_CONNECT path decoded at most (1,024 UTF-16 units): a server name (at most
/// 255 characters) and a share name (at most 80) fit many times over.
pub const MAX_TREE_PATH_BYTES: usize = 2048;

/// UTF-16LE share path of a TREE_CONNECT request (e.g. `\\server\share`), when captured.
pub fn tree_connect_path(h: &Header, msg: &[u8]) -> Option<String> {
    let b = msg.get(HEADER_LEN..)?;
    if h.command != command::TREE_CONNECT || h.is_response() || b.len() < 8 || le16(b, 0) != 9 {
        return None;
    }
    let (offset, length) = (le16(b, 4) as usize, le16(b, 6) as usize);
    let path = msg.get(offset..offset.checked_add(length)?)?;
    // a share path is `\\server\share`; a longer one is kept to its first MAX_TREE_PATH_BYTES
    let path = &path[..path.len().min(MAX_TREE_PATH_BYTES)];
    let units: Vec<u16> = path.chunks_exact(2).map(|c| le16(c, 0)).collect();
    Some(String::from_utf16_lossy(&units))
}

/// One NETWORK_INTERFACE_INFO entry of an FSCTL_QUERY_NETWORK_INTERFACE_INFO response
/// ([MS-SMB2] 2.2.32.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkInterface {
    pub if_index: u32,
    pub capability: u32,
    /// Bits per second.
    pub link_speed: u64,
    /// None for an address family other than IPv4/IPv6.
    pub address: Option<IpAddr>,
}

impl NetworkInterface {
    pub const RSS_CAPABLE: u32 = 0x1;
    pub const RDMA_CAPABLE: u32 = 0x2;
}

const INTERFACE_ENTRY_LEN: usize = 152;

/// The interface list of an IOCTL response, when `msg` is a successful
/// FSCTL_QUERY_NETWORK_INTERFACE_INFO response. Entries cut by the snaplen end the list; at most
/// 1024 entries are read and each `Next` must move forward, so a lying chain cannot loop.
pub fn network_interfaces<'a>(
    h: &Header,
    msg: &'a [u8],
) -> impl Iterator<Item = NetworkInterface> + 'a {
    let b = msg.get(HEADER_LEN..).unwrap_or(&[]);
    let list = if h.command == command::IOCTL
        && h.is_response()
        && h.status == 0
        && b.len() >= 40
        && le16(b, 0) == 49
        && le32(b, 4) == FSCTL_QUERY_NETWORK_INTERFACE_INFO
    {
        // Output offset is counted from the start of the SMB2 header.
        let (offset, count) = (le32(b, 32) as usize, le32(b, 36) as usize);
        let end = offset.saturating_add(count).min(msg.len());
        msg.get(offset..end).unwrap_or(&[])
    } else {
        &[]
    };
    let mut at = Some(0usize);
    (0..1024).map_while(move |_| {
        let o = at?;
        let e = list.get(o..o + INTERFACE_ENTRY_LEN)?;
        let next = le32(e, 0) as usize;
        at = (next >= INTERFACE_ENTRY_LEN).then(|| o + next);
        let address = match le16(e, 24) {
            0x0002 => Some(IpAddr::V4(Ipv4Addr::new(e[28], e[29], e[30], e[31]))),
            0x0017 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&e[32..48]);
                Some(IpAddr::V6(Ipv6Addr::from(a)))
            }
            _ => None,
        };
        Some(NetworkInterface {
            if_index: le32(e, 4),
            capability: le32(e, 8),
            link_speed: le64(e, 16),
            address,
        })
    })
}

/// The SMB2 TRANSFORM_HEADER of an encrypted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformHeader {
    pub original_size: u32,
    pub session_id: u64,
}

impl TransformHeader {
    pub fn parse(b: &[u8]) -> Result<TransformHeader, Stop> {
        need(b, TRANSFORM_HEADER_LEN)?;
        Ok(TransformHeader {
            original_size: le32(b, 36),
            session_id: le64(b, 44),
        })
    }
}

/// The COMPRESSION_TRANSFORM_HEADER: for an unchained one whose uncompressed prefix holds the
/// SMB2 header, `inner_offset` points at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionHeader {
    pub original_size: u32,
    pub algorithm: u16,
    pub chained: bool,
    /// Offset (from the 0xFC byte) of an uncompressed SMB2 header, when there is one.
    pub inner_offset: Option<usize>,
}

impl CompressionHeader {
    pub fn parse(b: &[u8]) -> Result<CompressionHeader, Stop> {
        need(b, COMPRESSION_HEADER_LEN)?;
        let chained = le16(b, 10) & 1 != 0;
        let uncompressed_prefix = le32(b, 12) as usize;
        let inner = COMPRESSION_HEADER_LEN;
        let inner_offset = (!chained
            && uncompressed_prefix >= HEADER_LEN
            && Protocol::of(b.get(inner..).unwrap_or(&[])) == Some(Protocol::Smb2))
        .then_some(inner);
        Ok(CompressionHeader {
            original_size: le32(b, 4),
            algorithm: le16(b, 8),
            chained,
            inner_offset,
        })
    }
}

/// The parts of an SMB1 header lmcap reports ([MS-CIFS] 2.2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smb1Header {
    pub command: u8,
    pub status: u32,
    pub is_response: bool,
    pub tree_id: u16,
    pub user_id: u16,
    pub multiplex_id: u16,
}

pub const SMB1_COM_NEGOTIATE: u8 = 0x72;

impl Smb1Header {
    pub fn parse(b: &[u8]) -> Result<Smb1Header, Stop> {
        need(b, SMB1_HEADER_LEN)?;
        Ok(Smb1Header {
            command: b[4],
            status: le32(b, 5),
            is_response: b[9] & 0x80 != 0,
            tree_id: le16(b, 24),
            user_id: le16(b, 28),
            multiplex_id: le16(b, 30),
        })
    }
}

/// Dialect strings of an SMB1 NEGOTIATE request ("NT LM 0.12", "SMB 2.002", "SMB 2.???").
pub fn smb1_dialects(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = b.get(SMB1_HEADER_LEN..).unwrap_or(&[]);
    let words = body.first().map_or(0, |&w| w as usize);
    let at = 1 + 2 * words;
    let bytes = if b.get(4) == Some(&SMB1_COM_NEGOTIATE) && b.get(9).is_some_and(|f| f & 0x80 == 0)
    {
        body.get(at + 2..).unwrap_or(&[])
    } else {
        &[]
    };
    // Each dialect: buffer format 0x02, then a NUL-terminated string.
    bytes
        .split(|&c| c == 0)
        .take(64)
        .filter_map(|s| s.strip_prefix(&[0x02]))
        .filter(|s| !s.is_empty())
}

/// Dialect revision as text: 0x0311 -> "3.1.1", 0x02FF -> "2.???".
pub fn dialect_name(d: u16) -> String {
    match d {
        0x0202 => "2.0.2".into(),
        0x0210 => "2.1".into(),
        0x0300 => "3.0".into(),
        0x0302 => "3.0.2".into(),
        0x0311 => "3.1.1".into(),
        0x02FF => "2.???".into(),
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(command: u16, response: bool, session: u64) -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN];
        h[..4].copy_from_slice(b"\xFESMB");
        h[4..6].copy_from_slice(&64u16.to_le_bytes());
        h[12..14].copy_from_slice(&command.to_le_bytes());
        h[16..20].copy_from_slice(&(response as u32).to_le_bytes());
        h[24..32].copy_from_slice(&7u64.to_le_bytes());
        h[36..40].copy_from_slice(&5u32.to_le_bytes());
        h[40..48].copy_from_slice(&session.to_le_bytes());
        h
    }

    #[test]
    fn negotiate_request_dialects_and_truncation() {
        let mut m = header(command::NEGOTIATE, false, 0);
        let mut fixed = vec![0u8; 36];
        fixed[0..2].copy_from_slice(&36u16.to_le_bytes());
        fixed[2..4].copy_from_slice(&3u16.to_le_bytes());
        fixed[8..12].copy_from_slice(&CAP_MULTI_CHANNEL.to_le_bytes());
        m.extend(fixed);
        for d in [0x0202u16, 0x0311, 0x0300] {
            m.extend(d.to_le_bytes());
        }
        let h = Header::parse(&m).unwrap();
        assert_eq!(h.session_id, 0);
        assert_eq!(h.tree_id, Some(5));
        let b = body(&h, &m);
        assert_eq!(b.dialect, Some(0x0311));
        assert_eq!(b.capabilities, Some(CAP_MULTI_CHANNEL));
        let ds: Vec<_> = dialects(&h, &m).collect();
        assert_eq!(ds, vec![Some(0x0202), Some(0x0311), Some(0x0300)]);
        // Every shorter prefix: no panic, header errors only below 64 bytes.
        for n in 0..m.len() {
            match Header::parse(&m[..n]) {
                Ok(h) => {
                    let _ = body(&h, &m[..n]);
                    let _ = dialects(&h, &m[..n]).count();
                    assert!(n >= HEADER_FIELDS_LEN);
                }
                Err(_) => assert!(n < HEADER_FIELDS_LEN),
            }
        }
    }

    #[test]
    fn interface_list_is_bounded_and_read() {
        let mut m = header(command::IOCTL, true, 9);
        let mut b = vec![0u8; 48];
        b[0..2].copy_from_slice(&49u16.to_le_bytes());
        b[4..8].copy_from_slice(&FSCTL_QUERY_NETWORK_INTERFACE_INFO.to_le_bytes());
        b[32..36].copy_from_slice(&112u32.to_le_bytes());
        b[36..40].copy_from_slice(&(2 * 152u32).to_le_bytes());
        m.extend(b);
        for (i, addr) in [[192u8, 0, 2, 20], [198, 51, 100, 20]].iter().enumerate() {
            let mut e = vec![0u8; 152];
            let next = if i == 0 { 152u32 } else { 0 };
            e[0..4].copy_from_slice(&next.to_le_bytes());
            e[4..8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            e[8..12]
                .copy_from_slice(&(NetworkInterface::RSS_CAPABLE | (i as u32 * 2)).to_le_bytes());
            e[16..24].copy_from_slice(&10_000_000_000u64.to_le_bytes());
            e[24..26].copy_from_slice(&2u16.to_le_bytes());
            e[28..32].copy_from_slice(addr);
            m.extend(e);
        }
        let h = Header::parse(&m).unwrap();
        let list: Vec<_> = network_interfaces(&h, &m).collect();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].address, Some("198.51.100.20".parse().unwrap()));
        assert_eq!(list[1].capability & NetworkInterface::RDMA_CAPABLE, 2);
        assert_eq!(list[0].link_speed, 10_000_000_000);
        // A Next that points back at itself stops after that entry.
        let mut looping = m.clone();
        looping[112..116].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(network_interfaces(&h, &looping).count(), 1);
        for n in 0..m.len() {
            let _ = network_interfaces(&h, &m[..n]).count();
        }
    }

    #[test]
    fn transport_header_kinds() {
        assert_eq!(
            TransportHeader::parse(&[0, 0x01, 0x00, 0x10])
                .unwrap()
                .length,
            0x10010
        );
        assert_eq!(TransportHeader::parse(&[0x85, 0, 0, 0]).unwrap().kind, 0x85);
        assert!(TransportHeader::parse(&[0x42, 0, 0, 0]).is_err());
    }

    #[test]
    fn smb1_negotiate_dialects() {
        let mut m = vec![0u8; SMB1_HEADER_LEN];
        m[..4].copy_from_slice(b"\xFFSMB");
        m[4] = SMB1_COM_NEGOTIATE;
        let strings = b"\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0";
        m.push(0);
        m.extend((strings.len() as u16).to_le_bytes());
        m.extend(strings);
        let ds: Vec<_> = smb1_dialects(&m).collect();
        assert_eq!(ds, vec![&b"NT LM 0.12"[..], b"SMB 2.002", b"SMB 2.???"]);
    }
}
