//! The `ipv4_claim_runs` evidence: who claimed each IPv4 address over time, as runs of
//! consecutive claims by one MAC on one VLAN, built in the scan's in-order pass.
//!
//! A claim is an ARP request or reply with that sender address (not 0.0.0.0, sender MAC not
//! all zeros or broadcast), or an IPv4 frame sent from the address. The ARP diagnostics
//! (moves after a live migration, duplicates, poisoning) read the runs; the rule that only a
//! MAC that also claimed the address in ARP counts, and the NLB exclusions, are applied in
//! SQL over this table (`python/lmcap/queries/arp_claim_runs.sql`): dropping the runs of
//! other MACs and joining the neighbours that become adjacent gives what the packet-level
//! specification (`queries/spec/arp_claim_runs.sql`) computes, and a test compares the two
//! on every capture.
//!
//! Bounds: a run is one row however many frames it holds, so an address costs one row per
//! change of MAC or VLAN. An address that alternates without end (one capture point seeing a
//! host on its own VLAN and routed on another) is compacted past [`MAX_RUNS_PER_IP`] runs:
//! the runs of MACs that have not claimed it in ARP so far are dropped and neighbours joined;
//! if that is not enough the oldest runs go, counted. Past [`MAX_RUNS`] runs over all
//! addresses, every address is compacted so (a capture point that sees hosts on several
//! VLANs, or a benchmark that sends every address from several MACs, makes most runs belong
//! to MACs that never claim the address in ARP); a MAC that claims an address in ARP only
//! after such a compaction has lost the runs of its earlier IP frames (counted in
//! `claim_runs_dropped`). At most [`MAX_ADDRESSES`] addresses are followed; claims of further
//! addresses are counted, not kept.

use ahash::AHashMap as HashMap;
use std::net::{IpAddr, Ipv4Addr};

use arrow_array::{
    builder::{ListBuilder, UInt64Builder},
    ArrayRef, Int64Array, RecordBatch, StringArray, UInt16Array, UInt64Array,
};

use crate::decode::Decoded;
use crate::frame::FrameMeta;
use crate::tables::columns::arr;
use crate::tables::schema;
use crate::tables::text;
use crate::wire::arp::{OP_REPLY, OP_REQUEST};

/// Runs kept per address before compaction.
pub const MAX_RUNS_PER_IP: usize = 4096;
/// Runs kept over all addresses (64 bytes each, see [`Run`]) before every address is compacted.
pub const MAX_RUNS: usize = 1 << 20;
/// Addresses followed (about 120 bytes each with one run: some 32 MB). A /14 of hosts; past
/// it the capture is of a router's far side or a flood of forged sources, which the ARP
/// diagnostics have nothing to say about.
pub const MAX_ADDRESSES: usize = 1 << 18;
/// ARP frames listed per run.
const ARP_FRAMES_LISTED: usize = 10;

/// Rows per emitted batch.
const BATCH_ROWS: usize = 65_536;

/// One claim, picked out of a frame on a decode thread.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    ip: Ipv4Addr,
    mac: [u8; 6],
    vlan: Option<u16>,
    ns: i64,
    frame: u64,
    arp: bool,
    gratuitous: bool,
}

impl Claim {
    pub fn new(meta: &FrameMeta, d: &Decoded<'_>) -> Option<Claim> {
        let ns = meta.timestamp_ns?;
        let vlan = d.outer_vlan();
        if let Some(a) = d.arp {
            let mac = *a.sender_mac;
            let usable = matches!(a.opcode, OP_REQUEST | OP_REPLY)
                && a.sender_ip != [0, 0, 0, 0]
                && mac != [0; 6]
                && mac != [0xff; 6];
            return usable.then_some(Claim {
                ip: Ipv4Addr::from(a.sender_ip),
                mac,
                vlan,
                ns,
                frame: meta.frame_number,
                arp: true,
                gratuitous: a.is_gratuitous(),
            });
        }
        match (d.ip, d.src_mac) {
            (Some(ip), Some(mac)) if ip.version == 4 => match ip.src {
                IpAddr::V4(v4) => Some(Claim {
                    ip: v4,
                    mac,
                    vlan,
                    ns,
                    frame: meta.frame_number,
                    arp: false,
                    gratuitous: false,
                }),
                IpAddr::V6(_) => None,
            },
            _ => None,
        }
    }
}

/// Consecutive claims of one address by one (MAC, VLAN).
///
/// 64 bytes: most runs hold IP frames only (a router's MAC forwarding for the address, a host
/// seen on two VLANs), so what only ARP claims add is boxed apart, and up to [`MAX_RUNS`] of
/// them cost some 64 MB rather than twice that.
#[derive(Debug, Clone)]
struct Run {
    mac: [u8; 6],
    vlan: Option<u16>,
    start_ns: i64,
    end_ns: i64,
    claims: i64,
    first_frame: u64,
    last_frame: u64,
    /// None until the run holds an ARP claim.
    arp: Option<Box<ArpClaims>>,
}

