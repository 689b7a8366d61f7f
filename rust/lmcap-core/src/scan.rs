//! The scanner: reads every input file, merges them in time order, decodes each frame and
//! yields Arrow batches of `packets` with the event-table rows those frames produced.
//!
//! A scan is three steps, one batch-sized chunk of frames at a time:
//!
//! 1. **Framing** ([`RecordMerger`]): walk pcap/pcapng records and merge files by time. Cheap and
//!    sequential; it runs on one thread at a time.
//! 2. **Decoding** ([`Chunk::decode`]): decode every frame and build its Arrow columns. This is
//!    where the time goes, and any thread can do it.
//! 3. **The in-order pass** ([`InOrder`]): protocols that span frames (SMB, iWARP) see every
//!    chunk with its batch, in frame order, on the thread that hands the batches out.
//!
//! With one thread all three run on the calling thread, one chunk after the other. With more,
//! a pool of persistent workers (spawned at the first batch, joined when the scanner is
//! dropped) each takes the merger in turn, frames the next chunk, lets go of it and decodes the
//! chunk; the caller takes the results back in chunk order, runs the in-order pass and hands
//! the batch out while the workers are already decoding the chunks after it. At most
//! [`CHUNKS_PER_WORKER`] chunks per worker are framed and not yet handed out, so memory stays
//! bounded however fast the workers are.
//!
//! Frames of plain files are not copied for that (workers read them from the shared read window
//! they are in); frames of streams (gzip, zstd, stdin) are copied once into their chunk, since
//! the stream buffer moves on. A chunk ends at [`DEFAULT_BATCH_ROWS`] frames or
//! [`CHUNK_MAX_BYTES`] of frame bytes, whichever comes first, so that jumbo frames do not make
//! chunks (and the windows they hold) hundreds of MB large.

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::capture::file::FrameBytes;
use crate::capture::source::Window;
use crate::capture::{FileInfo, FileReader};
use crate::decode::{decode_into, Decoded};
use crate::error::CaptureError;
use crate::evidence::claims::{Claim, ClaimTracker};
use crate::evidence::detail::{is_bare, is_detail, HourSample, StopCounts, StopSample};
use crate::evidence::timestamps::{OrderChunk, TimestampOrder};
use crate::evidence::traffic::{TrafficChunk, TrafficParams, TrafficTracker, TrafficWidth};
use crate::filter::{FrameFilter, ResolvedFilter};
use crate::flows::{FlowFrame, FlowTracker};
use crate::frame::{At, FrameMeta};
use crate::stream::{self, StreamFrame, StreamTracker};
use crate::tables::builders::{capture_files_batch, EventsBuilder, PacketsBuilder, Projection};
use crate::tables::rdma::RdmaRows;
use crate::tables::streams::StreamRows;
use arrow_array::RecordBatch;

/// Rows per `packets` batch: big enough to amortise per-batch costs across the FFI boundary,
/// small enough that a batch of small frames stays around 10 MB.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// Frames per chunk of a [`Scanner::detail_only`] scan: its batches are a few detail frames
/// each, so nothing needs them large, and each chunk in flight holds per-chunk maps that grow
/// with its distinct keys (a SYN flood: one per frame). A quarter of [`DEFAULT_BATCH_ROWS`]
/// keeps the maps in cache: the same speed on the bench capture, 90 MB less at its peak, and
/// on a 2 M-frame SYN flood 25% faster and 300 MB less (measured with mimalloc, since taken
/// out; docs/performance.md).
pub const DETAIL_CHUNK_ROWS: usize = 16_384;

/// Frame bytes per chunk at most (a chunk still holds one frame, however large): 65,536 frames
/// of 1,514 bytes would be 99 MB and of 9,014 bytes 590 MB, held by every chunk in flight.
pub const CHUNK_MAX_BYTES: usize = 32 << 20;

/// Frame bytes per chunk of a [`Scanner::detail_only`] scan at most. Its rows are few, but the
/// event tables can hold many rows per frame byte: an IGMPv3 report is a row per 8-byte group
/// record, so 32 MiB of jumbo reports made 4.2 M rows, 440 MB of columns per chunk, and a
/// capture of them peaked at 2.3 GB with the chunks in flight. An eighth of that keeps a chunk
/// of small frames whole (16,384 frames of up to 256 bytes) and costs jumbo captures nothing
/// measurable (docs/performance.md).
pub const DETAIL_CHUNK_MAX_BYTES: usize = 4 << 20;

