//! Arrow builders for each table. Column order here follows `schema.rs`; building a batch
//! checks names and types against the declaration, and the tests build every table.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::columns::{
    column_set, finish_checked, BoolColumn, FixedDictionary, SparseStrColumn, SparseU16Column,
    SparseU32Column, SparseU8Column, StrColumn, TimestampColumn, U16Column, U32Column, U64Column,
    U8Column,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// The frame's own facts (from the capture file, and its decode status): always built,
    /// cheap integers.
    Frame,
    Mac,
    Vlan,
    L3,
    IpAddr,
    Ip,
    Ports,
    Tcp,
    Payload,
    /// ICMP, IGMP and ARP: sparse columns, set only in frames of those protocols.
    Tail,
}

/// Which groups a builder fills (a flag per group; the frame's own facts always).
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
    tail: bool,
}

impl Groups {
    /// The flag of a group; None for the frame's own facts, always built.
    fn flag(&mut self, group: Group) -> Option<&mut bool> {
        Some(match group {
            Group::Frame => return None,
            Group::Mac => &mut self.mac,
            Group::Vlan => &mut self.vlan,
            Group::L3 => &mut self.l3,
            Group::IpAddr => &mut self.ip_addr,
            Group::Ip => &mut self.ip,
            Group::Ports => &mut self.ports,
            Group::Tcp => &mut self.tcp,
            Group::Payload => &mut self.payload,
            Group::Tail => &mut self.tail,
        })
    }

    /// Whether the group's columns are built.
    fn builds(mut self, group: Group) -> bool {
        self.flag(group).is_none_or(|on| *on)
    }

    /// The groups of the columns `p` keeps.
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
        for (i, group) in PacketColumns::GROUPS.iter().enumerate() {
            if let (true, Some(on)) = (p.has(i), g.flag(*group)) {
                *on = true;
            }
        }
        g
    }
}

/// Declares the accumulators of `packets` once, one line per column in the schema's order:
/// `name: accumulator = group, constructor;` where the constructor takes the rows to make
/// room for (none when the column's group is not built). Makes the struct, its construction,
/// the names and groups in order (`NAMES` is compared with `schema.rs` by a test) and the
/// finishing of one column by name. How each value is taken is `PacketsBuilder::append`'s.
macro_rules! packet_columns {
    ($($name:ident: $ty:ty = $group:ident, $init:expr;)*) => {
        struct PacketColumns {
            $($name: $ty,)*
        }

        impl PacketColumns {
            /// The columns, in the table's order.
            const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
            /// Each column's group, in the same order.
            const GROUPS: &'static [Group] = &[$(Group::$group),*];

            /// Room for `rows` rows in the columns of the groups `groups` builds.
            fn with_room(rows: usize, groups: Groups) -> PacketColumns {
                PacketColumns {
                    $($name: {
                        let make: fn(usize) -> $ty = $init;
                        make(if groups.builds(Group::$group) { rows } else { 0 })
                    },)*
                }
            }

            /// The array of the column `name` (`rows` rows); it starts over empty.
            fn finish_column(&mut self, name: &str, rows: usize) -> ArrayRef {
                match name {
                    $(stringify!($name) => finish_checked(&mut self.$name, rows, name),)*
                    other => unreachable!("packets has no column {other}"),
                }
            }
        }
    };
}

fn decode_status_column(rows: usize) -> FixedDictionary {
    let names: Vec<&str> = StopReason::ALL.iter().map(|r| r.name()).collect();
    FixedDictionary::new(&names, rows)
}

fn mac_kind_column(rows: usize) -> FixedDictionary {
    let names: Vec<&str> = MacKind::ALL.iter().map(|k| k.name()).collect();
    FixedDictionary::new(&names, rows)
}

