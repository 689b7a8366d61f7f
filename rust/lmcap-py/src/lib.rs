//! `lmcap._core`: the thin PyO3 layer over lmcap-core. It owns no logic: it moves Arrow data
//! across the boundary through the Arrow PyCapsule interface (one capsule per batch or stream,
//! never per packet) and hands file-level errors to Python as plain data, where
//! `lmcap.CaptureError` is raised according to the caller's `strict` choice.

use std::ffi::CString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchReader, StructArray};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyTuple};

use lmcap_core::evidence::traffic::TrafficParams;
use lmcap_core::filter::{FrameFilter, Instant};
use lmcap_core::scan::{ScanBatch, Scanner as CoreScanner, DEFAULT_BATCH_ROWS};
use lmcap_core::tables::builders::Projection;
use lmcap_core::tables::schema;

fn schema_capsule<'py>(py: Python<'py>, data_type: &DataType) -> PyResult<Bound<'py, PyCapsule>> {
    let ffi =
        FFI_ArrowSchema::try_from(data_type).map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyCapsule::new(py, ffi, Some(CString::new("arrow_schema").unwrap()))
}

/// One Arrow record batch, exported to Python through `__arrow_c_array__`
/// (`pyarrow.record_batch(obj)` imports it without copying).
#[pyclass(module = "lmcap._core", frozen)]
pub struct ArrowBatch {
    batch: RecordBatch,
}

#[pymethods]
impl ArrowBatch {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let array = StructArray::from(self.batch.clone());
        let data_type = array.data_type().clone();
        let ffi_array = FFI_ArrowArray::new(&array.to_data());
        let array_capsule =
            PyCapsule::new(py, ffi_array, Some(CString::new("arrow_array").unwrap()))?;
        PyTuple::new(
            py,
            [
                schema_capsule(py, &data_type)?.into_any(),
                array_capsule.into_any(),
            ],
        )
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &DataType::Struct(self.batch.schema().fields().clone()))
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }
}

/// An Arrow schema, exported through `__arrow_c_schema__`.
#[pyclass(module = "lmcap._core", frozen)]
pub struct ArrowSchema {
    schema: SchemaRef,
}

#[pymethods]
impl ArrowSchema {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &DataType::Struct(self.schema.fields().clone()))
    }
}

// The `Scanner` signature repeats the default batch size as a literal so Python's
// `inspect.signature` (and the stub checker) see the number; keep the two in step.
const _: () = assert!(DEFAULT_BATCH_ROWS == 65536);

type EventSink = Arc<Mutex<Vec<(String, RecordBatch)>>>;

/// The `packets` stream handed to an Arrow C stream consumer. Event-table batches produced
/// along the way are kept in `events` for the scanner to hand out afterwards.
struct PacketStream {
    scanner: Arc<Mutex<CoreScanner>>,
    events: EventSink,
    schema: SchemaRef,
}

/// Hand out a step's `packets` batch and queue its event batches in `events`.
fn split_step(step: ScanBatch, events: &EventSink) -> RecordBatch {
    let mut sink = events.lock().unwrap_or_else(|p| p.into_inner());
    sink.extend(step.events.into_iter().map(|(n, b)| (n.to_string(), b)));
    step.packets
}

impl Iterator for PacketStream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Called from the Arrow C stream's callback: a panic must not unwind into the
        // consumer (it would abort the process); it ends the stream with an error instead.
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock(&self.scanner).next_batch()
        }));
        match step {
            Ok(step) => Some(Ok(split_step(step?, &self.events))),
            Err(payload) => Some(Err(ArrowError::ExternalError(
                scan_panic_message(payload, &lock(&self.scanner)).into(),
            ))),
        }
    }
}

impl RecordBatchReader for PacketStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

pyo3::create_exception!(
    _core,
    ScanPanic,
    PyRuntimeError,
    "The scanner stopped on a bug of lmcap (a Rust panic) while reading a capture; the \
     message names the files and how far each was read. The interpreter and the scanner's \
     threads are unharmed; the scanner raises it again if called after."
);

/// What a panic of the scan says: its message, and each file with the bytes read from it so
/// far (the chunk that panicked lies past what was handed out before).
fn scan_panic_message(payload: Box<dyn std::any::Any + Send>, scanner: &CoreScanner) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let files: Vec<String> = scanner
        .files()
        .iter()
        .map(|f| format!("{} (read to byte {})", f.path.display(), f.bytes_read))
        .collect();
    format!(
        "lmcap stopped on a bug while reading {}: {what}. Please report it with the capture.",
        files.join(", ")
    )
}

