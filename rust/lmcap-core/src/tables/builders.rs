//! Arrow builders for each table. Column order here follows `schema.rs`; building a batch
//! checks names and types against the declaration, and the tests build every table.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::columns::{
    BoolColumn, FixedDictionary, SparseStrColumn, SparseU16Column, SparseU32Column, SparseU8Column,
    StrColumn, TimestampColumn, U16Column, U32Column, U64Column, U8Column,
};
use super::schema;
use super::text;
use crate::capture::file::FileInfo;
use crate::decode::{Decoded, StopReason};
use crate::frame::FrameMeta;
use crate::wire::igmp::{self, Igmp};
use crate::wire::mac::MacKind;

fn finish_batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(schema.clone(), columns).expect("builders follow schema.rs")
}

/// Which columns of `packets` a scan builds (bit i: the schema's column i): projection
/// pushdown, as `lmcap.read(columns=...)` asks for it. A column is built with the others of
/// its group (the columns one decoded layer fills together); the groups nobody asked for
/// cost nothing per frame, which is where the time goes: the address texts and the dozens
/// of values per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection(u64);

impl Default for Projection {
    fn default() -> Projection {
        Projection::all()
    }
}

impl Projection {
    /// Every column.
    pub fn all() -> Projection {
        Projection(u64::MAX >> (64 - schema::packets().columns.len()))
    }

    /// The columns named, in any order; an unknown name is an error that lists the known ones.
    pub fn of<S: AsRef<str>>(names: &[S]) -> Result<Projection, String> {
        let table = schema::packets();
        let mut bits = 0u64;
        for name in names {
            let name = name.as_ref();
            let i = (table.columns.iter().position(|c| c.name == name)).ok_or_else(|| {
                let known: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
                format!(
                    "packets has no column {name:?}; its columns: {}",
                    known.join(", ")
                )
            })?;
            bits |= 1 << i;
        }
        Ok(Projection(bits))
    }

    pub fn is_all(self) -> bool {
        self == Projection::all()
    }

    fn has(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }

    /// The schema of the projected batches: the columns kept, in the table's order.
    pub fn schema(self) -> SchemaRef {
        let full = schema::packets().schema();
        let kept: Vec<usize> = (0..full.fields().len()).filter(|&i| self.has(i)).collect();
        Arc::new(full.project(&kept).expect("indices of the schema"))
    }
}

/// The groups of `packets` columns one decoded layer fills together (see [`Projection`]).
#[derive(Clone, Copy)]
struct Groups {
    mac: bool,
    vlan: bool,
    l3: bool,
    ip_addr: bool,
    ip: bool,
    ports: bool,
    tcp: bool,
    payload: bool,
    /// ICMP, IGMP and ARP: sparse columns, set only in frames of those protocols.
    tail: bool,
}

impl Groups {
    /// The flag of a column's group; None: the frame's own facts, always built (cheap
    /// integers).
    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "src_mac" | "dst_mac" | "dst_mac_kind" => &mut self.mac,
            "vlan_id" | "inner_vlan_id" | "vlan_pcp" | "vlan_tags" => &mut self.vlan,
            "ethertype" | "l3_len" => &mut self.l3,
            "src_ip" | "dst_ip" => &mut self.ip_addr,
            "src_port" | "dst_port" => &mut self.ports,
            "payload_len" => &mut self.payload,
            n if n.starts_with("tcp_") => &mut self.tcp,
            n if n.starts_with("icmp_") || n.starts_with("igmp_") || n.starts_with("arp_") => {
                &mut self.tail
            }
            "ip_version" | "ip_proto" | "ip_len" | "ip_header_len" | "ttl" | "dscp" | "ecn"
            | "ip_id" | "df" | "mf" | "frag_offset" | "is_fragment" => &mut self.ip,
            _ => return None,
        })
    }

    /// Whether the column is built (its group is on, or it has none).
    fn builds(mut self, name: &str) -> bool {
        self.slot(name).is_none_or(|on| *on)
    }

    fn of(p: Projection) -> Groups {
        let mut g = Groups {
            mac: false,
            vlan: false,
            l3: false,
            ip_addr: false,
            ip: false,
            ports: false,
            tcp: false,
            payload: false,
            tail: false,
        };
        for (i, c) in schema::packets().columns.iter().enumerate() {
            if let (true, Some(on)) = (p.has(i), g.slot(c.name)) {
                *on = true;
            }
        }
        g
    }
}

