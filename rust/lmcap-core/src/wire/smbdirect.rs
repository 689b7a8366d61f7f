//! SMB Direct (MS-SMBD): SMB2 over RDMA Send messages, one SMB Direct message per RDMA Send
//! (RoCE SEND ONLY / FIRST..LAST payloads, iWARP RDMAP Send messages). All integers are
//! little-endian.
//!
//! ```text
//! Negotiate Request (MS-SMBD 2.2.1, 20 bytes)       Negotiate Response (2.2.2, 32 bytes)
//!  0 MinVersion u16    2 MaxVersion u16               0 MinVersion   2 MaxVersion
//!  4 Reserved u16      6 CreditsRequested u16         4 NegotiatedVersion   6 Reserved
//!  8 PreferredSendSize u32                            8 CreditsRequested   10 CreditsGranted
//! 12 MaxReceiveSize u32                              12 Status u32 (NTSTATUS)
//! 16 MaxFragmentedSize u32                           16 MaxReadWriteSize   20 PreferredSendSize
//!                                                    24 MaxReceiveSize     28 MaxFragmentedSize
//! Data Transfer (2.2.3, 20-byte header)
//!  0 CreditsRequested u16  2 CreditsGranted u16  4 Flags u16 (0x0001 response requested)
//!  6 Reserved u16  8 RemainingDataLength u32  12 DataOffset u32  16 DataLength u32
//! 20 Padding, then DataLength bytes at DataOffset (8-byte aligned; 24 in practice): a piece
//!    of an SMB2 message, with no 4-byte NetBIOS/Direct TCP header in front of it.
//! ```
//!
//! The messages carry no type field. What a message is follows from its place on the
//! connection: the initiator's first message is a Negotiate Request, the responder's first is
//! a Negotiate Response, and every later one is a Data Transfer (MS-SMBD 3.1.5.6-3.1.5.8).
//! A 20-byte Negotiate Request and an empty Data Transfer (a keep-alive or credit grant) have
//! the same size. Without the connection's start, [`Message::guess`] uses the checks the
//! receiver itself makes (versions 0x0100, CreditsRequested > 0, MaxReceiveSize >= 128,
//! MaxFragmentedSize >= 131072, MS-SMBD 3.1.5.6/3.1.5.7): a Data Transfer's Reserved field,
//! where the request has CreditsRequested, is 0, so the two do not pass for each other.

use super::{le16, le32, le64, need, MessageFault, Stop};

pub const VERSION_1_0: u16 = 0x0100;
pub const NEGOTIATE_REQUEST_LEN: usize = 20;
pub const NEGOTIATE_RESPONSE_LEN: usize = 32;
pub const DATA_TRANSFER_HEADER_LEN: usize = 20;
/// SMB_DIRECT_RESPONSE_REQUESTED (MS-SMBD 2.2.3).
pub const FLAG_RESPONSE_REQUESTED: u16 = 0x0001;
/// Smallest MaxReceiveSize and MaxFragmentedSize a peer accepts (MS-SMBD 3.1.5.6).
pub const MIN_RECEIVE_SIZE: u32 = 128;
pub const MIN_FRAGMENTED_SIZE: u32 = 131_072;
/// SMB_DIRECT_BUFFER_DESCRIPTOR_V1 (MS-SMBD 2.2.3.1).
pub const BUFFER_DESCRIPTOR_V1_LEN: usize = 16;

/// A Data Transfer whose DataOffset points into its own header or whose data runs past the
/// message (a stop inside a message, not a frame: see `Stop::BadMessage`).
pub const BAD_SMBD_DATA_OFFSET: Stop = Stop::BadMessage(MessageFault::BadSmbdDataOffset);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest {
    pub min_version: u16,
    pub max_version: u16,
    pub reserved: u16,
    pub credits_requested: u16,
    pub preferred_send_size: u32,
    pub max_receive_size: u32,
    pub max_fragmented_size: u32,
}

impl NegotiateRequest {
    pub fn parse(b: &[u8]) -> Result<NegotiateRequest, Stop> {
        need(b, NEGOTIATE_REQUEST_LEN)?;
        Ok(NegotiateRequest {
            min_version: le16(b, 0),
            max_version: le16(b, 2),
            reserved: le16(b, 4),
            credits_requested: le16(b, 6),
            preferred_send_size: le32(b, 8),
            max_receive_size: le32(b, 12),
            max_fragmented_size: le32(b, 16),
        })
    }

