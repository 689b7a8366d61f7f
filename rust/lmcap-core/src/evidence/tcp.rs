//! TCP loss evidence, built in the flow tracker's in-order pass: the segments that were sent
//! again (`tcp_resends`) and the re-sent segments no acknowledgement ever covered
//! (`tcp_unacked_resends`).
//!
//! These are the facts the loss and MTU diagnostics read per segment: on which side of the
//! capture point a retransmitted segment was lost (`tcp_loss_sides.sql`), and which large
//! segments were sent again and again and never got through (an MTU black hole,
//! `mtu_blackhole.sql`). Both tables grow with retransmissions, not with frames: a healthy
//! transfer of any length adds no row. `python/lmcap/queries/spec/` keeps the two queries
//! as they were written over `packets`: they are the specification, and a test compares
//! the answers on every capture.
//!
//! State per TCP direction, each bounded (what a bound drops is counted in
//! [`TcpCounters`] and reported in `scan_settings`):
//! - [`Cover`]: the sequence ranges data segments covered, merged, so a re-sent segment can
//!   tell whether an earlier copy passed here. Healthy traffic is one range; each hole is a
//!   segment lost before the capture point and not yet re-sent. At most [`MAX_COVER_RANGES`];
//!   past it the lowest range is forgotten (a later re-send of it then reads as lost
//!   upstream).
//! - the open segments: data not yet acknowledged, by sequence offset, with how often each
//!   was sent. Acknowledgements prune them as they pass; what is left at the end and was
//!   sent at least twice is a `tcp_unacked_resends` row. At most [`MAX_OPEN_SEGMENTS`] (more
//!   than a 64 MB window of standard frames); past it the lowest is forgotten, so a
//!   direction whose acknowledgements the capture never sees (one-way capture) stays flat.
//! - the first [`MAX_RESETS`] resets of each connection, to name the reset that ended a
//!   black hole.

use std::collections::VecDeque;
use std::net::IpAddr;

use arrow_array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, UInt16Array, UInt32Array,
    UInt64Array,
};

use crate::tables::columns::arr;
use crate::tables::schema;
use crate::tables::text;

/// Merged sequence ranges kept per direction.
pub const MAX_COVER_RANGES: usize = 1024;
/// Unacknowledged data segments kept per direction.
pub const MAX_OPEN_SEGMENTS: usize = 1 << 16;
/// Unacknowledged data segments kept over all directions (about 100 bytes each): 32
/// directions at their own bound, or 700 with 4 MB in flight each. Past it a direction that
/// adds one forgets its lowest, as past its own bound; without it 131,072 open flows of a
/// one-way capture could each hold 65,536 (a memory that grew with the capture).
pub const MAX_OPEN_SEGMENTS_TOTAL: u64 = 1 << 21;
/// Resets kept per connection.
pub const MAX_RESETS: usize = 32;

/// Rows per emitted batch.
const BATCH_ROWS: usize = 65_536;

/// An endpoint: address and port.
pub type Ep = (IpAddr, u16);

/// What the bounds dropped during a scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpCounters {
    /// Unacknowledged segments forgotten because a direction, or all together, had too many
    /// open.
    pub open_evicted: u64,
    /// Unacknowledged segments held now over all directions (the measure of
    /// [`MAX_OPEN_SEGMENTS_TOTAL`], not a count of anything dropped).
    pub open_held: u64,
    /// Sequence ranges forgotten because a direction had too many holes.
    pub cover_evicted: u64,
    /// Resets not kept because a connection had more than [`MAX_RESETS`].
    pub resets_dropped: u64,
}

/// One TCP data segment as the loss evidence needs it.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub frame_number: u64,
    pub timestamp_ns: Option<i64>,
    pub vlan: Option<u16>,
    pub src: Ep,
    pub dst: Ep,
    pub seq: u32,
    /// Sequence offset from the direction's first segment, unwrapped.
    pub rel: i64,
    pub len: u32,
    pub l3_len: Option<u32>,
    /// An IP fragment (its sequence facts are not used for loss sides).
    pub fragment: bool,
}

