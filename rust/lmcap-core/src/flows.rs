//! The `flows` table: one row per TCP connection and UDP flow, built in the scan's in-order
//! pass.
//!
//! `python/lmcap/queries/flows.sql` is the specification: it computes the same table in SQL
//! over `packets`, and a test compares the two on every capture. Per-frame work splits like
//! the rest of the scan: [`FlowFrame::new`] picks out the few header fields the table needs
//! on the decode threads, and [`FlowTracker::frame`] folds them into per-flow state in frame
//! order. Everything is kept per physical direction (lower endpoint to higher, and back),
//! because who is client and server is only known at the end (a SYN may come late); rows are
//! made, ordered and numbered in [`FlowTracker::finish`].
//!
//! Memory: one [`Flow`] (under a kilobyte) per flow held open, whatever the number of
//! frames, and the flows held open are bounded the way nfstream and Suricata bound theirs:
//! - **Idle timeout in capture time.** A flow that has seen no frame for
//!   [`FLOW_IDLE_TIMEOUT_NS`] of capture time ([`UDP_IDLE_TIMEOUT_NS`] for UDP) is written
//!   out as a row. The clock is the
//!   earliest timestamp of each chunk, so one frame stamped decades ahead cannot expire
//!   everything.
//! - **Memcap.** Past [`MAX_OPEN_FLOWS`] flows, the eighth that has been idle longest is
//!   written out at once, before the next new flow is added (a SYN flood of 10 M 5-tuples
//!   holds 131,072 flows at most, not 10 M).
//!
//! A flow written out early that sends again starts a new row marked `resumed`: the
//! capture's counts are split between the two rows, never merged into a wrong one or
//! silently lost. [`FlowCounters`] counts what was written out early, and the first
//! [`EVICTED_REMEMBERED`] such flows are remembered for the `resumed` mark. Rows are numbered
//! in the order they are written: the early ones first, then the rest ordered by start time
//! as flows.sql orders them (so a capture within the bounds numbers its flows exactly as
//! flows.sql does). The only growth beyond that is [`PendingAcks::edges`], one entry per
//! acknowledgement that moves by exactly 2^31 while the direction it acknowledges has sent
//! nothing yet (crafted input only).

use ahash::{AHashMap as HashMap, AHashSet as HashSet, RandomState};
use std::net::IpAddr;

use arrow_array::{
    BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt16Array, UInt8Array,
};

use crate::decode::{Decoded, IPPROTO_TCP, IPPROTO_UDP};
use crate::evidence::tcp::{DirLoss, Oversize, Reset, Segment, TcpEvidence, MAX_RESETS};
use crate::frame::FrameMeta;
use crate::tables::columns::arr;
use crate::tables::schema;
use crate::tables::text;
use crate::wire::tcp::{ACK, FIN, RST, SYN};

/// Rows per emitted `flows` batch.
const BATCH_ROWS: usize = 65_536;

/// Flows held open at most (about 0.75 kB each with the map's share: some 100 MB). Far above
/// the flows of a migration capture, and of the 4 GiB bench capture (122 k).
pub const MAX_OPEN_FLOWS: usize = 1 << 17;

/// Capture time without a frame after which a flow is written out: Zeek's TCP inactivity
/// timeout is 5 min, nfstream's idle timeout 2 min; an SMB or migration connection idles
/// between transfers, so twice Zeek's.
pub const FLOW_IDLE_TIMEOUT_NS: i64 = 600 * 1_000_000_000;

/// The idle timeout of UDP flows: nfstream's idle timeout and Linux conntrack's for UDP
/// streams. UDP has no connection to idle between transfers; what sends once and stops (DNS,
/// NTP, the fragments of one datagram) would otherwise hold the map for ten minutes.
pub const UDP_IDLE_TIMEOUT_NS: i64 = 120 * 1_000_000_000;

/// How far capture time moves between two looks for idle flows (each look visits every
/// open flow).
const IDLE_SWEEP_NS: i64 = 10 * 1_000_000_000;

/// Flows written out early that are remembered so that their return is marked `resumed`
/// (8 bytes each: a hash of the flow's key).
pub const EVICTED_REMEMBERED: usize = 1 << 21;

/// Hosts whose announced MSS is remembered (oversize segments are judged against it).
pub const MAX_MSS_HOSTS: usize = 1 << 20;

