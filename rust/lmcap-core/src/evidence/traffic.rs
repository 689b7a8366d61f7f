//! The `traffic` evidence table: frames, bytes and sizes summed per time bucket, VLAN, MAC pair,
//! IP direction (addresses, protocol, ports) and MTU size class, built while the frames pass.
//!
//! It is the grain most questions of `lmcap analyze` share: traffic per VLAN, per NIC (source
//! MAC), per host pair, per flow direction and time bucket, frames per size class, the largest
//! frame. Each of those is a GROUP BY over this table instead of a scan of every packet, and
//! the table grows with flows × buckets, not with frames. `python/lmcap/queries/traffic.sql`
//! computes it in SQL over `packets`: it is the specification, and a test compares the two on
//! every capture.
//!
//! Work splits like the rest of the scan: each decode thread sums its chunk of frames into a
//! [`TrafficChunk`] (in parallel), and the in-order pass merges the chunks and writes out the
//! rows of buckets that are over. A row is written once no frame can add to it any more, so
//! memory holds only the buckets still open:
//! - **Watermark.** After each chunk, rows of buckets older than the chunk's earliest bucket
//!   minus one are closed. The earliest, not the latest: one frame stamped decades ahead (a
//!   clock glitch) must not close everything else early.
//! - **Cap.** When more than [`MAX_OPEN_ROWS`] rows are open (a flood of distinct addresses or
//!   ports), all open rows are written at once and the flush is counted. Nothing is lost: a
//!   key met again afterwards (or a frame arriving after its bucket closed) starts a new row,
//!   so a key can appear in more than one row; every consumer sums over its GROUP BY.
//!
//! **Adaptive width** ([`TrafficParams::adaptive`], what `lmcap analyze` uses unless told a
//! bucket): the width starts at [`ADAPTIVE_MIN_BUCKET_NS`] and the closed rows are held
//! back. Whenever more than [`HELD_MAX_ROWS`] rows are held or open, every row is cut ten
//! times coarser (widths nest, so the sums are exact) until [`ADAPTIVE_MAX_BUCKET_NS`]; past
//! that the held rows are written and the table streams out as a fixed-width one does. A
//! short capture thus keeps 1 ms detail (a two-second migration spans enough buckets for its
//! spread to mean something) and a long one ends at 1 s with the memory of a fixed 1 s scan
//! plus the held rows. The framing side reads the current width from a shared atomic, so a
//! chunk is cut at most one step finer than the tracker (and re-keyed when it is merged).

use ahash::AHashMap as HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, UInt16Array, UInt8Array};

use crate::decode::Decoded;
use crate::frame::FrameMeta;
use crate::tables::schema;
use crate::tables::text;

/// The largest network-layer packet of a standard Ethernet MTU.
pub const STANDARD_MAX_L3: u32 = 1500;
/// The largest network-layer packet of the usual jumbo MTU (9000); above it is oversize.
pub const JUMBO_MAX_L3: u32 = 9000;

/// Open rows past which everything open is written out: about 280 bytes each in a map of
/// 2^n buckets, so some 37 MB when full. Two open buckets of the 1 GiB bench capture hold
/// about 24 k rows; a flood of distinct addresses fills it and is written out in pieces
/// (rows of a key then split, never lost).
pub const MAX_OPEN_ROWS: usize = 1 << 16;

/// Rows per emitted batch.
const BATCH_ROWS: usize = 65_536;

