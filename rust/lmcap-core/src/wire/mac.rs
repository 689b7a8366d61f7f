//! What a destination MAC address says about how a switch will forward the frame, including
//! the cluster MACs of Windows NLB (which exist precisely to make switches flood).

/// How a switch treats a destination MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacKind {
    Unicast,
    Broadcast,
    Multicast,
    /// NLB unicast mode: 02:bf:<VIP>. Never a source address, so switches never learn it and
    /// flood every frame sent to it.
    NlbUnicast,
    /// NLB multicast mode: 03:bf:<VIP>, a multicast MAC no IGMP join maps to.
    NlbMulticast,
    /// NLB IGMP multicast mode: 01:00:5e:7f:<VIP octets 3-4>, group 239.255.x.y.
    NlbIgmpMulticast,
}

impl MacKind {
    pub const ALL: [MacKind; 6] = [
        MacKind::Unicast,
        MacKind::Broadcast,
        MacKind::Multicast,
        MacKind::NlbUnicast,
        MacKind::NlbMulticast,
        MacKind::NlbIgmpMulticast,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MacKind::Unicast => "unicast",
            MacKind::Broadcast => "broadcast",
            MacKind::Multicast => "multicast",
            MacKind::NlbUnicast => "nlb_unicast",
            MacKind::NlbMulticast => "nlb_multicast",
            MacKind::NlbIgmpMulticast => "nlb_igmp_multicast",
        }
    }

    #[inline]
    pub fn of(mac: &[u8; 6]) -> MacKind {
        match mac {
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] => MacKind::Broadcast,
            [0x02, 0xbf, ..] => MacKind::NlbUnicast,
            [0x03, 0xbf, ..] => MacKind::NlbMulticast,
            [0x01, 0x00, 0x5e, 0x7f, ..] => MacKind::NlbIgmpMulticast,
            [m, ..] if m & 1 == 1 => MacKind::Multicast,
            _ => MacKind::Unicast,
        }
    }
}

/// The NLB virtual IP a cluster MAC encodes (the last two octets only for IGMP mode).
pub fn nlb_vip(mac: &[u8; 6]) -> Option<[u8; 4]> {
    match MacKind::of(mac) {
        MacKind::NlbUnicast | MacKind::NlbMulticast => Some([mac[2], mac[3], mac[4], mac[5]]),
        MacKind::NlbIgmpMulticast => Some([239, 255, mac[4], mac[5]]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_nlb_macs() {
        assert_eq!(MacKind::of(&[2, 0xbf, 192, 0, 2, 100]), MacKind::NlbUnicast);
        assert_eq!(
            MacKind::of(&[3, 0xbf, 192, 0, 2, 100]),
            MacKind::NlbMulticast
        );
        assert_eq!(
            MacKind::of(&[1, 0, 0x5e, 0x7f, 2, 100]),
            MacKind::NlbIgmpMulticast
        );
        assert_eq!(MacKind::of(&[1, 0, 0x5e, 0x01, 2, 100]), MacKind::Multicast);
        assert_eq!(MacKind::of(&[0xff; 6]), MacKind::Broadcast);
        assert_eq!(MacKind::of(&[0, 0x15, 0x5d, 1, 2, 3]), MacKind::Unicast);
        assert_eq!(nlb_vip(&[3, 0xbf, 192, 0, 2, 100]), Some([192, 0, 2, 100]));
    }
}