/// What the bounds of the flow map wrote out early or forgot.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowCounters {
    /// Flows written out after [`FLOW_IDLE_TIMEOUT_NS`] ([`UDP_IDLE_TIMEOUT_NS`]) without a
    /// frame.
    pub idle_expired: u64,
    /// Flows written out because [`MAX_OPEN_FLOWS`] were open.
    pub memcap_evicted: u64,
    /// Rows that continue a flow written out earlier (`resumed`).
    pub resumed: u64,
    /// Flows written out early beyond [`EVICTED_REMEMBERED`], whose return cannot be marked.
    pub evicted_forgotten: u64,
    /// MSS announcements to hosts beyond [`MAX_MSS_HOSTS`], not remembered.
    pub mss_hosts_untracked: u64,
}

const HALF: i64 = 1 << 31;
const FULL: i64 = 1 << 32;

/// An endpoint: address and port.
type Ep = (IpAddr, u16);

/// The TCP fields `flows` reads.
#[derive(Debug, Clone, Copy)]
pub struct TcpBits {
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
}

/// What `flows` needs of one TCP/UDP frame (the frames flows.sql reads: `ip_proto` 6 or 17
/// with ports, so not later IP fragments).
#[derive(Debug, Clone, Copy)]
pub struct FlowFrame {
    pub timestamp_ns: Option<i64>,
    pub vlan: Option<u16>,
    pub proto: u8,
    pub src: Ep,
    pub dst: Ep,
    /// None for UDP.
    pub tcp: Option<TcpBits>,
    pub payload_len: u32,
    pub wire_len: u32,
    /// For the TCP loss evidence: the frame, its network-layer size, and whether it is an
    /// IP fragment.
    pub frame_number: u64,
    pub l3_len: Option<u32>,
    pub fragment: bool,
    /// IPv4 with total length 0 (an offload super-segment seen on the sending host).
    pub ip_len_missing: bool,
}

impl FlowFrame {
    pub fn new(meta: &FrameMeta, d: &Decoded<'_>) -> Option<FlowFrame> {
        let ip = d.ip?;
        let (src_port, dst_port, tcp) = match (ip.protocol, d.tcp, d.udp) {
            (IPPROTO_TCP, Some(t), _) => (
                t.src_port,
                t.dst_port,
                Some(TcpBits {
                    flags: t.flags,
                    seq: t.seq,
                    ack: t.ack,
                    window: t.window,
                    mss: t.options.mss,
                    wscale: t.options.window_scale,
                }),
            ),
            (IPPROTO_UDP, None, Some(u)) => (u.src_port, u.dst_port, None),
            _ => return None,
        };
        Some(FlowFrame {
            timestamp_ns: meta.timestamp_ns,
            vlan: d.outer_vlan(),
            proto: ip.protocol,
            src: (ip.src, src_port),
            dst: (ip.dst, dst_port),
            tcp,
            payload_len: d.payload_len.unwrap_or(0),
            wire_len: meta.wire_len,
            frame_number: meta.frame_number,
            l3_len: d.l3_len(meta.wire_len),
            fragment: ip.is_fragment,
            ip_len_missing: ip.version == 4 && ip.ip_len.is_none(),
        })
    }
}

/// Sequence numbers of one direction unwrapped as flows.sql does: relative to `base` modulo
/// 2^32, then shifted by 2^32 each time consecutive values step by more than 2^31.
#[derive(Debug, Clone, Copy)]
struct Walk {
    base: u32,
    last: u32,
    /// Unwrapped value of `last`.
    pos: i64,
}

impl Walk {
    fn new(base: u32, first: u32) -> Walk {
        Walk {
            base,
            last: first,
            pos: first.wrapping_sub(base) as i64,
        }
    }

    fn push(&mut self, raw: u32) -> i64 {
        let step = raw.wrapping_sub(self.base) as i64 - self.last.wrapping_sub(self.base) as i64;
        self.pos += step
            + if step < -HALF {
                FULL
            } else if step > HALF {
                -FULL
            } else {
                0
            };
        self.last = raw;
        self.pos
    }
}

/// Acknowledgements of a direction that has sent nothing yet, so whose first sequence number
/// (the base they are unwrapped against) is unknown. A step between consecutive values
/// unwraps to the same amount whatever the base, except a step of exactly 2^31, which goes
/// up or down depending on it: the walk is kept in segments split at such steps and put
/// together once the base is known.
#[derive(Debug, Clone)]
struct PendingAcks {
    first: u32,
    last: u32,
    /// Completed segments: highest position and end position relative to the segment start,
    /// and the raw value before the 2^31 step that ended it.
    edges: Vec<(i64, i64, u32)>,
    cur: i64,
    max: i64,
}