/// The first width of an adaptive scan: the finest bucket `--bucket` accepts.
pub const ADAPTIVE_MIN_BUCKET_NS: i64 = 1_000_000;
/// The coarsest width an adaptive scan goes to (the fixed default): past it rows stream out.
pub const ADAPTIVE_MAX_BUCKET_NS: i64 = 1_000_000_000;
/// Each coarsening cuts ten buckets into one: 1 ms, 10 ms, 100 ms, 1 s.
const ADAPTIVE_STEP: i64 = 10;
/// Rows an adaptive scan holds (closed and open) before it cuts coarser: about 220 bytes
/// each, so some 15 MB at most. Enough for what the fine widths are for: a capture of a
/// short transfer (a two-second migration over four NICs at 1 ms: 16 k rows) keeps them,
/// while a long or busy one leaves them within its first chunks (the 1 GiB bench capture,
/// 34 k flows over 60 s, is at 1 s after a few seconds of capture time: the decode threads'
/// chunks are larger at fine widths, and four times this bound cost a quarter more scan time).
pub const HELD_MAX_ROWS: usize = 1 << 16;

/// The analysis parameters the table is cut by, fixed for a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficParams {
    /// Time bucket width in nanoseconds (the first width of an adaptive scan).
    pub bucket_ns: i64,
    /// Frames with a `wire_len` above this are counted in `over_switch_max`.
    pub switch_max_frame: u32,
    /// Choose the width from the capture (see the module's *Adaptive width*): start at
    /// [`ADAPTIVE_MIN_BUCKET_NS`] and cut coarser as the rows grow; `bucket_ns` is ignored.
    pub adaptive: bool,
}

impl Default for TrafficParams {
    fn default() -> Self {
        TrafficParams {
            bucket_ns: 1_000_000_000,
            switch_max_frame: 9216,
            adaptive: false,
        }
    }
}

impl TrafficParams {
    /// The width the scan starts with.
    pub fn first_width(&self) -> i64 {
        if self.adaptive {
            ADAPTIVE_MIN_BUCKET_NS
        } else {
            self.bucket_ns.max(1)
        }
    }
}

/// The width buckets are cut at now, shared by the framing side (which stamps it on each
/// chunk) and the in-order pass (which changes it in an adaptive scan).
#[derive(Debug, Clone)]
pub struct TrafficWidth(Arc<AtomicI64>);

impl TrafficWidth {
    pub fn new(params: &TrafficParams) -> TrafficWidth {
        TrafficWidth(Arc::new(AtomicI64::new(params.first_width())))
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, ns: i64) {
        self.0.store(ns, Ordering::Relaxed)
    }
}

/// MTU size class of a network-layer packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
enum SizeClass {
    Standard,
    Jumbo,
    Oversize,
}

impl SizeClass {
    fn of(l3_len: u32) -> SizeClass {
        if l3_len <= STANDARD_MAX_L3 {
            SizeClass::Standard
        } else if l3_len <= JUMBO_MAX_L3 {
            SizeClass::Jumbo
        } else {
            SizeClass::Oversize
        }
    }

    fn name(self) -> &'static str {
        match self {
            SizeClass::Standard => "standard",
            SizeClass::Jumbo => "jumbo",
            SizeClass::Oversize => "oversize",
        }
    }
}

/// What a row is summed over: the grain of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    bucket: Option<i64>,
    vlan: Option<u16>,
    src_mac: Option<[u8; 6]>,
    dst_mac: Option<[u8; 6]>,
    src_ip: Option<IpAddr>,
    dst_ip: Option<IpAddr>,
    ip_proto: Option<u8>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    size_class: Option<SizeClass>,
    link_type: Option<u16>,
}

impl SizeClass {
    fn from_code(code: u64) -> SizeClass {
        match code {
            0 => SizeClass::Standard,
            1 => SizeClass::Jumbo,
            _ => SizeClass::Oversize,
        }
    }
}

/// A [`Key`] packed into eight words, as the maps hold it: hashed as one 64-byte run and
/// compared word by word, rather than field by optional field (hashing and comparing the
/// eleven-field key took a fifth of the scan's time). Words: bucket; source address (two);
/// destination address (two); source MAC and VLAN; destination MAC and link type; ports,
/// protocol, size class and which fields are present ([`present`] bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PackedKey([u64; 8]);

