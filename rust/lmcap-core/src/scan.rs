//! The scanner: reads every input file, merges them in time order, decodes each frame and
//! yields Arrow batches of `packets` with the event-table rows those frames produced.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

use arrow_array::RecordBatch;

use crate::capture::{FileInfo, FileReader};
use crate::decode::decode;
use crate::error::CaptureError;
use crate::tables::builders::{capture_files_batch, EventsBuilder, FrameMeta, PacketsBuilder};

/// Rows per `packets` batch: big enough to amortise per-batch costs across the FFI boundary,
/// small enough that a batch of small frames stays around 10 MB.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// One step of a scan: a `packets` batch and the event rows of the same frames.
pub struct ScanBatch {
    pub packets: RecordBatch,
    pub events: Vec<(&'static str, RecordBatch)>,
}

pub struct Scanner {
    readers: Vec<FileReader>,
    /// Next record of each file, smallest timestamp first (ties: earlier file first).
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    primed: bool,
    batch_rows: usize,
    next_frame: u64,
    packets: PacketsBuilder,
    events: EventsBuilder,
}

impl Scanner {
    pub fn open(paths: &[PathBuf], batch_rows: usize) -> Scanner {
        let batch_rows = batch_rows.max(1);
        Scanner {
            readers: paths
                .iter()
                .enumerate()
                .map(|(i, p)| FileReader::open(i as u32, p))
                .collect(),
            heap: BinaryHeap::new(),
            primed: false,
            batch_rows,
            next_frame: 1,
            packets: PacketsBuilder::new(batch_rows),
            events: EventsBuilder::new(),
        }
    }

    /// Scan already-open readers (in-memory inputs, tests).
    pub fn from_readers(readers: Vec<FileReader>, batch_rows: usize) -> Scanner {
        let batch_rows = batch_rows.max(1);
        Scanner {
            readers,
            heap: BinaryHeap::new(),
            primed: false,
            batch_rows,
            next_frame: 1,
            packets: PacketsBuilder::new(batch_rows),
            events: EventsBuilder::new(),
        }
    }

    fn push(&mut self, i: usize) {
        if let Some(key) = self.readers[i]
            .peek()
            .is_some()
            .then(|| self.readers[i].merge_key())
            .flatten()
        {
            self.heap.push(Reverse((key, i as u32)));
        }
    }

    /// Decode up to one batch. None when every file is exhausted (or stopped on an error).
    pub fn next_batch(&mut self) -> Option<ScanBatch> {
        if !self.primed {
            self.primed = true;
            for i in 0..self.readers.len() {
                self.push(i);
            }
        }
        while self.packets.len() < self.batch_rows {
            let Some(Reverse((_, i))) = self.heap.pop() else {
                break;
            };
            let i = i as usize;
            // With one file (the usual case) drain it without going through the heap per frame.
            loop {
                self.decode_pending(i);
                if self.packets.len() >= self.batch_rows {
                    self.push(i);
                    break;
                }
                if self.readers[i].peek().is_none() {
                    break;
                }
                if let Some(&Reverse((other_key, _))) = self.heap.peek() {
                    if self.readers[i].merge_key() > Some(other_key) {
                        self.push(i);
                        break;
                    }
                }
            }
        }
        if self.packets.is_empty() {
            return None;
        }
        Some(ScanBatch {
            packets: self.packets.finish(),
            events: self.events.finish(),
        })
    }

    fn decode_pending(&mut self, i: usize) {
        let reader = &mut self.readers[i];
        let Some(&r) = reader.peek() else { return };
        let meta = FrameMeta {
            frame_number: self.next_frame,
            file_index: reader.info.index,
            interface_id: r.interface_id,
            link_type: r.link_type,
            timestamp_ns: r.timestamp_ns,
            cap_len: r.cap_len,
            wire_len: r.wire_len,
        };
        let bytes = reader.frame_bytes();
        let d = decode(bytes, r.link_type, r.wire_len);
        self.packets.append(&meta, &d);
        self.events.append(&meta, &d);
        reader.advance();
        self.next_frame += 1;
    }

    /// What is known about each file so far (complete once `next_batch` returned None).
    pub fn files(&self) -> Vec<FileInfo> {
        self.readers.iter().map(|r| r.info.clone()).collect()
    }

    /// The `capture_files` table.
    pub fn files_batch(&self) -> RecordBatch {
        capture_files_batch(&self.files())
    }

    /// File-level errors met so far.
    pub fn errors(&self) -> Vec<CaptureError> {
        self.readers
            .iter()
            .filter_map(|r| r.info.error.clone())
            .collect()
    }
}

impl Iterator for Scanner {
    type Item = ScanBatch;

    fn next(&mut self) -> Option<ScanBatch> {
        self.next_batch()
    }
}
