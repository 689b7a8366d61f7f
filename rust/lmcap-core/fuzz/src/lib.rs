//! Checks the fuzz targets share: a scan that verifies its own accounting, and "this slice lies
//! inside that one". A target that only asserted "no panic" would let a decoder that reads the
//! wrong bytes, drops frames or points outside its frame pass; these helpers turn the
//! properties the project promises (rows out == frames read, frame numbers contiguous, every
//! event row points at a real frame, every borrowed slice stays in its frame) into panics that
//! libFuzzer reports as crashes.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use lmcap_core::capture::{FileInfo, FileReader};
use lmcap_core::decode::StopReason;
use lmcap_core::scan::Scanner;

/// Panic unless `part` is a sub-slice of `whole` (same memory, not just equal bytes).
pub fn assert_inside(part: &[u8], whole: &[u8], what: &str) {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    // An empty slice may be a dangling pointer (`&[]`): nothing to point outside of.
    if part.is_empty() {
        return;
    }
    assert!(
        p >= w && p + part.len() <= w + whole.len(),
        "{what}: slice at +{} len {} lies outside its {}-byte buffer",
        p.wrapping_sub(w) as isize,
        part.len(),
        whole.len()
    );
}

/// One frame as the `packets` table shows it, to compare scans of the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub file_index: u32,
    pub cap_len: u32,
    pub wire_len: u32,
    pub timestamp_ns: Option<i64>,
    pub decode_status: String,
}

/// What a scan produced, after its invariants were checked.
pub struct Scanned {
    pub rows: Vec<Row>,
    pub files: Vec<FileInfo>,
    /// Event rows per table name.
    pub events: BTreeMap<&'static str, usize>,
    /// The `packets` batches, in order.
    pub packets: Vec<RecordBatch>,
    /// The event batches with their table names, in the order the scan handed them out.
    pub event_batches: Vec<(&'static str, RecordBatch)>,
}

fn u64_column<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow_array::UInt64Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<UInt64Type>()
}

fn u32_column<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow_array::UInt32Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<UInt32Type>()
}

/// Scan `readers` to the end and check, for every batch:
/// - `frame_number` runs 1, 2, 3... without a gap across batches (nothing dropped or repeated);
/// - rows out == frames the readers counted, per file (`file_index`) and in total;
/// - `decode_status` is one of the documented stop reasons;
/// - every event row (`arp`, `smb_pdus`, `rdma_segments`...) names a frame that exists;
/// - the `capture_files` table builds.
pub fn scan_checked(readers: Vec<FileReader>, batch_rows: usize, threads: usize) -> Scanned {
    let n_files = readers.len();
    let mut scanner = Scanner::from_readers(readers, batch_rows).with_threads(threads);
    let names: Vec<&str> = StopReason::ALL.iter().map(|s| s.name()).collect();
    let mut rows = Vec::new();
    let mut events: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut event_frames = Vec::new();
    let mut packets = Vec::new();
    let mut event_batches = Vec::new();
    while let Some(batch) = scanner.next_batch() {
        let p = &batch.packets;
        let numbers = u64_column(p, "frame_number");
        let file_index = u32_column(p, "file_index");
        let cap_len = u32_column(p, "cap_len");
        let wire_len = u32_column(p, "wire_len");
        let ts = p
            .column_by_name("timestamp")
            .expect("timestamp column")
            .as_primitive::<arrow_array::types::TimestampNanosecondType>();
        let status = p
            .column_by_name("decode_status")
            .expect("decode_status column")
            .as_dictionary::<Int8Type>();
        let status_values = status.values().as_string::<i32>();
        for i in 0..p.num_rows() {
            assert_eq!(
                numbers.value(i),
                rows.len() as u64 + 1,
                "frame numbers must run 1, 2, 3... across batches"
            );
            let s = status_values.value(status.keys().value(i) as usize);
            assert!(names.contains(&s), "unknown decode_status {s:?}");
            assert!(
                (file_index.value(i) as usize) < n_files,
                "file_index out of range"
            );
            rows.push(Row {
                file_index: file_index.value(i),
                cap_len: cap_len.value(i),
                wire_len: wire_len.value(i),
                timestamp_ns: ts.is_valid(i).then(|| ts.value(i)),
                decode_status: s.to_string(),
            });
        }
        for (name, e) in &batch.events {
            *events.entry(name).or_default() += e.num_rows();
            if let Some(col) = e.column_by_name("frame_number") {
                let col = col.as_primitive::<UInt64Type>();
                event_frames.extend(col.iter().map(|v| (*name, v)));
            }
            event_batches.push((*name, e.clone()));
        }
        packets.push(batch.packets);
    }
    // Event rows may arrive in a later batch than their frame (the in-order stage flushes at
    // the end), so they are checked against the final frame count.
    for (name, f) in event_frames {
        let f = f.unwrap_or_else(|| panic!("{name}: null frame_number"));
        assert!(
            (1..=rows.len() as u64).contains(&f),
            "{name}: event row names frame {f} of {}",
            rows.len()
        );
    }
    let files = scanner.files();
    assert_eq!(files.len(), n_files);
    let counted: u64 = files.iter().map(|f| f.packets).sum();
    assert_eq!(
        rows.len() as u64,
        counted,
        "rows out != frames the readers counted"
    );
    for (i, f) in files.iter().enumerate() {
        let out = rows.iter().filter(|r| r.file_index as usize == i).count() as u64;
        assert_eq!(out, f.packets, "file {i}: rows out != frames it counted");
        if let Some(e) = &f.error {
            // The error names the input and a byte offset; it renders without panicking.
            let _ = e.to_string();
        }
    }
    let _ = scanner.files_batch();
    Scanned {
        rows,
        files,
        events,
        packets,
        event_batches,
    }
}

/// Panic, naming the first batch and column that differ, unless two scans built the same
/// `packets` batches (same rows in the same order).
pub fn assert_same_packets(a: &[RecordBatch], b: &[RecordBatch], what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} batches against {}",
        a.len(),
        b.len()
    );
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(
            x.schema(),
            y.schema(),
            "{what}: batch {i} has another schema"
        );
        for (f, (cx, cy)) in x
            .schema()
            .fields()
            .iter()
            .zip(x.columns().iter().zip(y.columns()))
        {
            assert!(
                cx == cy,
                "{what}: batch {i}, column {}: {cx:?} against {cy:?}",
                f.name()
            );
        }
    }
}

/// Each event table's rows as text, sorted: tables built from hash maps at the end of a scan
/// (`flows`, `traffic`) list their rows in an order that changes from run to run, so two scans
/// are compared as sets of rows per table.
pub fn event_rows(batches: &[(&'static str, RecordBatch)]) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (name, b) in batches {
        let rows = out.entry(name).or_default();
        for i in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .map(|c| format!("{:?}", c.slice(i, 1)))
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    for rows in out.values_mut() {
        rows.sort();
    }
    out
}