/// Sorted, disjoint, non-touching ranges [start, end).
#[derive(Debug, Clone, Default)]
pub struct Cover {
    ranges: Vec<(i64, i64)>,
}

impl Cover {
    /// Whether some range holds `x`.
    pub fn contains(&self, x: i64) -> bool {
        let i = self.ranges.partition_point(|r| r.0 <= x);
        i > 0 && x < self.ranges[i - 1].1
    }

    /// The highest end, if any range.
    pub fn max_end(&self) -> Option<i64> {
        self.ranges.last().map(|r| r.1)
    }

    /// Add [start, end), merging what it touches; returns true when a range was forgotten.
    pub fn insert(&mut self, start: i64, end: i64) -> bool {
        // The common case: the next segment in order extends the last range.
        if let Some(last) = self.ranges.last_mut() {
            if start >= last.0 && start <= last.1 {
                last.1 = last.1.max(end);
                return false;
            }
        }
        let lo = self.ranges.partition_point(|r| r.1 < start);
        let hi = self.ranges.partition_point(|r| r.0 <= end);
        if lo < hi {
            let s = start.min(self.ranges[lo].0);
            let e = end.max(self.ranges[hi - 1].1);
            self.ranges.drain(lo + 1..hi);
            self.ranges[lo] = (s, e);
            false
        } else {
            self.ranges.insert(lo, (start, end));
            if self.ranges.len() > MAX_COVER_RANGES {
                self.ranges.remove(0);
                return true;
            }
            false
        }
    }
}

/// A data segment not yet acknowledged, and how often it was sent.
#[derive(Debug, Clone, Copy)]
struct Open {
    seq: u32,
    end: i64,
    len: u32,
    l3_len: Option<u32>,
    vlan: Option<u16>,
    sends: u32,
    first_frame: u64,
    last_frame: u64,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
}

/// The loss state of one TCP direction.
#[derive(Debug, Clone, Default)]
pub struct DirLoss {
    cover: Cover,
    /// Open segments by sequence offset, ascending (a deque, not a map: segments come in
    /// order, acknowledgements remove them from the front, and an empty one costs nothing).
    open: VecDeque<(i64, Open)>,
    /// Largest frame of the direction that demonstrably got through: frames without data
    /// and data the other side acknowledged.
    largest_passed: Option<u32>,
}

/// The data segments of a direction larger than the wire could carry: above the switch's
/// frame limit, with IPv4 total length 0, or with more payload than the highest MSS any peer
/// announced to the sender before them. A capture taken on a host with segmentation offload (TSO/GSO/GRO)
/// sees these; on the wire they do not exist.
#[derive(Debug, Clone, Copy, Default)]
pub struct Oversize {
    segments: u64,
    first_frame: Option<u64>,
    max_l3_len: Option<u32>,
    max_payload_len: u32,
}

impl Oversize {
    pub fn add(&mut self, s: &Segment) {
        self.segments += 1;
        self.first_frame.get_or_insert(s.frame_number);
        self.max_l3_len = self.max_l3_len.max(s.l3_len);
        self.max_payload_len = self.max_payload_len.max(s.len);
    }
}

/// A re-sent segment: whether an earlier copy passed the capture point.
pub struct Resend {
    pub original_seen: bool,
}

impl DirLoss {
    /// A frame of the direction without data.
    pub fn control(&mut self, l3_len: Option<u32>) {
        self.largest_passed = self.largest_passed.max(l3_len);
    }