/// The `packets` table, one row per frame: the hot path of a scan.
///
/// Columns that have a value in most frames are dense (one push per row); columns that are
/// null in most frames (VLAN, TCP options, ICMP, IGMP, ARP) are sparse and cost nothing in a
/// row without a value: a whole rare layer is one branch per row. See `columns.rs`.
pub struct PacketsBuilder {
    schema: SchemaRef,
    projection: Projection,
    groups: Groups,
    rows: usize,
    frame_number: U64Column,
    file_index: U32Column,
    interface_id: U32Column,
    link_type: U16Column,
    timestamp: TimestampColumn,
    cap_len: U32Column,
    wire_len: U32Column,
    truncated: BoolColumn,
    decode_status: FixedDictionary,
    src_mac: StrColumn,
    dst_mac: StrColumn,
    dst_mac_kind: FixedDictionary,
    vlan_id: SparseU16Column,
    inner_vlan_id: SparseU16Column,
    vlan_pcp: SparseU8Column,
    vlan_tags: U8Column,
    ethertype: U16Column,
    l3_len: U32Column,
    ip_version: U8Column,
    src_ip: StrColumn,
    dst_ip: StrColumn,
    ip_proto: U8Column,
    ip_len: U32Column,
    ip_header_len: U16Column,
    ttl: U8Column,
    dscp: U8Column,
    ecn: U8Column,
    ip_id: U32Column,
    df: BoolColumn,
    mf: BoolColumn,
    frag_offset: U32Column,
    is_fragment: BoolColumn,
    src_port: U16Column,
    dst_port: U16Column,
    tcp_flags: U16Column,
    tcp_seq: U32Column,
    tcp_ack: U32Column,
    tcp_window: U16Column,
    tcp_mss: SparseU16Column,
    tcp_wscale: SparseU8Column,
    tcp_sack_permitted: BoolColumn,
    tcp_sack_blocks: U8Column,
    payload_len: U32Column,
    icmp_type: SparseU8Column,
    icmp_code: SparseU8Column,
    icmp_id: SparseU16Column,
    icmp_seq: SparseU16Column,
    icmp_next_hop_mtu: SparseU32Column,
    icmp_quoted_src_ip: SparseStrColumn,
    icmp_quoted_dst_ip: SparseStrColumn,
    icmp_quoted_proto: SparseU8Column,
    icmp_quoted_src_port: SparseU16Column,
    icmp_quoted_dst_port: SparseU16Column,
    icmp_quoted_ip_len: SparseU32Column,
    icmp_quoted_ip_id: SparseU32Column,
    igmp_type: SparseU8Column,
    igmp_version: SparseU8Column,
    igmp_group: SparseStrColumn,
    arp_opcode: SparseU16Column,
}

impl PacketsBuilder {
    pub fn new(capacity: usize) -> Self {
        Self::projected(capacity, Projection::all())
    }

