//! Any bytes as one capture file (pcap, pcapng, gzip- or zstd-compressed), read two ways:
//! as a stream (`FileReader::from_reader`: the stdin/gzip/zstd path with its bounded buffer)
//! and as a plain file on disk (`FileReader::open`: the path that reads in shared windows).
//!
//! Checks, besides "no panic, no hang":
//! - each scan accounts for itself (see `scan_checked`: rows == frames counted, frame numbers
//!   contiguous, known decode statuses, event rows point at real frames);
//! - both paths frame the bytes identically: the same `packets` batches, the same event rows
//!   (compared as sets: `flows` and `traffic` come out of hash maps in no fixed order), the
//!   same frame count and the same error kind at the same byte offset;
//! - for uncompressed input, nothing is made up: captured bytes and the error offset stay
//!   inside the input, and no record exceeds the 16 MiB record limit.
#![no_main]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lmcap_core::capture::{Compression, FileReader};
use lmcap_core_fuzz::{assert_same_packets, event_rows, scan_checked};

/// One scratch file per fuzzer process (libFuzzer runs inputs one at a time in a process).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("lmcap-fuzz-read-{}.cap", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    // Batches of a few dozen rows: a capture of a few hundred frames spans several chunks and
    // in-order passes (smaller batches multiply the cost of building tables per exec).
    let batch_rows = 40 + data.len() % 13;
    let stream =
        FileReader::from_reader(0, Path::new("fuzz"), Box::new(Cursor::new(data.to_vec())));
    let a = scan_checked(vec![stream], batch_rows, 1);

    std::fs::write(scratch(), data).expect("write the scratch capture");
    let file = FileReader::open(0, scratch());
    let b = scan_checked(vec![file], batch_rows, 1);

    let (fa, fb) = (&a.files[0], &b.files[0]);
    assert_eq!(
        a.rows, b.rows,
        "stream and file paths framed different rows"
    );
    assert_eq!(
        a.events, b.events,
        "stream and file paths built different events"
    );
    assert_same_packets(&a.packets, &b.packets, "stream and file paths");
    if a.event_batches != b.event_batches {
        assert_eq!(
            event_rows(&a.event_batches),
            event_rows(&b.event_batches),
            "stream and file paths built different event rows"
        );
    }
    assert_eq!(fa.packets, fb.packets);
    assert_eq!(fa.format, fb.format);
    assert_eq!(fa.compression, fb.compression);
    assert_eq!(
        fa.error.as_ref().map(|e| (e.kind.name(), e.offset)),
        fb.error.as_ref().map(|e| (e.kind.name(), e.offset)),
        "stream and file paths stopped differently"
    );

    for r in &a.rows {
        assert!(r.cap_len as usize <= lmcap_core::capture::source::MAX_RECORD_BYTES);
    }
    if fa.compression == Compression::None {
        let captured: u64 = a.rows.iter().map(|r| u64::from(r.cap_len)).sum();
        assert!(
            captured <= data.len() as u64,
            "more frame bytes than input bytes"
        );
        assert!(
            fa.bytes_read <= data.len() as u64,
            "bytes_read past the input"
        );
        if let Some(e) = &fa.error {
            assert!(e.offset <= data.len() as u64, "error offset past the input");
        }
    }
    if fa.error.is_none() {
        assert!(
            fa.format.is_some(),
            "a clean read must have recognised a format"
        );
    }
});
