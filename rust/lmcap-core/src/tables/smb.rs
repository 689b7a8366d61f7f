//! Rows of the stream-protocol tables (`smb_pdus`, `smb_interfaces`, `stream_gaps`).
//!
//! These tables have a row per SMB message, not per frame (a 1 MB READ is one row over
//! hundreds of frames), so rows are kept as plain structs and turned into columns once per
//! batch; the per-frame column accumulators of `packets` would buy nothing here.

use std::net::IpAddr;

use arrow_array::{
    ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};

use super::columns::arr;
use super::schema;
use super::text;
use crate::frame::{At, Endpoints};
use crate::wire::smb2::{
    self, CompressionHeader, Header, NetworkInterface, Protocol, Smb1Header, TransformHeader,
    TransportHeader, HEADER_LEN, TRANSPORT_HEADER_LEN,
};

/// One SMB message (one element of a compound chain). See `schema::smb_pdus` for meanings.
#[derive(Debug, Clone, Default)]
pub struct SmbPduRow {
    pub frame_number: u64,
    pub timestamp_ns: Option<i64>,
    pub protocol: &'static str,
    pub message_length: u32,
    pub compound_index: u16,
    pub truncated: bool,
    pub is_response: Option<bool>,
    pub command: Option<u16>,
    pub command_name: Option<&'static str>,
    pub status: Option<u32>,
    pub flags: Option<u32>,
    pub message_id: Option<u64>,
    pub async_id: Option<u64>,
    pub tree_id: Option<u32>,
    pub session_id: Option<u64>,
    pub credit_charge: Option<u16>,
    pub credits: Option<u16>,
    pub dialect: Option<u16>,
    pub dialects: Option<String>,
    pub capabilities: Option<u32>,
    pub security_mode: Option<u16>,
    pub session_setup_flags: Option<u8>,
    pub binding: Option<bool>,
    pub session_flags: Option<u16>,
    pub ioctl_code: Option<u32>,
    pub data_length: Option<u32>,
    pub file_offset: Option<u64>,
    pub channel: Option<u32>,
    pub share_type: Option<u8>,
    pub tree_path: Option<String>,
    pub inner_size: Option<u32>,
}

/// One interface of an FSCTL_QUERY_NETWORK_INTERFACE_INFO response.
#[derive(Debug, Clone)]
pub struct SmbInterfaceRow {
    pub frame_number: u64,
    pub timestamp_ns: Option<i64>,
    pub session_id: u64,
    pub message_id: u64,
    pub if_index: u32,
    pub capability: u32,
    pub rss_capable: bool,
    pub rdma_capable: bool,
    pub link_speed_bps: u64,
    pub address: Option<IpAddr>,
}

struct LostRow {
    ends: Endpoints,
    at: At,
    protocol: &'static str,
    kind: &'static str,
    bytes: u64,
}

#[derive(Default)]
pub struct SmbRows {
    pdus: Vec<(Endpoints, SmbPduRow)>,
    interfaces: Vec<(Endpoints, SmbInterfaceRow)>,
    lost: Vec<LostRow>,
    /// Rows already turned into batches (see [`ROWS_PER_BATCH`]).
    sealed: Vec<(&'static str, RecordBatch)>,
}

/// Rows of one table gathered at most before they become a batch. A row is a few hundred bytes
/// as a struct and a fraction of that as columns; a chunk's stream bytes can hold millions of
/// messages (an 8-byte SMB message is a row: 32 MiB of them held 1.5 GB of structs before).
pub const ROWS_PER_BATCH: usize = 65_536;

/// Addresses as a text column, written straight into it (no string per row).
fn ip_column<'a>(addrs: impl Iterator<Item = &'a IpAddr>) -> ArrayRef {
    let mut b = arrow_array::builder::StringBuilder::new();
    let mut buf = [0u8; text::IP_BUF];
    for a in addrs {
        let n = text::ip(a, &mut buf);
        b.append_value(text::ascii(&buf[..n]));
    }
    arr(b.finish())
}