/// Bytes of file windows one chunk keeps alive at most (a chunk still holds one frame): a
/// chunk of ordinary frames spans 3-5 windows of 8 MiB. Without it a pcapng of small packets
/// each followed by a large block it skips pinned a window per frame, 65,536 per chunk: 1.67 GB
/// for a 3.35 GB sparse file of 200 frames (found in the allocation audit of issue 12).
pub const CHUNK_MAX_WINDOW_BYTES: usize = 64 << 20;

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
    /// `windows[window]`, bytes `start..start + len`.
    Shared {
        window: usize,
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
    windows: Vec<Window>,
    owned: Vec<u8>,
    /// Frame bytes in `jobs`.
    frame_bytes: usize,
    /// Bytes of the file windows in `windows`: what the chunk keeps alive, which can be far
    /// more than its frames (a tiny frame in each window of a file of large skipped blocks).
    window_bytes: usize,
    /// How the `traffic` evidence is cut (the scan's parameters).
    traffic: TrafficParams,
    /// Build `packets` only: no event tables, evidence or `flows` (see
    /// [`Scanner::packets_only`]).
    packets_only: bool,
    /// The `packets` columns to build (see [`Scanner::with_columns`]).
    projection: Projection,
    /// Put only the detail frames in `packets` (see [`Scanner::detail_only`]).
    detail_only: bool,
    /// Which frames to keep; None keeps all.
    filter: Option<Arc<ResolvedFilter>>,
}

impl Chunk {
    /// No further frame fits: the row or the byte budget is spent.
    #[inline]
    fn full(&self, batch_rows: usize) -> bool {
        let max_bytes = if self.detail_only {
            DETAIL_CHUNK_MAX_BYTES
        } else {
            CHUNK_MAX_BYTES
        };
        self.jobs.len() >= batch_rows
            || self.frame_bytes >= max_bytes
            || self.window_bytes >= CHUNK_MAX_WINDOW_BYTES
    }

    fn bytes(&self, job: &JobBytes) -> &[u8] {
        match *job {
            JobBytes::Shared { window, start, len } => &self.windows[window][start..start + len],
            JobBytes::Owned { start, len } => &self.owned[start..start + len],
        }
    }

    /// Decode every frame into the batch and what the in-order pass needs.
    fn decode(&self, batch_rows: usize) -> ChunkOutput {
        // A builder's capacity stays allocated behind the Arrow arrays it finishes (the batch
        // keeps the whole buffer alive however few rows it holds): detail frames are a few per
        // cent of a chunk, so they start small and grow, rather than holding a full chunk's
        // worth each (1.4 GB over a 1 GiB capture's batches).
        let rows = batch_rows.min(self.jobs.len());
        let mut packets = PacketsBuilder::projected(
            if self.detail_only { rows / 32 } else { rows },
            self.projection,
        );
        let mut events = EventsBuilder::new();
        let mut rdma = RdmaRows::new();
        let mut streams = Vec::new();
        let mut flows = Vec::with_capacity(self.jobs.len());
        let mut claims = Vec::new();
        let mut traffic = TrafficChunk::default();
        let mut order = OrderChunk::default();
        let mut hours = HourSample::default();
        let mut bare_sample = StopSample::default();
        let mut stops = StopCounts::default();
        let mut filtered = 0;
        let mut d = Decoded::default();
        for (i, (meta, job)) in self.jobs.iter().enumerate() {
            let frame = self.bytes(job);
            if let Some(f) = &self.filter {
                if !f.keeps_time(meta.timestamp_ns) {
                    filtered += 1;
                    continue;
                }
            }
            decode_into(frame, meta.link_type, meta.wire_len, &mut d);
            if let Some(f) = &self.filter {
                if !f.keeps(&d) {
                    filtered += 1;
                    continue;
                }
            }
            stops.add(d.status);
            let keep = !self.detail_only
                || if is_bare(&d) {
                    // (both asked: each sample counts what it kept)
                    hours.keeps(meta.timestamp_ns) | bare_sample.keeps(d.status)
                } else {
                    is_detail(meta, &d, self.traffic.switch_max_frame)
                        || hours.keeps(meta.timestamp_ns)
                };
            if keep {
                packets.append(meta, &d);
            }
            if self.packets_only {
                continue;
            }
            events.append(meta, &d);
            rdma.append_roce(meta, &d);
            flows.extend(FlowFrame::new(meta, &d));
            claims.extend(Claim::new(meta, &d));
            traffic.add(&self.traffic, meta, &d);
            order.add(meta.file_index, meta.frame_number, meta.timestamp_ns);
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
        ChunkOutput {
            batch: ScanBatch {
                packets: packets.finish(),
                events,
            },
            stream_frames: streams,
            flow_frames: flows,
            claims,
            traffic,
            order,
            stops,
            filtered,
        }
    }
}

/// What decoding a chunk gives the in-order pass: the batch, the frames the stream stage must
/// see (index into the chunk's jobs), the TCP/UDP frames `flows` counts (in frame order), and
/// the chunk's share of the evidence.
struct ChunkOutput {
    batch: ScanBatch,
    stream_frames: Vec<(usize, StreamFrame)>,
    flow_frames: Vec<FlowFrame>,
    /// The IPv4 address claims `ipv4_claim_runs` follows, in frame order.
    claims: Vec<Claim>,
    traffic: TrafficChunk,
    order: OrderChunk,
    /// Frames per decode status (the filter's kept frames).
    stops: StopCounts,
    /// Frames the filter dropped.
    filtered: u64,
}

/// A chunk after decoding, on its way to the in-order pass: the chunk still holds the frame
/// bytes that pass reads.
struct DecodedChunk {
    chunk: Chunk,
    out: ChunkOutput,
}

impl DecodedChunk {
    fn new(chunk: Chunk, batch_rows: usize) -> DecodedChunk {
        let out = chunk.decode(batch_rows);
        DecodedChunk { chunk, out }
    }
}

/// Framing: the input files merged in time order, cut into batch-sized chunks.
struct RecordMerger {
    readers: Vec<FileReader>,
    /// Next record of each file, smallest timestamp first (ties: earlier file first).
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    primed: bool,
    batch_rows: usize,
    next_frame: u64,
    /// Chunks framed so far (the next chunk's sequence number).
    chunks: u64,
    traffic: TrafficParams,
    /// The width the in-order pass cuts `traffic` at now (it changes in an adaptive scan):
    /// each chunk is stamped with it.
    traffic_width: TrafficWidth,
    packets_only: bool,
    detail_only: bool,
    projection: Projection,
    filter: FrameFilter,
    /// The filter with absolute times, once the first timestamp is known (None: no filter).
    resolved: Option<Arc<ResolvedFilter>>,
    /// The first timestamp in merged order: where a relative time range starts.
    start_ns: Option<i64>,
}

impl RecordMerger {
    fn push(&mut self, i: usize) {
        if self.readers[i].peek().is_some() {
            if let Some(key) = self.readers[i].merge_key() {
                self.heap.push(Reverse((key, i as u32)));
            }
        }
    }