/// The ARP claims of a run.
#[derive(Debug, Clone, Default)]
struct ArpClaims {
    claims: i64,
    /// The first gratuitous ARP: frame and time.
    garp: Option<(u64, i64)>,
    /// The first [`ARP_FRAMES_LISTED`] ARP frames.
    frames: Vec<u64>,
}

impl ArpClaims {
    fn add(&mut self, frame: u64) {
        if self.frames.len() < ARP_FRAMES_LISTED {
            self.frames.push(frame);
        }
    }
}

impl Run {
    fn new(c: &Claim) -> Run {
        let mut r = Run {
            mac: c.mac,
            vlan: c.vlan,
            start_ns: c.ns,
            end_ns: c.ns,
            claims: 0,
            first_frame: c.frame,
            last_frame: c.frame,
            arp: None,
        };
        r.add(c);
        r
    }

    fn add(&mut self, c: &Claim) {
        self.start_ns = self.start_ns.min(c.ns);
        self.end_ns = self.end_ns.max(c.ns);
        self.first_frame = self.first_frame.min(c.frame);
        self.last_frame = self.last_frame.max(c.frame);
        self.claims += 1;
        if c.arp {
            let arp = self.arp.get_or_insert_with(Box::default);
            arp.claims += 1;
            arp.add(c.frame);
            if c.gratuitous && arp.garp.is_none() {
                arp.garp = Some((c.frame, c.ns));
            }
        }
    }

    fn arp_claims(&self) -> i64 {
        self.arp.as_ref().map_or(0, |a| a.claims)
    }

    /// Join the next run of the same (MAC, VLAN) into this one.
    fn join(&mut self, o: Run) {
        self.start_ns = self.start_ns.min(o.start_ns);
        self.end_ns = self.end_ns.max(o.end_ns);
        self.first_frame = self.first_frame.min(o.first_frame);
        self.last_frame = self.last_frame.max(o.last_frame);
        self.claims += o.claims;
        match (&mut self.arp, o.arp) {
            (_, None) => {}
            (None, Some(theirs)) => self.arp = Some(theirs),
            (Some(ours), Some(theirs)) => {
                ours.claims += theirs.claims;
                ours.garp = ours.garp.or(theirs.garp);
                for f in theirs.frames {
                    ours.add(f);
                }
            }
        }
    }

    fn same_owner(&self, c: &Claim) -> bool {
        self.mac == c.mac && self.vlan == c.vlan
    }
}

/// What the bounds of the claim runs dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimCounters {
    /// Runs dropped because an address had too many even after compaction.
    pub runs_dropped: u64,
    /// Claims of addresses beyond [`MAX_ADDRESSES`].
    pub claims_untracked: u64,
}

/// The in-order stage that builds `ipv4_claim_runs`.
#[derive(Default)]
pub struct ClaimTracker {
    runs: HashMap<Ipv4Addr, Vec<Run>>,
    /// Runs held over all addresses.
    held: usize,
    pub counters: ClaimCounters,
}

impl ClaimTracker {
    pub fn claim(&mut self, c: &Claim) {
        let tracked = self.runs.len();
        let runs = match self.runs.get_mut(&c.ip) {
            Some(r) => r,
            None if tracked >= MAX_ADDRESSES => {
                self.counters.claims_untracked += 1;
                return;
            }
            // most addresses have one owner all along: a vector's first push reserves room for
            // four runs (256 bytes), one run is a quarter of that
            None => self
                .runs
                .entry(c.ip)
                .or_insert_with(|| Vec::with_capacity(1)),
        };
        match runs.last_mut() {
            Some(last) if last.same_owner(c) => last.add(c),
            _ => {
                runs.push(Run::new(c));
                self.held += 1;
                if runs.len() > MAX_RUNS_PER_IP {
                    let before = runs.len();
                    self.counters.runs_dropped += compact(runs);
                    self.held -= before - runs.len();
                }
                if self.held > MAX_RUNS {
                    self.compact_all();
                }
            }
        }
    }

    /// Compact every address (see the module documentation).
    fn compact_all(&mut self) {
        let mut held = 0;
        for runs in self.runs.values_mut() {
            self.counters.runs_dropped += compact(runs);
            held += runs.len();
        }
        self.held = held;
    }

    /// The table, ordered by address and time; the tracker is empty afterwards.
    pub fn finish(&mut self) -> Vec<RecordBatch> {
        self.held = 0;
        let mut all: Vec<(Ipv4Addr, Vec<Run>)> =
            std::mem::take(&mut self.runs).into_iter().collect();
        all.sort_unstable_by_key(|(ip, _)| *ip);
        // a batch's rows at a time: the runs are not held twice
        let mut rows = all.into_iter().flat_map(|(ip, runs)| {
            runs.into_iter()
                .enumerate()
                .map(move |(i, r)| (ip, i as i64 + 1, r))
        });
        let mut out = Vec::new();
        loop {
            let chunk: Vec<(Ipv4Addr, i64, Run)> = rows.by_ref().take(BATCH_ROWS).collect();
            if chunk.is_empty() {
                return out;
            }
            out.push(batch(&chunk));
        }
    }
}

