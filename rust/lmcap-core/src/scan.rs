//! The scanner: reads every input file, merges them in time order, decodes each frame and
//! yields Arrow batches of `packets` with the event-table rows those frames produced.
//!
//! Work is split in two: framing (walking pcap/pcapng records and merging files by time) is
//! cheap and sequential; decoding and building Arrow columns is where the time goes, and runs
//! on several threads, one batch-sized chunk of frames each. Frames of mapped files are not
//! copied for that (workers read them from the shared mapping); frames of streams (gzip, zstd,
//! stdin) are copied once into their chunk, since the stream buffer moves on.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use memmap2::Mmap;

use crate::capture::file::FrameBytes;
use crate::capture::{FileInfo, FileReader};
use crate::decode::decode;
use crate::error::CaptureError;
use crate::flows::{FlowFrame, FlowTracker};
use crate::stream::{self, framer::At, StreamFrame, StreamTracker};
use crate::tables::builders::{capture_files_batch, EventsBuilder, FrameMeta, PacketsBuilder};
use crate::tables::rdma::RdmaRows;

/// Rows per `packets` batch: big enough to amortise per-batch costs across the FFI boundary,
/// small enough that a batch of small frames stays around 10 MB.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// One step of a scan: a `packets` batch and the event rows of the same frames.
pub struct ScanBatch {
    pub packets: RecordBatch,
    pub events: Vec<(&'static str, RecordBatch)>,
}

/// Decode threads to use: `LMCAP_THREADS` when set (1 turns parallel decoding off), else the
/// machine's available parallelism.
pub fn default_threads() -> usize {
    std::env::var("LMCAP_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(64)
}

/// Where one frame's bytes are, for a decode worker.
enum JobBytes {
    /// `maps[map]`, bytes `start..start + len`.
    Mapped {
        map: usize,
        start: usize,
        len: usize,
    },
    /// `owned`, bytes `start..start + len`.
    Owned { start: usize, len: usize },
}

/// A batch-sized run of framed records, ready to decode on any thread.
#[derive(Default)]
struct Chunk {
    jobs: Vec<(FrameMeta, JobBytes)>,
    maps: Vec<Arc<Mmap>>,
    owned: Vec<u8>,
}

impl Chunk {
    fn bytes(&self, job: &JobBytes) -> &[u8] {
        match *job {
            JobBytes::Mapped { map, start, len } => &self.maps[map][start..start + len],
            JobBytes::Owned { start, len } => &self.owned[start..start + len],
        }
    }

    /// Decode every frame: the batch, and what the in-order stage must see of them.
    fn decode(&self, batch_rows: usize) -> Decoded {
        let mut packets = PacketsBuilder::new(batch_rows.min(self.jobs.len()));
        let mut events = EventsBuilder::new();
        let mut rdma = RdmaRows::new();
        let mut streams = Vec::new();
        let mut flows = Vec::with_capacity(self.jobs.len());
        for (i, (meta, job)) in self.jobs.iter().enumerate() {
            let frame = self.bytes(job);
            let d = decode(frame, meta.link_type, meta.wire_len);
            packets.append(meta, &d);
            events.append(meta, &d);
            rdma.append_roce(meta, &d, frame);
            flows.extend(FlowFrame::new(meta, &d));
            if stream::wants(&d) {
                let at = At {
                    frame_number: meta.frame_number,
                    timestamp_ns: meta.timestamp_ns,
                };
                streams.extend(StreamFrame::new(frame, at, &d).map(|f| (i, f)));
            }
        }
        let mut events = events.finish();
        events.extend(rdma.finish());
        let batch = ScanBatch {
            packets: packets.finish(),
            events,
        };
        Decoded {
            batch,
            streams,
            flows,
        }
    }
}

/// A decoded chunk: its batch, then for the in-order stage the frames of stream protocols
/// (with their index into `jobs`) and the TCP/UDP frames `flows` counts, in frame order.
struct Decoded {
    batch: ScanBatch,
    streams: Vec<(usize, StreamFrame)>,
    flows: Vec<FlowFrame>,
}

pub struct Scanner {
    readers: Vec<FileReader>,
    /// Next record of each file, smallest timestamp first (ties: earlier file first).
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    primed: bool,
    batch_rows: usize,
    threads: usize,
    next_frame: u64,
    /// Decoded batches waiting to be handed out, in frame order.
    ready: VecDeque<ScanBatch>,
    /// The in-order stage for protocols that span frames (SMB).
    streams: StreamTracker,
    /// The in-order stage that builds `flows`, emitted with the last batch.
    flows: FlowTracker,
    streams_finished: bool,
}

impl Scanner {
    pub fn open(paths: &[PathBuf], batch_rows: usize) -> Scanner {
        Self::from_readers(
            paths
                .iter()
                .enumerate()
                .map(|(i, p)| FileReader::open(i as u32, p))
                .collect(),
            batch_rows,
        )
    }

    /// Scan already-open readers (in-memory inputs, tests).
    pub fn from_readers(readers: Vec<FileReader>, batch_rows: usize) -> Scanner {
        Scanner {
            readers,
            heap: BinaryHeap::new(),
            primed: false,
            batch_rows: batch_rows.max(1),
            threads: default_threads(),
            next_frame: 1,
            ready: VecDeque::new(),
            streams: StreamTracker::new(),
            flows: FlowTracker::new(),
            streams_finished: false,
        }
    }

    /// Decode with this many threads (1: everything on the calling thread).
    pub fn with_threads(mut self, threads: usize) -> Scanner {
        self.threads = threads.clamp(1, 64);
        self
    }

    fn push(&mut self, i: usize) {
        if self.readers[i].peek().is_some() {
            if let Some(key) = self.readers[i].merge_key() {
                self.heap.push(Reverse((key, i as u32)));
            }
        }
    }

    /// Decode up to one batch. None when every file is exhausted (or stopped on an error).
    pub fn next_batch(&mut self) -> Option<ScanBatch> {
        if self.ready.is_empty() {
            self.fill_ready();
        }
        self.ready.pop_front()
    }

    /// Frame up to `threads` chunks, decode them in parallel, queue the batches in order.
    fn fill_ready(&mut self) {
        let mut chunks = Vec::with_capacity(self.threads);
        for _ in 0..self.threads {
            let chunk = self.frame_chunk();
            if chunk.jobs.is_empty() {
                break;
            }
            chunks.push(chunk);
        }
        let rows = self.batch_rows;
        let ended =
            chunks.len() < self.threads || chunks.last().is_none_or(|c| c.jobs.len() < rows);
        let decoded: Vec<Decoded> = if chunks.len() <= 1 {
            chunks.iter().map(|c| c.decode(rows)).collect()
        } else {
            Self::decode_parallel(&chunks, rows)
        };
        // The stream stage, in frame order, while the chunks still hold the frame bytes.
        for (chunk, d) in chunks.iter().zip(decoded) {
            let mut batch = d.batch;
            for (job, f) in &d.streams {
                self.streams.frame(f, chunk.bytes(&chunk.jobs[*job].1));
            }
            for f in &d.flows {
                self.flows.frame(f);
            }
            batch.events.extend(self.streams.take_batches());
            self.ready.push_back(batch);
        }
        if ended && !self.streams_finished {
            self.streams_finished = true;
            self.streams.finish();
            let mut tail = self.streams.take_batches();
            tail.extend(self.flows.finish().into_iter().map(|b| ("flows", b)));
            match self.ready.back_mut() {
                Some(last) => last.events.extend(tail),
                None if !tail.is_empty() => self.ready.push_back(ScanBatch {
                    packets: PacketsBuilder::new(0).finish(),
                    events: tail,
                }),
                None => {}
            }
        }
    }

    fn decode_parallel(chunks: &[Chunk], rows: usize) -> Vec<Decoded> {
        std::thread::scope(|scope| {
            let (first, rest) = chunks.split_first().expect("at least two chunks");
            let handles: Vec<_> = rest
                .iter()
                .map(|c| scope.spawn(move || c.decode(rows)))
                .collect();
            let mut out = vec![first.decode(rows)];
            for h in handles {
                // A worker can only panic on a bug (decoders do not panic on any input); keep
                // the panic rather than return a short batch that loses frames silently.
                out.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            out
        })
    }

    /// The next batch-sized run of records in merged time order.
    fn frame_chunk(&mut self) -> Chunk {
        if !self.primed {
            self.primed = true;
            for i in 0..self.readers.len() {
                self.push(i);
            }
        }
        let mut chunk = Chunk::default();
        while chunk.jobs.len() < self.batch_rows {
            let Some(Reverse((_, i))) = self.heap.pop() else {
                break;
            };
            let i = i as usize;
            // With one file (the usual case) drain it without going through the heap per frame.
            loop {
                self.take_pending(i, &mut chunk);
                if chunk.jobs.len() >= self.batch_rows {
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
        chunk
    }

    fn take_pending(&mut self, i: usize, chunk: &mut Chunk) {
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
        let job = match reader.frame_location() {
            FrameBytes::Mapped { map, start, len } => {
                let index = match chunk.maps.iter().position(|m| Arc::ptr_eq(m, map)) {
                    Some(index) => index,
                    None => {
                        chunk.maps.push(map.clone());
                        chunk.maps.len() - 1
                    }
                };
                JobBytes::Mapped {
                    map: index,
                    start,
                    len,
                }
            }
            FrameBytes::Buffered(bytes) => {
                let start = chunk.owned.len();
                chunk.owned.extend_from_slice(bytes);
                JobBytes::Owned {
                    start,
                    len: bytes.len(),
                }
            }
        };
        chunk.jobs.push((meta, job));
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