    fn prime(&mut self) {
        if !self.primed {
            self.primed = true;
            for i in 0..self.readers.len() {
                self.push(i);
            }
        }
    }

    /// Every file is exhausted (or stopped on an error): no frame is left to frame.
    fn exhausted(&mut self) -> bool {
        self.prime();
        self.heap.is_empty()
    }

    /// The next batch-sized run of records in merged time order, its sequence number, and
    /// whether it is the last one. None when nothing is left.
    fn next_chunk(&mut self) -> Option<(u64, Chunk, bool)> {
        let chunk = self.frame_chunk();
        if chunk.jobs.is_empty() {
            return None;
        }
        let seq = self.chunks;
        self.chunks += 1;
        Some((seq, chunk, self.exhausted()))
    }

    fn frame_chunk(&mut self) -> Chunk {
        self.prime();
        let had_start = self.start_ns.is_some();
        let mut chunk = self.fill_chunk(Chunk {
            // Room for a full chunk up front: growing by doubling would copy the jobs again and
            // again (capped, for callers that ask for huge batches).
            jobs: Vec::with_capacity(self.batch_rows.min(DEFAULT_BATCH_ROWS)),
            traffic: TrafficParams {
                bucket_ns: self.traffic_width.get(),
                ..self.traffic
            },
            packets_only: self.packets_only,
            detail_only: self.detail_only,
            projection: self.projection,
            ..Chunk::default()
        });
        // The first timestamped frame sets where a relative time range starts. The filter is
        // applied when the chunk is decoded, so it can be resolved after framing (frames before
        // that one have no timestamp and are dropped by any time range).
        if !had_start && self.start_ns.is_some() && !self.filter.is_empty() {
            self.resolved = Some(Arc::new(self.filter.resolve(self.start_ns)));
        }
        chunk.filter = self.resolved.clone();
        chunk
    }