/// Reads capture files and yields `packets` batches plus the event tables' batches.
#[pyclass(module = "lmcap._core")]
pub struct Scanner {
    inner: Arc<Mutex<CoreScanner>>,
    events: EventSink,
    /// The message of a panic of the scan, raised again by every later `next_batch`: going
    /// on past the chunk that panicked would lose its frames silently.
    panicked: Mutex<Option<String>>,
    /// The `packets` columns it builds (the schema of its batches).
    projection: Projection,
}

fn lock(s: &Arc<Mutex<CoreScanner>>) -> std::sync::MutexGuard<'_, CoreScanner> {
    // A panic while holding the lock would poison it; the data is still consistent for reads.
    s.lock().unwrap_or_else(|p| p.into_inner())
}

#[pymethods]
impl Scanner {
    /// `bucket_ns` and `switch_max_frame` cut the `traffic` evidence table (the analysis
    /// parameters of the same names; `bucket_ns=None`: the finest of 1 ms, 10 ms, 100 ms and
    /// 1 s that keeps the table small, see `traffic_bucket_ns`). The filter keeps frames stamped in [since, until)
    /// (`*_ns`: nanoseconds since the epoch; `*_offset_ns`: after the first timestamped
    /// frame), carrying one of `vlans`, or from or to one of `hosts` (IP or MAC addresses).
    /// `packets_only` builds the `packets` table and nothing else (no event tables, evidence
    /// or `flows`): what `lmcap.scan` and `lmcap.read` return. `detail_only` puts only the
    /// detail frames in the packets batches (what `lmcap analyze` reads frame by frame) and
    /// builds every other table from all frames.
    #[new]
    #[pyo3(signature = (
        paths, batch_rows=65536, bucket_ns=1_000_000_000, switch_max_frame=9216, *,
        since_ns=None, until_ns=None, since_offset_ns=None, until_offset_ns=None,
        vlans=Vec::new(), hosts=Vec::new(), packets_only=false, detail_only=false,
        columns=None, _test_panic_at_chunk=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        batch_rows: usize,
        bucket_ns: Option<i64>,
        switch_max_frame: u32,
        since_ns: Option<i64>,
        until_ns: Option<i64>,
        since_offset_ns: Option<i64>,
        until_offset_ns: Option<i64>,
        vlans: Vec<u16>,
        hosts: Vec<String>,
        packets_only: bool,
        detail_only: bool,
        columns: Option<Vec<String>>,
        _test_panic_at_chunk: Option<u64>,
    ) -> PyResult<Self> {
        let projection = match &columns {
            Some(names) => Projection::of(names).map_err(PyValueError::new_err)?,
            None => Projection::all(),
        };
        if let Some(ns) = bucket_ns.filter(|ns| *ns <= 0) {
            return Err(PyValueError::new_err(format!(
                "bucket_ns must be positive (or None: chosen from the capture), not {ns}"
            )));
        }
        let instant = |abs: Option<i64>, rel: Option<i64>| match (abs, rel) {
            (Some(_), Some(_)) => Err(PyValueError::new_err(
                "give a bound either absolute (_ns) or from the start (_offset_ns), not both",
            )),
            (Some(ns), None) => Ok(Some(Instant::Absolute(ns))),
            (None, Some(ns)) => Ok(Some(Instant::FromStart(ns))),
            (None, None) => Ok(None),
        };
        let mut filter = FrameFilter {
            since: instant(since_ns, since_offset_ns)?,
            until: instant(until_ns, until_offset_ns)?,
            vlans,
            ..FrameFilter::default()
        };
        for h in &hosts {
            match parse_host(h) {
                Some(Host::Ip(ip)) => filter.ips.push(ip),
                Some(Host::Mac(mac)) => filter.macs.push(mac),
                None => {
                    return Err(PyValueError::new_err(format!(
                        "not an IP or MAC address: {h:?} (e.g. 192.0.2.10, 2001:db8::1, \
                         02:00:5e:10:00:01)"
                    )))
                }
            }
        }
        // Opening can block (a FIFO waits for its writer, which may be a Python thread; a
        // network file system may stall): not while holding the GIL.
        let scanner = py
            .allow_threads(move || CoreScanner::open(&paths, batch_rows))
            .with_traffic(TrafficParams {
                bucket_ns: bucket_ns.unwrap_or(1),
                switch_max_frame,
                adaptive: bucket_ns.is_none(),
            })
            .with_filter(filter)
            .with_columns(projection)
            .with_test_panic_at_chunk(_test_panic_at_chunk);
        let scanner = if packets_only {
            scanner.packets_only()
        } else {
            scanner
        };
        let scanner = if detail_only {
            scanner.detail_only()
        } else {
            scanner
        };
        Ok(Scanner {
            inner: Arc::new(Mutex::new(scanner)),
            events: Arc::new(Mutex::new(Vec::new())),
            panicked: Mutex::new(None),
            projection,
        })
    }

    /// Times the `traffic` evidence held more open rows than its bound and wrote them out
    /// early (a key's rows are then split, never lost).
    fn traffic_cap_flushes(&self) -> u64 {
        lock(&self.inner).traffic_cap_flushes()
    }

    /// The bucket width of the `traffic` evidence: `bucket_ns`, or with `bucket_ns=None`
    /// the width the scan chose from the capture (1 ms, 10 ms, 100 ms or 1 s; final once the
    /// scan has ended).
    fn traffic_bucket_ns(&self) -> i64 {
        lock(&self.inner).traffic_bucket_ns()
    }

    /// What the bounds of the evidence tables dropped so far, by `scan_settings` column:
    /// `tcp_open_evicted` (unacknowledged segments), `tcp_cover_evicted` (sequence ranges),
    /// `tcp_resets_dropped`, `claim_runs_dropped`, `claims_untracked`, `flows_memcap_evicted`
    /// (flows written out early because the flow map was full), `flows_resumed` (rows that
    /// continue a flow written out early), `flows_evicted_forgotten`, `mss_hosts_untracked`,
    /// `stream_directions_untracked` (frames of SMB/iWARP connections not framed: too many
    /// open), and `flows_idle_expired`, `stream_directions_expired` (closed after the idle
    /// timeout: not a loss).
    fn evidence_bounds(&self) -> std::collections::HashMap<&'static str, u64> {
        let scanner = lock(&self.inner);
        let (t, c) = (scanner.tcp_counters(), scanner.claim_counters());
        let f = scanner.flow_counters();
        let st = scanner.stream_counters();
        std::collections::HashMap::from([
            ("stream_directions_expired", st.directions_expired),
            ("stream_directions_untracked", st.directions_untracked),
            ("stream_heads_cut", st.heads_cut),
            ("flows_idle_expired", f.idle_expired),
            ("flows_memcap_evicted", f.memcap_evicted),
            ("flows_resumed", f.resumed),
            ("flows_evicted_forgotten", f.evicted_forgotten),
            ("mss_hosts_untracked", f.mss_hosts_untracked),
            ("tcp_open_evicted", t.open_evicted),
            ("tcp_cover_evicted", t.cover_evicted),
            ("tcp_resets_dropped", t.resets_dropped),
            ("claim_runs_dropped", c.runs_dropped),
            ("claims_untracked", c.claims_untracked),
        ])
    }

    /// Frames stamped earlier than the frame before them in their file so far, and the first.
    fn out_of_order(&self) -> (u64, Option<u64>) {
        lock(&self.inner).out_of_order()
    }

    /// Frames without a timestamp so far, and the first of them.
    fn missing_timestamps(&self) -> (u64, Option<u64>) {
        lock(&self.inner).missing_timestamps()
    }

    /// Frames per decode status so far (`ok` included), every frame the filter kept counted.
    fn decode_status_counts(&self) -> Vec<(&'static str, u64)> {
        lock(&self.inner).decode_status_counts()
    }

    /// Frames read but dropped by the filter so far.
    fn filtered_frames(&self) -> u64 {
        lock(&self.inner).filtered_frames()
    }

    /// The next `packets` batch, or None at the end. Event batches made with it are queued for
    /// `take_events()`. The GIL is released while frames are decoded.
    /// A panic of the scan (a bug) raises `ScanPanic` instead of ending the interpreter.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<ArrowBatch>> {
        let mut panicked = self.panicked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(message) = panicked.as_ref() {
            return Err(ScanPanic::new_err(message.clone()));
        }
        let inner = self.inner.clone();
        let step = py.allow_threads(move || {
            // the scanner is not used after a panic but to name its files, which stay
            // consistent (they are updated between chunks, not within one)
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lock(&inner).next_batch()))
        });
        match step {
            Ok(step) => Ok(step.map(|step| ArrowBatch {
                batch: split_step(step, &self.events),
            })),
            Err(payload) => {
                let message = scan_panic_message(payload, &lock(&self.inner));
                *panicked = Some(message.clone());
                Err(ScanPanic::new_err(message))
            }
        }
    }

    /// Event-table batches produced so far, as (table name, batch) pairs; the queue is emptied.
    fn take_events(&self) -> Vec<(String, ArrowBatch)> {
        let mut sink = self.events.lock().unwrap_or_else(|p| p.into_inner());
        sink.drain(..)
            .map(|(n, b)| (n, ArrowBatch { batch: b }))
            .collect()
    }

    /// The `packets` table as an Arrow C stream: `pyarrow.RecordBatchReader.from_stream(scanner)`,
    /// `duckdb` and `polars` consume it directly, batch by batch.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = PacketStream {
            scanner: self.inner.clone(),
            events: self.events.clone(),
            schema: self.projection.schema(),
        };
        let ffi = FFI_ArrowArrayStream::new(Box::new(stream));
        PyCapsule::new(py, ffi, Some(CString::new("arrow_array_stream").unwrap()))
    }

    /// The `capture_files` table (complete once the scan has ended).
    fn files(&self) -> ArrowBatch {
        ArrowBatch {
            batch: lock(&self.inner).files_batch(),
        }
    }

    /// File-level errors so far: a list of dicts with path, offset, kind and message.
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for e in lock(&self.inner).errors() {
            let d = PyDict::new(py);
            d.set_item("path", e.path.to_string_lossy().to_string())?;
            d.set_item("offset", e.offset)?;
            d.set_item("kind", e.kind.name())?;
            d.set_item("message", e.to_string())?;
            list.append(d)?;
        }
        Ok(list)
    }
}

