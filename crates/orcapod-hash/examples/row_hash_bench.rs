//! Old vs new per-row hashing in one process, one thread: `hash_batch(&batch.slice(i, 1))`
//! per row against `ArrowHasher::hash_rows`, best of several repetitions (the bench scenario
//! `row_hash` measures the same on all cores, one fresh process per run).
//!
//! ```text
//! cargo run --release -p orcapod-hash --example row_hash_bench [ROWS...]
//! ```

use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, Int64Array, LargeStringArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_hash::{ContentHash, DataContext, Result};
use sha2::{Digest, Sha256};

fn kv(n: usize) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("value", DataType::LargeUtf8, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..n as i64)),
        Arc::new(LargeStringArray::from_iter_values(
            (0..n).map(|i| format!("value-{i:06}")),
        )),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("valid kv batch")
}

/// Like the function node's entry-id table: tag, system tag, packet hash, node hash.
fn tag(n: usize) -> RecordBatch {
    let hex = |i: usize, salt: u64| {
        let d = Sha256::digest((i as u64 ^ salt).to_le_bytes());
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        format!("arrow_v0.1:000001{hex}")
    };
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("_tag::source_id::3f2a", DataType::LargeUtf8, true),
        Field::new("_input_packet_hash", DataType::LargeUtf8, false),
        Field::new("_node_content_hash", DataType::LargeUtf8, false),
    ]);
    let node = hex(0, 0xfeed);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..n as i64)),
        Arc::new(LargeStringArray::from_iter_values(
            (0..n).map(|i| format!("source-a::row-{i:07}")),
        )),
        Arc::new(LargeStringArray::from_iter_values(
            (0..n).map(|i| hex(i, 1)),
        )),
        Arc::new(LargeStringArray::from_iter_values(std::iter::repeat_n(
            node.as_str(),
            n,
        ))),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("valid tag batch")
}

/// Best wall time of `reps` runs of `f`, in seconds, and its last result.
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let start = Instant::now();
        let value = std::hint::black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(value);
    }
    (best, out.expect("at least one repetition"))
}

fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let hasher = DataContext::default_context().arrow_hasher();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| {
            orcapod_hash::HashError::Arrow(arrow_schema::ArrowError::ExternalError(Box::new(e)))
        })?;
    println!("table rows cols old_ns/row new_ns/row ratio new_all_cores_ns/row");
    for &n in &sizes {
        for (name, batch) in [("kv", kv(n)), ("tag", tag(n))] {
            let old_reps = if n >= 1_000_000 { 1 } else { 3 };
            let (old_s, old) = best(old_reps, || {
                (0..n)
                    .map(|i| hasher.hash_batch(&batch.slice(i, 1)))
                    .collect::<Result<Vec<ContentHash>>>()
            });
            let (new_s, new) = best(5, || one_thread.install(|| hasher.hash_rows(&batch)));
            let (all_s, all) = best(5, || hasher.hash_rows(&batch));
            let (old, new, all) = (old?, new?, all?);
            assert!(old == new && new == all, "{name}: per-row hashes differ");
            let per_row = |s: f64| s * 1e9 / n as f64;
            println!(
                "{name} {n} {} {:.0} {:.0} {:.1}x {:.0}",
                batch.num_columns(),
                per_row(old_s),
                per_row(new_s),
                old_s / new_s,
                per_row(all_s)
            );
        }
    }
    Ok(())
}
