//! Print a digest of every column of every batch a scan produces, one line per column, so a
//! change to the table builders can be checked to leave the output identical: run it before
//! and after over the same captures and `diff` the two outputs
//! (`cargo run --release --example digest -- [--threads N] [--batch-rows N] FILE...`; the
//! defaults are 1 thread and 4096 rows, so that a capture spans several batches).
//!
//! Each line holds the table, batch and column, the Arrow type, the null count, whether a
//! validity bitmap is present, and a hash of the values as printed (nulls included) and of the
//! raw buffers (so values under null slots count too).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use arrow_array::{Array, RecordBatch};

fn hash_data(d: &arrow_array::ArrayRef, h: &mut DefaultHasher) {
    let data = d.to_data();
    for b in data.buffers() {
        b.as_slice().hash(h);
    }
    if let Some(n) = data.nulls() {
        n.iter().collect::<Vec<bool>>().hash(h);
    }
    for c in data.child_data() {
        hash_data(&arrow_array::make_array(c.clone()), h);
    }
}

fn digest(table: &str, batch_no: usize, b: &RecordBatch) {
    for (field, col) in b.schema().fields().iter().zip(b.columns()) {
        let mut shown = DefaultHasher::new();
        format!("{col:?}").hash(&mut shown);
        let mut raw = DefaultHasher::new();
        hash_data(col, &mut raw);
        println!(
            "{table} {batch_no} {} {} rows={} nulls={} bitmap={} shown={:016x} raw={:016x}",
            field.name(),
            field.data_type(),
            col.len(),
            col.null_count(),
            col.nulls().is_some(),
            shown.finish(),
            raw.finish()
        );
    }
}

fn main() {
    let (mut threads, mut batch_rows) = (1usize, 4096usize);
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> usize {
            match args.next().and_then(|v| v.parse().ok()) {
                Some(n) => n,
                None => {
                    eprintln!("{what} needs a number");
                    std::process::exit(2);
                }
            }
        };
        match a.as_str() {
            "--threads" => threads = number("--threads"),
            "--batch-rows" => batch_rows = number("--batch-rows"),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    for path in paths {
        println!("# {}", path.display());
        let mut scanner = lmcap_core::Scanner::open(std::slice::from_ref(&path), batch_rows)
            .with_threads(threads);
        let mut n = 0;
        while let Some(b) = scanner.next_batch() {
            digest("packets", n, &b.packets);
            for (name, e) in &b.events {
                digest(name, n, e);
            }
            n += 1;
        }
        for e in scanner.errors() {
            println!("error: {e}");
        }
    }
}
