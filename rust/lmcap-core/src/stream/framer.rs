//! Finding message boundaries in one direction of a TCP connection.
//!
//! SMB (Direct TCP) and iWARP (MPA) both send length-prefixed messages over TCP, so a message
//! can start anywhere in a segment, span many segments, or share a segment with others. The
//! framer follows the sequence space: it collects the first bytes of each message (enough to
//! decode its headers, never the whole of a megabyte WRITE), skips the rest by sequence number
//! without looking at it, and so survives snaplen-cut segments as long as each message start
//! was captured. When a start is missing (a sequence gap, or the snaplen cut it) it loses sync
//! and scans later segments for a plausible message start; everything it could not frame is
//! reported as a [`Lost`] event with a reason and a byte count, so nothing goes missing
//! silently.
//!
//! Segments are taken in capture order. Retransmitted bytes (below the next expected sequence
//! number) are dropped; bytes beyond a hole are not held back for reordering (a real reorder
//! costs one resync, which is counted).

use crate::frame::At;

/// What a protocol tells the framer about its messages.
pub trait Framing {
    /// Bytes needed at a message start to know its total length (may depend on what the
    /// stream said so far: iWARP's first message is the 20-byte MPA start header).
    fn prefix(&self) -> usize;
    /// Total length on the wire of a message that starts with `prefix` (`prefix()` bytes), or
    /// None when these bytes cannot start a message.
    fn message_len(&mut self, prefix: &[u8]) -> Option<usize>;
    /// Bytes of the message to collect before it is handed over, given the `head` collected so
    /// far (at least `prefix()` bytes) and its `total` length; asked again each time that many are
    /// collected, until it answers `head.len()`. None: these bytes are not a message after all.
    fn want(&mut self, head: &[u8], total: usize) -> Option<usize>;
    /// Offset of the first plausible message start in `data` (used after sync is lost).
    fn find_start(&self, data: &[u8]) -> Option<usize>;
}

/// Why bytes of a stream could not be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostKind {
    /// Sequence numbers were skipped (frames missing from the capture) where a message header was due.
    Gap,
    /// The snaplen cut the segment before a message header (or the capture ended inside one).
    NotCaptured,
    /// The bytes where a message was due do not look like one.
    BadHeader,
    /// Bytes skipped while looking for the next message start (after sync was lost, or when
    /// the capture began in the middle of a connection).
    Resync,
}

impl LostKind {
    pub fn name(self) -> &'static str {
        match self {
            LostKind::Gap => "gap",
            LostKind::NotCaptured => "not_captured",
            LostKind::BadHeader => "bad_header",
            LostKind::Resync => "resync",
        }
    }
}

pub enum Event<'b> {
    /// A message: its first bytes (from the length prefix on), its total length on the wire,
    /// and whether the capture cut it before everything `want` asked for was collected.
    Message {
        at: At,
        head: &'b [u8],
        total: usize,
        cut: bool,
    },
    Lost {
        at: At,
        kind: LostKind,
        bytes: u64,
    },
}

/// A TCP segment as the framer needs it.
pub struct Segment<'a> {
    pub at: At,
    pub seq: u32,
    pub syn: bool,
    /// Captured payload (may be shorter than `payload_len` when the snaplen cut it).
    pub payload: &'a [u8],
    /// Payload length on the wire, from the IP and TCP headers.
    pub payload_len: u32,
}

enum State {
    /// Looking for a message start; `skipped` bytes passed since sync was lost.
    Unsynced { skipped: u64 },
    /// Collecting the head of a message that began at `at`.
    Collect {
        at: At,
        total: Option<usize>,
        want: usize,
    },
    /// Inside a message body: this many bytes to pass over.
    Skip { remaining: u64 },
}

/// Gaps larger than this are not "a few frames missing" but a different stream (or a lying
/// sequence number): treat them as a restart.
const MAX_GAP: u32 = 1 << 30;

pub struct MessageFramer<F: Framing> {
    pub framing: F,
    /// The most bytes the head may hold now (set by the caller from a budget shared by every
    /// direction, see `stream::HEADS_BUDGET_BYTES`): past it a message is handed over cut,
    /// as if the snaplen had cut it, and its rest skipped. Never below the prefix.
    pub head_limit: usize,
    /// Messages handed over cut because `head_limit` was reached.
    pub heads_cut: u64,
    next_seq: Option<u32>,
    state: State,
    head: Vec<u8>,
    /// While unsynced: the last bytes of the previous segment (when it was captured to its end
    /// and this one follows it), so a message start split across two segments — a 4-byte
    /// length prefix sent in a segment of its own, as some clients do — is still found.
    carry: Vec<u8>,
    carry_at: At,
}

