//! The detail frames: the rows of `packets` that `lmcap analyze` still reads one by one,
//! so a scan for analysis builds only these and never the whole `packets` table.
//!
//! Everything else the diagnostics need is summed in the scan (`traffic`, `flows`, the TCP
//! evidence). What is left are questions about individual frames that are rare in a capture
//! of bulk transfers: ARP, IGMP, ICMP, fragments, flooded frames (broadcast, multicast, NLB
//! cluster MACs), TCP handshakes and resets, offload super-segments, frames a decoder
//! stopped on, and a sample of each hour's first frames (to name frames with outlying
//! timestamps). A plain unicast TCP or UDP segment is not a detail frame, and that is nearly
//! every frame of a migration capture, so the detail grows with hosts, groups, connections
//! and errors, not with the bytes moved.
//!
//! Two kinds of frame are counted in the scan rather than kept: frames without a timestamp
//! (`evidence::timestamps`), and frames of which nothing was decoded (empty records, or bytes
//! that end inside the link header: no address, nothing a query could group by). Of the
//! latter a sample is kept, the first [`BARE_SAMPLE`] per decode status in each chunk, so
//! that a user can still find them; [`StopCounts`] counts every frame per decode status. A
//! capture of 134 million empty records (a 2 MB `.pcap.gz` bomb) is then counted, not loaded.
//!
//! The rule is declared here only. What proves it keeps enough: every query reading
//! `detail_frames` gives the answers of its packet-level specification (`queries/spec/`,
//! `tests/test_evidence.py`, where `detail_frames` is all of `packets`), and the reports built
//! from the detail frames alone equal the golden reports recorded when `lmcap analyze` still
//! loaded every frame (`tests/test_golden_reports.py`).

use std::collections::HashMap;

use crate::decode::{Decoded, StopReason, IPPROTO_TCP, IPPROTO_UDP};
use crate::frame::FrameMeta;
use crate::wire::mac::MacKind;
use crate::wire::tcp::{FIN, RST, SYN};

/// Frames of nothing decoded kept per decode status and chunk (see the module documentation).
pub const BARE_SAMPLE: u32 = 20;

/// Frames of each hour of capture time kept per chunk, in frame order: enough to list the
/// first frames of any hour stamped far from the rest (an outlying timestamp).
pub const HOUR_SAMPLE: u32 = 20;

const HOUR_NS: i64 = 3_600_000_000_000;

/// Whether a decoded frame is one the diagnostics read by itself (the rule without the hour
/// sample; see the module documentation).
pub fn is_detail(meta: &FrameMeta, d: &Decoded<'_>, switch_max_frame: u32) -> bool {
    // (a frame the snap length cut is not one by itself: captures of migrations are often
    // taken with a small snap length, and `traffic` counts them per host; nor is a frame
    // without a timestamp: it is counted in the scan)
    if d.status != StopReason::Ok {
        return true;
    }
    if d.dst_mac
        .is_some_and(|m| MacKind::of(&m) != MacKind::Unicast)
    {
        return true;
    }
    let Some(ip) = d.ip else {
        return true;
    };
    if ip.is_fragment || ip.dst.is_multicast() || !matches!(ip.protocol, IPPROTO_TCP | IPPROTO_UDP)
    {
        return true;
    }
    if let std::net::IpAddr::V4(v4) = ip.dst {
        if v4.is_broadcast() {
            return true;
        }
    }
    match d.tcp {
        Some(t) => {
            let l3_len = d.l3_len(meta.wire_len);
            t.flags & (SYN | FIN | RST) != 0
                // segments larger than a switch passes, or with no IPv4 length: offload
                || l3_len.is_some_and(|l| l > switch_max_frame)
                || (ip.version == 4 && ip.ip_len.is_none())
        }
        None => false,
    }
}

/// Whether a decoder stopped before it read anything a query groups by: no link-layer
/// address and no IP header (an empty record, or bytes ending inside the link header). Such a
/// frame is kept only in a sample ([`StopSample`]).
pub fn is_bare(d: &Decoded<'_>) -> bool {
    d.status != StopReason::Ok && d.dst_mac.is_none() && d.ip.is_none()
}

/// Frames per decode status, every frame of the scan counted (the `decode_status` column's
/// counts, which the detail frames alone no longer give: bare frames are sampled).
#[derive(Clone, Copy)]
pub struct StopCounts(pub [u64; StopReason::ALL.len()]);

impl Default for StopCounts {
    fn default() -> StopCounts {
        StopCounts([0; StopReason::ALL.len()])
    }
}

