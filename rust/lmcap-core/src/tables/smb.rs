//! Rows of the stream-protocol tables (`smb_pdus`, `smb_interfaces`, `stream_gaps`).
//!
//! These tables have a row per SMB message, not per frame (a 1 MB READ is one row over
//! hundreds of frames), so rows are kept as plain structs and turned into columns once per
//! batch; the per-frame column accumulators of `packets` would buy nothing here.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};

use super::schema;
use super::text;
use crate::stream::framer::At;
use crate::stream::smb::Endpoints;

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

pub(crate) fn arr<A: arrow_array::Array + 'static>(a: A) -> ArrayRef {
    Arc::new(a)
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

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
