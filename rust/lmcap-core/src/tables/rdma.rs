//! Rows of `rdma_segments`: one per RoCE packet (v1 ethertype 0x8915, v2 UDP 4791) and per
//! iWARP FPDU (TCP 5445, framed by `stream/iwarp.rs`), with SMB Direct messages recognised in
//! Sends. RoCE rows are built on the decode workers (each packet stands alone); iWARP rows in
//! the in-order stream stage. Like the SMB tables, rows are plain structs turned into columns
//! once per batch: RDMA is a small share of most captures.

use std::net::{IpAddr, Ipv6Addr};

use arrow_array::{
    BooleanArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt16Array, UInt32Array,
    UInt64Array, UInt8Array,
};

use super::columns::arr;
use super::schema;
use super::text;
use crate::decode::{Decoded, StopReason};
use crate::frame::{At, Endpoints, FrameMeta};
use crate::stream::iwarp::IwarpMessage;
use crate::wire::ethernet::ETHERTYPE_ROCE_V1;
use crate::wire::iwarp;
use crate::wire::roce::Bth;
use crate::wire::smbdirect::{DataTransfer, Message};

#[derive(Debug, Clone, Default)]
pub struct RdmaRow {
    pub frame_number: u64,
    pub timestamp_ns: Option<i64>,
    pub transport: &'static str,
    pub src: String,
    pub dst: String,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub ecn: Option<u8>,
    pub status: &'static str,
    pub opcode: Option<u8>,
    pub opcode_name: Option<&'static str>,
    pub dest_qp: Option<u32>,
    pub psn: Option<u32>,
    pub ack_request: Option<bool>,
    pub solicited: Option<bool>,
    pub pkey: Option<u16>,
    pub is_cnp: bool,
    pub payload_len: Option<u32>,
    pub dma_length: Option<u32>,
    pub rkey: Option<u32>,
    pub remote_offset: Option<u64>,
    pub aeth_syndrome: Option<u8>,
    pub msn: Option<u32>,
    pub queue_number: Option<u32>,
    pub message_offset: Option<u32>,
    pub last: Option<bool>,
    pub smbd_kind: Option<&'static str>,
    pub smbd_data_length: Option<u32>,
}

#[derive(Default)]
pub struct RdmaRows {
    rows: Vec<RdmaRow>,
    /// Rows already turned into batches, every `smb::ROWS_PER_BATCH` (an iWARP FPDU can be
    /// 20 bytes: a chunk's stream bytes hold millions of rows).
    sealed: Vec<RecordBatch>,
}

impl RdmaRows {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, row: RdmaRow) {
        self.rows.push(row);
        if self.rows.len() >= super::smb::ROWS_PER_BATCH {
            self.sealed.push(batch(&std::mem::take(&mut self.rows)));
        }
    }

    /// A row for a RoCE v1/v2 frame (the decoder read its headers: `Decoded::roce`); nothing
    /// for other frames. The row's `status` keeps its own vocabulary, taken from the RoCE
    /// layer's stop reason.
    pub fn append_roce(&mut self, meta: &FrameMeta, d: &Decoded<'_>) {
        let Some(r) = d.roce else {
            return;
        };
        let mut row = RdmaRow {
            frame_number: meta.frame_number,
            timestamp_ns: meta.timestamp_ns,
            status: "ok",
            ..Default::default()
        };
        match (d.ethertype, d.udp, d.ip) {
            (Some(ETHERTYPE_ROCE_V1), _, _) => {
                row.transport = "roce_v1";
                let Some(g) = r.grh else {
                    row.status = "bad_grh";
                    self.push(row);
                    return;
                };
                row.src = text::ip_string(&IpAddr::V6(Ipv6Addr::from(*g.sgid)));
                row.dst = text::ip_string(&IpAddr::V6(Ipv6Addr::from(*g.dgid)));
                row.ecn = Some(g.traffic_class & 3);
            }
            (_, Some(u), Some(ip)) => {
                row.transport = "roce_v2";
                row.src = text::ip_string(&ip.src);
                row.dst = text::ip_string(&ip.dst);
                row.src_port = Some(u.src_port);
                row.dst_port = Some(u.dst_port);
                row.ecn = Some(ip.ecn);
            }
            _ => return,
        }
        match r.bth {
            Some(b) => fill_bth(&mut row, &b, r.total_len),
            // cut by the snaplen inside the BTH or its extended headers, or a version not 0
            None if r.stop == StopReason::TruncatedRoce => row.status = "truncated",
            None => row.status = "bad_bth",
        }
        self.push(row);
    }

    /// The row for one iWARP message framed on `ends` by the stream stage: an MPA start or an
    /// FPDU (its `head` from the MPA length on; `cut` when the capture cut it short), with the
    /// SMB Direct message of a Send's first FPDU.
    pub fn append_iwarp(
        &mut self,
        ends: &Endpoints,
        at: At,
        head: &[u8],
        cut: bool,
        message: IwarpMessage,
    ) {
        let mut row = RdmaRow {
            frame_number: at.frame_number,
            timestamp_ns: at.timestamp_ns,
            transport: "iwarp",
            src: text::ip_string(&ends.src_ip),
            dst: text::ip_string(&ends.dst_ip),
            src_port: Some(ends.src_port),
            dst_port: Some(ends.dst_port),
            status: "ok",
            ..Default::default()
        };
        if let IwarpMessage::MpaStart { reply } = message {
            row.opcode_name = Some(if reply { "mpa_reply" } else { "mpa_request" });
            self.push(row);
            return;
        }
        let f = match iwarp::fpdu(head, true) {
            Ok((f, _)) => f,
            Err(_) => {
                row.status = if cut { "truncated" } else { "bad_fpdu" };
                self.push(row);
                return;
            }
        };
        row.opcode = Some(f.opcode());
        row.opcode_name = f.opcode_name();
        row.payload_len = Some(f.payload_len() as u32);
        row.last = Some(f.last());
        if let Some((stag, to)) = f.stag_to() {
            row.rkey = Some(stag);
            row.remote_offset = Some(to);
        }
        row.queue_number = f.queue_number();
        row.msn = f.msn();
        row.message_offset = f.message_offset();
        if let IwarpMessage::SendStart { position } = message {
            let payload = f.payload();
            let smbd = match position {
                Some(p) => Message::parse(payload, p).ok(),
                // the sides are not known: only a data transfer is recognised, by its shape
                None => DataTransfer::parse(payload)
                    .ok()
                    .filter(|d| d.reserved == 0 && d.plausible(f.payload_len()))
                    .map(Message::DataTransfer),
            };
            if let Some(m) = smbd {
                set_smbd(&mut row, &m);
            }
        }
        self.push(row);
    }

    /// The rows so far as batches (none when empty); starts over.
    pub fn finish(&mut self) -> Vec<(&'static str, RecordBatch)> {
        if !self.rows.is_empty() {
            self.sealed.push(batch(&std::mem::take(&mut self.rows)));
        }
        let sealed = std::mem::take(&mut self.sealed);
        sealed.into_iter().map(|b| ("rdma_segments", b)).collect()
    }
}

