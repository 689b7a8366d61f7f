//! The detail frames: the rows of `packets` that `lmcap analyze` still reads one by one,
//! so a scan for analysis builds only these and never the whole `packets` table.
//!
//! Everything else the diagnostics need is summed in the scan (`traffic`, `flows`, the TCP
//! evidence). What is left are questions about individual frames that are rare in a capture
//! of bulk transfers: ARP, IGMP, ICMP, fragments, flooded frames (broadcast, multicast, NLB
//! cluster MACs), TCP handshakes and resets, offload super-segments, frames a decoder
//! stopped on, frames without a timestamp, and a sample of each hour's first frames (to name
//! frames with outlying timestamps). A plain unicast TCP or UDP segment is not a detail
//! frame, and that is nearly every frame of a migration capture, so the detail grows with
//! hosts, groups, connections and errors, not with the bytes moved.
//!
//! The rule is declared here only. What proves it keeps enough: every query reading
//! `detail_frames` gives the answers of its packet-level specification (`queries/spec/`,
//! `tests/test_evidence.py`, where `detail_frames` is all of `packets`), and the reports built
//! from the detail frames alone equal the golden reports recorded when `lmcap analyze` still
//! loaded every frame (`tests/test_golden_reports.py`).

use std::collections::HashMap;

use crate::decode::{Decoded, StopReason, IPPROTO_TCP, IPPROTO_UDP};
use crate::tables::builders::FrameMeta;
use crate::wire::mac::MacKind;
use crate::wire::tcp::{FIN, RST, SYN};

/// Frames of each hour of capture time kept per chunk, in frame order: enough to list the
/// first frames of any hour stamped far from the rest (an outlying timestamp).
pub const HOUR_SAMPLE: u32 = 20;

const HOUR_NS: i64 = 3_600_000_000_000;

/// Whether a decoded frame is one the diagnostics read by itself (the rule without the hour
/// sample; see the module documentation).
pub fn is_detail(meta: &FrameMeta, d: &Decoded<'_>, switch_max_frame: u32) -> bool {
    // (a frame the snap length cut is not one by itself: captures of migrations are often
    // taken with a small snap length, and `traffic` counts them per host)
    if d.status != StopReason::Ok || meta.timestamp_ns.is_none() {
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
}