impl PendingAcks {
    fn new(first: u32) -> PendingAcks {
        PendingAcks {
            first,
            last: first,
            edges: Vec::new(),
            cur: 0,
            max: 0,
        }
    }

    fn push(&mut self, raw: u32) {
        let delta = raw.wrapping_sub(self.last);
        if delta == 1 << 31 {
            self.edges.push((self.max, self.cur, self.last));
            self.cur = 0;
            self.max = 0;
        } else {
            self.cur += if delta < 1 << 31 {
                delta as i64
            } else {
                delta as i64 - FULL
            };
            self.max = self.max.max(self.cur);
        }
        self.last = raw;
    }

    /// The walk as if the base had been known from the start, and its highest position.
    fn resolve(&self, base: u32) -> (Walk, i64) {
        let mut offset = self.first.wrapping_sub(base) as i64;
        let mut best = i64::MIN;
        for &(max, end, before) in &self.edges {
            best = best.max(offset + max);
            offset += end;
            offset += if before.wrapping_sub(base) < 1 << 31 {
                HALF
            } else {
                -HALF
            };
        }
        best = best.max(offset + self.max);
        offset += self.cur;
        let walk = Walk {
            base,
            last: self.last,
            pos: offset,
        };
        (walk, best)
    }
}

/// How far the other side acknowledged a direction's data.
#[derive(Debug, Clone, Default)]
enum Acked {
    #[default]
    None,
    Pending(Box<PendingAcks>),
    Known {
        walk: Walk,
        max: i64,
    },
}

/// Everything kept about one direction of a flow.
#[derive(Debug, Clone, Default)]
struct Dir {
    packets: i64,
    wire_bytes: i64,
    payload_bytes: i64,
    resets: i64,
    fins: i64,
    zero_windows: i64,
    /// Highest MSS / window scale on SYN or SYN-ACK segments.
    mss: Option<u16>,
    wscale: Option<u8>,
    /// The sequence walk (base: the direction's first sequence number, its ISN for acks).
    seq: Option<Walk>,
    /// Lowest unwrapped sequence number and highest end of data carrying segments.
    data_start: Option<i64>,
    data_end: Option<i64>,
    acked: Acked,
    /// Earliest SYN (without ACK) timestamp.
    syn_ts: Option<i64>,
    /// A SYN-ACK was seen from this side.
    synack_seen: bool,
    /// Earliest pure ACK (ACK without SYN) sent after the other side's first SYN-ACK.
    hs_ack_ts: Option<i64>,
    /// What the TCP loss evidence keeps of the direction.
    loss: DirLoss,
    /// Data segments larger than the wire could carry (see [`Oversize`]).
    oversize: Oversize,
}

impl Dir {
    fn ack(&mut self, raw: u32) {
        match &mut self.acked {
            Acked::None => match self.seq {
                Some(s) => {
                    let walk = Walk::new(s.base, raw);
                    self.acked = Acked::Known {
                        walk,
                        max: walk.pos,
                    }
                }
                None => self.acked = Acked::Pending(Box::new(PendingAcks::new(raw))),
            },
            Acked::Pending(p) => p.push(raw),
            Acked::Known { walk, max } => *max = (*max).max(walk.push(raw)),
        }
    }

    fn ack_end(&self) -> Option<i64> {
        match self.acked {
            Acked::Known { max, .. } => Some(max),
            _ => None,
        }
    }
}

/// One flow: the two directions, [0] from the lower endpoint, [1] from the higher.
#[derive(Debug, Clone)]
struct Flow {
    /// The client by the port rule, from the first frame.
    port_client: Ep,
    /// Source of the first SYN; destination of the first SYN-ACK.
    syn_client: Option<Ep>,
    synack_client: Option<Ep>,
    /// Outer VLAN of the first tagged frame.
    vlan: Option<u16>,
    start: Option<i64>,
    end: Option<i64>,
    dirs: [Dir; 2],
    /// The first resets (for the TCP loss evidence).
    resets: Vec<Reset>,
    /// This flow was written out early before and came back: its row continues that one.
    resumed: bool,
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.max(b)
}

type Key = (u8, Ep, Ep);