    fn fill_chunk(&mut self, mut chunk: Chunk) -> Chunk {
        while !chunk.full(self.batch_rows) {
            let Some(Reverse((_, i))) = self.heap.pop() else {
                break;
            };
            let i = i as usize;
            // With one file (the usual case) drain it without going through the heap per frame.
            loop {
                self.take_pending(i, &mut chunk);
                if chunk.full(self.batch_rows) {
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
            FrameBytes::Shared { window, start, len } => {
                // Searched from the end: a file's frames come in order, so its window is the
                // last one it added (a handful of windows per chunk, one per merged file).
                let index = match chunk.windows.iter().rposition(|w| Arc::ptr_eq(w, window)) {
                    Some(index) => index,
                    None => {
                        chunk.window_bytes += window.len();
                        chunk.windows.push(window.clone());
                        chunk.windows.len() - 1
                    }
                };
                JobBytes::Shared {
                    window: index,
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
        chunk.frame_bytes += r.cap_len as usize;
        if self.start_ns.is_none() {
            self.start_ns = meta.timestamp_ns;
        }
        chunk.jobs.push((meta, job));
        reader.advance();
        self.next_frame += 1;
    }
}

/// The in-order pass: sees every decoded chunk with its batch, in frame order, and adds the
/// rows of protocols that span frames to that batch. It runs where batches are handed out.
struct InOrder {
    /// Protocols that span frames (SMB, iWARP).
    streams: StreamTracker,
    /// The rows of what `streams` framed.
    stream_rows: StreamRows,
    /// The `flows` table: rows of flows written out early by its bounds as they fill a
    /// batch, the rest with the last batch.
    flows: FlowTracker,
    /// The `traffic` evidence, emitted as its buckets close.
    traffic: TrafficTracker,
    /// The `ipv4_claim_runs` evidence, emitted with the last batch.
    claims: ClaimTracker,
    /// Frames the scan's filter dropped so far.
    filtered_frames: u64,
    /// Frames stamped earlier than the one before them in their file, and without one.
    timestamp_order: TimestampOrder,
    /// Frames per decode status.
    stops: StopCounts,
    finished: bool,
}

impl InOrder {
    fn new() -> InOrder {
        InOrder {
            streams: StreamTracker::new(),
            stream_rows: StreamRows::default(),
            flows: FlowTracker::new(TrafficParams::default().switch_max_frame),
            traffic: TrafficTracker::new(TrafficParams::default()),
            claims: ClaimTracker::default(),
            filtered_frames: 0,
            timestamp_order: TimestampOrder::default(),
            stops: StopCounts::default(),
            finished: false,
        }
    }

    /// Run the pass over one chunk; `last`: no chunk follows, so state still open at the end
    /// of the capture is flushed into this batch too.
    fn pass(&mut self, decoded: DecodedChunk, last: bool) -> ScanBatch {
        let DecodedChunk {
            chunk,
            out:
                ChunkOutput {
                    mut batch,
                    stream_frames,
                    flow_frames,
                    claims,
                    traffic,
                    order,
                    stops,
                    filtered,
                },
        } = decoded;
        self.filtered_frames += filtered;
        self.stops.merge(&stops);
        self.timestamp_order.chunk(order);
        for (job, f) in &stream_frames {
            self.streams
                .frame(f, chunk.bytes(&chunk.jobs[*job].1), &mut self.stream_rows);
        }
        for f in &flow_frames {
            self.flows.frame(f);
        }
        // the chunk's earliest timestamp is the clock of the idle timeouts: one frame stamped
        // decades ahead must not expire every flow
        let now = flow_frames.iter().filter_map(|f| f.timestamp_ns).min();
        self.flows.expire(now);
        self.streams.expire(now, &mut self.stream_rows);
        let early = self.flows.take_batches();
        batch.events.extend(early.into_iter().map(|b| ("flows", b)));
        for c in &claims {
            self.claims.claim(c);
        }
        batch.events.extend(self.stream_rows.take_batches());
        let resends = self.flows.tcp.take_resend_batches();
        batch
            .events
            .extend(resends.into_iter().map(|b| ("tcp_resends", b)));
        self.traffic.chunk(traffic);
        let closed = self.traffic.take_batches();
        batch
            .events
            .extend(closed.into_iter().map(|b| ("traffic", b)));
        if last {
            batch.events.extend(self.finish());
        }
        batch
    }

    /// Rows still pending at the end of the input (once).
    fn finish(&mut self) -> Vec<(&'static str, RecordBatch)> {
        if std::mem::replace(&mut self.finished, true) {
            return Vec::new();
        }
        self.streams.finish(&mut self.stream_rows);
        let mut tail = self.stream_rows.take_batches();
        tail.extend(self.flows.finish().into_iter().map(|b| ("flows", b)));
        let tcp = &mut self.flows.tcp;
        tail.extend(
            tcp.take_resend_batches()
                .into_iter()
                .map(|b| ("tcp_resends", b)),
        );
        tail.extend(
            tcp.take_unacked_batches()
                .into_iter()
                .map(|b| ("tcp_unacked_resends", b)),
        );
        tail.extend(
            tcp.take_oversize_batches()
                .into_iter()
                .map(|b| ("tcp_oversize_segments", b)),
        );
        tail.extend(self.traffic.finish().into_iter().map(|b| ("traffic", b)));
        let runs = self.claims.finish();
        tail.extend(runs.into_iter().map(|b| ("ipv4_claim_runs", b)));
        tail
    }
}

/// Chunks each worker may have framed ahead of the caller: enough that a worker never waits
/// for the caller to take a batch, few enough that memory stays a handful of batches.
pub const CHUNKS_PER_WORKER: usize = 2;

/// Persistent decode workers for one scanner.
struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    merger: Arc<Mutex<RecordMerger>>,
    queue: Mutex<Queue>,
    /// Signalled when a worker may frame another chunk (the caller took one) or must stop.
    room: Condvar,
    /// Signalled when a decoded chunk arrives, the end is known, or a worker panicked.
    arrived: Condvar,
    batch_rows: usize,
    /// At most this many chunks framed and not yet handed out.
    window: u64,
    /// Tests: the worker that decodes this chunk panics.
    panic_at_chunk: Option<u64>,
}

#[derive(Default)]
struct Queue {
    /// Chunks handed out so far: the next one the caller wants is `taken`.
    taken: u64,
    /// Chunks workers have been allowed to frame.
    allowed: u64,
    /// Number of chunks in the whole scan, once framing has reached the end.
    total: Option<u64>,
    /// Decoded chunks waiting for their turn, by sequence number.
    done: BTreeMap<u64, DecodedChunk>,
    /// A worker's panic, to be raised on the caller's thread.
    panic: Option<Box<dyn Any + Send>>,
    /// Set by a panic or by the scanner's drop: workers exit.
    stop: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Poisoning only follows a panic, which the pool reports by itself.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    fn start(scanner: &Scanner) -> Pool {
        let threads = scanner.threads;
        let shared = Arc::new(Shared {
            merger: scanner.merger.clone(),
            queue: Mutex::new(Queue::default()),
            room: Condvar::new(),
            arrived: Condvar::new(),
            batch_rows: scanner.batch_rows,
            window: (threads * CHUNKS_PER_WORKER) as u64,
            panic_at_chunk: scanner.panic_at_chunk,
        });
        let workers = (0..threads)
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("lmcap-decode-{i}"))
                    .spawn(move || shared.work())
                    .expect("spawning a decode thread")
            })
            .collect();
        Pool { shared, workers }
    }

    /// The next decoded chunk in order and whether it is the last; None at the end.
    fn next(&self) -> Option<(DecodedChunk, bool)> {
        let sh = &*self.shared;
        let mut q = lock(&sh.queue);
        loop {
            let seq = q.taken;
            if let Some(d) = q.done.remove(&seq) {
                q.taken += 1;
                let last = q.total == Some(q.taken);
                sh.room.notify_all();
                return Some((d, last));
            }
            if q.total == Some(seq) {
                return None;
            }
            // The chunk the caller needs is missing and a worker panicked: raise it here (on
            // every later call too) rather than end the scan short.
            if let Some(p) = q.panic.take() {
                drop(q);
                std::panic::resume_unwind(p);
            }
            if q.stop {
                panic!("a decode worker panicked: the scan cannot go on without losing frames");
            }
            q = sh.arrived.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Shared {
    fn work(&self) {
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.work_loop()))
        {
            let mut q = lock(&self.queue);
            q.panic.get_or_insert(p);
            q.stop = true;
            self.arrived.notify_all();
            self.room.notify_all();
        }
    }

    fn work_loop(&self) {
        loop {
            {
                let mut q = lock(&self.queue);
                loop {
                    if q.stop || q.total.is_some() {
                        return;
                    }
                    if q.allowed < q.taken + self.window {
                        q.allowed += 1;
                        break;
                    }
                    q = self.room.wait(q).unwrap_or_else(|p| p.into_inner());
                }
            }
            let (framed, chunks) = {
                let mut merger = lock(&self.merger);
                (merger.next_chunk(), merger.chunks)
            };
            let Some((seq, chunk, last)) = framed else {
                self.set_total(chunks);
                return;
            };
            if last {
                // Before the chunk is decoded, so the caller knows it is the last when it
                // takes it.
                self.set_total(seq + 1);
            }
            if self.panic_at_chunk == Some(seq) {
                panic!("test panic in chunk {seq}");
            }
            let decoded = DecodedChunk::new(chunk, self.batch_rows);
            let mut q = lock(&self.queue);
            q.done.insert(seq, decoded);
            self.arrived.notify_all();
        }
    }

    fn set_total(&self, total: u64) {
        let mut q = lock(&self.queue);
        q.total = Some(total);
        self.arrived.notify_all();
        self.room.notify_all();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        {
            let mut q = lock(&self.shared.queue);
            q.stop = true;
            self.shared.room.notify_all();
        }
        for w in self.workers.drain(..) {
            // Workers catch their own panics; a join error cannot carry one.
            let _ = w.join();
        }
    }
}

pub struct Scanner {
    merger: Arc<Mutex<RecordMerger>>,
    batch_rows: usize,
    threads: usize,
    in_order: InOrder,
    /// Decode workers, started at the first batch when `threads > 1`.
    pool: Option<Pool>,
    ended: bool,
    /// Tests (`with_test_panic_at_chunk`): decoding this chunk panics.
    panic_at_chunk: Option<u64>,
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
        let batch_rows = batch_rows.max(1);
        let in_order = InOrder::new();
        Scanner {
            merger: Arc::new(Mutex::new(RecordMerger {
                readers,
                heap: BinaryHeap::new(),
                primed: false,
                batch_rows,
                next_frame: 1,
                chunks: 0,
                traffic: TrafficParams::default(),
                traffic_width: in_order.traffic.width().clone(),
                packets_only: false,
                detail_only: false,
                projection: Projection::all(),
                filter: FrameFilter::default(),
                resolved: None,
                start_ns: None,
            })),
            batch_rows,
            threads: default_threads(),
            in_order,
            pool: None,
            ended: false,
            panic_at_chunk: None,
        }
    }

    /// Decode with this many threads (1: everything on the calling thread). Takes effect when
    /// called before the first batch.
    pub fn with_threads(mut self, threads: usize) -> Scanner {
        self.threads = threads.clamp(1, 64);
        self
    }

    /// Cut the `traffic` evidence by these parameters (default: 1 s buckets, a 9216-byte
    /// switch limit; `adaptive`: a width chosen from the capture, see
    /// [`Scanner::traffic_bucket_ns`]). Takes effect when called before the first batch.
    pub fn with_traffic(self, params: TrafficParams) -> Scanner {
        let params = TrafficParams {
            bucket_ns: params.bucket_ns.max(1),
            ..params
        };
        let tracker = TrafficTracker::new(params);
        {
            let mut merger = lock(&self.merger);
            merger.traffic = params;
            merger.traffic_width = tracker.width().clone();
        }
        let mut s = self;
        s.in_order.traffic = tracker;
        s.in_order.flows = FlowTracker::new(params.switch_max_frame);
        s
    }

    /// Tests of the layers above (the Python binding): decoding chunk `seq` (0-based) panics,
    /// on a worker or, with one thread, on the caller's thread, as a decoder bug would.
    #[doc(hidden)]
    pub fn with_test_panic_at_chunk(mut self, seq: Option<u64>) -> Scanner {
        self.panic_at_chunk = seq;
        self
    }

    /// Build the `packets` table only: no event tables, no `traffic` evidence, no `flows`, no
    /// SMB/iWARP stream stage. For readers that want the frames and nothing else
    /// (`lmcap.scan`, `lmcap.read`): the per-frame work of the other tables is skipped. Takes
    /// effect when called before the first batch.
    pub fn packets_only(self) -> Scanner {
        lock(&self.merger).packets_only = true;
        self
    }

    /// Build only these `packets` columns (projection pushdown: `lmcap.read(columns=...)`);
    /// the batches have the projection's schema. The other tables are not affected. Takes
    /// effect when called before the first batch.
    pub fn with_columns(self, projection: Projection) -> Scanner {
        lock(&self.merger).projection = projection;
        self
    }

    /// Put only the detail frames in `packets` (see `evidence::detail`): the rows
    /// `lmcap analyze` reads one by one; every other table is built from all frames as
    /// usual. Takes effect when called before the first batch.
    /// Chunks are cut at [`DETAIL_CHUNK_ROWS`] frames then.
    pub fn detail_only(mut self) -> Scanner {
        let rows = self.batch_rows.min(DETAIL_CHUNK_ROWS);
        {
            let mut merger = lock(&self.merger);
            merger.detail_only = true;
            merger.batch_rows = rows;
        }
        self.batch_rows = rows;
        self
    }

    /// Keep only the frames `filter` keeps (time range, VLANs, hosts), in every table. Takes
    /// effect when called before the first batch.
    pub fn with_filter(self, filter: FrameFilter) -> Scanner {
        {
            let mut merger = lock(&self.merger);
            merger.resolved = (!filter.is_empty()).then(|| Arc::new(filter.resolve(None)));
            merger.filter = filter;
        }
        self
    }

    /// Frames read but dropped by the filter so far.
    pub fn filtered_frames(&self) -> u64 {
        self.in_order.filtered_frames
    }

    /// Frames stamped earlier than the frame before them in their file, and the first of
    /// them (frames the filter kept).
    pub fn out_of_order(&self) -> (u64, Option<u64>) {
        let o = &self.in_order.timestamp_order;
        (o.out_of_order, o.first_out_of_order)
    }

    /// Frames without a timestamp, and the first of them (frames the filter kept).
    pub fn missing_timestamps(&self) -> (u64, Option<u64>) {
        let o = &self.in_order.timestamp_order;
        (o.missing, o.first_missing)
    }

    /// Frames per decode status (frames the filter kept), every status seen, `ok` included.
    pub fn decode_status_counts(&self) -> Vec<(&'static str, u64)> {
        (self.in_order.stops.seen())
            .map(|(s, n)| (s.name(), n))
            .collect()
    }

    /// What the bounds of `ipv4_claim_runs` dropped (see `evidence::claims`).
    pub fn claim_counters(&self) -> crate::evidence::claims::ClaimCounters {
        self.in_order.claims.counters
    }

    /// What the bounds of the SMB/iWARP framers closed early or did not follow.
    pub fn stream_counters(&self) -> crate::stream::StreamCounters {
        self.in_order.streams.counters
    }

    /// What the bounds of the flow map wrote out early or forgot (see `flows`).
    pub fn flow_counters(&self) -> crate::flows::FlowCounters {
        self.in_order.flows.counters
    }

    /// What the bounds of the TCP loss evidence dropped (see `evidence::tcp`).
    pub fn tcp_counters(&self) -> crate::evidence::tcp::TcpCounters {
        self.in_order.flows.tcp.counters
    }

    /// Times the `traffic` evidence had more rows open than it keeps and wrote them all out
    /// early (rows of one key are then split, never lost).
    pub fn traffic_cap_flushes(&self) -> u64 {
        self.in_order.traffic.cap_flushes
    }

    /// The bucket width of the `traffic` evidence: the one asked for, or in an adaptive scan
    /// the one it has reached (final once the scan has ended).
    pub fn traffic_bucket_ns(&self) -> i64 {
        self.in_order.traffic.bucket_ns()
    }

    /// Decode up to one batch. None when every file is exhausted (or stopped on an error).
    ///
    /// Panics if a decode worker panicked (a bug: decoders do not panic on any input), rather
    /// than return a short scan that loses frames silently.
    pub fn next_batch(&mut self) -> Option<ScanBatch> {
        if self.ended {
            return None;
        }
        if self.threads > 1 && self.pool.is_none() {
            self.pool = Some(Pool::start(self));
        }
        let next = match &self.pool {
            Some(pool) => pool.next(),
            None => {
                let framed = lock(&self.merger).next_chunk();
                framed.map(|(seq, chunk, last)| {
                    if self.panic_at_chunk == Some(seq) {
                        panic!("test panic in chunk {seq}");
                    }
                    (DecodedChunk::new(chunk, self.batch_rows), last)
                })
            }
        };
        match next {
            Some((decoded, last)) => {
                self.ended = last;
                Some(self.in_order.pass(decoded, last))
            }
            None => {
                // No frames at all (the last chunk flushes the in-order pass otherwise).
                self.ended = true;
                let tail = self.in_order.finish();
                let projection = lock(&self.merger).projection;
                (!tail.is_empty()).then(|| ScanBatch {
                    packets: PacketsBuilder::projected(0, projection).finish(),
                    events: tail,
                })
            }
        }
    }

    /// What is known about each file so far (complete once `next_batch` returned None).
    pub fn files(&self) -> Vec<FileInfo> {
        lock(&self.merger)
            .readers
            .iter()
            .map(|r| r.info.clone())
            .collect()
    }

    /// The `capture_files` table.
    pub fn files_batch(&self) -> RecordBatch {
        capture_files_batch(&self.files())
    }

    /// File-level errors met so far.
    pub fn errors(&self) -> Vec<CaptureError> {
        lock(&self.merger)
            .readers
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Cursor;
    use std::path::Path;

    use super::*;

    /// A pcap of `n` Ethernet/IPv4/UDP frames, one microsecond apart.
    fn pcap(n: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        for i in 0..n {
            let mut f = vec![0u8; 42];
            f[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
            f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
            f[12..14].copy_from_slice(&[0x08, 0x00]);
            f[14] = 0x45;
            f[16..18].copy_from_slice(&28u16.to_be_bytes());
            f[22] = 64;
            f[23] = 17;
            f[26..30].copy_from_slice(&[10, 0, 0, 1]);
            f[30..34].copy_from_slice(&i.to_be_bytes());
            f[34..36].copy_from_slice(&1000u16.to_be_bytes());
            f[36..38].copy_from_slice(&2000u16.to_be_bytes());
            f[38..40].copy_from_slice(&8u16.to_be_bytes());
            for x in [1_700_000_000, i, f.len() as u32, f.len() as u32] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&f);
        }
        v
    }

    fn scanner(frames: u32, batch_rows: usize, threads: usize) -> Scanner {
        let reader =
            FileReader::from_reader(0, Path::new("mem"), Box::new(Cursor::new(pcap(frames))));
        Scanner::from_readers(vec![reader], batch_rows).with_threads(threads)
    }

    fn rows(s: Scanner) -> Vec<usize> {
        s.map(|b| b.packets.num_rows()).collect()
    }

    #[test]
    fn every_thread_count_gives_the_same_batches() {
        for frames in [0, 1, 99, 100, 101, 1000] {
            let one = rows(scanner(frames, 100, 1));
            assert_eq!(one.iter().sum::<usize>(), frames as usize);
            for threads in [2, 3, 8] {
                assert_eq!(rows(scanner(frames, 100, threads)), one, "{frames} frames");
            }
        }
    }

    #[test]
    fn a_worker_panic_reaches_the_caller() {
        for threads in [2, 3] {
            let mut s = scanner(1000, 100, threads);
            s.panic_at_chunk = Some(4);
            let mut taken = 0;
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                while let Some(b) = s.next_batch() {
                    taken += b.packets.num_rows();
                }
            }));
            assert!(caught.is_err(), "the panic must not end the scan quietly");
            // Chunks before the one that panicked may be handed out; none after it.
            assert!(taken <= 400 && taken % 100 == 0, "{taken} frames");
            // And again, rather than a short scan.
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.next_batch()));
            assert!(again.is_err());
        }
    }

    /// A pcap of `n` Ethernet/IPv4/UDP frames `step_us` apart, to `keys` destinations in turn.
    fn pcap_spread(n: u32, step_us: u64, keys: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        for i in 0..n {
            let mut f = vec![0u8; 60];
            f[12..14].copy_from_slice(&[0x08, 0x00]);
            f[14] = 0x45;
            f[16..18].copy_from_slice(&46u16.to_be_bytes());
            f[23] = 17;
            f[26..30].copy_from_slice(&[192, 0, 2, 1]);
            f[30..34].copy_from_slice(&[198, 51, 100, (i % keys) as u8]);
            f[38..40].copy_from_slice(&26u16.to_be_bytes());
            let us = u64::from(i) * step_us;
            let [sec, usec] = [1_700_000_000 + us / 1_000_000, us % 1_000_000].map(|x| x as u32);
            for x in [sec, usec, 60, 60 + i % 5] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&f);
        }
        v
    }

    #[test]
    fn a_projected_scan_gives_the_columns_of_the_full_one() {
        let scan = |projection: Projection| -> Vec<RecordBatch> {
            let bytes = pcap_spread(300, 10, 7);
            let reader = FileReader::from_reader(0, Path::new("mem"), Box::new(Cursor::new(bytes)));
            (Scanner::from_readers(vec![reader], 100).packets_only())
                .with_columns(projection)
                .map(|b| b.packets)
                .collect()
        };
        let full = scan(Projection::all());
        for names in [
            vec!["src_ip", "dst_port", "wire_len"],
            vec![
                "timestamp",
                "tcp_flags",
                "icmp_type",
                "vlan_id",
                "dst_mac_kind",
            ],
            vec!["frame_number"],
            vec!["ttl"],
        ] {
            let got = scan(Projection::of(&names).unwrap());
            assert_eq!(got.len(), full.len());
            for (g, f) in got.iter().zip(&full) {
                let mut indices: Vec<usize> = names
                    .iter()
                    .map(|n| f.schema().index_of(n).unwrap())
                    .collect();
                indices.sort();
                assert_eq!(g, &f.project(&indices).unwrap(), "{names:?}");
            }
        }
        let err = Projection::of(&["src_ip", "nope"]).unwrap_err();
        assert!(
            err.contains("\"nope\"") && err.contains("frame_number"),
            "{err}"
        );
    }

    /// Per key of `traffic` (bucket start, destination): (frames, wire bytes).
    type TrafficSums = BTreeMap<String, (i64, i64)>;

    /// The traffic rows of a scan summed per key.
    fn traffic_sums(s: Scanner) -> TrafficSums {
        let mut out = BTreeMap::new();
        for b in s {
            add_traffic(&mut out, &b);
        }
        out
    }

    /// Add a batch's traffic rows to `out`.
    fn add_traffic(out: &mut TrafficSums, b: &ScanBatch) {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int64Type;
        for (name, t) in &b.events {
            if *name != "traffic" {
                continue;
            }
            let col = |n: &str| t.column(t.schema().index_of(n).expect("column")).clone();
            let (start, dst) = (col("bucket_start_ns"), col("dst_ip"));
            let (frames, bytes) = (col("frames"), col("wire_bytes"));
            for r in 0..t.num_rows() {
                let key = format!(
                    "{} {}",
                    start.as_primitive::<Int64Type>().value(r),
                    dst.as_string::<i32>().value(r)
                );
                let e = out.entry(key).or_insert((0, 0));
                e.0 += frames.as_primitive::<Int64Type>().value(r);
                e.1 += bytes.as_primitive::<Int64Type>().value(r);
            }
        }
    }

    #[test]
    fn an_adaptive_traffic_width_sums_as_the_fixed_width_it_reaches() {
        // 20 000 frames 150 us apart (3 s) to 7 hosts: at 1 ms some 21 k rows
        for threads in [1, 3] {
            let open = || {
                let bytes = pcap_spread(20_000, 150, 7);
                let r = FileReader::from_reader(0, Path::new("mem"), Box::new(Cursor::new(bytes)));
                Scanner::from_readers(vec![r], 500).with_threads(threads)
            };
            let mut adaptive = open().with_traffic(TrafficParams {
                adaptive: true,
                ..TrafficParams::default()
            });
            adaptive.in_order.traffic.held_max_rows = 2_000;
            let mut got = BTreeMap::new();
            let mut width = 0;
            while let Some(b) = adaptive.next_batch() {
                add_traffic(&mut got, &b);
                width = adaptive.traffic_bucket_ns();
            }
            // 21 k rows at 1 ms, 2.1 k at 10 ms: it stops at 100 ms (210 rows)
            assert_eq!(width, 100_000_000, "{threads} threads");
            let fixed = traffic_sums(open().with_traffic(TrafficParams {
                bucket_ns: width,
                ..TrafficParams::default()
            }));
            assert_eq!(got, fixed, "{threads} threads");
            assert_eq!(got.values().map(|v| v.0).sum::<i64>(), 20_000);
        }
    }

    #[test]
    fn an_adaptive_width_past_its_coarsest_streams_its_rows() {
        let bytes = pcap_spread(5_000, 600_000, 50); // 50 min: 1 s buckets, 5 000 rows
        let r = FileReader::from_reader(0, Path::new("mem"), Box::new(Cursor::new(bytes)));
        let mut s = Scanner::from_readers(vec![r], 500)
            .with_threads(1)
            .with_traffic(TrafficParams {
                adaptive: true,
                ..TrafficParams::default()
            });
        s.in_order.traffic.held_max_rows = 1_000;
        let mut batches_with_traffic = 0;
        let mut rows = 0;
        while let Some(b) = s.next_batch() {
            let t: usize = b
                .events
                .iter()
                .filter(|(n, _)| *n == "traffic")
                .map(|(_, t)| t.num_rows())
                .sum();
            batches_with_traffic += usize::from(t > 0);
            rows += t;
        }
        assert_eq!(s.traffic_bucket_ns(), 1_000_000_000);
        assert_eq!(rows, 5_000);
        assert!(
            batches_with_traffic > 2,
            "rows held to the end: {batches_with_traffic}"
        );
    }

    #[test]
    fn dropping_a_scanner_early_joins_its_workers() {
        let mut s = scanner(10_000, 100, 3);
        assert!(s.next_batch().is_some());
        let shared = Arc::downgrade(&s.pool.as_ref().expect("workers started").shared);
        assert!(shared.strong_count() > 1, "workers hold the shared state");
        drop(s);
        assert_eq!(shared.strong_count(), 0, "a worker outlived its scanner");
    }
}
