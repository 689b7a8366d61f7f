//! Print a digest of every column of every batch a scan produces, one line per column, so a
//! change to the table builders can be checked to leave the output identical: run it before
//! and after over the same captures and `diff` the two outputs
//! (`cargo run --release --example digest -- FILE...`).
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
    for path in std::env::args().skip(1).map(PathBuf::from) {
        println!("# {}", path.display());
        let mut scanner =
            lmcap_core::Scanner::open(std::slice::from_ref(&path), 4096).with_threads(1);
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