/// The in-order stage that builds `flows`: feed it every [`FlowFrame`] in frame order, then
/// call [`FlowTracker::finish`] once.
#[derive(Default)]
pub struct FlowTracker {
    /// Boxed: a map of 2^n buckets holds its entries inline, and a `Flow` is ~700 bytes, so
    /// a half-empty map after growing would cost hundreds of MB of buckets.
    flows: HashMap<Key, Box<Flow>>,
    /// Rows written out early, until the in-order pass takes them as a batch.
    written: Vec<Row>,
    /// Rows numbered so far.
    numbered: i64,
    /// Hashes of the keys of flows written out early (see [`EVICTED_REMEMBERED`]).
    evicted: HashSet<u64>,
    /// Hashes keys for `evicted`, with fixed seeds so a run is reproducible.
    key_hasher: RandomState,
    /// Capture time of the last look for idle flows.
    last_sweep_ns: Option<i64>,
    pub counters: FlowCounters,
    /// Segments with a network-layer packet above this are oversize (the scan's
    /// `switch_max_frame`).
    switch_max_frame: u32,
    /// The highest MSS announced to each host so far (on SYN or SYN-ACK segments sent to
    /// it): what its segments must not exceed on the wire. Per host, not per connection, so a
    /// connection whose handshake the capture missed is judged too.
    host_mss: HashMap<IpAddr, u16>,
    /// The TCP loss evidence, built from the same per-direction state.
    pub tcp: TcpEvidence,
}

impl FlowTracker {
    pub fn new(switch_max_frame: u32) -> Self {
        FlowTracker {
            switch_max_frame,
            key_hasher: RandomState::with_seeds(1, 2, 3, 4),
            ..Self::default()
        }
    }

    fn key_hash(&self, key: &Key) -> u64 {
        self.key_hasher.hash_one(key)
    }

    /// Write out the flows idle for [`FLOW_IDLE_TIMEOUT_NS`] ([`UDP_IDLE_TIMEOUT_NS`] for UDP)
    /// at capture time `now_ns` (the
    /// earliest timestamp of the chunk just folded in). Call after each chunk.
    pub fn expire(&mut self, now_ns: Option<i64>) {
        if let Some(now) = now_ns {
            let due = self
                .last_sweep_ns
                .is_none_or(|t| now.saturating_sub(t) >= IDLE_SWEEP_NS);
            if due {
                self.last_sweep_ns = Some(now);
                let tcp_limit = now.saturating_sub(FLOW_IDLE_TIMEOUT_NS);
                let udp_limit = now.saturating_sub(UDP_IDLE_TIMEOUT_NS);
                let idle: Vec<Key> = self
                    .flows
                    .iter()
                    .filter(|(k, f)| {
                        let limit = if k.0 == IPPROTO_UDP {
                            udp_limit
                        } else {
                            tcp_limit
                        };
                        f.end.is_some_and(|e| e < limit)
                    })
                    .map(|(k, _)| *k)
                    .collect();
                self.counters.idle_expired += idle.len() as u64;
                self.write_early(idle);
            }
        }
    }

    /// Write out the eighth of the open flows idle longest (no timestamp counts as the
    /// oldest): called when a new flow would pass [`MAX_OPEN_FLOWS`], so the map never holds
    /// more, and the select over every flow is paid once per eighth of new flows.
    fn evict_longest_idle(&mut self) {
        let mut by_end: Vec<(i64, Key)> = self
            .flows
            .iter()
            .map(|(k, f)| (f.end.unwrap_or(i64::MIN), *k))
            .collect();
        let n = by_end.len() / 8;
        by_end.select_nth_unstable(n);
        let keys: Vec<Key> = by_end[..=n].iter().map(|(_, k)| *k).collect();
        self.counters.memcap_evicted += keys.len() as u64;
        self.write_early(keys);
    }