/// Bits of the presence mask in the last word of a [`PackedKey`].
mod present {
    pub const BUCKET: u64 = 1;
    pub const VLAN: u64 = 1 << 1;
    pub const SRC_MAC: u64 = 1 << 2;
    pub const DST_MAC: u64 = 1 << 3;
    pub const SRC_V4: u64 = 1 << 4;
    pub const SRC_V6: u64 = 1 << 5;
    pub const DST_V4: u64 = 1 << 6;
    pub const DST_V6: u64 = 1 << 7;
    pub const IP_PROTO: u64 = 1 << 8;
    pub const SRC_PORT: u64 = 1 << 9;
    pub const DST_PORT: u64 = 1 << 10;
    pub const SIZE_CLASS: u64 = 1 << 11;
    pub const LINK_TYPE: u64 = 1 << 12;
}

fn ip_words(ip: Option<IpAddr>, v4_bit: u64, v6_bit: u64, mask: &mut u64) -> [u64; 2] {
    let bytes = match ip {
        None => return [0, 0],
        Some(IpAddr::V4(a)) => {
            *mask |= v4_bit;
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&a.octets());
            b
        }
        Some(IpAddr::V6(a)) => {
            *mask |= v6_bit;
            a.octets()
        }
    };
    let (hi, lo) = bytes.split_at(8);
    [
        u64::from_le_bytes(hi.try_into().expect("8 bytes")),
        u64::from_le_bytes(lo.try_into().expect("8 bytes")),
    ]
}

fn ip_of(words: [u64; 2], mask: u64, v4_bit: u64, v6_bit: u64) -> Option<IpAddr> {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&words[0].to_le_bytes());
    bytes[8..].copy_from_slice(&words[1].to_le_bytes());
    if mask & v4_bit != 0 {
        let v4: [u8; 4] = bytes[..4].try_into().expect("4 bytes");
        Some(IpAddr::from(v4))
    } else if mask & v6_bit != 0 {
        Some(IpAddr::from(bytes))
    } else {
        None
    }
}

/// A MAC in the low six bytes of a word and a 16-bit field in the top two.
fn mac_word(mac: Option<[u8; 6]>, top: Option<u16>) -> u64 {
    let mut b = [0u8; 8];
    if let Some(m) = mac {
        b[..6].copy_from_slice(&m);
    }
    b[6..].copy_from_slice(&top.unwrap_or(0).to_le_bytes());
    u64::from_le_bytes(b)
}

fn mac_of(word: u64, present: bool) -> Option<[u8; 6]> {
    present.then(|| word.to_le_bytes()[..6].try_into().expect("6 bytes"))
}

impl Key {
    fn pack(&self) -> PackedKey {
        let mut mask = 0;
        let mut set = |on: bool, bit: u64| {
            if on {
                mask |= bit;
            }
        };
        set(self.bucket.is_some(), present::BUCKET);
        set(self.vlan.is_some(), present::VLAN);
        set(self.src_mac.is_some(), present::SRC_MAC);
        set(self.dst_mac.is_some(), present::DST_MAC);
        set(self.ip_proto.is_some(), present::IP_PROTO);
        set(self.src_port.is_some(), present::SRC_PORT);
        set(self.dst_port.is_some(), present::DST_PORT);
        set(self.size_class.is_some(), present::SIZE_CLASS);
        set(self.link_type.is_some(), present::LINK_TYPE);
        let [s0, s1] = ip_words(self.src_ip, present::SRC_V4, present::SRC_V6, &mut mask);
        let [d0, d1] = ip_words(self.dst_ip, present::DST_V4, present::DST_V6, &mut mask);
        let last = u64::from(self.src_port.unwrap_or(0))
            | u64::from(self.dst_port.unwrap_or(0)) << 16
            | u64::from(self.ip_proto.unwrap_or(0)) << 32
            | (self.size_class.map_or(0, |c| c as u64)) << 40
            | mask << 48;
        PackedKey([
            self.bucket.unwrap_or(0) as u64,
            s0,
            s1,
            d0,
            d1,
            mac_word(self.src_mac, self.vlan),
            mac_word(self.dst_mac, self.link_type),
            last,
        ])
    }
}

