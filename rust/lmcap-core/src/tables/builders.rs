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
use crate::wire::igmp::{self, Igmp};
use crate::wire::mac::MacKind;

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

fn finish_batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(schema.clone(), columns).expect("builders follow schema.rs")
}

/// The `packets` table, one row per frame: the hot path of a scan.
///
/// Columns that have a value in most frames are dense (one push per row); columns that are
/// null in most frames (VLAN, TCP options, ICMP, IGMP, ARP) are sparse and cost nothing in a
/// row without a value: a whole rare layer is one branch per row. See `columns.rs`.
pub struct PacketsBuilder {
    schema: SchemaRef,
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
        let n = capacity;
        let stop_names: Vec<&str> = StopReason::ALL.iter().map(|r| r.name()).collect();
        let kind_names: Vec<&str> = MacKind::ALL.iter().map(|k| k.name()).collect();
        PacketsBuilder {
            schema: schema::packets().schema(),
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
            src_mac: StrColumn::with_capacity(n, n * 17),
            dst_mac: StrColumn::with_capacity(n, n * 17),
            dst_mac_kind: FixedDictionary::new(&kind_names, n),
            vlan_id: SparseU16Column::default(),
            inner_vlan_id: SparseU16Column::default(),
            vlan_pcp: SparseU8Column::default(),
            vlan_tags: U8Column::with_capacity(n),
            ethertype: U16Column::with_capacity(n),
            l3_len: U32Column::with_capacity(n),
            ip_version: U8Column::with_capacity(n),
            // Room for an IPv4 text per row plus the 40-byte tail `push_prefix` copies.
            src_ip: StrColumn::with_capacity(n, n * 13 + 64),
            dst_ip: StrColumn::with_capacity(n, n * 13 + 64),
            ip_proto: U8Column::with_capacity(n),
            ip_len: U32Column::with_capacity(n),
            ip_header_len: U16Column::with_capacity(n),
            ttl: U8Column::with_capacity(n),
            dscp: U8Column::with_capacity(n),
            ecn: U8Column::with_capacity(n),
            ip_id: U32Column::with_capacity(n),
            df: BoolColumn::with_capacity(n),
            mf: BoolColumn::with_capacity(n),
            frag_offset: U32Column::with_capacity(n),
            is_fragment: BoolColumn::with_capacity(n),
            src_port: U16Column::with_capacity(n),
            dst_port: U16Column::with_capacity(n),
            tcp_flags: U16Column::with_capacity(n),
            tcp_seq: U32Column::with_capacity(n),
            tcp_ack: U32Column::with_capacity(n),
            tcp_window: U16Column::with_capacity(n),
            tcp_mss: SparseU16Column::default(),
            tcp_wscale: SparseU8Column::default(),
            tcp_sack_permitted: BoolColumn::with_capacity(n),
            tcp_sack_blocks: U8Column::with_capacity(n),
            payload_len: U32Column::with_capacity(n),
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
        if d.vlan_count > 0 {
            self.vlan_id.set(row, d.vlan_tags[0].vid);
            self.vlan_pcp.set(row, d.vlan_tags[0].pcp);
            if d.vlan_count > 1 {
                self.inner_vlan_id.set(row, d.vlan_tags[1].vid);
            }
        }
        self.vlan_tags.append_value(d.vlan_count);
        self.ethertype.append_option(d.ethertype);
        self.l3_len.append_option(d.l3_len(m.wire_len));

        match &d.ip {
            Some(ip) => {
                self.ip_version.append_value(ip.version);
                self.src_ip.append_ip(&ip.src);
                self.dst_ip.append_ip(&ip.dst);
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
                self.src_ip.append_null();
                self.dst_ip.append_null();
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
        match (&d.tcp, &d.udp) {
            (Some(t), _) => {
                self.src_port.append_value(t.src_port);
                self.dst_port.append_value(t.dst_port);
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
            (None, udp) => {
                match udp {
                    Some(u) => {
                        self.src_port.append_value(u.src_port);
                        self.dst_port.append_value(u.dst_port);
                    }
                    None => {
                        self.src_port.append_null();
                        self.dst_port.append_null();
                    }
                }
                self.tcp_flags.append_null();
                self.tcp_seq.append_null();
                self.tcp_ack.append_null();
                self.tcp_window.append_null();
                self.tcp_sack_permitted.append_null();
                self.tcp_sack_blocks.append_null();
            }
        }
        self.payload_len.append_option(d.payload_len);

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

    pub fn finish(&mut self) -> RecordBatch {
        let n = std::mem::take(&mut self.rows);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.frame_number.finish()),
            Arc::new(self.file_index.finish()),
            Arc::new(self.interface_id.finish()),
            Arc::new(self.link_type.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.cap_len.finish()),
            Arc::new(self.wire_len.finish()),
            Arc::new(self.truncated.finish()),
            self.decode_status.finish(),
            Arc::new(self.src_mac.finish()),
            Arc::new(self.dst_mac.finish()),
            self.dst_mac_kind.finish(),
            Arc::new(self.vlan_id.finish(n)),
            Arc::new(self.inner_vlan_id.finish(n)),
            Arc::new(self.vlan_pcp.finish(n)),
            Arc::new(self.vlan_tags.finish()),
            Arc::new(self.ethertype.finish()),
            Arc::new(self.l3_len.finish()),
            Arc::new(self.ip_version.finish()),
            Arc::new(self.src_ip.finish()),
            Arc::new(self.dst_ip.finish()),
            Arc::new(self.ip_proto.finish()),
            Arc::new(self.ip_len.finish()),
            Arc::new(self.ip_header_len.finish()),
            Arc::new(self.ttl.finish()),
            Arc::new(self.dscp.finish()),
            Arc::new(self.ecn.finish()),
            Arc::new(self.ip_id.finish()),
            Arc::new(self.df.finish()),
            Arc::new(self.mf.finish()),
            Arc::new(self.frag_offset.finish()),
            Arc::new(self.is_fragment.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.tcp_flags.finish()),
            Arc::new(self.tcp_seq.finish()),
            Arc::new(self.tcp_ack.finish()),
            Arc::new(self.tcp_window.finish()),
            Arc::new(self.tcp_mss.finish(n)),
            Arc::new(self.tcp_wscale.finish(n)),
            Arc::new(self.tcp_sack_permitted.finish()),
            Arc::new(self.tcp_sack_blocks.finish()),
            Arc::new(self.payload_len.finish()),
            Arc::new(self.icmp_type.finish(n)),
            Arc::new(self.icmp_code.finish(n)),
            Arc::new(self.icmp_id.finish(n)),
            Arc::new(self.icmp_seq.finish(n)),
            Arc::new(self.icmp_next_hop_mtu.finish(n)),
            Arc::new(self.icmp_quoted_src_ip.finish(n)),
            Arc::new(self.icmp_quoted_dst_ip.finish(n)),
            Arc::new(self.icmp_quoted_proto.finish(n)),
            Arc::new(self.icmp_quoted_src_port.finish(n)),
            Arc::new(self.icmp_quoted_dst_port.finish(n)),
            Arc::new(self.icmp_quoted_ip_len.finish(n)),
            Arc::new(self.icmp_quoted_ip_id.finish(n)),
            Arc::new(self.igmp_type.finish(n)),
            Arc::new(self.igmp_version.finish(n)),
            Arc::new(self.igmp_group.finish(n)),
            Arc::new(self.arp_opcode.finish(n)),
        ];
        finish_batch(&self.schema, columns)
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