    /// Close these flows into rows now, numbered next, and remember them.
    fn write_early(&mut self, keys: Vec<Key>) {
        if keys.is_empty() {
            return;
        }
        let mut closed = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(flow) = self.flows.remove(&key) else {
                continue;
            };
            if self.evicted.len() < EVICTED_REMEMBERED {
                let hash = self.key_hash(&key);
                self.evicted.insert(hash);
            } else {
                self.counters.evicted_forgotten += 1;
            }
            closed.push((key, flow));
        }
        let mut rows = self.rows(closed);
        self.written.append(&mut rows);
    }

    /// The `flows` batches of the rows written out early so far, all of them: rows wait in
    /// Arrow (a fifth of their size here) rather than in this tracker until a batch fills.
    pub fn take_batches(&mut self) -> Vec<RecordBatch> {
        let mut out = Vec::new();
        while !self.written.is_empty() {
            let n = self.written.len().min(BATCH_ROWS);
            let rows: Vec<Row> = self.written.drain(..n).collect();
            out.push(batch(&rows, self.numbered));
            self.numbered += rows.len() as i64;
        }
        out
    }

    pub fn frame(&mut self, f: &FlowFrame) {
        let (lo, hi, d) = if f.src <= f.dst {
            (f.src, f.dst, 0)
        } else {
            (f.dst, f.src, 1)
        };
        let key = (f.proto, lo, hi);
        if self.flows.len() >= MAX_OPEN_FLOWS && !self.flows.contains_key(&key) {
            self.evict_longest_idle();
        }
        // one lookup per frame (the entry), not two (was there one, then get it)
        let (evicted, key_hasher, counters) = (&self.evicted, &self.key_hasher, &mut self.counters);
        let flow = self.flows.entry(key).or_insert_with(|| {
            let resumed = !evicted.is_empty() && evicted.contains(&key_hasher.hash_one(key));
            counters.resumed += u64::from(resumed);
            Box::new(Flow {
                port_client: if f.src.1 < f.dst.1 { f.dst } else { f.src },
                syn_client: None,
                synack_client: None,
                vlan: None,
                start: None,
                end: None,
                dirs: Default::default(),
                resets: Vec::new(),
                resumed,
            })
        });
        if flow.vlan.is_none() {
            flow.vlan = f.vlan;
        }
        flow.start = min_opt(flow.start, f.timestamp_ns);
        flow.end = max_opt(flow.end, f.timestamp_ns);
        let [d0, d1] = &mut flow.dirs;
        let (me, other) = if d == 0 { (d0, d1) } else { (d1, d0) };
        me.packets += 1;
        me.wire_bytes += i64::from(f.wire_len);
        me.payload_bytes += i64::from(f.payload_len);
        let Some(t) = f.tcp else { return };
        let syn_ack = t.flags & (SYN | ACK);
        if syn_ack == SYN {
            flow.syn_client.get_or_insert(f.src);
            me.syn_ts = min_opt(me.syn_ts, f.timestamp_ns);
        } else if syn_ack == SYN | ACK {
            flow.synack_client.get_or_insert(f.dst);
            me.synack_seen = true;
        } else if syn_ack == ACK && other.synack_seen {
            me.hs_ack_ts = min_opt(me.hs_ack_ts, f.timestamp_ns);
        }
        if t.flags & RST != 0 {
            me.resets += 1;
            if flow.resets.len() < MAX_RESETS {
                flow.resets.push((f.timestamp_ns, f.frame_number, f.src.0));
            } else {
                self.tcp.counters.resets_dropped += 1;
            }
        }
        if t.flags & FIN != 0 {
            me.fins += 1;
        }
        if t.flags & SYN != 0 {
            me.mss = me.mss.max(t.mss);
            me.wscale = me.wscale.max(t.wscale);
            if let Some(m) = t.mss {
                if let Some(host) = self.host_mss.get_mut(&f.dst.0) {
                    *host = (*host).max(m);
                } else if self.host_mss.len() < MAX_MSS_HOSTS {
                    self.host_mss.insert(f.dst.0, m);
                } else {
                    self.counters.mss_hosts_untracked += 1;
                }
            }
        }
        if t.window == 0 && t.flags & (FIN | SYN | RST) == 0 {
            me.zero_windows += 1;
        }
        let aseq = match &mut me.seq {
            Some(w) => w.push(t.seq),
            None => {
                let w = Walk::new(t.seq, t.seq);
                me.seq = Some(w);
                if let Acked::Pending(p) = &me.acked {
                    let (walk, max) = p.resolve(t.seq);
                    me.acked = Acked::Known { walk, max };
                }
                w.pos
            }
        };
        if f.payload_len > 0 {
            me.data_start = min_opt(me.data_start, Some(aseq));
            me.data_end = max_opt(me.data_end, Some(aseq + i64::from(f.payload_len)));
            let seg = Segment {
                frame_number: f.frame_number,
                timestamp_ns: f.timestamp_ns,
                vlan: f.vlan,
                src: f.src,
                dst: f.dst,
                seq: t.seq,
                rel: aseq,
                len: f.payload_len,
                l3_len: f.l3_len,
                fragment: f.fragment,
            };
            let acked = me.ack_end();
            if let Some(r) = me.loss.data(&seg, acked, &mut self.tcp.counters) {
                self.tcp.resend(&seg, r);
            }
            // larger than a switch passes, no IPv4 length, or more than any peer's MSS allows
            if f.l3_len.is_some_and(|l| l > self.switch_max_frame)
                || f.ip_len_missing
                || self
                    .host_mss
                    .get(&f.src.0)
                    .is_some_and(|m| f.payload_len > u32::from(*m))
            {
                me.oversize.add(&seg);
            }
        } else {
            me.loss.control(f.l3_len);
        }
        if t.flags & ACK != 0 {
            other.ack(t.ack);
            if let Some(a) = other.ack_end() {
                other.loss.acked(a, &mut self.tcp.counters);
            }
        }
    }

    /// The rest of the `flows` table: the rows written out early and not yet emitted, then
    /// every flow still open, ordered as flows.sql orders them (start time, then the
    /// endpoints as text, then the protocol), numbered after the early ones. The tracker is
    /// empty afterwards.
    pub fn finish(&mut self) -> Vec<RecordBatch> {
        let open: Vec<(Key, Box<Flow>)> = std::mem::take(&mut self.flows).into_iter().collect();
        let mut rows = std::mem::take(&mut self.written);
        rows.extend(self.rows(open));
        let mut out = Vec::new();
        for chunk in rows.chunks(BATCH_ROWS) {
            out.push(batch(chunk, self.numbered));
            self.numbered += chunk.len() as i64;
        }
        out
    }

    /// Rows of these flows, in flows.sql's order, their TCP loss evidence finished.
    fn rows(&mut self, mut flows: Vec<(Key, Box<Flow>)>) -> Vec<Row> {
        for ((proto, lo, hi), flow) in flows.iter_mut() {
            if *proto != IPPROTO_TCP {
                continue;
            }
            for (d, (src, dst)) in [(*lo, *hi), (*hi, *lo)].into_iter().enumerate() {
                let peer_mss = self.host_mss.get(&src.0).copied();
                let dir = &mut flow.dirs[d];
                let loss = std::mem::take(&mut dir.loss);
                self.tcp
                    .finish_direction(src, dst, loss, dir.ack_end(), &flow.resets);
                self.tcp.oversize(src, dst, &dir.oversize, peer_mss);
            }
        }
        let mut ip = String::new();
        let mut texts = |ep: &Ep| {
            text::ip_into(&ep.0, &mut ip);
            let ep_text = if ep.0.is_ipv6() {
                format!("[{ip}]:{}", ep.1)
            } else {
                format!("{ip}:{}", ep.1)
            };
            Texts {
                ip: ip.clone(),
                port: ep.1,
                ep: ep_text,
            }
        };
        let mut rows: Vec<Row> = flows
            .into_iter()
            .map(|((proto, lo, hi), flow)| Row::new(proto, lo, texts(&lo), texts(&hi), *flow))
            .collect();
        rows.sort_unstable_by(|a, b| {
            // NULL start times last, as DuckDB orders them.
            (a.start.is_none(), a.start, &a.ep_a, &a.ep_b, a.proto).cmp(&(
                b.start.is_none(),
                b.start,
                &b.ep_a,
                &b.ep_b,
                b.proto,
            ))
        });
        rows
    }
}

