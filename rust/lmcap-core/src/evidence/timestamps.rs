//! Frames stamped earlier than the frame before them in their file (out of order), and frames
//! without a timestamp, counted in the scan: each decode thread counts inside its chunk, and
//! the in-order pass adds the steps between chunks. `python/lmcap/queries/spec/capture_timestamps.sql` counts the same
//! with a window over `packets`; a test compares the two on every capture.

use std::collections::HashMap;

/// What one chunk saw, per file: its first and last stamped frames and the backward steps
/// between its own frames.
#[derive(Default)]
pub struct OrderChunk {
    /// Per file index met in the chunk: a list, not a map, because this runs for every frame
    /// and a chunk holds frames of one file or a few (the inputs merged).
    files: Vec<(u32, ChunkFile)>,
    /// Backward steps between frames of the chunk, and the first frame that stepped back.
    backwards: u64,
    first_backwards: Option<u64>,
    /// Frames without a timestamp, and the first of them.
    missing: u64,
    first_missing: Option<u64>,
}

#[derive(Clone, Copy)]
struct ChunkFile {
    first_ns: i64,
    first_frame: u64,
    last_ns: i64,
}

impl OrderChunk {
    /// A frame that is kept (after the filter), in frame order.
    pub fn add(&mut self, file_index: u32, frame_number: u64, timestamp_ns: Option<i64>) {
        let Some(ns) = timestamp_ns else {
            self.missing += 1;
            self.first_missing.get_or_insert(frame_number);
            return;
        };
        match self.files.iter_mut().find(|(i, _)| *i == file_index) {
            Some((_, f)) => {
                if ns < f.last_ns {
                    self.backwards += 1;
                    self.first_backwards.get_or_insert(frame_number);
                }
                f.last_ns = ns;
            }
            None => {
                self.files.push((
                    file_index,
                    ChunkFile {
                        first_ns: ns,
                        first_frame: frame_number,
                        last_ns: ns,
                    },
                ));
            }
        }
    }
}

/// Out-of-order frames and frames without a timestamp over the whole scan.
#[derive(Default)]
pub struct TimestampOrder {
    /// The last stamped frame's time, per file.
    last_ns: HashMap<u32, i64>,
    pub out_of_order: u64,
    pub first_out_of_order: Option<u64>,
    pub missing: u64,
    pub first_missing: Option<u64>,
}

impl TimestampOrder {
    /// Fold in the next chunk (in frame order).
    pub fn chunk(&mut self, c: OrderChunk) {
        self.out_of_order += c.backwards;
        self.missing += c.missing;
        if self.first_missing.is_none() {
            // chunks come in frame order: the first chunk with one holds the first
            self.first_missing = c.first_missing;
        }
        let mut first = c.first_backwards;
        for (file, f) in c.files {
            if let Some(prev) = self.last_ns.insert(file, f.last_ns) {
                if f.first_ns < prev {
                    self.out_of_order += 1;
                    first = Some(first.map_or(f.first_frame, |x| x.min(f.first_frame)));
                }
            }
        }
        if let Some(f) = first {
            self.first_out_of_order = Some(self.first_out_of_order.map_or(f, |x| x.min(f)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Backward steps over a whole sequence of (file, ns), counted directly.
    fn direct(frames: &[(u32, i64)]) -> (u64, Option<u64>) {
        let mut last: HashMap<u32, i64> = HashMap::new();
        let (mut n, mut first) = (0, None);
        for (i, &(file, ns)) in frames.iter().enumerate() {
            if last.insert(file, ns).is_some_and(|p| ns < p) {
                n += 1;
                first.get_or_insert(i as u64 + 1);
            }
        }
        (n, first)
    }

    #[test]
    fn chunks_count_what_one_pass_counts() {
        let mut x: i64 = 3;
        let frames: Vec<(u32, i64)> = (0..400)
            .map(|i| {
                x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
                ((x % 3) as u32, i * 10 - (x % 50))
            })
            .collect();
        for size in [1, 2, 7, 64, 400] {
            let mut order = TimestampOrder::default();
            for (c, chunk) in frames.chunks(size).enumerate() {
                let mut oc = OrderChunk::default();
                for (i, &(file, ns)) in chunk.iter().enumerate() {
                    // every 37th frame has no timestamp: counted, and no step either way
                    let n = c * size + i;
                    oc.add(file, n as u64 + 1, (n % 37 != 36).then_some(ns));
                }
                order.chunk(oc);
            }
            let stamped: Vec<(u32, i64)> = (frames.iter().enumerate())
                .filter(|(n, _)| n % 37 != 36)
                .map(|(_, f)| *f)
                .collect();
            let (n, first) = direct(&stamped);
            // `direct` numbers the stamped frames only: map its first back to a frame number
            let first = first.map(|f| f + (f - 1) / 36);
            assert_eq!(
                (order.out_of_order, order.first_out_of_order),
                (n, first),
                "chunks of {size}"
            );
            assert_eq!((order.missing, order.first_missing), (10, Some(37)));
        }
    }
}