/// The columns every stream table starts with: frame_number, timestamp, src_ip, src_port,
/// dst_ip, dst_port.
fn leading_columns<'a, I>(rows: I) -> Vec<ArrayRef>
where
    I: Iterator<Item = (u64, Option<i64>, &'a Endpoints)> + Clone,
{
    vec![
        arr(UInt64Array::from_iter_values(rows.clone().map(|x| x.0))),
        arr(TimestampNanosecondArray::from_iter(rows.clone().map(|x| x.1)).with_timezone("UTC")),
        ip_column(rows.clone().map(|x| &x.2.src_ip)),
        arr(UInt16Array::from_iter_values(
            rows.clone().map(|x| x.2.src_port),
        )),
        ip_column(rows.clone().map(|x| &x.2.dst_ip)),
        arr(UInt16Array::from_iter_values(rows.map(|x| x.2.dst_port))),
    ]
}

impl SmbRows {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn pdu(&mut self, ends: &Endpoints, row: &SmbPduRow) {
        self.pdus.push((*ends, row.clone()));
        self.seal_when_full(self.pdus.len());
    }

    pub fn interface(&mut self, ends: &Endpoints, row: &SmbInterfaceRow) {
        self.interfaces.push((*ends, row.clone()));
        self.seal_when_full(self.interfaces.len());
    }

    pub fn lost(
        &mut self,
        ends: &Endpoints,
        at: At,
        protocol: &'static str,
        kind: &'static str,
        bytes: u64,
    ) {
        self.lost.push(LostRow {
            ends: *ends,
            at,
            protocol,
            kind,
            bytes,
        });
        self.seal_when_full(self.lost.len());
    }

    #[inline]
    fn seal_when_full(&mut self, rows: usize) {
        if rows >= ROWS_PER_BATCH {
            let batches = self.batches();
            self.sealed.extend(batches);
        }
    }

    /// The rows gathered so far as batches (tables without rows left out); starts over empty.
    pub fn finish(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = std::mem::take(&mut self.sealed);
        out.extend(self.batches());
        out
    }

    /// The rows not yet in a batch, as batches.
    fn batches(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = Vec::new();
        if !self.pdus.is_empty() {
            out.push(("smb_pdus", pdus_batch(&std::mem::take(&mut self.pdus))));
        }
        if !self.interfaces.is_empty() {
            let rows = std::mem::take(&mut self.interfaces);
            out.push(("smb_interfaces", interfaces_batch(&rows)));
        }
        if !self.lost.is_empty() {
            out.push(("stream_gaps", lost_batch(&std::mem::take(&mut self.lost))));
        }
        out
    }
}

fn pdus_batch(rows: &[(Endpoints, SmbPduRow)]) -> RecordBatch {
    let r = || rows.iter().map(|(_, r)| r);
    let mut columns = leading_columns(
        rows.iter()
            .map(|(e, r)| (r.frame_number, r.timestamp_ns, e)),
    );
    columns.extend([
        arr(StringArray::from_iter_values(r().map(|x| x.protocol))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.message_length))),
        arr(UInt16Array::from_iter_values(r().map(|x| x.compound_index))),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.truncated)))),
        arr(BooleanArray::from_iter(r().map(|x| x.is_response))),
        arr(UInt16Array::from_iter(r().map(|x| x.command))),
        arr(StringArray::from_iter(r().map(|x| x.command_name))),
        arr(UInt32Array::from_iter(r().map(|x| x.status))),
        arr(UInt32Array::from_iter(r().map(|x| x.flags))),
        arr(UInt64Array::from_iter(r().map(|x| x.message_id))),
        arr(UInt64Array::from_iter(r().map(|x| x.async_id))),
        arr(UInt32Array::from_iter(r().map(|x| x.tree_id))),
        arr(UInt64Array::from_iter(r().map(|x| x.session_id))),
        arr(UInt16Array::from_iter(r().map(|x| x.credit_charge))),
        arr(UInt16Array::from_iter(r().map(|x| x.credits))),
        arr(UInt16Array::from_iter(r().map(|x| x.dialect))),
        arr(StringArray::from_iter(
            r().map(|x| x.dialect.map(crate::wire::smb2::dialect_name)),
        )),
        arr(StringArray::from_iter(r().map(|x| x.dialects.as_deref()))),
        arr(UInt32Array::from_iter(r().map(|x| x.capabilities))),
        arr(UInt16Array::from_iter(r().map(|x| x.security_mode))),
        arr(UInt8Array::from_iter(r().map(|x| x.session_setup_flags))),
        arr(BooleanArray::from_iter(r().map(|x| x.binding))),
        arr(UInt16Array::from_iter(r().map(|x| x.session_flags))),
        arr(UInt32Array::from_iter(r().map(|x| x.ioctl_code))),
        arr(UInt32Array::from_iter(r().map(|x| x.data_length))),
        arr(UInt64Array::from_iter(r().map(|x| x.file_offset))),
        arr(UInt32Array::from_iter(r().map(|x| x.channel))),
        arr(UInt8Array::from_iter(r().map(|x| x.share_type))),
        arr(StringArray::from_iter(r().map(|x| x.tree_path.as_deref()))),
        arr(UInt32Array::from_iter(r().map(|x| x.inner_size))),
    ]);
    RecordBatch::try_new(schema::smb_pdus().schema(), columns).expect("smb_pdus follows schema.rs")
}