// Address texts get room for an IPv4 text per row plus the 40-byte tail `push_prefix` copies.
packet_columns! {
    frame_number: U64Column = Frame, |n| U64Column::with_capacity(n);
    file_index: U32Column = Frame, |n| U32Column::with_capacity(n);
    interface_id: U32Column = Frame, |n| U32Column::with_capacity(n);
    link_type: U16Column = Frame, |n| U16Column::with_capacity(n);
    timestamp: TimestampColumn = Frame, |n| TimestampColumn::with_capacity(n);
    cap_len: U32Column = Frame, |n| U32Column::with_capacity(n);
    wire_len: U32Column = Frame, |n| U32Column::with_capacity(n);
    truncated: BoolColumn = Frame, |n| BoolColumn::with_capacity(n);
    decode_status: FixedDictionary = Frame, decode_status_column;
    src_mac: StrColumn = Mac, |n| StrColumn::with_capacity(n, n * 17);
    dst_mac: StrColumn = Mac, |n| StrColumn::with_capacity(n, n * 17);
    dst_mac_kind: FixedDictionary = Mac, mac_kind_column;
    vlan_id: SparseU16Column = Vlan, |_| Default::default();
    inner_vlan_id: SparseU16Column = Vlan, |_| Default::default();
    vlan_pcp: SparseU8Column = Vlan, |_| Default::default();
    vlan_tags: U8Column = Vlan, |n| U8Column::with_capacity(n);
    ethertype: U16Column = L3, |n| U16Column::with_capacity(n);
    l3_len: U32Column = L3, |n| U32Column::with_capacity(n);
    ip_version: U8Column = Ip, |n| U8Column::with_capacity(n);
    src_ip: StrColumn = IpAddr, |n| StrColumn::with_capacity(n, n * 13 + 64);
    dst_ip: StrColumn = IpAddr, |n| StrColumn::with_capacity(n, n * 13 + 64);
    ip_proto: U8Column = Ip, |n| U8Column::with_capacity(n);
    ip_len: U32Column = Ip, |n| U32Column::with_capacity(n);
    ip_header_len: U16Column = Ip, |n| U16Column::with_capacity(n);
    ttl: U8Column = Ip, |n| U8Column::with_capacity(n);
    dscp: U8Column = Ip, |n| U8Column::with_capacity(n);
    ecn: U8Column = Ip, |n| U8Column::with_capacity(n);
    ip_id: U32Column = Ip, |n| U32Column::with_capacity(n);
    df: BoolColumn = Ip, |n| BoolColumn::with_capacity(n);
    mf: BoolColumn = Ip, |n| BoolColumn::with_capacity(n);
    frag_offset: U32Column = Ip, |n| U32Column::with_capacity(n);
    is_fragment: BoolColumn = Ip, |n| BoolColumn::with_capacity(n);
    src_port: U16Column = Ports, |n| U16Column::with_capacity(n);
    dst_port: U16Column = Ports, |n| U16Column::with_capacity(n);
    tcp_flags: U16Column = Tcp, |n| U16Column::with_capacity(n);
    tcp_seq: U32Column = Tcp, |n| U32Column::with_capacity(n);
    tcp_ack: U32Column = Tcp, |n| U32Column::with_capacity(n);
    tcp_window: U16Column = Tcp, |n| U16Column::with_capacity(n);
    tcp_mss: SparseU16Column = Tcp, |_| Default::default();
    tcp_wscale: SparseU8Column = Tcp, |_| Default::default();
    tcp_sack_permitted: BoolColumn = Tcp, |n| BoolColumn::with_capacity(n);
    tcp_sack_blocks: U8Column = Tcp, |n| U8Column::with_capacity(n);
    payload_len: U32Column = Payload, |n| U32Column::with_capacity(n);
    icmp_type: SparseU8Column = Tail, |_| Default::default();
    icmp_code: SparseU8Column = Tail, |_| Default::default();
    icmp_id: SparseU16Column = Tail, |_| Default::default();
    icmp_seq: SparseU16Column = Tail, |_| Default::default();
    icmp_next_hop_mtu: SparseU32Column = Tail, |_| Default::default();
    icmp_quoted_src_ip: SparseStrColumn = Tail, |_| Default::default();
    icmp_quoted_dst_ip: SparseStrColumn = Tail, |_| Default::default();
    icmp_quoted_proto: SparseU8Column = Tail, |_| Default::default();
    icmp_quoted_src_port: SparseU16Column = Tail, |_| Default::default();
    icmp_quoted_dst_port: SparseU16Column = Tail, |_| Default::default();
    icmp_quoted_ip_len: SparseU32Column = Tail, |_| Default::default();
    icmp_quoted_ip_id: SparseU32Column = Tail, |_| Default::default();
    igmp_type: SparseU8Column = Tail, |_| Default::default();
    igmp_version: SparseU8Column = Tail, |_| Default::default();
    igmp_group: SparseStrColumn = Tail, |_| Default::default();
    arp_opcode: SparseU16Column = Tail, |_| Default::default();
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
    c: PacketColumns,
}

impl PacketsBuilder {
    pub fn new(capacity: usize) -> Self {
        Self::projected(capacity, Projection::all())
    }