impl StopCounts {
    #[inline]
    pub fn add(&mut self, status: StopReason) {
        self.0[status as usize] += 1;
    }

    pub fn merge(&mut self, other: &StopCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// The statuses seen, with their frames, in declaration order.
    pub fn seen(&self) -> impl Iterator<Item = (StopReason, u64)> + '_ {
        (StopReason::ALL.iter().zip(self.0)).filter_map(|(s, n)| (n > 0).then_some((*s, n)))
    }
}

/// The sample of bare frames of one chunk: how many of each decode status it kept so far.
pub struct StopSample([u32; StopReason::ALL.len()]);

impl Default for StopSample {
    fn default() -> StopSample {
        StopSample([0; StopReason::ALL.len()])
    }
}

impl StopSample {
    /// Whether to keep this bare frame as one of the first of its decode status in the chunk.
    pub fn keeps(&mut self, status: StopReason) -> bool {
        let kept = &mut self.0[status as usize];
        let keep = *kept < BARE_SAMPLE;
        *kept += u32::from(keep);
        keep
    }
}

/// The hour sample of one chunk: how many frames of each hour it kept so far.
#[derive(Default)]
pub struct HourSample {
    /// The hour of the previous frame and the frames kept of it: a chunk spans one hour or
    /// two, so this answers nearly every frame without the map.
    last: Option<(i64, u32)>,
    /// The other hours met in the chunk (one per frame at most: a chunk of frames stamped an
    /// hour apart each keeps all of them, which is what they are: outliers).
    hours: HashMap<i64, u32>,
}

impl HourSample {
    /// Whether to keep this frame as one of the first of its hour in the chunk.
    pub fn keeps(&mut self, timestamp_ns: Option<i64>) -> bool {
        let Some(ns) = timestamp_ns else {
            return false;
        };
        let hour = ns.div_euclid(HOUR_NS);
        let kept = match self.last {
            Some((h, n)) if h == hour => n,
            other => {
                if let Some((h, n)) = other {
                    self.hours.insert(h, n);
                }
                self.hours.remove(&hour).unwrap_or(0)
            }
        };
        let keep = kept < HOUR_SAMPLE;
        self.last = Some((hour, kept + u32::from(keep)));
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_sample_keeps_the_first_frames_of_each_hour() {
        let mut s = HourSample::default();
        let kept: Vec<bool> = (0..30).map(|i| s.keeps(Some(i))).collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), HOUR_SAMPLE as usize);
        assert!(kept[..HOUR_SAMPLE as usize].iter().all(|k| *k));
        assert!(
            s.keeps(Some(HOUR_NS * 24 * 365 * 40)),
            "a frame decades away"
        );
        assert!(s.keeps(Some(-1)), "before 1970: its own hour");
        assert!(!s.keeps(None));
    }

    #[test]
    fn the_stop_sample_keeps_the_first_frames_of_each_status_and_the_counts_all() {
        let (mut sample, mut counts) = (StopSample::default(), StopCounts::default());
        let statuses = [StopReason::EmptyFrame, StopReason::TruncatedLink];
        let mut kept = [0; 2];
        for i in 0..100 {
            let s = statuses[i % 2];
            counts.add(s);
            kept[i % 2] += u32::from(sample.keeps(s));
        }
        assert_eq!(kept, [BARE_SAMPLE, BARE_SAMPLE]);
        let mut total = StopCounts::default();
        total.merge(&counts);
        total.merge(&counts);
        let seen: Vec<_> = total.seen().collect();
        assert_eq!(
            seen,
            vec![
                (StopReason::EmptyFrame, 100),
                (StopReason::TruncatedLink, 100)
            ]
        );
    }

    #[test]
    fn an_empty_frame_is_bare_and_a_cut_ethernet_header_with_its_address_is_not() {
        let mut d = Decoded::default();
        crate::decode::decode_into(&[], Some(1), 0, &mut d);
        assert_eq!(d.status, StopReason::EmptyFrame);
        assert!(is_bare(&d));
        crate::decode::decode_into(&[0xff; 10], Some(1), 60, &mut d);
        assert!(
            is_bare(&d),
            "10 bytes: the Ethernet header is cut before its addresses"
        );
        let mut header = [0xff; 14];
        header[12..].copy_from_slice(&[0x08, 0x00]);
        crate::decode::decode_into(&header, Some(1), 60, &mut d);
        assert_eq!(d.status, StopReason::TruncatedIpv4);
        assert!(
            !is_bare(&d),
            "the addresses were read: a broadcast frame, cut"
        );
    }
}