    /// What a responder checks before answering (MS-SMBD 3.1.5.6): 0x0100 within
    /// [MinVersion, MaxVersion], credits requested, sizes at their minimums.
    pub fn plausible(&self) -> bool {
        self.min_version <= VERSION_1_0
            && VERSION_1_0 <= self.max_version
            && self.credits_requested > 0
            && self.max_receive_size >= MIN_RECEIVE_SIZE
            && self.max_fragmented_size >= MIN_FRAGMENTED_SIZE
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateResponse {
    pub min_version: u16,
    pub max_version: u16,
    pub negotiated_version: u16,
    pub credits_requested: u16,
    pub credits_granted: u16,
    /// NTSTATUS; STATUS_NOT_SUPPORTED (0xC00000BB) when no version was common.
    pub status: u32,
    pub max_read_write_size: u32,
    pub preferred_send_size: u32,
    pub max_receive_size: u32,
    pub max_fragmented_size: u32,
}

impl NegotiateResponse {
    pub fn parse(b: &[u8]) -> Result<NegotiateResponse, Stop> {
        need(b, NEGOTIATE_RESPONSE_LEN)?;
        Ok(NegotiateResponse {
            min_version: le16(b, 0),
            max_version: le16(b, 2),
            negotiated_version: le16(b, 4),
            credits_requested: le16(b, 8),
            credits_granted: le16(b, 10),
            status: le32(b, 12),
            max_read_write_size: le32(b, 16),
            preferred_send_size: le32(b, 20),
            max_receive_size: le32(b, 24),
            max_fragmented_size: le32(b, 28),
        })
    }

    /// The initiator's checks (MS-SMBD 3.1.5.7), the PreferredSendSize one aside (it needs the
    /// request): version 0x0100, credits both ways, sizes at their minimums. A failure
    /// response (Status != 0) is well formed but not plausible as a working connection.
    pub fn plausible(&self) -> bool {
        self.negotiated_version == VERSION_1_0
            && self.min_version <= self.max_version
            && self.credits_requested > 0
            && self.credits_granted > 0
            && self.max_receive_size >= MIN_RECEIVE_SIZE
            && self.max_fragmented_size >= MIN_FRAGMENTED_SIZE
            && self.status == 0
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DataTransfer<'a> {
    pub credits_requested: u16,
    pub credits_granted: u16,
    pub flags: u16,
    pub reserved: u16,
    /// Bytes of the upper-layer message still to come in later Data Transfers.
    pub remaining_data_length: u32,
    pub data_offset: u32,
    pub data_length: u32,
    /// The whole message as captured.
    b: &'a [u8],
}

impl<'a> DataTransfer<'a> {
    /// `b` is the Send payload, cut to the message length when known. When DataLength is not
    /// 0, DataOffset must lie past the 20-byte header (MS-SMBD 2.2.3); the data itself may be
    /// cut by the snaplen (see [`DataTransfer::data_complete`]).
    pub fn parse(b: &'a [u8]) -> Result<DataTransfer<'a>, Stop> {
        need(b, DATA_TRANSFER_HEADER_LEN)?;
        let m = DataTransfer {
            credits_requested: le16(b, 0),
            credits_granted: le16(b, 2),
            flags: le16(b, 4),
            reserved: le16(b, 6),
            remaining_data_length: le32(b, 8),
            data_offset: le32(b, 12),
            data_length: le32(b, 16),
            b,
        };
        if m.data_length > 0 && (m.data_offset as usize) < DATA_TRANSFER_HEADER_LEN {
            return Err(BAD_SMBD_DATA_OFFSET);
        }
        Ok(m)
    }

    pub fn response_requested(&self) -> bool {
        self.flags & FLAG_RESPONSE_REQUESTED != 0
    }

    /// The captured part of the data: all or part of an SMB2 message (no NetBIOS header).
    pub fn data(&self) -> &'a [u8] {
        if self.data_length == 0 {
            return &[];
        }
        let start = (self.data_offset as usize).min(self.b.len());
        let end = start
            .saturating_add(self.data_length as usize)
            .min(self.b.len());
        &self.b[start..end]
    }

    /// True when all DataLength bytes were captured.
    pub fn data_complete(&self) -> bool {
        self.data().len() == self.data_length as usize
    }

    /// True when the data sits where MS-SMBD 2.2.3 puts it: 8-byte aligned DataOffset, data
    /// inside a message of `msg_len` bytes (the Send's full length), offset 0 with no data.
    pub fn plausible(&self, msg_len: usize) -> bool {
        if self.data_length == 0 {
            return self.data_offset == 0 && self.remaining_data_length == 0;
        }
        self.data_offset % 8 == 0
            && (self.data_offset as u64 + self.data_length as u64) <= msg_len as u64
    }
}

/// SMB_DIRECT_BUFFER_DESCRIPTOR_V1 (MS-SMBD 2.2.3.1): a registered buffer the peer reads or
/// writes with RDMA, as SMB2 READ/WRITE requests carry it in their channel info when Channel is
/// SMB2_CHANNEL_RDMA_V1 (MS-SMB2 2.2.19, 2.2.21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferDescriptorV1 {
    pub offset: u64,
    /// The steering tag: the R_Key (RoCE) or STag (iWARP) of the buffer.
    pub token: u32,
    pub length: u32,
}

impl BufferDescriptorV1 {
    pub fn parse(b: &[u8]) -> Result<BufferDescriptorV1, Stop> {
        need(b, BUFFER_DESCRIPTOR_V1_LEN)?;
        Ok(BufferDescriptorV1 {
            offset: le64(b, 0),
            token: le32(b, 8),
            length: le32(b, 12),
        })
    }
}

/// Which message a Send carries, from its place on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The initiator's first message (the side that connected).
    InitiatorFirst,
    /// The responder's first message.
    ResponderFirst,
    /// Any later message, either way.
    Later,
}

#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    NegotiateRequest(NegotiateRequest),
    NegotiateResponse(NegotiateResponse),
    DataTransfer(DataTransfer<'a>),
}

impl<'a> Message<'a> {
    /// The message at a known position on the connection.
    pub fn parse(b: &'a [u8], at: Position) -> Result<Message<'a>, Stop> {
        Ok(match at {
            Position::InitiatorFirst => Message::NegotiateRequest(NegotiateRequest::parse(b)?),
            Position::ResponderFirst => Message::NegotiateResponse(NegotiateResponse::parse(b)?),
            Position::Later => Message::DataTransfer(DataTransfer::parse(b)?),
        })
    }

    /// Best guess for a Send whose position is unknown (the capture began mid-connection):
    /// a 20-byte plausible Negotiate Request, a 32-byte plausible Negotiate Response, else a
    /// plausible Data Transfer; None when nothing fits. `b` is the whole Send payload.
    pub fn guess(b: &'a [u8]) -> Option<Message<'a>> {
        if b.len() == NEGOTIATE_REQUEST_LEN {
            if let Ok(r) = NegotiateRequest::parse(b) {
                if r.plausible() && r.min_version == VERSION_1_0 {
                    return Some(Message::NegotiateRequest(r));
                }
            }
        }
        if b.len() == NEGOTIATE_RESPONSE_LEN {
            if let Ok(r) = NegotiateResponse::parse(b) {
                if r.negotiated_version == VERSION_1_0 && r.min_version == VERSION_1_0 {
                    return Some(Message::NegotiateResponse(r));
                }
            }
        }
        let d = DataTransfer::parse(b).ok()?;
        (d.reserved == 0 && d.plausible(b.len())).then_some(Message::DataTransfer(d))
    }

    /// "negotiate_request", "negotiate_response" or "data_transfer".
    pub fn kind(&self) -> &'static str {
        match self {
            Message::NegotiateRequest(_) => "negotiate_request",
            Message::NegotiateResponse(_) => "negotiate_response",
            Message::DataTransfer(_) => "data_transfer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neg_req() -> Vec<u8> {
        // the values of MS-SMBD 4.1
        let mut v = Vec::new();
        for x in [0x0100u16, 0x0100, 0, 10] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        for x in [1024u32, 1024, 0x20000] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    }

    fn neg_resp() -> Vec<u8> {
        let mut v = Vec::new();
        for x in [0x0100u16, 0x0100, 0x0100, 0, 10, 10] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        for x in [0u32, 0x100000, 1024, 1024, 0x20000] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    }

    fn data(payload: &[u8], remaining: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [10u16, 1, FLAG_RESPONSE_REQUESTED, 0] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        let off = if payload.is_empty() { 0 } else { 24 };
        for x in [remaining, off, payload.len() as u32, 0] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        if payload.is_empty() {
            v.truncate(20);
        }
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn negotiate() {
        let r = NegotiateRequest::parse(&neg_req()).unwrap();
        assert!(r.plausible());
        assert_eq!((r.credits_requested, r.max_fragmented_size), (10, 0x20000));
        let s = NegotiateResponse::parse(&neg_resp()).unwrap();
        assert!(s.plausible());
        assert_eq!((s.credits_granted, s.max_read_write_size), (10, 0x100000));
        assert_eq!(
            Message::parse(&neg_req(), Position::InitiatorFirst)
                .unwrap()
                .kind(),
            "negotiate_request"
        );
        assert_eq!(
            Message::guess(&neg_req()).unwrap().kind(),
            "negotiate_request"
        );
        assert_eq!(
            Message::guess(&neg_resp()).unwrap().kind(),
            "negotiate_response"
        );
        let mut bad = neg_req();
        bad[0] = 0x02; // MinVersion 0x0102 > 0x0100
        assert!(!NegotiateRequest::parse(&bad).unwrap().plausible());
    }

    #[test]
    fn data_transfer() {
        let smb2 = b"\xfeSMB@\0\0\0";
        let m = data(smb2, 0);
        let d = DataTransfer::parse(&m).unwrap();
        assert!(d.response_requested());
        assert_eq!(d.data(), smb2);
        assert!(d.data_complete() && d.plausible(m.len()));
        assert_eq!(Message::guess(&m).unwrap().kind(), "data_transfer");
        // an empty data transfer is 20 bytes, like a negotiate request, and is not taken for one
        let e = data(&[], 0);
        assert_eq!(e.len(), 20);
        assert_eq!(Message::guess(&e).unwrap().kind(), "data_transfer");
        assert!(DataTransfer::parse(&e).unwrap().data().is_empty());
        let cut = DataTransfer::parse(&m[..26]).unwrap();
        assert_eq!(cut.data(), &smb2[..2]);
        assert!(!cut.data_complete());
    }

    #[test]
    fn malformed() {
        let mut m = data(b"12345678", 0);
        m[12] = 8; // DataOffset 8: inside the header
        assert_eq!(DataTransfer::parse(&m).unwrap_err(), BAD_SMBD_DATA_OFFSET);
        m[12] = 200; // past the message
        let d = DataTransfer::parse(&m).unwrap();
        assert!(d.data().is_empty() && !d.plausible(m.len()));
        m[12..20].fill(0xff); // DataOffset and DataLength both 4 GiB - 1
        let d = DataTransfer::parse(&m).unwrap();
        assert!(d.data().is_empty() && !d.plausible(m.len()));
        assert!(Message::guess(&m).is_none());
        let mut r = neg_resp();
        r[12] = 0xbb;
        r[15] = 0xc0;
        assert!(!NegotiateResponse::parse(&r).unwrap().plausible());
    }

    #[test]
    fn truncation_sweep() {
        let d = data(b"\xfeSMB and more", 100);
        for (bytes, at) in [
            (neg_req(), Position::InitiatorFirst),
            (neg_resp(), Position::ResponderFirst),
            (d, Position::Later),
        ] {
            for cut in 0..=bytes.len() {
                match Message::parse(&bytes[..cut], at) {
                    Ok(Message::DataTransfer(t)) => {
                        assert!(t.data().len() <= t.data_length as usize);
                        let _ = t.plausible(cut);
                    }
                    Ok(_) => assert_eq!(cut, bytes.len()),
                    Err(e) => assert_eq!(e, Stop::Truncated),
                }
                let _ = Message::guess(&bytes[..cut]);
            }
        }
        let bd = [1u8; 16];
        for cut in 0..16 {
            assert_eq!(
                BufferDescriptorV1::parse(&bd[..cut]).unwrap_err(),
                Stop::Truncated
            );
        }
        assert_eq!(BufferDescriptorV1::parse(&bd).unwrap().token, 0x0101_0101);
    }
}