/// Bytes of the previous segment kept for a split message start.
const CARRY: usize = 8;

/// A head allocation up to this size is kept for the next message; a larger one is freed.
const KEPT_HEAD_CAPACITY: usize = 4096;

impl<F: Framing + Default> Default for MessageFramer<F> {
    fn default() -> Self {
        MessageFramer::new(F::default())
    }
}

impl<F: Framing> MessageFramer<F> {
    pub fn new(framing: F) -> Self {
        MessageFramer {
            framing,
            head_limit: usize::MAX,
            heads_cut: 0,
            next_seq: None,
            state: State::Unsynced { skipped: 0 },
            head: Vec::new(),
            carry: Vec::new(),
            carry_at: At {
                frame_number: 0,
                timestamp_ns: None,
            },
        }
    }

    fn start_message(&mut self, at: At) {
        self.head.clear();
        self.state = State::Collect {
            at,
            total: None,
            want: self.framing.prefix(),
        };
    }

    fn lose_sync(&mut self, at: At, kind: LostKind, bytes: u64, emit: &mut impl FnMut(Event<'_>)) {
        emit(Event::Lost { at, kind, bytes });
        self.head.clear();
        self.carry.clear();
        self.state = State::Unsynced { skipped: 0 };
    }

    /// The stream ends (its end of capture, FIN, or idle timeout): what it still holds is
    /// reported, never dropped. Bytes skipped while unsynced that no resync has accounted for
    /// are lost (resync); a message whose head was still being collected is handed over as
    /// cut (as when the snaplen cuts it: its start and length are known); a length prefix
    /// that never arrived whole is lost (not_captured).
    pub fn finish(&mut self, at: At, emit: &mut impl FnMut(Event<'_>)) {
        match self.state {
            State::Unsynced { skipped } if skipped > 0 => {
                emit(Event::Lost {
                    at,
                    kind: LostKind::Resync,
                    bytes: skipped,
                });
            }
            State::Collect {
                at: start,
                total: Some(total),
                ..
            } if !self.head.is_empty() => self.hand_over(start, total, true, emit),
            State::Collect { total: None, .. } if !self.head.is_empty() => {
                // the capture (or the connection) ended inside the length prefix
                emit(Event::Lost {
                    at,
                    kind: LostKind::NotCaptured,
                    bytes: self.head.len() as u64,
                });
            }
            _ => return,
        }
        self.head.clear();
        self.state = State::Unsynced { skipped: 0 };
    }

    pub fn segment(&mut self, seg: &Segment<'_>, emit: &mut impl FnMut(Event<'_>)) {
        if seg.syn {
            // The stream starts here: the first payload byte is the first message's first byte.
            self.next_seq = Some(seg.seq.wrapping_add(1));
            self.start_message(seg.at);
            return;
        }
        let declared = seg.payload_len as usize;
        if declared == 0 {
            return;
        }
        let next = *self.next_seq.get_or_insert(seg.seq);
        let delta = seg.seq.wrapping_sub(next);
        let mut front = 0usize;
        if delta != 0 && delta < MAX_GAP {
            self.gap(seg.at, u64::from(delta), emit);
        } else if delta != 0 && delta.wrapping_neg() < MAX_GAP {
            // Starts before what was already framed: a retransmission, at least in part.
            let behind = delta.wrapping_neg() as usize;
            if behind >= declared {
                return;
            }
            front = behind;
        } else if delta != 0 {
            // A jump of a gigabyte or more: restart the framing here.
            self.lose_sync(seg.at, LostKind::Gap, 0, emit);
        }
        self.next_seq = Some(seg.seq.wrapping_add(declared as u32));
        let len = declared - front;
        let data = seg.payload.get(front..).unwrap_or(&[]);
        let captured = data.len().min(len);
        self.bytes(seg.at, &data[..captured], len, emit);
    }

    /// `bytes` of the stream never seen (missing frames) right before the current segment.
    fn gap(&mut self, at: At, bytes: u64, emit: &mut impl FnMut(Event<'_>)) {
        match self.state {
            State::Skip { remaining } if remaining >= bytes => {
                // Missing bytes inside a body: the next message start is still known.
                let remaining = remaining - bytes;
                if remaining == 0 {
                    self.start_message(at);
                } else {
                    self.state = State::Skip { remaining };
                }
            }
            State::Unsynced { skipped } => {
                self.carry.clear();
                self.state = State::Unsynced {
                    skipped: skipped + bytes,
                }
            }
            State::Collect {
                at: start,
                total: Some(total),
                ..
            } if (total - self.head.len()) as u64 >= bytes => {
                // The head of this message is cut short, but where it ends is known.
                let have = self.head.len();
                self.hand_over(start, total, true, emit);
                let remaining = (total - have) as u64 - bytes;
                if remaining == 0 {
                    self.start_message(at);
                } else {
                    self.state = State::Skip { remaining };
                }
            }
            State::Collect { .. } | State::Skip { .. } => {
                self.lose_sync(at, LostKind::Gap, bytes, emit);
            }
        }
    }

    /// Emit the collected head as a message and empty it (keeping a small allocation: a
    /// large one, an IOCTL's 64 KiB, goes back, or every idle direction would hold one).
    fn hand_over(&mut self, at: At, total: usize, cut: bool, emit: &mut impl FnMut(Event<'_>)) {
        let head = std::mem::take(&mut self.head);
        emit(Event::Message {
            at,
            head: &head,
            total,
            cut,
        });
        if head.capacity() <= KEPT_HEAD_CAPACITY {
            self.head = head;
            self.head.clear();
        }
    }

    /// Bytes the head holds allocated (what the shared budget counts).
    pub fn head_capacity(&self) -> usize {
        self.head.capacity()
    }

    /// Frame `len` bytes of stream of which the first `data.len()` were captured.
    fn bytes(&mut self, at: At, data: &[u8], len: usize, emit: &mut impl FnMut(Event<'_>)) {
        let mut p = 0usize;
        while p < len {
            match self.state {
                State::Skip { remaining } => {
                    let n = (remaining.min((len - p) as u64)) as usize;
                    p += n;
                    if remaining == n as u64 {
                        self.start_message(at);
                    } else {
                        self.state = State::Skip {
                            remaining: remaining - n as u64,
                        };
                    }
                }
                State::Unsynced { skipped } => {
                    if p == 0 && !self.carry.is_empty() && !data.is_empty() {
                        // A start that began in the previous segment's last bytes.
                        let mut joined = std::mem::take(&mut self.carry);
                        let kept = joined.len();
                        joined.extend_from_slice(&data[..data.len().min(64)]);
                        if let Some(i) = self.framing.find_start(&joined).filter(|&i| i < kept) {
                            let earlier = (kept - i) as u64;
                            let skipped = skipped.saturating_sub(earlier);
                            if skipped > 0 {
                                emit(Event::Lost {
                                    at: self.carry_at,
                                    kind: LostKind::Resync,
                                    bytes: skipped,
                                });
                            }
                            self.head.clear();
                            self.head.extend_from_slice(&joined[i..kept]);
                            self.state = State::Collect {
                                at: self.carry_at,
                                total: None,
                                want: self.framing.prefix().max(kept - i),
                            };
                            continue;
                        }
                    }
                    let found = if p < data.len() {
                        self.framing.find_start(&data[p..])
                    } else {
                        None
                    };
                    match found {
                        Some(i) => {
                            let skipped = skipped + i as u64;
                            if skipped > 0 {
                                emit(Event::Lost {
                                    at,
                                    kind: LostKind::Resync,
                                    bytes: skipped,
                                });
                            }
                            p += i;
                            self.start_message(at);
                        }
                        None => {
                            self.state = State::Unsynced {
                                skipped: skipped + (len - p) as u64,
                            };
                            p = len;
                        }
                    }
                }
                State::Collect {
                    at: start,
                    total,
                    want,
                } => {
                    if p >= data.len() {
                        // On the wire but not in the capture.
                        match total {
                            Some(total) => {
                                let have = self.head.len();
                                self.hand_over(start, total, true, emit);
                                self.state = State::Skip {
                                    remaining: (total - have) as u64,
                                };
                            }
                            None => {
                                let lost = (len - p + self.head.len()) as u64;
                                self.lose_sync(at, LostKind::NotCaptured, lost, emit);
                                p = len;
                            }
                        }
                        continue;
                    }
                    // The message begins in the segment that holds its first byte.
                    let start = if self.head.is_empty() { at } else { start };
                    let limit = self.head_limit.max(self.framing.prefix());
                    if let (Some(total), true) = (total, self.head.len() >= limit) {
                        // The shared budget for heads is spent: hand over what is here.
                        let have = self.head.len();
                        self.heads_cut += 1;
                        self.hand_over(start, total, true, emit);
                        self.state = State::Skip {
                            remaining: (total - have) as u64,
                        };
                        continue;
                    }
                    let n = (want.min(limit) - self.head.len()).min(data.len() - p);
                    self.head.extend_from_slice(&data[p..p + n]);
                    p += n;
                    if self.head.len() < want {
                        // more to come (at the limit: handed over cut above, with the next bytes)
                        continue;
                    }
                    let total = match total {
                        Some(t) => Some(t),
                        None => self.framing.message_len(&self.head),
                    };
                    let next_want = total.and_then(|t| self.framing.want(&self.head, t));
                    match (total, next_want) {
                        (Some(total), _) if total < self.head.len() => {
                            let bad = self.head.len() as u64;
                            self.lose_sync(start, LostKind::BadHeader, bad, emit);
                        }
                        (Some(total), Some(w)) if w > self.head.len() && w <= total => {
                            self.state = State::Collect {
                                at: start,
                                total: Some(total),
                                want: w,
                            };
                        }
                        (Some(total), Some(_)) => {
                            let have = self.head.len();
                            self.hand_over(start, total, false, emit);
                            if total > have {
                                self.state = State::Skip {
                                    remaining: (total - have) as u64,
                                };
                            } else {
                                self.start_message(at);
                            }
                        }
                        _ => {
                            // Not a message start: count the bytes and look for the next one
                            // just after the bytes that failed.
                            let bad = self.head.len() as u64;
                            self.lose_sync(start, LostKind::BadHeader, bad, emit);
                        }
                    }
                }
            }
        }
        // Still looking for a start: keep this segment's last bytes if it was captured whole,
        // but only bytes counted in `skipped`: bytes already reported lost (a bad header that
        // ends the segment) must not begin a message too (fuzz target stream_tcp found them
        // counted twice).
        if let State::Unsynced { skipped } = self.state {
            self.carry.clear();
            if data.len() == len {
                let keep = CARRY
                    .min(usize::try_from(skipped).unwrap_or(usize::MAX))
                    .min(data.len());
                self.carry.extend_from_slice(&data[data.len() - keep..]);
                self.carry_at = at;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages `M`, length byte, body: the smallest framing with a length prefix.
    struct Tiny;

    impl Framing for Tiny {
        fn prefix(&self) -> usize {
            2
        }
        fn message_len(&mut self, prefix: &[u8]) -> Option<usize> {
            (prefix[0] == b'M' && prefix[1] >= 2).then_some(usize::from(prefix[1]))
        }
        fn want(&mut self, head: &[u8], _total: usize) -> Option<usize> {
            Some(head.len())
        }
        fn find_start(&self, data: &[u8]) -> Option<usize> {
            data.iter().position(|&b| b == b'M')
        }
    }

    #[test]
    fn bytes_reported_lost_in_a_bad_header_never_start_a_message_too() {
        // A bad header fills the first segment to its end ("XM"); the next segment would
        // complete "M" + 5 into a message. The "M" was already counted lost: every byte is
        // accounted for once.
        let mut f = MessageFramer::new(Tiny);
        let (mut messages, mut lost) = (0u64, 0u64);
        let mut emit = |e: Event<'_>| match e {
            Event::Message { total, .. } => messages += total as u64,
            Event::Lost { bytes, .. } => lost += bytes,
        };
        let at = At {
            frame_number: 1,
            timestamp_ns: None,
        };
        let mut seq = 10u32;
        let syn = Segment {
            at,
            seq,
            syn: true,
            payload: &[],
            payload_len: 0,
        };
        f.segment(&syn, &mut emit);
        seq += 1;
        let mut fed = 0u64;
        for piece in [&b"XM"[..], &[5, 0, 0, 0][..]] {
            let seg = Segment {
                at,
                seq,
                syn: false,
                payload: piece,
                payload_len: piece.len() as u32,
            };
            f.segment(&seg, &mut emit);
            seq += piece.len() as u32;
            fed += piece.len() as u64;
        }
        f.finish(at, &mut emit);
        assert_eq!(messages + lost, fed, "{messages} in messages, {lost} lost");
    }
}