    /// A data segment; `acked`: how far the other side has acknowledged so far. Returns
    /// `Some` when it re-sends sequence space the direction already sent.
    pub fn data(&mut self, s: &Segment, acked: Option<i64>, c: &mut TcpCounters) -> Option<Resend> {
        let end = s.rel + i64::from(s.len);
        let mut resend = None;
        if !s.fragment {
            if self.cover.max_end().is_some_and(|e| s.rel < e) {
                resend = Some(Resend {
                    original_seen: self.cover.contains(s.rel),
                });
            }
            if self.cover.insert(s.rel, end) {
                c.cover_evicted += 1;
            }
        }
        if acked.is_some_and(|a| end <= a) {
            // Sent again after the other side had it: it got through.
            self.largest_passed = self.largest_passed.max(s.l3_len);
            return resend;
        }
        let at = match self.open.back() {
            Some((k, _)) if *k < s.rel => Err(self.open.len()),
            _ => self.open.binary_search_by_key(&s.rel, |(k, _)| *k),
        };
        match at {
            Ok(i) => {
                let o = &mut self.open[i].1;
                o.sends += 1;
                o.last_frame = s.frame_number;
                o.last_ns = s.timestamp_ns.or(o.last_ns);
                o.len = o.len.max(s.len);
                o.end = o.end.max(end);
                o.l3_len = o.l3_len.max(s.l3_len);
            }
            Err(i) => {
                c.open_held += 1;
                self.open.insert(
                    i,
                    (
                        s.rel,
                        Open {
                            seq: s.seq,
                            end,
                            len: s.len,
                            l3_len: s.l3_len,
                            vlan: s.vlan,
                            sends: 1,
                            first_frame: s.frame_number,
                            last_frame: s.frame_number,
                            first_ns: s.timestamp_ns,
                            last_ns: s.timestamp_ns,
                        },
                    ),
                )
            }
        }
        if self.open.len() > MAX_OPEN_SEGMENTS || c.open_held > MAX_OPEN_SEGMENTS_TOTAL {
            self.open.pop_front();
            c.open_held -= 1;
            c.open_evicted += 1;
        }
        resend
    }

    /// The other side acknowledged up to `acked`: the open segments below it got through.
    pub fn acked(&mut self, acked: i64, c: &mut TcpCounters) {
        while let Some((_, o)) = self.open.front() {
            if o.end > acked {
                break;
            }
            self.largest_passed = self.largest_passed.max(o.l3_len);
            self.open.pop_front();
            c.open_held -= 1;
        }
    }
}

/// The direction a row is about, as text: the first four columns of both tables.
struct Direction {
    src_ip: String,
    src_port: u16,
    dst_ip: String,
    dst_port: u16,
}

impl Direction {
    fn new(src: Ep, dst: Ep) -> Direction {
        Direction {
            src_ip: text::ip_string(&src.0),
            src_port: src.1,
            dst_ip: text::ip_string(&dst.0),
            dst_port: dst.1,
        }
    }

    fn columns<'a>(dirs: impl Iterator<Item = &'a Direction> + Clone) -> Vec<ArrayRef> {
        let d = || dirs.clone();
        vec![
            arr(StringArray::from_iter_values(
                d().map(|x| x.src_ip.as_str()),
            )),
            arr(UInt16Array::from_iter_values(d().map(|x| x.src_port))),
            arr(StringArray::from_iter_values(
                d().map(|x| x.dst_ip.as_str()),
            )),
            arr(UInt16Array::from_iter_values(d().map(|x| x.dst_port))),
        ]
    }
}

/// One `tcp_resends` row.
struct ResendRow {
    dir: Direction,
    vlan: Option<u16>,
    frame_number: u64,
    timestamp_ns: Option<i64>,
    seq: u32,
    rel: i64,
    len: u32,
    l3_len: Option<u32>,
    original_seen: bool,
}

/// One `tcp_unacked_resends` row.
struct UnackedRow {
    dir: Direction,
    rel: i64,
    open: Open,
    largest_passed: Option<u32>,
    rst_by: Option<String>,
    rst_frame: Option<u64>,
}

/// One `tcp_oversize_segments` row.
struct OversizeRow {
    dir: Direction,
    o: Oversize,
    peer_mss: Option<u16>,
}

/// A reset of a connection: when, which frame, sent by which address.
pub type Reset = (Option<i64>, u64, IpAddr);