impl PackedKey {
    fn mask(&self) -> u64 {
        self.0[7] >> 48
    }

    /// The same key in a bucket `factor` times wider (the grids nest: bucket b of width w
    /// lies in bucket floor(b / factor) of width w * factor).
    fn coarser(mut self, factor: i64) -> PackedKey {
        if let Some(b) = self.bucket() {
            self.0[0] = b.div_euclid(factor) as u64;
        }
        self
    }

    fn bucket(&self) -> Option<i64> {
        (self.mask() & present::BUCKET != 0).then_some(self.0[0] as i64)
    }

    fn unpack(&self) -> Key {
        let w = &self.0;
        let mask = self.mask();
        let has = |bit: u64| mask & bit != 0;
        let top = |word: u64| (word >> 48) as u16;
        Key {
            bucket: self.bucket(),
            vlan: has(present::VLAN).then(|| top(w[5])),
            src_mac: mac_of(w[5], has(present::SRC_MAC)),
            dst_mac: mac_of(w[6], has(present::DST_MAC)),
            src_ip: ip_of([w[1], w[2]], mask, present::SRC_V4, present::SRC_V6),
            dst_ip: ip_of([w[3], w[4]], mask, present::DST_V4, present::DST_V6),
            ip_proto: has(present::IP_PROTO).then_some((w[7] >> 32) as u8),
            src_port: has(present::SRC_PORT).then_some(w[7] as u16),
            dst_port: has(present::DST_PORT).then_some((w[7] >> 16) as u16),
            size_class: has(present::SIZE_CLASS).then(|| SizeClass::from_code((w[7] >> 40) & 0xff)),
            link_type: has(present::LINK_TYPE).then(|| top(w[6])),
        }
    }
}

/// The sums of one row.
#[derive(Debug, Clone, Copy)]
struct Sums {
    frames: i64,
    wire_bytes: i64,
    captured_bytes: i64,
    truncated_frames: i64,
    payload_bytes: i64,
    payload_frames: i64,
    payload_wire_bytes: i64,
    over_switch_max: i64,
    /// Payload frames whose network-layer packet fits the switch (<= switch_max_frame).
    fit_payload_frames: i64,
    fit_payload_wire_bytes: i64,
    fit_payload_max_l3_len: Option<u32>,
    /// Of the frames the snap length cut: the largest on the wire, the most kept, the first.
    truncated_max_wire_len: Option<u32>,
    truncated_max_cap_len: Option<u32>,
    truncated_first_frame: Option<u64>,
    max_wire_len: u32,
    max_l3_len: Option<u32>,
    max_tcp_mss: Option<u16>,
    min_ns: Option<i64>,
    max_ns: Option<i64>,
    first_frame: u64,
}

impl Sums {
    fn new(first_frame: u64) -> Sums {
        Sums {
            frames: 0,
            wire_bytes: 0,
            captured_bytes: 0,
            truncated_frames: 0,
            payload_bytes: 0,
            payload_frames: 0,
            payload_wire_bytes: 0,
            over_switch_max: 0,
            fit_payload_frames: 0,
            fit_payload_wire_bytes: 0,
            fit_payload_max_l3_len: None,
            truncated_max_wire_len: None,
            truncated_max_cap_len: None,
            truncated_first_frame: None,
            max_wire_len: 0,
            max_l3_len: None,
            max_tcp_mss: None,
            min_ns: None,
            max_ns: None,
            first_frame,
        }
    }