    /// A builder of the columns of `projection` only (and of the rest of their groups, which
    /// `finish` drops).
    pub fn projected(capacity: usize, projection: Projection) -> Self {
        let n = capacity;
        let groups = Groups::of(projection);
        // a group nobody asked for is never appended to: no room for it
        let room = |on: bool| if on { n } else { 0 };
        let (nm, nv, nl, na, ni, np, nt, npl) = (
            room(groups.mac),
            room(groups.vlan),
            room(groups.l3),
            room(groups.ip_addr),
            room(groups.ip),
            room(groups.ports),
            room(groups.tcp),
            room(groups.payload),
        );
        let stop_names: Vec<&str> = StopReason::ALL.iter().map(|r| r.name()).collect();
        let kind_names: Vec<&str> = MacKind::ALL.iter().map(|k| k.name()).collect();
        PacketsBuilder {
            schema: projection.schema(),
            projection,
            groups,
            rows: 0,
            frame_number: U64Column::with_capacity(n),
            file_index: U32Column::with_capacity(n),
            interface_id: U32Column::with_capacity(n),
            link_type: U16Column::with_capacity(n),
            timestamp: TimestampColumn::with_capacity(n),
            cap_len: U32Column::with_capacity(n),
            wire_len: U32Column::with_capacity(n),
            truncated: BoolColumn::with_capacity(n),
            decode_status: FixedDictionary::new(&stop_names, n),
            src_mac: StrColumn::with_capacity(nm, nm * 17),
            dst_mac: StrColumn::with_capacity(nm, nm * 17),
            dst_mac_kind: FixedDictionary::new(&kind_names, nm),
            vlan_id: SparseU16Column::default(),
            inner_vlan_id: SparseU16Column::default(),
            vlan_pcp: SparseU8Column::default(),
            vlan_tags: U8Column::with_capacity(nv),
            ethertype: U16Column::with_capacity(nl),
            l3_len: U32Column::with_capacity(nl),
            ip_version: U8Column::with_capacity(ni),
            // Room for an IPv4 text per row plus the 40-byte tail `push_prefix` copies.
            src_ip: StrColumn::with_capacity(na, na * 13 + 64),
            dst_ip: StrColumn::with_capacity(na, na * 13 + 64),
            ip_proto: U8Column::with_capacity(ni),
            ip_len: U32Column::with_capacity(ni),
            ip_header_len: U16Column::with_capacity(ni),
            ttl: U8Column::with_capacity(ni),
            dscp: U8Column::with_capacity(ni),
            ecn: U8Column::with_capacity(ni),
            ip_id: U32Column::with_capacity(ni),
            df: BoolColumn::with_capacity(ni),
            mf: BoolColumn::with_capacity(ni),
            frag_offset: U32Column::with_capacity(ni),
            is_fragment: BoolColumn::with_capacity(ni),
            src_port: U16Column::with_capacity(np),
            dst_port: U16Column::with_capacity(np),
            tcp_flags: U16Column::with_capacity(nt),
            tcp_seq: U32Column::with_capacity(nt),
            tcp_ack: U32Column::with_capacity(nt),
            tcp_window: U16Column::with_capacity(nt),
            tcp_mss: SparseU16Column::default(),
            tcp_wscale: SparseU8Column::default(),
            tcp_sack_permitted: BoolColumn::with_capacity(nt),
            tcp_sack_blocks: U8Column::with_capacity(nt),
            payload_len: U32Column::with_capacity(npl),
            icmp_type: SparseU8Column::default(),
            icmp_code: SparseU8Column::default(),
            icmp_id: SparseU16Column::default(),
            icmp_seq: SparseU16Column::default(),
            icmp_next_hop_mtu: SparseU32Column::default(),
            icmp_quoted_src_ip: SparseStrColumn::default(),
            icmp_quoted_dst_ip: SparseStrColumn::default(),
            icmp_quoted_proto: SparseU8Column::default(),
            icmp_quoted_src_port: SparseU16Column::default(),
            icmp_quoted_dst_port: SparseU16Column::default(),
            icmp_quoted_ip_len: SparseU32Column::default(),
            icmp_quoted_ip_id: SparseU32Column::default(),
            igmp_type: SparseU8Column::default(),
            igmp_version: SparseU8Column::default(),
            igmp_group: SparseStrColumn::default(),
            arp_opcode: SparseU16Column::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn append(&mut self, m: &FrameMeta, d: &Decoded<'_>) {
        let row = self.rows;
        let g = self.groups;
        self.rows += 1;
        self.frame_number.append_value(m.frame_number);
        self.file_index.append_value(m.file_index);
        self.interface_id.append_value(m.interface_id);
        self.link_type.append_option(m.link_type);
        self.timestamp.append_option(m.timestamp_ns);
        self.cap_len.append_value(m.cap_len);
        self.wire_len.append_value(m.wire_len);
        self.truncated.append_value(m.cap_len < m.wire_len);
        self.decode_status.keys.append_value(d.status as i8);

        if g.mac {
            self.src_mac.append_mac_option(d.src_mac.as_ref());
            match &d.dst_mac {
                Some(mac) => {
                    self.dst_mac.append_mac(mac);
                    self.dst_mac_kind.keys.append_value(MacKind::of(mac) as i8);
                }
                None => {
                    self.dst_mac.append_null();
                    self.dst_mac_kind.keys.append_null();
                }
            }
        }
        if g.vlan {
            if d.vlan_count > 0 {
                self.vlan_id.set(row, d.vlan_tags[0].vid);
                self.vlan_pcp.set(row, d.vlan_tags[0].pcp);
                if d.vlan_count > 1 {
                    self.inner_vlan_id.set(row, d.vlan_tags[1].vid);
                }
            }
            self.vlan_tags.append_value(d.vlan_count);
        }
        if g.l3 {
            self.ethertype.append_option(d.ethertype);
            self.l3_len.append_option(d.l3_len(m.wire_len));
        }
        if g.ip_addr {
            match &d.ip {
                Some(ip) => {
                    self.src_ip.append_ip(&ip.src);
                    self.dst_ip.append_ip(&ip.dst);
                }
                None => {
                    self.src_ip.append_null();
                    self.dst_ip.append_null();
                }
            }
        }
        if g.ip {
            self.append_ip(d);
        }
        if g.ports {
            match (&d.tcp, &d.udp) {
                (Some(t), _) => {
                    self.src_port.append_value(t.src_port);
                    self.dst_port.append_value(t.dst_port);
                }
                (None, Some(u)) => {
                    self.src_port.append_value(u.src_port);
                    self.dst_port.append_value(u.dst_port);
                }
                (None, None) => {
                    self.src_port.append_null();
                    self.dst_port.append_null();
                }
            }
        }
        if g.tcp {
            self.append_tcp(row, d);
        }
        if g.payload {
            self.payload_len.append_option(d.payload_len);
        }
        if g.tail {
            self.append_tail(row, d);
        }
    }

    fn append_ip(&mut self, d: &Decoded<'_>) {
        match &d.ip {
            Some(ip) => {
                self.ip_version.append_value(ip.version);
                self.ip_proto.append_value(ip.protocol);
                self.ip_len.append_option(ip.ip_len);
                self.ip_header_len.append_value(ip.header_len);
                self.ttl.append_value(ip.ttl);
                self.dscp.append_value(ip.dscp);
                self.ecn.append_value(ip.ecn);
                self.ip_id.append_option(ip.id);
                self.df.append_option(ip.dont_fragment);
                self.mf.append_option(ip.more_fragments);
                self.frag_offset.append_option(ip.frag_offset);
                self.is_fragment.append_value(ip.is_fragment);
            }
            None => {
                self.ip_version.append_null();
                self.ip_proto.append_null();
                self.ip_len.append_null();
                self.ip_header_len.append_null();
                self.ttl.append_null();
                self.dscp.append_null();
                self.ecn.append_null();
                self.ip_id.append_null();
                self.df.append_null();
                self.mf.append_null();
                self.frag_offset.append_null();
                self.is_fragment.append_null();
            }
        }
    }

    fn append_tcp(&mut self, row: usize, d: &Decoded<'_>) {
        match &d.tcp {
            Some(t) => {
                self.tcp_flags.append_value(t.flags);
                self.tcp_seq.append_value(t.seq);
                self.tcp_ack.append_value(t.ack);
                self.tcp_window.append_value(t.window);
                self.tcp_mss.set_option(row, t.options.mss);
                self.tcp_wscale.set_option(row, t.options.window_scale);
                self.tcp_sack_permitted
                    .append_value(t.options.sack_permitted);
                self.tcp_sack_blocks.append_value(t.options.sack_blocks);
            }
            None => {
                self.tcp_flags.append_null();
                self.tcp_seq.append_null();
                self.tcp_ack.append_null();
                self.tcp_window.append_null();
                self.tcp_sack_permitted.append_null();
                self.tcp_sack_blocks.append_null();
            }
        }
    }

    /// ICMP, IGMP and ARP: sparse columns, set in the frames of those protocols only.
    fn append_tail(&mut self, row: usize, d: &Decoded<'_>) {
        if let Some(icmp) = &d.icmp {
            self.icmp_type.set(row, icmp.icmp_type);
            self.icmp_code.set(row, icmp.code);
            if let Some((id, seq)) = icmp.echo {
                self.icmp_id.set(row, id);
                self.icmp_seq.set(row, seq);
            }
            self.icmp_next_hop_mtu.set_option(row, icmp.next_hop_mtu);
            if let Some(q) = icmp.quoted {
                if let Some(a) = &q.src {
                    self.icmp_quoted_src_ip.set_ip(row, a);
                }
                if let Some(a) = &q.dst {
                    self.icmp_quoted_dst_ip.set_ip(row, a);
                }
                self.icmp_quoted_proto.set_option(row, q.protocol);
                self.icmp_quoted_src_port.set_option(row, q.src_port);
                self.icmp_quoted_dst_port.set_option(row, q.dst_port);
                self.icmp_quoted_ip_len.set_option(row, q.ip_len);
                self.icmp_quoted_ip_id.set_option(row, q.ip_id);
            }
        }
        if let Some(g) = &d.igmp {
            self.igmp_type.set(row, g.msg_type);
            self.igmp_version.set(row, g.version);
            if g.msg_type != igmp::V3_REPORT {
                self.igmp_group.set_ipv4(row, &g.group);
            }
        }
        if let Some(a) = &d.arp {
            self.arp_opcode.set(row, a.opcode);
        }
    }

    /// The batch of the rows so far (the projection's columns); the builder starts over.
    pub fn finish(&mut self) -> RecordBatch {
        let n = std::mem::take(&mut self.rows);
        let table = schema::packets();
        let mut columns = Vec::with_capacity(table.columns.len());
        for (i, c) in table.columns.iter().enumerate() {
            if !self.groups.builds(c.name) {
                continue; // nothing was appended: nothing to finish
            }
            let array = self.finish_column(c.name, n);
            if self.projection.has(i) {
                columns.push(array);
            }
        }
        finish_batch(&self.schema, columns)
    }

    fn finish_column(&mut self, name: &str, n: usize) -> ArrayRef {
        match name {
            "frame_number" => Arc::new(self.frame_number.finish()),
            "file_index" => Arc::new(self.file_index.finish()),
            "interface_id" => Arc::new(self.interface_id.finish()),
            "link_type" => Arc::new(self.link_type.finish()),
            "timestamp" => Arc::new(self.timestamp.finish()),
            "cap_len" => Arc::new(self.cap_len.finish()),
            "wire_len" => Arc::new(self.wire_len.finish()),
            "truncated" => Arc::new(self.truncated.finish()),
            "decode_status" => self.decode_status.finish(),
            "src_mac" => Arc::new(self.src_mac.finish()),
            "dst_mac" => Arc::new(self.dst_mac.finish()),
            "dst_mac_kind" => self.dst_mac_kind.finish(),
            "vlan_id" => Arc::new(self.vlan_id.finish(n)),
            "inner_vlan_id" => Arc::new(self.inner_vlan_id.finish(n)),
            "vlan_pcp" => Arc::new(self.vlan_pcp.finish(n)),
            "vlan_tags" => Arc::new(self.vlan_tags.finish()),
            "ethertype" => Arc::new(self.ethertype.finish()),
            "l3_len" => Arc::new(self.l3_len.finish()),
            "ip_version" => Arc::new(self.ip_version.finish()),
            "src_ip" => Arc::new(self.src_ip.finish()),
            "dst_ip" => Arc::new(self.dst_ip.finish()),
            "ip_proto" => Arc::new(self.ip_proto.finish()),
            "ip_len" => Arc::new(self.ip_len.finish()),
            "ip_header_len" => Arc::new(self.ip_header_len.finish()),
            "ttl" => Arc::new(self.ttl.finish()),
            "dscp" => Arc::new(self.dscp.finish()),
            "ecn" => Arc::new(self.ecn.finish()),
            "ip_id" => Arc::new(self.ip_id.finish()),
            "df" => Arc::new(self.df.finish()),
            "mf" => Arc::new(self.mf.finish()),
            "frag_offset" => Arc::new(self.frag_offset.finish()),
            "is_fragment" => Arc::new(self.is_fragment.finish()),
            "src_port" => Arc::new(self.src_port.finish()),
            "dst_port" => Arc::new(self.dst_port.finish()),
            "tcp_flags" => Arc::new(self.tcp_flags.finish()),
            "tcp_seq" => Arc::new(self.tcp_seq.finish()),
            "tcp_ack" => Arc::new(self.tcp_ack.finish()),
            "tcp_window" => Arc::new(self.tcp_window.finish()),
            "tcp_mss" => Arc::new(self.tcp_mss.finish(n)),
            "tcp_wscale" => Arc::new(self.tcp_wscale.finish(n)),
            "tcp_sack_permitted" => Arc::new(self.tcp_sack_permitted.finish()),
            "tcp_sack_blocks" => Arc::new(self.tcp_sack_blocks.finish()),
            "payload_len" => Arc::new(self.payload_len.finish()),
            "icmp_type" => Arc::new(self.icmp_type.finish(n)),
            "icmp_code" => Arc::new(self.icmp_code.finish(n)),
            "icmp_id" => Arc::new(self.icmp_id.finish(n)),
            "icmp_seq" => Arc::new(self.icmp_seq.finish(n)),
            "icmp_next_hop_mtu" => Arc::new(self.icmp_next_hop_mtu.finish(n)),
            "icmp_quoted_src_ip" => Arc::new(self.icmp_quoted_src_ip.finish(n)),
            "icmp_quoted_dst_ip" => Arc::new(self.icmp_quoted_dst_ip.finish(n)),
            "icmp_quoted_proto" => Arc::new(self.icmp_quoted_proto.finish(n)),
            "icmp_quoted_src_port" => Arc::new(self.icmp_quoted_src_port.finish(n)),
            "icmp_quoted_dst_port" => Arc::new(self.icmp_quoted_dst_port.finish(n)),
            "icmp_quoted_ip_len" => Arc::new(self.icmp_quoted_ip_len.finish(n)),
            "icmp_quoted_ip_id" => Arc::new(self.icmp_quoted_ip_id.finish(n)),
            "igmp_type" => Arc::new(self.igmp_type.finish(n)),
            "igmp_version" => Arc::new(self.igmp_version.finish(n)),
            "igmp_group" => Arc::new(self.igmp_group.finish(n)),
            "arp_opcode" => Arc::new(self.arp_opcode.finish(n)),
            other => unreachable!(
                "packets column {other} has no builder (schema.rs and builders.rs disagree)"
            ),
        }
    }
}

/// The event tables (`arp`, `igmp_records`, `nlb_heartbeats`) built alongside `packets`.
pub struct EventsBuilder {
    arp_schema: SchemaRef,
    arp_rows: usize,
    arp: ArpColumns,
    igmp_schema: SchemaRef,
    igmp_rows: usize,
    igmp: IgmpColumns,
    nlb_schema: SchemaRef,
    nlb_rows: usize,
    nlb: NlbColumns,
}

#[derive(Default)]
struct ArpColumns {
    frame_number: U64Column,
    timestamp: TimestampColumn,
    vlan_id: U16Column,
    src_mac: StrColumn,
    dst_mac: StrColumn,
    opcode: U16Column,
    sender_mac: StrColumn,
    sender_ip: StrColumn,
    target_mac: StrColumn,
    target_ip: StrColumn,
    gratuitous: BoolColumn,
    probe: BoolColumn,
}

struct IgmpColumns {
    frame_number: U64Column,
    timestamp: TimestampColumn,
    vlan_id: U16Column,
    src_mac: StrColumn,
    src_ip: StrColumn,
    dst_ip: StrColumn,
    version: U8Column,
    msg_type: U8Column,
    record_type: U8Column,
    action: FixedDictionary,
    group: StrColumn,
    num_sources: U16Column,
    sources: ListBuilder<StringBuilder>,
    max_resp_code: U8Column,
}

#[derive(Default)]
struct NlbColumns {
    frame_number: U64Column,
    timestamp: TimestampColumn,
    vlan_id: U16Column,
    src_mac: StrColumn,
    dst_mac: StrColumn,
    kind: StrColumn,
    signature: U32Column,
    version: StrColumn,
    host_priority: U32Column,
    cluster_ip: StrColumn,
    dedicated_ip: StrColumn,
    my_host_id: U16Column,
    default_host_id: U16Column,
    convergence_state: U16Column,
    port_rules: U16Column,
    packets_handled: U32Column,
}

/// Membership meaning of an IGMP message or record: the `action` column's values.
pub const IGMP_ACTIONS: [&str; 5] = ["query", "join", "leave", "block", "other"];

fn igmp_action(msg_type: u8, record_type: Option<u8>, sources: usize) -> i8 {
    let name = match (msg_type, record_type) {
        (igmp::MEMBERSHIP_QUERY, _) => "query",
        (igmp::V1_REPORT | igmp::V2_REPORT, _) => "join",
        (igmp::V2_LEAVE, _) => "leave",
        (igmp::V3_REPORT, Some(igmp::MODE_IS_INCLUDE | igmp::CHANGE_TO_INCLUDE))
            if sources == 0 =>
        {
            "leave"
        }
        (igmp::V3_REPORT, Some(igmp::BLOCK_OLD_SOURCES)) => "block",
        (igmp::V3_REPORT, Some(1..=5)) => "join",
        _ => "other",
    };
    IGMP_ACTIONS.iter().position(|a| *a == name).unwrap_or(4) as i8
}

impl EventsBuilder {
    pub fn new() -> Self {
        EventsBuilder {
            arp_schema: schema::arp().schema(),
            arp_rows: 0,
            arp: ArpColumns {
                timestamp: TimestampColumn::new(),
                ..Default::default()
            },
            igmp_schema: schema::igmp_records().schema(),
            igmp_rows: 0,
            igmp: IgmpColumns {
                frame_number: U64Column::new(),
                timestamp: TimestampColumn::new(),
                vlan_id: U16Column::new(),
                src_mac: StrColumn::new(),
                src_ip: StrColumn::new(),
                dst_ip: StrColumn::new(),
                version: U8Column::new(),
                msg_type: U8Column::new(),
                record_type: U8Column::new(),
                action: FixedDictionary::new(&IGMP_ACTIONS, 0),
                group: StrColumn::new(),
                num_sources: U16Column::new(),
                sources: ListBuilder::new(StringBuilder::new()),
                max_resp_code: U8Column::new(),
            },
            nlb_schema: schema::nlb_heartbeats().schema(),
            nlb_rows: 0,
            nlb: NlbColumns {
                timestamp: TimestampColumn::new(),
                ..Default::default()
            },
        }
    }

    pub fn rows(&self) -> usize {
        self.arp_rows + self.igmp_rows + self.nlb_rows
    }

    pub fn append(&mut self, m: &FrameMeta, d: &Decoded<'_>) {
        if let Some(a) = d.arp {
            let c = &mut self.arp;
            self.arp_rows += 1;
            c.frame_number.append_value(m.frame_number);
            c.timestamp.append_option(m.timestamp_ns);
            c.vlan_id.append_option(d.outer_vlan());
            c.src_mac.append_mac_option(d.src_mac.as_ref());
            c.dst_mac.append_mac_option(d.dst_mac.as_ref());
            c.opcode.append_value(a.opcode);
            c.sender_mac.append_mac(a.sender_mac);
            c.sender_ip.append_ipv4(&a.sender_ip);
            c.target_mac.append_mac(a.target_mac);
            c.target_ip.append_ipv4(&a.target_ip);
            c.gratuitous.append_value(a.is_gratuitous());
            c.probe.append_value(a.is_probe());
        }
        if let (Some(g), Some(ip)) = (d.igmp.as_ref(), d.ip.as_ref()) {
            self.append_igmp(m, d, g, ip.src, ip.dst);
        }
        if let Some(h) = d.nlb {
            let c = &mut self.nlb;
            self.nlb_rows += 1;
            c.frame_number.append_value(m.frame_number);
            c.timestamp.append_option(m.timestamp_ns);
            c.vlan_id.append_option(d.outer_vlan());
            c.src_mac.append_mac_option(d.src_mac.as_ref());
            c.dst_mac.append_mac_option(d.dst_mac.as_ref());
            c.kind.append_value(h.kind());
            c.signature.append_value(h.signature);
            c.version
                .append_value(&format!("{}.{}", h.version_major, h.version_minor));
            c.host_priority.append_value(h.host_priority);
            c.cluster_ip.append_ipv4(&h.cluster_ip);
            c.dedicated_ip.append_ipv4(&h.dedicated_ip);
            let mb = h.membership;
            c.my_host_id.append_option(mb.map(|x| x.0));
            c.default_host_id.append_option(mb.map(|x| x.1));
            c.convergence_state.append_option(mb.map(|x| x.2));
            c.port_rules.append_option(mb.map(|x| x.3));
            c.packets_handled.append_option(mb.map(|x| x.4));
        }
    }

    fn append_igmp(
        &mut self,
        m: &FrameMeta,
        d: &Decoded<'_>,
        g: &Igmp<'_>,
        src: IpAddr,
        dst: IpAddr,
    ) {
        let row = |s: &mut Self,
                   record_type: Option<u8>,
                   group: Option<[u8; 4]>,
                   sources: &mut dyn Iterator<Item = [u8; 4]>| {
            let c = &mut s.igmp;
            s.igmp_rows += 1;
            c.frame_number.append_value(m.frame_number);
            c.timestamp.append_option(m.timestamp_ns);
            c.vlan_id.append_option(d.outer_vlan());
            c.src_mac.append_mac_option(d.src_mac.as_ref());
            c.src_ip.append_ip(&src);
            c.dst_ip.append_ip(&dst);
            c.version.append_value(g.version);
            c.msg_type.append_value(g.msg_type);
            c.record_type.append_option(record_type);
            let mut n = 0u16;
            for source in sources {
                n += 1;
                let mut buf = [0u8; text::IPV4_BUF];
                let len = text::ipv4(&source, &mut buf);
                c.sources.values().append_value(text::ascii(&buf[..len]));
            }
            c.sources.append(true);
            c.num_sources.append_value(n);
            c.action
                .keys
                .append_value(igmp_action(g.msg_type, record_type, n as usize));
            match group.filter(|g| *g != [0; 4]) {
                Some(grp) => c.group.append_ipv4(&grp),
                None => c.group.append_null(),
            }
            c.max_resp_code
                .append_option((g.msg_type == igmp::MEMBERSHIP_QUERY).then_some(g.max_resp_code));
        };
        if g.msg_type == igmp::V3_REPORT {
            let (records, _) = g.records();
            for r in records {
                row(self, Some(r.record_type), Some(r.group), &mut r.sources());
            }
        } else {
            row(self, None, Some(g.group), &mut g.query_sources());
        }
    }

    /// Finished batches of the event tables that have rows: (table name, batch).
    pub fn finish(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out = Vec::new();
        if self.arp_rows > 0 {
            self.arp_rows = 0;
            let c = &mut self.arp;
            out.push((
                "arp",
                finish_batch(
                    &self.arp_schema,
                    vec![
                        Arc::new(c.frame_number.finish()),
                        Arc::new(c.timestamp.finish()),
                        Arc::new(c.vlan_id.finish()),
                        Arc::new(c.src_mac.finish()),
                        Arc::new(c.dst_mac.finish()),
                        Arc::new(c.opcode.finish()),
                        Arc::new(c.sender_mac.finish()),
                        Arc::new(c.sender_ip.finish()),
                        Arc::new(c.target_mac.finish()),
                        Arc::new(c.target_ip.finish()),
                        Arc::new(c.gratuitous.finish()),
                        Arc::new(c.probe.finish()),
                    ],
                ),
            ));
        }
        if self.igmp_rows > 0 {
            self.igmp_rows = 0;
            let c = &mut self.igmp;
            out.push((
                "igmp_records",
                finish_batch(
                    &self.igmp_schema,
                    vec![
                        Arc::new(c.frame_number.finish()),
                        Arc::new(c.timestamp.finish()),
                        Arc::new(c.vlan_id.finish()),
                        Arc::new(c.src_mac.finish()),
                        Arc::new(c.src_ip.finish()),
                        Arc::new(c.dst_ip.finish()),
                        Arc::new(c.version.finish()),
                        Arc::new(c.msg_type.finish()),
                        Arc::new(c.record_type.finish()),
                        c.action.finish(),
                        Arc::new(c.group.finish()),
                        Arc::new(c.num_sources.finish()),
                        Arc::new(c.sources.finish()),
                        Arc::new(c.max_resp_code.finish()),
                    ],
                ),
            ));
        }
        if self.nlb_rows > 0 {
            self.nlb_rows = 0;
            let c = &mut self.nlb;
            out.push((
                "nlb_heartbeats",
                finish_batch(
                    &self.nlb_schema,
                    vec![
                        Arc::new(c.frame_number.finish()),
                        Arc::new(c.timestamp.finish()),
                        Arc::new(c.vlan_id.finish()),
                        Arc::new(c.src_mac.finish()),
                        Arc::new(c.dst_mac.finish()),
                        Arc::new(c.kind.finish()),
                        Arc::new(c.signature.finish()),
                        Arc::new(c.version.finish()),
                        Arc::new(c.host_priority.finish()),
                        Arc::new(c.cluster_ip.finish()),
                        Arc::new(c.dedicated_ip.finish()),
                        Arc::new(c.my_host_id.finish()),
                        Arc::new(c.default_host_id.finish()),
                        Arc::new(c.convergence_state.finish()),
                        Arc::new(c.port_rules.finish()),
                        Arc::new(c.packets_handled.finish()),
                    ],
                ),
            ));
        }
        out
    }
}

impl Default for EventsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// The `capture_files` table.
pub fn capture_files_batch(files: &[FileInfo]) -> RecordBatch {
    let def = schema::capture_files();
    let s = def.schema();
    let mut file_index = U32Column::new();
    let mut path = StringBuilder::new();
    let mut format = StringBuilder::new();
    let mut compression = StringBuilder::new();
    let mut big_endian = BoolColumn::new();
    let mut nanosecond = BoolColumn::new();
    let mut snaplen = U32Column::new();
    let mut link_types = StringBuilder::new();
    let mut sections = U32Column::new();
    let mut interfaces = U32Column::new();
    let mut packets = U64Column::new();
    let mut bytes_read = U64Column::new();
    let mut error_kind = StringBuilder::new();
    let mut error_offset = U64Column::new();
    let mut error_message = StringBuilder::new();
    for f in files {
        file_index.append_value(f.index);
        path.append_value(f.path.to_string_lossy());
        format.append_option(f.format.map(|x| x.name()));
        compression.append_value(f.compression.name());
        big_endian.append_option(f.big_endian);
        nanosecond.append_option(f.nanosecond);
        snaplen.append_option(f.snaplen);
        link_types.append_value(
            f.link_types
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        sections.append_value(f.sections);
        interfaces.append_value(f.interfaces);
        packets.append_value(f.packets);
        bytes_read.append_value(f.bytes_read);
        error_kind.append_option(f.error.as_ref().map(|e| e.kind.name()));
        error_offset.append_option(f.error.as_ref().map(|e| e.offset));
        error_message.append_option(f.error.as_ref().map(|e| e.to_string()));
    }
    finish_batch(
        &s,
        vec![
            Arc::new(file_index.finish()),
            Arc::new(path.finish()),
            Arc::new(format.finish()),
            Arc::new(compression.finish()),
            Arc::new(big_endian.finish()),
            Arc::new(nanosecond.finish()),
            Arc::new(snaplen.finish()),
            Arc::new(link_types.finish()),
            Arc::new(sections.finish()),
            Arc::new(interfaces.finish()),
            Arc::new(packets.finish()),
            Arc::new(bytes_read.finish()),
            Arc::new(error_kind.finish()),
            Arc::new(error_offset.finish()),
            Arc::new(error_message.finish()),
        ],
    )
}