/// The two tables' rows as they are made, and the counters of what the bounds dropped.
#[derive(Default)]
pub struct TcpEvidence {
    resends: Vec<ResendRow>,
    unacked: Vec<UnackedRow>,
    oversize: Vec<OversizeRow>,
    pub counters: TcpCounters,
}

impl TcpEvidence {
    /// Record a re-sent segment.
    pub fn resend(&mut self, s: &Segment, r: Resend) {
        self.resends.push(ResendRow {
            dir: Direction::new(s.src, s.dst),
            vlan: s.vlan,
            frame_number: s.frame_number,
            timestamp_ns: s.timestamp_ns,
            seq: s.seq,
            rel: s.rel,
            len: s.len,
            l3_len: s.l3_len,
            original_seen: r.original_seen,
        });
    }

    /// The end of a direction (`src` → `dst`): its open segments that were sent more than
    /// once and that no acknowledgement covered become `tcp_unacked_resends` rows.
    pub fn finish_direction(
        &mut self,
        src: Ep,
        dst: Ep,
        mut loss: DirLoss,
        acked: Option<i64>,
        resets: &[Reset],
    ) {
        // the direction's open segments leave the total here, whatever becomes of them
        debug_assert!(self.counters.open_held >= loss.open.len() as u64);
        self.counters.open_held = self
            .counters
            .open_held
            .saturating_sub(loss.open.len() as u64);
        if let Some(a) = acked {
            loss.acked(a, &mut TcpCounters::default());
            // Segments behind an uncovered one at the head, covered all the same.
            let largest = &mut loss.largest_passed;
            loss.open.retain(|(_, o)| {
                let covered = o.end <= a;
                if covered {
                    *largest = (*largest).max(o.l3_len);
                }
                !covered
            });
        }
        for (rel, open) in loss.open {
            if open.sends < 2 {
                continue;
            }
            // The first reset, from either side, at or after the first send.
            let rst = resets
                .iter()
                .filter(|r| match (r.0, open.first_ns) {
                    (Some(t), Some(f)) => t >= f,
                    _ => false,
                })
                .min_by_key(|r| r.1);
            self.unacked.push(UnackedRow {
                dir: Direction::new(src, dst),
                rel,
                open,
                largest_passed: loss.largest_passed,
                rst_by: rst.map(|r| text::ip_string(&r.2)),
                rst_frame: rst.map(|r| r.1),
            });
        }
    }

    /// The end of a direction: a `tcp_oversize_segments` row if it sent any.
    pub fn oversize(&mut self, src: Ep, dst: Ep, o: &Oversize, peer_mss: Option<u16>) {
        if o.segments > 0 {
            self.oversize.push(OversizeRow {
                dir: Direction::new(src, dst),
                o: *o,
                peer_mss,
            });
        }
    }

    /// `tcp_oversize_segments` batches, in order of the first such segment.
    pub fn take_oversize_batches(&mut self) -> Vec<RecordBatch> {
        let mut rows = std::mem::take(&mut self.oversize);
        rows.sort_unstable_by_key(|r| r.o.first_frame);
        rows.chunks(BATCH_ROWS).map(oversize_batch).collect()
    }

    /// `tcp_resends` batches of the rows made so far.
    pub fn take_resend_batches(&mut self) -> Vec<RecordBatch> {
        let rows = std::mem::take(&mut self.resends);
        rows.chunks(BATCH_ROWS).map(resend_batch).collect()
    }

    /// `tcp_unacked_resends` batches, in order of first send.
    pub fn take_unacked_batches(&mut self) -> Vec<RecordBatch> {
        let mut rows = std::mem::take(&mut self.unacked);
        rows.sort_unstable_by_key(|r| (r.open.first_frame, r.rel));
        rows.chunks(BATCH_ROWS).map(unacked_batch).collect()
    }
}

