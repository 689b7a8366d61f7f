//! Two or three captures merged by time (`Scanner::from_readers` with several readers), with
//! one or two decode threads.
//!
//! Input layout (what `scripts/fuzz_seeds.py` writes): byte 0 = control (bit 0: three inputs
//! instead of two; bit 1: two decode threads), then one little-endian u32 length per input but
//! the last, then the inputs back to back (the last one takes the rest; lengths past the end are
//! cut).
//!
//! Checks: the merged scan accounts for itself (`scan_checked`), and it is an interleaving of
//! the inputs scanned one by one: the same frames per file, in each file's own order, with the
//! same decode results, the same frame count and the same error per file.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lmcap_core::capture::FileReader;
use lmcap_core_fuzz::{scan_checked, Row};

fn split(data: &[u8]) -> Option<(Vec<&[u8]>, usize)> {
    let (&control, mut rest) = data.split_first()?;
    let n = if control & 1 != 0 { 3 } else { 2 };
    let threads = if control & 2 != 0 { 2 } else { 1 };
    let mut lens = Vec::new();
    for _ in 0..n - 1 {
        let (l, r) = rest.split_at_checked(4)?;
        lens.push(u32::from_le_bytes(l.try_into().unwrap()) as usize);
        rest = r;
    }
    let mut parts = Vec::new();
    for l in lens {
        let (p, r) = rest.split_at(l.min(rest.len()));
        parts.push(p);
        rest = r;
    }
    parts.push(rest);
    Some((parts, threads))
}

fn reader(i: usize, bytes: &[u8]) -> FileReader {
    let name = format!("fuzz-{i}");
    FileReader::from_reader(
        i as u32,
        Path::new(&name),
        Box::new(Cursor::new(bytes.to_vec())),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((parts, threads)) = split(data) else {
        return;
    };
    let readers = parts
        .iter()
        .enumerate()
        .map(|(i, p)| reader(i, p))
        .collect();
    let merged = scan_checked(readers, 40, threads);
    for (i, part) in parts.iter().enumerate() {
        let alone = scan_checked(vec![reader(0, part)], 40, 1);
        let mine: Vec<Row> = merged
            .rows
            .iter()
            .filter(|r| r.file_index as usize == i)
            .map(|r| Row {
                file_index: 0,
                ..r.clone()
            })
            .collect();
        assert_eq!(
            mine, alone.rows,
            "input {i}: the merge changed its frames or their order"
        );
        let (m, a) = (&merged.files[i], &alone.files[0]);
        assert_eq!(m.packets, a.packets);
        assert_eq!(
            m.error.as_ref().map(|e| (e.kind.name(), e.offset)),
            a.error.as_ref().map(|e| (e.kind.name(), e.offset)),
            "input {i}: the merge stopped it differently"
        );
    }
});