/// Schema of a table by name (`packets`, `arp`, `igmp_records`, `nlb_heartbeats`, `capture_files`).
#[pyfunction]
fn table_schema(name: &str) -> PyResult<ArrowSchema> {
    schema::all_tables()
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| ArrowSchema { schema: t.schema() })
        .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}")))
}

/// Names of every table, in documentation order.
#[pyfunction]
fn table_names() -> Vec<&'static str> {
    schema::all_tables().iter().map(|t| t.name).collect()
}

/// The bounds of the state the scan keeps across frames (`scan_settings` counts what each
/// dropped): declared in the core, read here so the report's words and the tests use the
/// same numbers.
#[pyfunction]
fn evidence_limits() -> std::collections::HashMap<&'static str, usize> {
    use lmcap_core::evidence::{claims, tcp};
    use lmcap_core::flows;
    std::collections::HashMap::from([
        ("flows_max_open", flows::MAX_OPEN_FLOWS),
        (
            "flows_idle_timeout_s",
            (flows::FLOW_IDLE_TIMEOUT_NS / 1_000_000_000) as usize,
        ),
        (
            "flows_udp_idle_timeout_s",
            (flows::UDP_IDLE_TIMEOUT_NS / 1_000_000_000) as usize,
        ),
        ("flows_evicted_remembered", flows::EVICTED_REMEMBERED),
        ("flows_max_mss_hosts", flows::MAX_MSS_HOSTS),
        ("stream_max_directions", lmcap_core::stream::MAX_DIRECTIONS),
        (
            "stream_heads_budget_bytes",
            lmcap_core::stream::HEADS_BUDGET_BYTES,
        ),
        ("tcp_max_cover_ranges", tcp::MAX_COVER_RANGES),
        ("tcp_max_open_segments", tcp::MAX_OPEN_SEGMENTS),
        (
            "tcp_max_open_segments_total",
            tcp::MAX_OPEN_SEGMENTS_TOTAL as usize,
        ),
        ("tcp_max_resets", tcp::MAX_RESETS),
        ("claims_max_runs_per_ip", claims::MAX_RUNS_PER_IP),
        ("claims_max_runs", claims::MAX_RUNS),
        ("claims_max_addresses", claims::MAX_ADDRESSES),
    ])
}

/// `docs/schema.md`, generated from the schema declaration.
#[pyfunction]
fn schema_markdown() -> String {
    schema::markdown()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scanner>()?;
    m.add("ScanPanic", m.py().get_type::<ScanPanic>())?;
    m.add_class::<ArrowBatch>()?;
    m.add_class::<ArrowSchema>()?;
    m.add_function(wrap_pyfunction!(table_schema, m)?)?;
    m.add_function(wrap_pyfunction!(table_names, m)?)?;
    m.add_function(wrap_pyfunction!(schema_markdown, m)?)?;
    m.add_function(wrap_pyfunction!(evidence_limits, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

enum Host {
    Ip(std::net::IpAddr),
    Mac([u8; 6]),
}

/// An IP address (v4 or v6) or a MAC address (`aa:bb:cc:dd:ee:ff` or with `-`).
fn parse_host(text: &str) -> Option<Host> {
    let t = text.trim();
    if let Ok(ip) = t.parse() {
        return Some(Host::Ip(ip));
    }
    let parts: Vec<&str> = t.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(&parts) {
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    Some(Host::Mac(mac))
}