    /// A builder of the columns of `projection` only (and of the rest of their groups, which
    /// `finish` drops); a group nobody asked for is never appended to, and gets no room.
    pub fn projected(capacity: usize, projection: Projection) -> Self {
        let groups = Groups::of(projection);
        PacketsBuilder {
            schema: projection.schema(),
            projection,
            groups,
            rows: 0,
            c: PacketColumns::with_room(capacity, groups),
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
        self.c.frame_number.append_value(m.frame_number);
        self.c.file_index.append_value(m.file_index);
        self.c.interface_id.append_value(m.interface_id);
        self.c.link_type.append_option(m.link_type);
        self.c.timestamp.append_option(m.timestamp_ns);
        self.c.cap_len.append_value(m.cap_len);
        self.c.wire_len.append_value(m.wire_len);
        self.c.truncated.append_value(m.cap_len < m.wire_len);
        self.c.decode_status.keys.append_value(d.status as i8);

        if g.mac {
            self.c.src_mac.append_mac_option(d.src_mac.as_ref());
            match &d.dst_mac {
                Some(mac) => {
                    self.c.dst_mac.append_mac(mac);
                    self.c
                        .dst_mac_kind
                        .keys
                        .append_value(MacKind::of(mac) as i8);
                }
                None => {
                    self.c.dst_mac.append_null();
                    self.c.dst_mac_kind.keys.append_null();
                }
            }
        }
        if g.vlan {
            if d.vlan_count > 0 {
                self.c.vlan_id.set(row, d.vlan_tags[0].vid);
                self.c.vlan_pcp.set(row, d.vlan_tags[0].pcp);
                if d.vlan_count > 1 {
                    self.c.inner_vlan_id.set(row, d.vlan_tags[1].vid);
                }
            }
            self.c.vlan_tags.append_value(d.vlan_count);
        }
        if g.l3 {
            self.c.ethertype.append_option(d.ethertype);
            self.c.l3_len.append_option(d.l3_len(m.wire_len));
        }
        if g.ip_addr {
            match &d.ip {
                Some(ip) => {
                    self.c.src_ip.append_ip(&ip.src);
                    self.c.dst_ip.append_ip(&ip.dst);
                }
                None => {
                    self.c.src_ip.append_null();
                    self.c.dst_ip.append_null();
                }
            }
        }
        if g.ip {
            self.append_ip(d);
        }
        if g.ports {
            match (&d.tcp, &d.udp) {
                (Some(t), _) => {
                    self.c.src_port.append_value(t.src_port);
                    self.c.dst_port.append_value(t.dst_port);
                }
                (None, Some(u)) => {
                    self.c.src_port.append_value(u.src_port);
                    self.c.dst_port.append_value(u.dst_port);
                }
                (None, None) => {
                    self.c.src_port.append_null();
                    self.c.dst_port.append_null();
                }
            }
        }
        if g.tcp {
            self.append_tcp(row, d);
        }
        if g.payload {
            self.c.payload_len.append_option(d.payload_len);
        }
        if g.tail {
            self.append_tail(row, d);
        }
    }

    fn append_ip(&mut self, d: &Decoded<'_>) {
        match &d.ip {
            Some(ip) => {
                self.c.ip_version.append_value(ip.version);
                self.c.ip_proto.append_value(ip.protocol);
                self.c.ip_len.append_option(ip.ip_len);
                self.c.ip_header_len.append_value(ip.header_len);
                self.c.ttl.append_value(ip.ttl);
                self.c.dscp.append_value(ip.dscp);
                self.c.ecn.append_value(ip.ecn);
                self.c.ip_id.append_option(ip.id);
                self.c.df.append_option(ip.dont_fragment);
                self.c.mf.append_option(ip.more_fragments);
                self.c.frag_offset.append_option(ip.frag_offset);
                self.c.is_fragment.append_value(ip.is_fragment);
            }
            None => {
                self.c.ip_version.append_null();
                self.c.ip_proto.append_null();
                self.c.ip_len.append_null();
                self.c.ip_header_len.append_null();
                self.c.ttl.append_null();
                self.c.dscp.append_null();
                self.c.ecn.append_null();
                self.c.ip_id.append_null();
                self.c.df.append_null();
                self.c.mf.append_null();
                self.c.frag_offset.append_null();
                self.c.is_fragment.append_null();
            }
        }
    }

    fn append_tcp(&mut self, row: usize, d: &Decoded<'_>) {
        match &d.tcp {
            Some(t) => {
                self.c.tcp_flags.append_value(t.flags);
                self.c.tcp_seq.append_value(t.seq);
                self.c.tcp_ack.append_value(t.ack);
                self.c.tcp_window.append_value(t.window);
                self.c.tcp_mss.set_option(row, t.options.mss);
                self.c.tcp_wscale.set_option(row, t.options.window_scale);
                self.c
                    .tcp_sack_permitted
                    .append_value(t.options.sack_permitted);
                self.c.tcp_sack_blocks.append_value(t.options.sack_blocks);
            }
            None => {
                self.c.tcp_flags.append_null();
                self.c.tcp_seq.append_null();
                self.c.tcp_ack.append_null();
                self.c.tcp_window.append_null();
                self.c.tcp_sack_permitted.append_null();
                self.c.tcp_sack_blocks.append_null();
            }
        }
    }

    /// ICMP, IGMP and ARP: sparse columns, set in the frames of those protocols only.
    fn append_tail(&mut self, row: usize, d: &Decoded<'_>) {
        if let Some(icmp) = &d.icmp {
            self.c.icmp_type.set(row, icmp.icmp_type);
            self.c.icmp_code.set(row, icmp.code);
            if let Some((id, seq)) = icmp.echo {
                self.c.icmp_id.set(row, id);
                self.c.icmp_seq.set(row, seq);
            }
            self.c.icmp_next_hop_mtu.set_option(row, icmp.next_hop_mtu);
            if let Some(q) = icmp.quoted {
                if let Some(a) = &q.src {
                    self.c.icmp_quoted_src_ip.set_ip(row, a);
                }
                if let Some(a) = &q.dst {
                    self.c.icmp_quoted_dst_ip.set_ip(row, a);
                }
                self.c.icmp_quoted_proto.set_option(row, q.protocol);
                self.c.icmp_quoted_src_port.set_option(row, q.src_port);
                self.c.icmp_quoted_dst_port.set_option(row, q.dst_port);
                self.c.icmp_quoted_ip_len.set_option(row, q.ip_len);
                self.c.icmp_quoted_ip_id.set_option(row, q.ip_id);
            }
        }
        if let Some(g) = &d.igmp {
            self.c.igmp_type.set(row, g.msg_type);
            self.c.igmp_version.set(row, g.version);
            if g.msg_type != igmp::V3_REPORT {
                self.c.igmp_group.set_ipv4(row, &g.group);
            }
        }
        if let Some(a) = &d.arp {
            self.c.arp_opcode.set(row, a.opcode);
        }
    }

    /// The batch of the rows so far (the projection's columns); the builder starts over.
    pub fn finish(&mut self) -> RecordBatch {
        let n = std::mem::take(&mut self.rows);
        let mut columns = Vec::with_capacity(PacketColumns::NAMES.len());
        for (i, (name, group)) in PacketColumns::NAMES
            .iter()
            .zip(PacketColumns::GROUPS)
            .enumerate()
        {
            if !self.groups.builds(*group) {
                continue; // nothing was appended: nothing to finish
            }
            let array = self.c.finish_column(name, n);
            if self.projection.has(i) {
                columns.push(array);
            }
        }
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

column_set! {
    /// The columns of `arp`.
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
}

column_set! {
    /// The columns of `igmp_records`.
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
}

column_set! {
    /// The columns of `nlb_heartbeats`.
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
            let rows = std::mem::take(&mut self.arp_rows);
            let columns = self.arp.finish_arrays(rows);
            out.push(("arp", finish_batch(&self.arp_schema, columns)));
        }
        if self.igmp_rows > 0 {
            let rows = std::mem::take(&mut self.igmp_rows);
            let columns = self.igmp.finish_arrays(rows);
            out.push(("igmp_records", finish_batch(&self.igmp_schema, columns)));
        }
        if self.nlb_rows > 0 {
            let rows = std::mem::take(&mut self.nlb_rows);
            let columns = self.nlb.finish_arrays(rows);
            out.push(("nlb_heartbeats", finish_batch(&self.nlb_schema, columns)));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(table: schema::TableDef) -> Vec<&'static str> {
        table.columns.iter().map(|c| c.name).collect()
    }

    #[test]
    fn every_column_set_follows_its_schema() {
        // a builder's column list and schema.rs's must agree name by name and in order: the
        // batches are put together by position
        assert_eq!(PacketColumns::NAMES, names(schema::packets()));
        assert_eq!(PacketColumns::GROUPS.len(), PacketColumns::NAMES.len());
        assert_eq!(ArpColumns::NAMES, names(schema::arp()));
        assert_eq!(IgmpColumns::NAMES, names(schema::igmp_records()));
        assert_eq!(NlbColumns::NAMES, names(schema::nlb_heartbeats()));
    }

    #[test]
    fn a_projection_builds_the_groups_of_its_columns_only() {
        let p = Projection::of(&["src_port", "wire_len"]).unwrap();
        let g = Groups::of(p);
        assert!(g.builds(Group::Ports) && g.builds(Group::Frame));
        for other in [
            Group::Mac,
            Group::IpAddr,
            Group::Ip,
            Group::Tcp,
            Group::Tail,
        ] {
            assert!(!g.builds(other), "{other:?}");
        }
        let mut b = PacketsBuilder::projected(4, p);
        let batch = b.finish();
        assert_eq!(batch.schema().fields().len(), 2);
        assert_eq!(batch.num_rows(), 0);
    }
}
