//! Which frames a scan keeps: a time range, VLANs and hosts, applied while the frames are
//! decoded so that a user asking about one VLAN or one hour of a long capture pays for that
//! part only (every table, evidence and `flows` included, sees only the kept frames).
//!
//! A dropped frame keeps its number: the rows kept still name the frame a user finds in
//! Wireshark, and the scan counts what it dropped so that a report can say so.

use std::net::{IpAddr, Ipv4Addr};

use crate::decode::Decoded;
use crate::wire::ethernet::MAX_RECORDED_TAGS;

/// A point in time: absolute, or counted from the first timestamped frame of the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instant {
    /// Nanoseconds since the epoch.
    Absolute(i64),
    /// Nanoseconds after the first timestamped frame (in the merged order).
    FromStart(i64),
}

impl Instant {
    fn resolve(self, start_ns: Option<i64>) -> Option<i64> {
        match self {
            Instant::Absolute(ns) => Some(ns),
            Instant::FromStart(ns) => start_ns.map(|s| s.saturating_add(ns)),
        }
    }
}

/// What to keep. Kinds combine with AND, the values of one kind with OR; an empty filter keeps
/// every frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameFilter {
    /// Keep frames stamped at or after this.
    pub since: Option<Instant>,
    /// Keep frames stamped before this.
    pub until: Option<Instant>,
    /// Keep frames carrying one of these VLAN ids in one of their two outer tags.
    pub vlans: Vec<u16>,
    /// Keep frames from or to one of these IP addresses (IP source/destination, or the ARP
    /// sender/target address, as `host` in a capture filter).
    pub ips: Vec<IpAddr>,
    /// Keep frames from or to one of these MAC addresses.
    pub macs: Vec<[u8; 6]>,
}

impl FrameFilter {
    pub fn is_empty(&self) -> bool {
        self == &FrameFilter::default()
    }

    /// The filter with its times made absolute, once the scan's first timestamp is known.
    pub fn resolve(&self, start_ns: Option<i64>) -> ResolvedFilter {
        let since = self.since.map(|i| i.resolve(start_ns));
        let until = self.until.map(|i| i.resolve(start_ns));
        ResolvedFilter {
            // A relative bound before any timestamp: nothing can be placed in time yet.
            since: since.map(|s| s.unwrap_or(i64::MAX)),
            until: until.map(|u| u.unwrap_or(i64::MIN)),
            vlans: self.vlans.clone(),
            ips: self.ips.clone(),
            macs: self.macs.clone(),
        }
    }
}

/// A [`FrameFilter`] with absolute times, applied per frame on the decode threads.
#[derive(Debug, Clone, Default)]
pub struct ResolvedFilter {
    since: Option<i64>,
    until: Option<i64>,
    vlans: Vec<u16>,
    ips: Vec<IpAddr>,
    macs: Vec<[u8; 6]>,
}

impl ResolvedFilter {
    /// Whether the time range keeps a frame stamped `timestamp_ns` (checked before decoding:
    /// a frame outside the range costs no decoding). A frame without a timestamp cannot be
    /// placed in a time range and is dropped when there is one.
    #[inline]
    pub fn keeps_time(&self, timestamp_ns: Option<i64>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(ns) = timestamp_ns else {
            return false;
        };
        self.since.is_none_or(|s| ns >= s) && self.until.is_none_or(|u| ns < u)
    }

    /// Whether the VLAN and host conditions keep a decoded frame.
    #[inline]
    pub fn keeps(&self, d: &Decoded<'_>) -> bool {
        if !self.vlans.is_empty() {
            let n = (d.vlan_count as usize).min(MAX_RECORDED_TAGS);
            if !d.vlan_tags[..n].iter().any(|t| self.vlans.contains(&t.vid)) {
                return false;
            }
        }
        if !self.ips.is_empty() || !self.macs.is_empty() {
            let ip_match =
                d.ip.is_some_and(|ip| self.ips.contains(&ip.src) || self.ips.contains(&ip.dst))
                    || d.arp.is_some_and(|a| {
                        [a.sender_ip, a.target_ip]
                            .iter()
                            .any(|v4| self.ips.contains(&IpAddr::V4(Ipv4Addr::from(*v4))))
                    });
            let mac_match = [d.src_mac, d.dst_mac]
                .iter()
                .flatten()
                .any(|m| self.macs.contains(m));
            if !ip_match && !mac_match {
                return false;
            }
        }
        true
    }
}