/// One finished row of `flows` (columns in schema order).
struct Row {
    proto: u8,
    ep_a: String,
    ep_b: String,
    client: String,
    server: String,
    client_ip: String,
    client_port: u16,
    server_ip: String,
    server_port: u16,
    vlan: Option<u16>,
    start: Option<i64>,
    end: Option<i64>,
    syn_seen: bool,
    resumed: bool,
    c2s: DirRow,
    s2c: DirRow,
}

/// What a row keeps of a direction: its figures, not the state that made them (a [`Dir`] is
/// twice the size, and rows written out early wait for a full batch).
struct DirRow {
    packets: i64,
    wire_bytes: i64,
    payload_bytes: i64,
    resets: i64,
    fins: i64,
    zero_windows: i64,
    mss: Option<u16>,
    wscale: Option<u8>,
    data_start: Option<i64>,
    data_end: Option<i64>,
    ack_end: Option<i64>,
    syn_ts: Option<i64>,
    hs_ack_ts: Option<i64>,
}

impl DirRow {
    fn new(d: &Dir) -> DirRow {
        DirRow {
            packets: d.packets,
            wire_bytes: d.wire_bytes,
            payload_bytes: d.payload_bytes,
            resets: d.resets,
            fins: d.fins,
            zero_windows: d.zero_windows,
            mss: d.mss,
            wscale: d.wscale,
            data_start: d.data_start,
            data_end: d.data_end,
            ack_end: d.ack_end(),
            syn_ts: d.syn_ts,
            hs_ack_ts: d.hs_ack_ts,
        }
    }
}