fn interfaces_batch(rows: &[(Endpoints, SmbInterfaceRow)]) -> RecordBatch {
    let r = || rows.iter().map(|(_, r)| r);
    // The response travels server -> client: its source is the server.
    let mut columns = leading_columns(
        rows.iter()
            .map(|(e, r)| (r.frame_number, r.timestamp_ns, e)),
    );
    columns.extend([
        arr(UInt64Array::from_iter_values(r().map(|x| x.session_id))),
        arr(UInt64Array::from_iter_values(r().map(|x| x.message_id))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.if_index))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.capability))),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.rss_capable)))),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.rdma_capable)))),
        arr(UInt64Array::from_iter_values(r().map(|x| x.link_speed_bps))),
        arr(StringArray::from_iter(
            r().map(|x| x.address.map(|a| text::ip_string(&a))),
        )),
    ]);
    RecordBatch::try_new(schema::smb_interfaces().schema(), columns)
        .expect("smb_interfaces follows schema.rs")
}

fn lost_batch(rows: &[LostRow]) -> RecordBatch {
    let mut columns = leading_columns(
        rows.iter()
            .map(|x| (x.at.frame_number, x.at.timestamp_ns, &x.ends)),
    );
    columns.extend([
        arr(StringArray::from_iter_values(
            rows.iter().map(|x| x.protocol),
        )),
        arr(StringArray::from_iter_values(rows.iter().map(|x| x.kind))),
        arr(UInt64Array::from_iter_values(rows.iter().map(|x| x.bytes))),
    ]);
    RecordBatch::try_new(schema::stream_gaps().schema(), columns)
        .expect("stream_gaps follows schema.rs")
}

/// Chained messages read from one compound at most (real compounds hold a handful).
const MAX_COMPOUND: u16 = 64;

/// Append the rows of one message the stream stage framed (its `head` from the transport
/// header on, `total` its length on the wire, `cut` when the capture cut the head short).
pub fn message_rows(
    out: &mut SmbRows,
    ends: &Endpoints,
    at: At,
    head: &[u8],
    total: usize,
    cut: bool,
) {
    let Ok(t) = TransportHeader::parse(head) else {
        return;
    };
    if t.kind != 0 {
        return;
    }
    let msg = &head[TRANSPORT_HEADER_LEN..];
    let length = total - TRANSPORT_HEADER_LEN;
    let base = SmbPduRow {
        frame_number: at.frame_number,
        timestamp_ns: at.timestamp_ns,
        message_length: length as u32,
        truncated: cut,
        ..Default::default()
    };
    match Protocol::of(msg) {
        Some(Protocol::Smb2) => smb2_chain(out, ends, base, msg, length),
        Some(Protocol::Encrypted) => {
            let mut row = SmbPduRow {
                protocol: "smb2_encrypted",
                ..base
            };
            if let Ok(th) = TransformHeader::parse(msg) {
                row.session_id = Some(th.session_id);
                row.inner_size = Some(th.original_size);
            } else {
                row.truncated = true;
            }
            out.pdu(ends, &row);
        }
        Some(Protocol::Compressed) => {
            let mut row = SmbPduRow {
                protocol: "smb2_compressed",
                ..base
            };
            match CompressionHeader::parse(msg) {
                Ok(ch) => {
                    row.inner_size = Some(ch.original_size);
                    if let Some(inner) = ch.inner_offset.and_then(|o| msg.get(o..)) {
                        if let Ok(h) = Header::parse(inner) {
                            fill_header(&mut row, &h, inner);
                        }
                    }
                }
                Err(_) => row.truncated = true,
            }
            out.pdu(ends, &row);
        }
        Some(Protocol::Smb1) => {
            let mut row = SmbPduRow {
                protocol: "smb1",
                ..base
            };
            match Smb1Header::parse(msg) {
                Ok(h) => {
                    row.command = Some(u16::from(h.command));
                    row.command_name =
                        (h.command == smb2::SMB1_COM_NEGOTIATE).then_some("negotiate");
                    row.is_response = Some(h.is_response);
                    row.status = h.is_response.then_some(h.status);
                    let names: Vec<String> = smb2::smb1_dialects(msg)
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect();
                    if !names.is_empty() {
                        row.dialects = Some(names.join(","));
                    }
                }
                Err(_) => row.truncated = true,
            }
            out.pdu(ends, &row);
        }
        None => {}
    }
}