fn fill_bth(row: &mut RdmaRow, b: &Bth<'_>, total: usize) {
    row.opcode = Some(b.opcode());
    row.opcode_name = b.opcode_name();
    row.dest_qp = Some(b.dest_qp());
    row.psn = Some(b.psn());
    row.ack_request = Some(b.ack_request());
    row.solicited = Some(b.solicited());
    row.pkey = Some(b.pkey());
    row.is_cnp = b.is_cnp();
    match b.payload_len(total) {
        Ok(n) => row.payload_len = Some(n as u32),
        Err(_) if b.ext_headers().is_some() => row.status = "bad_length",
        Err(_) => {}
    }
    if let Some(r) = b.reth() {
        row.dma_length = Some(r.dma_len);
        row.rkey = Some(r.rkey);
        row.remote_offset = Some(r.va);
    }
    if let Some(a) = b.aeth() {
        row.aeth_syndrome = Some(a.syndrome);
        row.msn = Some(a.msn);
    }
    // SMB Direct rides in Sends; a message spanning several packets starts in SEND_FIRST.
    let send_start = matches!(
        b.opcode_name(),
        Some(
            "rc_send_only"
                | "rc_send_first"
                | "rc_send_only_with_immediate"
                | "rc_send_only_with_invalidate"
        )
    );
    if send_start {
        if let (Ok(p), Some(n)) = (b.payload(total), row.payload_len) {
            // A Send cut by the snaplen is judged on its captured part only when whole.
            if p.len() == n as usize {
                if let Some(m) = Message::guess(p) {
                    set_smbd(row, &m);
                }
            }
        }
    }
}

/// Record what SMB Direct message a Send carries.
fn set_smbd(row: &mut RdmaRow, m: &Message<'_>) {
    row.smbd_kind = Some(m.kind());
    if let Message::DataTransfer(t) = m {
        row.smbd_data_length = Some(t.data_length);
    }
}

fn batch(rows: &[RdmaRow]) -> RecordBatch {
    let r = || rows.iter();
    let columns = vec![
        arr(UInt64Array::from_iter_values(r().map(|x| x.frame_number))),
        arr(TimestampNanosecondArray::from_iter(r().map(|x| x.timestamp_ns)).with_timezone("UTC")),
        arr(StringArray::from_iter_values(r().map(|x| x.transport))),
        arr(StringArray::from_iter_values(r().map(|x| x.src.as_str()))),
        arr(StringArray::from_iter_values(r().map(|x| x.dst.as_str()))),
        arr(UInt16Array::from_iter(r().map(|x| x.src_port))),
        arr(UInt16Array::from_iter(r().map(|x| x.dst_port))),
        arr(UInt8Array::from_iter(r().map(|x| x.ecn))),
        arr(StringArray::from_iter_values(r().map(|x| x.status))),
        arr(UInt8Array::from_iter(r().map(|x| x.opcode))),
        arr(StringArray::from_iter(r().map(|x| x.opcode_name))),
        arr(UInt32Array::from_iter(r().map(|x| x.dest_qp))),
        arr(UInt32Array::from_iter(r().map(|x| x.psn))),
        arr(BooleanArray::from_iter(r().map(|x| x.ack_request))),
        arr(BooleanArray::from_iter(r().map(|x| x.solicited))),
        arr(UInt16Array::from_iter(r().map(|x| x.pkey))),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.is_cnp)))),
        arr(UInt32Array::from_iter(r().map(|x| x.payload_len))),
        arr(UInt32Array::from_iter(r().map(|x| x.dma_length))),
        arr(UInt32Array::from_iter(r().map(|x| x.rkey))),
        arr(UInt64Array::from_iter(r().map(|x| x.remote_offset))),
        arr(UInt8Array::from_iter(r().map(|x| x.aeth_syndrome))),
        arr(UInt32Array::from_iter(r().map(|x| x.msn))),
        arr(UInt32Array::from_iter(r().map(|x| x.queue_number))),
        arr(UInt32Array::from_iter(r().map(|x| x.message_offset))),
        arr(BooleanArray::from_iter(r().map(|x| x.last))),
        arr(StringArray::from_iter(r().map(|x| x.smbd_kind))),
        arr(UInt32Array::from_iter(r().map(|x| x.smbd_data_length))),
    ];
    RecordBatch::try_new(schema::rdma_segments().schema(), columns)
        .expect("rdma_segments follows schema.rs")
}