/// An endpoint as text: its address, its port, and `ip:port` (`[ip]:port` for IPv6).
#[derive(Clone)]
struct Texts {
    ip: String,
    port: u16,
    ep: String,
}

impl Row {
    fn new(proto: u8, lo: Ep, lo_text: Texts, hi_text: Texts, flow: Flow) -> Row {
        let client = flow
            .syn_client
            .or(flow.synack_client)
            .unwrap_or(flow.port_client);
        let [d0, d1] = flow.dirs;
        let (ep_a, ep_b) = if lo_text.ep <= hi_text.ep {
            (lo_text.ep.clone(), hi_text.ep.clone())
        } else {
            (hi_text.ep.clone(), lo_text.ep.clone())
        };
        // Direction 0 is sent by `lo`: it is client to server when `lo` is the client.
        let (c2s, s2c, c, s) = if client == lo {
            (d0, d1, lo_text, hi_text)
        } else {
            (d1, d0, hi_text, lo_text)
        };
        Row {
            proto,
            ep_a,
            ep_b,
            client: c.ep,
            server: s.ep,
            client_ip: c.ip,
            client_port: c.port,
            server_ip: s.ip,
            server_port: s.port,
            vlan: flow.vlan,
            start: flow.start,
            end: flow.end,
            syn_seen: flow.syn_client.is_some() || flow.synack_client.is_some(),
            resumed: flow.resumed,
            c2s: DirRow::new(&c2s),
            s2c: DirRow::new(&s2c),
        }
    }

    fn tcp(&self) -> bool {
        self.proto == IPPROTO_TCP
    }

    fn class(&self) -> &'static str {
        let (c, s) = (self.client_port, self.server_port);
        match self.proto {
            IPPROTO_TCP if s == 6600 => "live-migration-tcp",
            IPPROTO_TCP if s == 445 => "smb",
            IPPROTO_TCP if s == 5445 => "smb-direct-iwarp",
            IPPROTO_UDP if s == 4791 || c == 4791 => "roce-v2",
            IPPROTO_UDP if s == 3343 || c == 3343 => "cluster-heartbeat",
            _ => "other",
        }
    }

    /// Bytes of sequence space a direction's data covered (UDP: its payload bytes).
    fn unique(&self, d: &DirRow) -> i64 {
        if !self.tcp() {
            return d.payload_bytes;
        }
        match (d.data_start, d.data_end) {
            (Some(s), Some(e)) => e - s,
            _ => 0,
        }
    }

    fn retrans(&self, d: &DirRow) -> i64 {
        if self.tcp() {
            (d.payload_bytes - self.unique(d)).max(0)
        } else {
            0
        }
    }

    fn unacked(&self, d: &DirRow) -> i64 {
        match d.data_end {
            Some(end) if self.tcp() => (end - d.ack_end.unwrap_or(0)).max(0),
            _ => 0,
        }
    }

    fn handshake_rtt_ms(&self) -> Option<f64> {
        let (syn, ack) = (self.c2s.syn_ts?, self.c2s.hs_ack_ts?);
        // DuckDB's round(x, 3): round(x * 1000) / 1000, half away from zero.
        Some((((ack - syn) as f64 / 1e6) * 1000.0).round() / 1000.0)
    }
}