/// Drop the runs of MACs that have not claimed the address in ARP (so far) and join the
/// neighbours that become adjacent; if still too many, drop the oldest. Returns the runs
/// dropped (not those joined into a neighbour).
fn compact(runs: &mut Vec<Run>) -> u64 {
    let claimants: Vec<([u8; 6], Option<u16>)> = runs
        .iter()
        .filter(|r| r.arp.is_some())
        .map(|r| (r.mac, r.vlan))
        .collect();
    let mut kept: Vec<Run> = Vec::with_capacity(runs.len());
    let mut dropped = 0;
    for r in runs.drain(..) {
        if !claimants.contains(&(r.mac, r.vlan)) {
            dropped += 1;
            continue;
        }
        match kept.last_mut() {
            Some(last) if last.mac == r.mac && last.vlan == r.vlan => last.join(r),
            _ => kept.push(r),
        }
    }
    if kept.len() > MAX_RUNS_PER_IP / 2 {
        let excess = kept.len() - MAX_RUNS_PER_IP / 2;
        kept.drain(..excess);
        dropped += excess as u64;
    }
    *runs = kept;
    dropped
}

fn batch(rows: &[(Ipv4Addr, i64, Run)]) -> RecordBatch {
    let r = || rows.iter();
    let ips: Vec<String> = r()
        .map(|(ip, _, _)| text::ip_string(&IpAddr::V4(*ip)))
        .collect();
    let macs: Vec<String> = r().map(|(_, _, x)| text::mac_string(&x.mac)).collect();
    let mut arp_frames = ListBuilder::new(UInt64Builder::new());
    for (_, _, x) in r() {
        arp_frames
            .values()
            .append_slice(x.arp.as_ref().map_or(&[][..], |a| &a.frames));
        arp_frames.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        arr(StringArray::from_iter_values(ips.iter())),
        arr(StringArray::from_iter_values(macs.iter())),
        arr(UInt16Array::from_iter(r().map(|(_, _, x)| x.vlan))),
        arr(Int64Array::from_iter_values(r().map(|(_, i, _)| *i))),
        arr(Int64Array::from_iter_values(
            r().map(|(_, _, x)| x.start_ns),
        )),
        arr(Int64Array::from_iter_values(r().map(|(_, _, x)| x.end_ns))),
        arr(Int64Array::from_iter_values(r().map(|(_, _, x)| x.claims))),
        arr(Int64Array::from_iter_values(
            r().map(|(_, _, x)| x.arp_claims()),
        )),
        arr(UInt64Array::from_iter_values(
            r().map(|(_, _, x)| x.first_frame),
        )),
        arr(UInt64Array::from_iter_values(
            r().map(|(_, _, x)| x.last_frame),
        )),
        arr(UInt64Array::from_iter(r().map(|(_, _, x)| {
            x.arp.as_ref().and_then(|a| a.garp).map(|g| g.0)
        }))),
        arr(Int64Array::from_iter(r().map(|(_, _, x)| {
            x.arp.as_ref().and_then(|a| a.garp).map(|g| g.1)
        }))),
        std::sync::Arc::new(arp_frames.finish()),
    ];
    RecordBatch::try_new(schema::ipv4_claim_runs().schema(), columns)
        .expect("ipv4_claim_runs follows schema.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_64_bytes() {
        // MAX_RUNS is sized by it: a field added to every run doubles the bound's memory
        assert_eq!(std::mem::size_of::<Run>(), 64);
    }

    fn claim(mac: u8, frame: u64, arp: bool) -> Claim {
        Claim {
            ip: Ipv4Addr::new(192, 0, 2, 7),
            mac: [2, 0, 0, 0, 0, mac],
            vlan: None,
            ns: frame as i64,
            frame,
            arp,
            gratuitous: false,
        }
    }

    #[test]
    fn runs_change_with_the_mac() {
        let mut t = ClaimTracker::default();
        for (i, (mac, arp)) in [(1, true), (1, false), (2, false), (1, false), (2, true)]
            .into_iter()
            .enumerate()
        {
            t.claim(&claim(mac, i as u64 + 1, arp));
        }
        let runs = &t.runs[&Ipv4Addr::new(192, 0, 2, 7)];
        let owners: Vec<(u8, i64)> = runs.iter().map(|r| (r.mac[5], r.claims)).collect();
        assert_eq!(owners, vec![(1, 2), (2, 1), (1, 1), (2, 1)]);
    }

    #[test]
    fn an_endless_alternation_stays_bounded() {
        let mut t = ClaimTracker::default();
        t.claim(&claim(1, 1, true));
        // MAC 3 never claims the address in ARP: its runs go, MAC 1's join up
        for i in 0..(3 * MAX_RUNS_PER_IP as u64) {
            t.claim(&claim(if i % 2 == 0 { 3 } else { 1 }, i + 2, false));
        }
        let runs = &t.runs[&Ipv4Addr::new(192, 0, 2, 7)];
        assert!(runs.len() <= MAX_RUNS_PER_IP);
        // MAC 3's runs: dropped, counted
        assert!(t.counters.runs_dropped as usize >= MAX_RUNS_PER_IP);
        assert_eq!(runs[0].mac[5], 1);
        assert!(runs[0].claims > MAX_RUNS_PER_IP as i64);
    }
}