fn smb2_chain(out: &mut SmbRows, ends: &Endpoints, base: SmbPduRow, msg: &[u8], length: usize) {
    let mut offset = 0usize;
    for index in 0..MAX_COMPOUND {
        // A chained message ends where the next begins: offsets inside it (a share path, an
        // interface list) cannot reach into the later ones. Without that bound 64 parts could
        // each point at the same 60 KB tail, and one 64 KiB message made 5.9 MB of rows.
        let header = Header::parse(&msg[offset..]).ok();
        let next = header.map_or(0, |h| h.next_command as usize);
        let end = if next >= HEADER_LEN {
            offset.saturating_add(next).min(msg.len())
        } else {
            msg.len()
        };
        let part = &msg[offset..end];
        let mut row = SmbPduRow {
            protocol: "smb2",
            compound_index: index,
            ..base.clone()
        };
        let Some(h) = header else {
            // A header cut by the snaplen: keep what its first bytes say. A chained message
            // whose first bytes are not SMB2 is not counted (it might never have been there).
            row.truncated = true;
            if let Some((command, flags, message_id)) = smb2::partial_header(part) {
                row.command = Some(command);
                row.command_name = smb2::command_name(command);
                row.flags = flags;
                row.is_response = flags.map(|f| f & smb2::FLAG_SERVER_TO_REDIR != 0);
                row.message_id = message_id;
                out.pdu(ends, &row);
            } else if index == 0 {
                out.pdu(ends, &row);
            }
            return;
        };
        fill_header(&mut row, &h, part);
        out.pdu(ends, &row);
        for nic in smb2::network_interfaces(&h, part) {
            out.interface(
                ends,
                &SmbInterfaceRow {
                    frame_number: base.frame_number,
                    timestamp_ns: base.timestamp_ns,
                    session_id: h.session_id,
                    message_id: h.message_id,
                    if_index: nic.if_index,
                    capability: nic.capability,
                    rss_capable: nic.capability & NetworkInterface::RSS_CAPABLE != 0,
                    rdma_capable: nic.capability & NetworkInterface::RDMA_CAPABLE != 0,
                    link_speed_bps: nic.link_speed,
                    address: nic.address,
                },
            );
        }
        if next < HEADER_LEN || offset + next >= length.min(msg.len()) {
            return;
        }
        offset += next;
    }
}