fn batch(rows: &[Row], first_id: i64) -> RecordBatch {
    let r = || rows.iter();
    let i64s = |f: &dyn Fn(&Row) -> i64| arr(Int64Array::from_iter_values(r().map(f)));
    let columns = vec![
        arr(Int64Array::from_iter_values(
            (0..rows.len() as i64).map(|i| first_id + i + 1),
        )),
        arr(StringArray::from_iter_values(r().map(|x| {
            if x.tcp() {
                "tcp"
            } else {
                "udp"
            }
        }))),
        arr(StringArray::from_iter_values(r().map(|x| x.class()))),
        arr(StringArray::from_iter_values(
            r().map(|x| x.client.as_str()),
        )),
        arr(StringArray::from_iter_values(
            r().map(|x| x.server.as_str()),
        )),
        arr(StringArray::from_iter_values(
            r().map(|x| x.client_ip.as_str()),
        )),
        arr(UInt16Array::from_iter_values(r().map(|x| x.client_port))),
        arr(StringArray::from_iter_values(
            r().map(|x| x.server_ip.as_str()),
        )),
        arr(UInt16Array::from_iter_values(r().map(|x| x.server_port))),
        arr(UInt16Array::from_iter(r().map(|x| x.vlan))),
        arr(Int64Array::from_iter(r().map(|x| x.start))),
        arr(Int64Array::from_iter(r().map(|x| x.end))),
        arr(Float64Array::from_iter(r().map(|x| {
            let (s, e) = (x.start?, x.end?);
            Some((i128::from(e) - i128::from(s)) as f64 / 1e9)
        }))),
        i64s(&|x| x.c2s.packets),
        i64s(&|x| x.s2c.packets),
        i64s(&|x| x.c2s.wire_bytes),
        i64s(&|x| x.s2c.wire_bytes),
        i64s(&|x| x.c2s.payload_bytes),
        i64s(&|x| x.s2c.payload_bytes),
        i64s(&|x| x.unique(&x.c2s)),
        i64s(&|x| x.unique(&x.s2c)),
        i64s(&|x| x.retrans(&x.c2s)),
        i64s(&|x| x.retrans(&x.s2c)),
        i64s(&|x| x.c2s.resets),
        i64s(&|x| x.s2c.resets),
        i64s(&|x| x.c2s.fins),
        i64s(&|x| x.s2c.fins),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.syn_seen)))),
        arr(UInt16Array::from_iter(r().map(|x| x.c2s.mss))),
        arr(UInt16Array::from_iter(r().map(|x| x.s2c.mss))),
        arr(UInt8Array::from_iter(r().map(|x| x.c2s.wscale))),
        arr(UInt8Array::from_iter(r().map(|x| x.s2c.wscale))),
        i64s(&|x| x.c2s.zero_windows),
        i64s(&|x| x.s2c.zero_windows),
        arr(Float64Array::from_iter(r().map(|x| x.handshake_rtt_ms()))),
        i64s(&|x| x.unacked(&x.c2s)),
        i64s(&|x| x.unacked(&x.s2c)),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.resumed)))),
    ];
    RecordBatch::try_new(schema::flows().schema(), columns).expect("flows follows schema.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unwrapping of flows.sql, written out over a whole sequence.
    fn sql_walk(base: u32, raws: &[u32]) -> Vec<i64> {
        let mut wraps = 0i64;
        let mut out = Vec::new();
        let mut prev: Option<i64> = None;
        for &raw in raws {
            let r = raw.wrapping_sub(base) as i64;
            if let Some(p) = prev {
                let step = r - p;
                wraps += if step < -HALF {
                    1
                } else if step > HALF {
                    -1
                } else {
                    0
                };
            }
            prev = Some(r);
            out.push(r + FULL * wraps);
        }
        out
    }

    #[test]
    fn walk_unwraps_like_the_sql() {
        let raws = [
            4_000_000_000,
            4_294_967_000,
            100,
            2_147_483_748,
            100,
            3_000_000_000,
            1 << 31,
            0,
            (1 << 31) + 5,
            5,
        ];
        for base in [0, 1, 100, 4_000_000_000, 1 << 31, (1 << 31) + 7, u32::MAX] {
            let want = sql_walk(base, &raws);
            let mut w = Walk::new(base, raws[0]);
            let mut got = vec![w.pos];
            got.extend(raws[1..].iter().map(|&r| w.push(r)));
            assert_eq!(got, want, "base {base}");
            // The same acknowledgements, seen before the base was known.
            let mut p = PendingAcks::new(raws[0]);
            raws[1..].iter().for_each(|&r| p.push(r));
            let (walk, max) = p.resolve(base);
            assert_eq!(walk.pos, *want.last().unwrap(), "base {base}");
            assert_eq!(max, *want.iter().max().unwrap(), "base {base}");
        }
    }
}