    /// Fold another row of the same key in (in any order: every field is a sum, min or max).
    fn merge(&mut self, o: &Sums) {
        self.frames += o.frames;
        self.wire_bytes += o.wire_bytes;
        self.captured_bytes += o.captured_bytes;
        self.truncated_frames += o.truncated_frames;
        self.payload_bytes += o.payload_bytes;
        self.payload_frames += o.payload_frames;
        self.payload_wire_bytes += o.payload_wire_bytes;
        self.over_switch_max += o.over_switch_max;
        self.fit_payload_frames += o.fit_payload_frames;
        self.fit_payload_wire_bytes += o.fit_payload_wire_bytes;
        self.fit_payload_max_l3_len = self.fit_payload_max_l3_len.max(o.fit_payload_max_l3_len);
        self.truncated_max_wire_len = self.truncated_max_wire_len.max(o.truncated_max_wire_len);
        self.truncated_max_cap_len = self.truncated_max_cap_len.max(o.truncated_max_cap_len);
        self.truncated_first_frame = match (self.truncated_first_frame, o.truncated_first_frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_wire_len = self.max_wire_len.max(o.max_wire_len);
        self.max_l3_len = self.max_l3_len.max(o.max_l3_len);
        self.max_tcp_mss = self.max_tcp_mss.max(o.max_tcp_mss);
        self.min_ns = min_some(self.min_ns, o.min_ns);
        self.max_ns = self.max_ns.max(o.max_ns);
        self.first_frame = self.first_frame.min(o.first_frame);
    }
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One chunk's frames summed, on a decode thread.
#[derive(Default)]
pub struct TrafficChunk {
    rows: HashMap<PackedKey, Sums>,
    /// The earliest bucket of a frame in the chunk.
    min_bucket: Option<i64>,
    /// The width the chunk was cut at (its `params.bucket_ns`).
    bucket_ns: i64,
}

impl TrafficChunk {
    /// Sum one frame; `params.bucket_ns` is the width the chunk is cut at (the scan's
    /// current width, stamped on the chunk when it was framed).
    pub fn add(&mut self, params: &TrafficParams, meta: &FrameMeta, d: &Decoded<'_>) {
        self.bucket_ns = params.bucket_ns;
        let bucket = meta.timestamp_ns.map(|ns| ns.div_euclid(params.bucket_ns));
        if let Some(b) = bucket {
            self.min_bucket = Some(self.min_bucket.map_or(b, |m| m.min(b)));
        }
        let l3_len = d.l3_len(meta.wire_len);
        let (src_port, dst_port, mss) = match (&d.tcp, &d.udp) {
            (Some(t), _) => (Some(t.src_port), Some(t.dst_port), t.options.mss),
            (None, Some(u)) => (Some(u.src_port), Some(u.dst_port), None),
            (None, None) => (None, None, None),
        };
        let key = Key {
            bucket,
            vlan: d.outer_vlan(),
            src_mac: d.src_mac,
            dst_mac: d.dst_mac,
            src_ip: d.ip.map(|ip| ip.src),
            dst_ip: d.ip.map(|ip| ip.dst),
            ip_proto: d.ip.map(|ip| ip.protocol),
            src_port,
            dst_port,
            size_class: l3_len.map(SizeClass::of),
            link_type: meta.link_type,
        }
        .pack();
        let payload = d.payload_len.unwrap_or(0) as i64;
        let s = self
            .rows
            .entry(key)
            .or_insert_with(|| Sums::new(meta.frame_number));
        s.frames += 1;
        s.wire_bytes += meta.wire_len as i64;
        s.captured_bytes += meta.cap_len as i64;
        if meta.cap_len < meta.wire_len {
            s.truncated_frames += 1;
            s.truncated_max_wire_len = s.truncated_max_wire_len.max(Some(meta.wire_len));
            s.truncated_max_cap_len = s.truncated_max_cap_len.max(Some(meta.cap_len));
            // frames come in order within a chunk: the first stays the first
            s.truncated_first_frame.get_or_insert(meta.frame_number);
        }
        s.payload_bytes += payload;
        if payload > 0 {
            s.payload_frames += 1;
            s.payload_wire_bytes += meta.wire_len as i64;
            if l3_len.is_some_and(|l| l <= params.switch_max_frame) {
                s.fit_payload_frames += 1;
                s.fit_payload_wire_bytes += meta.wire_len as i64;
                s.fit_payload_max_l3_len = s.fit_payload_max_l3_len.max(l3_len);
            }
        }
        if meta.wire_len > params.switch_max_frame {
            s.over_switch_max += 1;
        }
        s.max_wire_len = s.max_wire_len.max(meta.wire_len);
        s.max_l3_len = s.max_l3_len.max(l3_len);
        s.max_tcp_mss = s.max_tcp_mss.max(mss);
        s.min_ns = min_some(s.min_ns, meta.timestamp_ns);
        s.max_ns = s.max_ns.max(meta.timestamp_ns);
    }
}

/// The open rows across chunks, in the in-order pass.
pub struct TrafficTracker {
    width: TrafficWidth,
    /// An adaptive scan that still holds its closed rows back (it may cut coarser).
    holding: bool,
    /// [`HELD_MAX_ROWS`] (smaller in tests, to make a small capture cut coarser).
    pub(crate) held_max_rows: usize,
    open: HashMap<PackedKey, Sums>,
    closed: Vec<(PackedKey, Sums)>,
    /// Times the open rows hit [`MAX_OPEN_ROWS`] and were all written out early.
    pub cap_flushes: u64,
    /// The bucket below which rows were last closed: the open rows are walked again only
    /// when it moves (a bucket spans several chunks; a walk per chunk cost a tenth of the
    /// in-order pass on the 1 GiB bench capture). A late frame's row for an older bucket
    /// leaves with the next walk instead of the next chunk: its sums are the same.
    closed_below: Option<i64>,
}

impl TrafficTracker {
    pub fn new(params: TrafficParams) -> TrafficTracker {
        TrafficTracker {
            width: TrafficWidth::new(&params),
            holding: params.adaptive,
            held_max_rows: HELD_MAX_ROWS,
            open: HashMap::new(),
            closed: Vec::new(),
            cap_flushes: 0,
            closed_below: None,
        }
    }

    /// The width shared with the framing side.
    pub fn width(&self) -> &TrafficWidth {
        &self.width
    }

    /// The width buckets are cut at now (the final one once the scan has ended).
    pub fn bucket_ns(&self) -> i64 {
        self.width.get()
    }

    /// Merge one chunk (chunks in frame order) and close the rows it proves over.
    pub fn chunk(&mut self, chunk: TrafficChunk) {
        let width = self.width.get();
        // a chunk framed before the last coarsening is cut finer: re-key it (never coarser)
        let factor = if chunk.bucket_ns > 0 && chunk.bucket_ns < width {
            width / chunk.bucket_ns
        } else {
            1
        };
        let min_bucket = chunk.min_bucket.map(|b| b.div_euclid(factor));
        for (key, sums) in chunk.rows {
            let key = if factor > 1 { key.coarser(factor) } else { key };
            self.open
                .entry(key)
                .and_modify(|s| s.merge(&sums))
                .or_insert(sums);
        }
        let mut leaving: Vec<(PackedKey, Sums)> = if self.open.len() > MAX_OPEN_ROWS {
            self.cap_flushes += 1;
            self.open.drain().collect()
        } else if let Some(watermark) = min_bucket
            .map(|b| b.saturating_sub(1))
            .filter(|w| self.closed_below.is_none_or(|c| *w > c))
        {
            self.closed_below = Some(watermark);
            // one walk, no second lookup per row (`extract_if` needs Rust 1.88, above the MSRV)
            let mut over = Vec::new();
            self.open.retain(|k, s| {
                let keep = k.bucket().is_none_or(|b| b >= watermark);
                if !keep {
                    over.push((*k, *s));
                }
                keep
            });
            over
        } else {
            Vec::new()
        };
        // The map's order changes from run to run: rows leave in time and frame order, so
        // the same capture gives the same batches.
        sort_rows(&mut leaving);
        self.closed.extend(leaving);
        while self.holding && self.closed.len() + self.open.len() > self.held_max_rows {
            if self.width.get() >= ADAPTIVE_MAX_BUCKET_NS {
                // as coarse as it goes: the held rows leave, the rest stream as they close
                self.holding = false;
                sort_rows(&mut self.closed);
            } else {
                self.coarsen(ADAPTIVE_STEP);
            }
        }
    }

    /// Cut every held and open row `factor` times coarser. Closed rows whose coarser bucket
    /// is not over yet join the open rows of the same key; the rest stay closed, merged.
    fn coarsen(&mut self, factor: i64) {
        self.width.set(self.width.get() * factor);
        let watermark = self.closed_below.map(|w| w.div_euclid(factor));
        self.closed_below = watermark;
        let mut open = HashMap::with_capacity(self.open.len());
        let mut closed: HashMap<PackedKey, Sums> = HashMap::new();
        let still_open =
            |k: &PackedKey| k.bucket().is_none_or(|b| watermark.is_none_or(|w| b >= w));
        for (k, s) in self.open.drain().chain(self.closed.drain(..)) {
            let k = k.coarser(factor);
            let into = if still_open(&k) {
                &mut open
            } else {
                &mut closed
            };
            into.entry(k).and_modify(|o| o.merge(&s)).or_insert(s);
        }
        self.open = open;
        self.closed = closed.into_iter().collect();
    }

    /// Batches of the rows closed so far, all of them: closed rows wait in Arrow (a third of
    /// their size here), not in this tracker. Nothing while an adaptive scan holds them.
    pub fn take_batches(&mut self) -> Vec<RecordBatch> {
        let mut out = Vec::new();
        if self.holding {
            return out;
        }
        let width = self.width.get();
        while !self.closed.is_empty() {
            let n = self.closed.len().min(BATCH_ROWS);
            let rows: Vec<(PackedKey, Sums)> = self.closed.drain(..n).collect();
            out.push(batch(&rows, width));
        }
        out
    }

    /// Close every row still open (end of the input) and return the remaining batches.
    pub fn finish(&mut self) -> Vec<RecordBatch> {
        let rest = self.open.drain();
        self.closed.extend(rest);
        sort_rows(&mut self.closed);
        self.holding = false;
        self.take_batches()
    }
}

/// Rows by bucket (no timestamp last), then by their first frame: a total order, since a
/// frame belongs to one open row only.
fn sort_rows(rows: &mut [(PackedKey, Sums)]) {
    rows.sort_unstable_by_key(|(k, s)| (k.bucket().is_none(), k.bucket(), s.first_frame));
}

fn batch(packed: &[(PackedKey, Sums)], bucket_ns: i64) -> RecordBatch {
    let rows: Vec<(Key, &Sums)> = packed.iter().map(|(k, s)| (k.unpack(), s)).collect();
    let mac = |m: &Option<[u8; 6]>| m.as_ref().map(text::mac_string);
    let ip = |a: &Option<IpAddr>| a.as_ref().map(text::ip_string);
    let i64s =
        |f: &dyn Fn(&Sums) -> i64| Int64Array::from_iter_values(rows.iter().map(|(_, s)| f(s)));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter(
            rows.iter()
                .map(|(k, _)| k.bucket.map(|b| b.saturating_mul(bucket_ns))),
        )),
        Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.vlan))),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(k, _)| mac(&k.src_mac)),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(k, _)| mac(&k.dst_mac)),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(k, _)| ip(&k.src_ip)),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(k, _)| ip(&k.dst_ip)),
        )),
        Arc::new(UInt8Array::from_iter(rows.iter().map(|(k, _)| k.ip_proto))),
        Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.src_port))),
        Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.dst_port))),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(k, _)| k.size_class.map(SizeClass::name)),
        )),
        Arc::new(i64s(&|s| s.frames)),
        Arc::new(i64s(&|s| s.wire_bytes)),
        Arc::new(i64s(&|s| s.captured_bytes)),
        Arc::new(i64s(&|s| s.truncated_frames)),
        Arc::new(i64s(&|s| s.payload_bytes)),
        Arc::new(i64s(&|s| s.payload_frames)),
        Arc::new(i64s(&|s| s.payload_wire_bytes)),
        Arc::new(i64s(&|s| s.over_switch_max)),
        Arc::new(arrow_array::UInt32Array::from_iter_values(
            rows.iter().map(|(_, s)| s.max_wire_len),
        )),
        Arc::new(arrow_array::UInt32Array::from_iter(
            rows.iter().map(|(_, s)| s.max_l3_len),
        )),
        Arc::new(UInt16Array::from_iter(
            rows.iter().map(|(_, s)| s.max_tcp_mss),
        )),
        Arc::new(Int64Array::from_iter(rows.iter().map(|(_, s)| s.min_ns))),
        Arc::new(Int64Array::from_iter(rows.iter().map(|(_, s)| s.max_ns))),
        Arc::new(arrow_array::UInt64Array::from_iter_values(
            rows.iter().map(|(_, s)| s.first_frame),
        )),
        Arc::new(UInt16Array::from_iter(
            rows.iter().map(|(k, _)| k.link_type),
        )),
        Arc::new(i64s(&|s| s.fit_payload_frames)),
        Arc::new(i64s(&|s| s.fit_payload_wire_bytes)),
        Arc::new(arrow_array::UInt32Array::from_iter(
            rows.iter().map(|(_, s)| s.fit_payload_max_l3_len),
        )),
        Arc::new(arrow_array::UInt32Array::from_iter(
            rows.iter().map(|(_, s)| s.truncated_max_wire_len),
        )),
        Arc::new(arrow_array::UInt32Array::from_iter(
            rows.iter().map(|(_, s)| s.truncated_max_cap_len),
        )),
        Arc::new(arrow_array::UInt64Array::from_iter(
            rows.iter().map(|(_, s)| s.truncated_first_frame),
        )),
    ];
    RecordBatch::try_new(schema::traffic().schema(), columns).expect("traffic follows schema.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_key_unpacks_to_itself() {
        let ips = [
            None,
            Some(IpAddr::from([192, 0, 2, 7])),
            Some(IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])),
            Some(IpAddr::from([0u8; 4])),
        ];
        let mut keys = Vec::new();
        for (i, src_ip) in ips.iter().enumerate() {
            for dst_ip in &ips {
                let some = i % 2 == 0;
                keys.push(Key {
                    bucket: some.then_some(-5 - i as i64),
                    vlan: some.then_some(4095),
                    src_mac: some.then_some([2, 0xbf, 1, 2, 3, 4]),
                    dst_mac: (!some).then_some([0xff; 6]),
                    src_ip: *src_ip,
                    dst_ip: *dst_ip,
                    ip_proto: (!some).then_some(17),
                    src_port: some.then_some(0),
                    dst_port: some.then_some(65535),
                    size_class: [None, Some(SizeClass::Jumbo), Some(SizeClass::Oversize)][i % 3],
                    link_type: (!some).then_some(1),
                });
            }
        }
        for k in &keys {
            assert_eq!(k.pack().unpack(), *k);
        }
        // and distinct keys stay distinct
        let packed: std::collections::HashSet<PackedKey> = keys.iter().map(Key::pack).collect();
        let plain: std::collections::HashSet<Key> = keys.iter().copied().collect();
        assert_eq!(packed.len(), plain.len());
        // absent and zero differ
        let zero_vlan = Key {
            vlan: Some(0),
            ..keys[1]
        };
        let no_vlan = Key {
            vlan: None,
            ..keys[1]
        };
        assert_ne!(zero_vlan.pack(), no_vlan.pack());
    }
}