fn resend_batch(rows: &[ResendRow]) -> RecordBatch {
    let r = || rows.iter();
    let mut columns = Direction::columns(r().map(|x| &x.dir));
    columns.extend([
        arr(UInt16Array::from_iter(r().map(|x| x.vlan))),
        arr(UInt64Array::from_iter_values(r().map(|x| x.frame_number))),
        arr(Int64Array::from_iter(r().map(|x| x.timestamp_ns))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.seq))),
        arr(Int64Array::from_iter_values(r().map(|x| x.rel))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.len))),
        arr(UInt32Array::from_iter(r().map(|x| x.l3_len))),
        arr(BooleanArray::from_iter(r().map(|x| Some(x.original_seen)))),
    ]);
    RecordBatch::try_new(schema::tcp_resends().schema(), columns)
        .expect("tcp_resends follows schema.rs")
}

fn unacked_batch(rows: &[UnackedRow]) -> RecordBatch {
    let r = || rows.iter();
    let mut columns = Direction::columns(r().map(|x| &x.dir));
    columns.extend([
        arr(UInt16Array::from_iter(r().map(|x| x.open.vlan))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.open.seq))),
        arr(Int64Array::from_iter_values(r().map(|x| x.rel))),
        arr(UInt32Array::from_iter_values(r().map(|x| x.open.len))),
        arr(UInt32Array::from_iter(r().map(|x| x.open.l3_len))),
        arr(Int64Array::from_iter_values(
            r().map(|x| i64::from(x.open.sends)),
        )),
        arr(UInt64Array::from_iter_values(
            r().map(|x| x.open.first_frame),
        )),
        arr(UInt64Array::from_iter_values(
            r().map(|x| x.open.last_frame),
        )),
        arr(Int64Array::from_iter(r().map(|x| x.open.first_ns))),
        arr(Int64Array::from_iter(r().map(|x| x.open.last_ns))),
        arr(UInt32Array::from_iter(r().map(|x| x.largest_passed))),
        arr(StringArray::from_iter(r().map(|x| x.rst_by.as_deref()))),
        arr(UInt64Array::from_iter(r().map(|x| x.rst_frame))),
    ]);
    RecordBatch::try_new(schema::tcp_unacked_resends().schema(), columns)
        .expect("tcp_unacked_resends follows schema.rs")
}