fn fill_header(row: &mut SmbPduRow, h: &Header, msg: &[u8]) {
    let b = smb2::body(h, msg);
    let response = h.is_response();
    row.command = Some(h.command);
    row.command_name = smb2::command_name(h.command);
    row.is_response = Some(response);
    row.status = response.then_some(h.status);
    row.flags = Some(h.flags);
    row.message_id = Some(h.message_id);
    row.async_id = h.async_id;
    row.tree_id = h.tree_id;
    row.session_id = Some(h.session_id);
    row.credit_charge = Some(h.credit_charge);
    row.credits = Some(h.credits);
    row.dialect = b.dialect;
    row.capabilities = b.capabilities;
    row.security_mode = b.security_mode;
    row.session_setup_flags = b.session_setup_flags;
    row.binding = b
        .session_setup_flags
        .map(|f| f & smb2::SESSION_FLAG_BINDING != 0);
    row.session_flags = b.session_flags;
    row.ioctl_code = b.ioctl_code;
    row.data_length = b.data_length;
    row.file_offset = b.file_offset;
    row.channel = b.channel;
    row.share_type = b.share_type;
    row.tree_path = smb2::tree_connect_path(h, msg);
    let offered: Vec<String> = smb2::dialects(h, msg)
        .flatten()
        .map(smb2::dialect_name)
        .collect();
    if !offered.is_empty() {
        row.dialects = Some(offered.join(","));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn a_chained_message_reads_no_offset_past_its_own_end() {
        // 64 chained TREE_CONNECT requests, 72 bytes each, whose paths all point at the same
        // 4,000-byte tail after the chain: only the last part, which runs to the end of the
        // message, may read it; each of the others would have made a 2,000-character path.
        const PART: usize = HEADER_LEN + 8;
        let tail = 4000;
        let mut msg = vec![0u8; 64 * PART + tail];
        for i in 0..64 {
            let h = &mut msg[i * PART..(i + 1) * PART];
            h[..4].copy_from_slice(b"\xFESMB");
            h[4..6].copy_from_slice(&64u16.to_le_bytes());
            h[12..14].copy_from_slice(&smb2::command::TREE_CONNECT.to_le_bytes());
            let next = if i < 63 { PART as u32 } else { 0 };
            h[20..24].copy_from_slice(&next.to_le_bytes());
            let body = &mut h[HEADER_LEN..];
            body[..2].copy_from_slice(&9u16.to_le_bytes());
            let to_tail = ((64 - i) * PART) as u16; // from this part's header to the tail
            body[4..6].copy_from_slice(&to_tail.to_le_bytes());
            body[6..8].copy_from_slice(&(tail as u16).to_le_bytes());
        }
        let mut out = SmbRows::new();
        let ends = Endpoints {
            src_ip: IpAddr::from([192, 0, 2, 1]),
            src_port: 50000,
            dst_ip: IpAddr::from([192, 0, 2, 2]),
            dst_port: 445,
        };
        smb2_chain(&mut out, &ends, SmbPduRow::default(), &msg, msg.len());
        let tables = out.finish();
        let (_, pdus) = tables.iter().find(|(name, _)| *name == "smb_pdus").unwrap();
        assert_eq!(pdus.num_rows(), 64);
        let paths = pdus.column_by_name("tree_path").unwrap();
        let paths = paths
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        let kept: Vec<usize> = (0..64)
            .filter(|&i| arrow_array::Array::is_valid(paths, i))
            .collect();
        assert_eq!(kept, vec![63], "only the last part reaches the tail");
        assert_eq!(
            paths.value(63).chars().count(),
            smb2::MAX_TREE_PATH_BYTES / 2
        );
    }

    #[test]
    fn rows_past_a_batch_are_sealed_in_order_and_none_is_lost() {
        let mut rows = SmbRows::new();
        let ends = Endpoints {
            src_ip: IpAddr::from([192, 0, 2, 1]),
            src_port: 50000,
            dst_ip: IpAddr::from([0x2001u16, 0xdb8, 0, 0, 0, 0, 0, 2]),
            dst_port: 445,
        };
        let n = ROWS_PER_BATCH * 2 + 5;
        for i in 0..n {
            let row = SmbPduRow {
                frame_number: i as u64 + 1,
                ..Default::default()
            };
            rows.pdu(&ends, &row);
        }
        rows.lost(
            &ends,
            At {
                frame_number: 7,
                timestamp_ns: None,
            },
            "smb",
            "gap",
            3,
        );
        assert_eq!(
            rows.sealed.len(),
            2,
            "two full batches sealed as they filled"
        );
        let out = rows.finish();
        let pdus: Vec<&RecordBatch> = (out.iter())
            .filter(|(t, _)| *t == "smb_pdus")
            .map(|(_, b)| b)
            .collect();
        assert_eq!(
            pdus.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [65_536, 65_536, 5]
        );
        let frames: Vec<u64> = pdus
            .iter()
            .flat_map(|b| {
                let c = b.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
                c.values().to_vec()
            })
            .collect();
        assert!(frames.iter().copied().eq(1..=n as u64), "in frame order");
        let dst = pdus[2]
            .column(4)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(dst.value(0), "2001:db8::2");
        assert_eq!(out.iter().filter(|(t, _)| *t == "stream_gaps").count(), 1);
        assert!(rows.finish().is_empty(), "finish starts over");
    }
}
