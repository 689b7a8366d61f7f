//! Scan captures with the core alone and print frames, batches and wall time: a quick way to
//! profile the decoder without Python (`cargo run --release --example scan -- FILE...`).

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: scan FILE...");
        std::process::exit(2);
    }
    let start = Instant::now();
    let mut scanner = lmcap_core::Scanner::open(&paths, lmcap_core::scan::DEFAULT_BATCH_ROWS);
    let (mut frames, mut batches) = (0usize, 0usize);
    while let Some(b) = scanner.next_batch() {
        frames += b.packets.num_rows();
        batches += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{frames} frames in {batches} batches, {secs:.3} s, {:.2} M frames/s",
        frames as f64 / secs / 1e6
    );
    for e in scanner.errors() {
        eprintln!("error: {e}");
    }
}