fn oversize_batch(rows: &[OversizeRow]) -> RecordBatch {
    let r = || rows.iter();
    let mut columns = Direction::columns(r().map(|x| &x.dir));
    columns.extend([
        arr(Int64Array::from_iter_values(
            r().map(|x| x.o.segments as i64),
        )),
        arr(UInt64Array::from_iter(r().map(|x| x.o.first_frame))),
        arr(UInt32Array::from_iter(r().map(|x| x.o.max_l3_len))),
        arr(UInt32Array::from_iter_values(
            r().map(|x| x.o.max_payload_len),
        )),
        arr(UInt16Array::from_iter(r().map(|x| x.peer_mss))),
    ]);
    RecordBatch::try_new(schema::tcp_oversize_segments().schema(), columns)
        .expect("tcp_oversize_segments follows schema.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranges a plain list of intervals covers, point by point.
    fn naive(ranges: &[(i64, i64)], x: i64) -> bool {
        ranges.iter().any(|&(s, e)| s <= x && x < e)
    }

    #[test]
    fn cover_merges_like_a_union_of_intervals() {
        let mut c = Cover::default();
        let mut all = Vec::new();
        // a deterministic scramble of in-order, overlapping, touching and gapped ranges
        let mut x: i64 = 7;
        for i in 0..500i64 {
            x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
            let start = if i % 3 == 0 { i * 10 } else { x % 6000 };
            let end = start + 1 + (x % 40);
            all.push((start, end));
            assert!(!c.insert(start, end));
            for w in c.ranges.windows(2) {
                assert!(w[0].1 < w[1].0, "ranges stay disjoint and apart: {w:?}");
            }
        }
        for p in -5..6100 {
            assert_eq!(c.contains(p), naive(&all, p), "point {p}");
        }
        assert_eq!(c.max_end(), all.iter().map(|r| r.1).max());
    }

    #[test]
    fn cover_forgets_the_lowest_range_past_its_bound() {
        let mut c = Cover::default();
        for i in 0..MAX_COVER_RANGES as i64 {
            assert!(!c.insert(i * 10, i * 10 + 5));
        }
        assert!(c.insert(-100, -90), "one range too many");
        assert_eq!(c.ranges.len(), MAX_COVER_RANGES);
        assert!(!c.contains(-95));
    }

    fn seg(frame: u64, rel: i64, len: u32) -> Segment {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        Segment {
            frame_number: frame,
            timestamp_ns: Some(frame as i64),
            vlan: None,
            src: (ip, 1),
            dst: (ip, 2),
            seq: rel as u32,
            rel,
            len,
            l3_len: Some(len + 40),
            fragment: false,
        }
    }

    #[test]
    fn resends_tell_which_side_lost_the_original() {
        let mut d = DirLoss::default();
        let mut c = TcpCounters::default();
        assert!(d.data(&seg(1, 0, 100), None, &mut c).is_none());
        // 100..200 never seen here: lost before the capture point
        assert!(d.data(&seg(2, 200, 100), None, &mut c).is_none());
        let up = d.data(&seg(3, 100, 100), None, &mut c).expect("re-send");
        assert!(!up.original_seen);
        let down = d.data(&seg(4, 0, 100), None, &mut c).expect("re-send");
        assert!(down.original_seen);
    }

    #[test]
    fn all_directions_together_keep_at_most_the_total_bound() {
        // 40 directions of 60,000 open segments each (under their own bound): 2.4 M, past the
        // 2 M all may hold. Each segment past the total evicts its direction's lowest.
        let mut c = TcpCounters::default();
        let per = 60_000u64;
        let mut dirs: Vec<DirLoss> = (0..40).map(|_| DirLoss::default()).collect();
        for d in dirs.iter_mut() {
            for k in 0..per {
                d.data(&seg(k + 1, (k * 100) as i64, 100), None, &mut c);
            }
            assert!(c.open_held <= MAX_OPEN_SEGMENTS_TOTAL);
        }
        assert_eq!(c.open_held, MAX_OPEN_SEGMENTS_TOTAL);
        assert_eq!(c.open_evicted, 40 * per - MAX_OPEN_SEGMENTS_TOTAL);
        // acknowledgements and finished directions give their share back
        dirs[39].acked(100 * per as i64, &mut c);
        let mut ev = TcpEvidence {
            counters: c,
            ..Default::default()
        };
        let ep = ("192.0.2.1".parse().unwrap(), 1);
        let left: u64 = dirs[..39].iter().map(|d| d.open.len() as u64).sum();
        assert_eq!(ev.counters.open_held, left);
        for d in dirs.drain(..39) {
            ev.finish_direction(ep, ep, d, None, &[]);
        }
        assert_eq!(ev.counters.open_held, 0);
    }

    #[test]
    fn acknowledged_segments_pass_and_unacked_resends_remain() {
        let mut d = DirLoss::default();
        let mut c = TcpCounters::default();
        d.data(&seg(1, 0, 100), None, &mut c);
        d.data(&seg(2, 100, 9000), None, &mut c);
        d.acked(100, &mut c);
        assert_eq!(c.open_held, 1);
        assert_eq!(d.largest_passed, Some(140));
        d.data(&seg(3, 100, 9000), Some(100), &mut c);
        d.data(&seg(4, 100, 9000), Some(100), &mut c);
        let mut ev = TcpEvidence {
            counters: c,
            ..Default::default()
        };
        let ep = ("192.0.2.1".parse().unwrap(), 1);
        let rst: Reset = (Some(3), 5, ep.0);
        ev.finish_direction(ep, ep, d, Some(100), &[rst]);
        let b = ev.take_unacked_batches();
        assert_eq!(b[0].num_rows(), 1);
        let sends = b[0]
            .column_by_name("sends")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0);
        assert_eq!(sends, 3);
    }
}
