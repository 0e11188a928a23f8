//! `row_hash`: per-row Arrow hashes (every row hashed as its own 1-row table), the pattern of
//! `Stream::packet_hashes` and the function node's entry ids.
//!
//! Two tables, built before the clock starts:
//! * `kv`: `id: int64` (non-null) + `value: large_utf8` (nullable, ~12 bytes);
//! * `tag`: a tag-like table as hashed for entry ids: `id: int64` (nullable), a system-tag
//!   `large_utf8` (nullable, ~20 bytes) and two non-null `large_utf8` hash strings of 81 bytes
//!   (`arrow_v0.1:<70 hex>`).
//!
//! `slice_*` is the old way: `ArrowHasher::hash_batch(&batch.slice(i, 1))` per row, rows spread
//! over one thread per core. `rows_*` is `ArrowHasher::hash_rows(&batch)` (rayon inside). Both
//! produce `ContentHash`es, and their `check` (SHA-256 over all row digests) must be equal.
//! The limit `sha256_kv` is one SHA-256 per `kv` row over the row's raw bytes, on the same
//! threads: any per-row hash needs at least that.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, LargeStringArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_hash::{ContentHash, DataContext};
use sha2::{Digest, Sha256};

use crate::error::BenchError;
use crate::fixtures::rows;
use crate::measure::{Measurement, timed};
use crate::scenario::{Scenario, Variant};

/// The `row_hash` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "row_hash",
    description: "per-row Arrow hashes: 1-row slices (old) vs ArrowHasher::hash_rows (new)",
    limit: "sha256_kv",
    variants: &[
        Variant {
            name: "slice_kv",
            description: "hash_batch(slice(i, 1)) per row, 2 columns (int64, large_utf8)",
        },
        Variant {
            name: "rows_kv",
            description: "hash_rows, 2 columns (int64, large_utf8)",
        },
        Variant {
            name: "slice_tag",
            description: "hash_batch(slice(i, 1)) per row, 4 tag-like columns",
        },
        Variant {
            name: "rows_tag",
            description: "hash_rows, 4 tag-like columns",
        },
        Variant {
            name: "sha256_kv",
            description: "one sha2::Sha256 per kv row over its raw bytes",
        },
    ],
    default_sizes: &[100_000, 1_000_000],
    quick_sizes: &[10_000],
    python: &[],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = rows(size)?;
    let hasher = DataContext::default_context().arrow_hasher();
    let (batch, hashes, wall_s, cpu_s) = match variant {
        "slice_kv" | "slice_tag" => {
            let batch = if variant == "slice_kv" {
                kv_batch(n)?
            } else {
                tag_batch(n)?
            };
            let (hashes, wall_s, cpu_s) =
                timed(|| on_threads(n, |i| hasher.hash_batch(&batch.slice(i, 1)).map(digest_of)))?;
            (batch, hashes?, wall_s, cpu_s)
        }
        "rows_kv" | "rows_tag" => {
            let batch = if variant == "rows_kv" {
                kv_batch(n)?
            } else {
                tag_batch(n)?
            };
            let (hashes, wall_s, cpu_s) = timed(|| hasher.hash_rows(&batch))?;
            let hashes = hashes?.into_iter().map(digest_of).collect();
            (batch, hashes, wall_s, cpu_s)
        }
        "sha256_kv" => {
            let batch = kv_batch(n)?;
            let (ids, values) = kv_columns(&batch)?;
            let (hashes, wall_s, cpu_s) = timed(|| {
                on_threads(n, |i| {
                    let mut h = Sha256::new();
                    h.update(ids.value(i).to_le_bytes());
                    h.update(values.value(i).as_bytes());
                    Ok(h.finalize().to_vec())
                })
            })?;
            (batch, hashes?, wall_s, cpu_s)
        }
        other => {
            return Err(BenchError::Usage(format!(
                "row_hash has no variant `{other}`"
            )));
        }
    };
    if hashes.len() != n {
        return Err(BenchError::WrongResult(format!(
            "{} row hashes for {n} rows",
            hashes.len()
        )));
    }
    let mut all = Sha256::new();
    for h in &hashes {
        all.update(h);
    }
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: batch.get_array_memory_size() as u64,
        check: all.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        note: None,
    })
}

fn digest_of(h: ContentHash) -> Vec<u8> {
    h.digest().to_vec()
}

/// `f(i)` for every row, rows split into one contiguous range per available core.
fn on_threads(
    n: usize,
    f: impl Fn(usize) -> Result<Vec<u8>, orcapod_hash::HashError> + Sync,
) -> Result<Vec<Vec<u8>>, BenchError> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = n.div_ceil(threads).max(1);
    let f = &f;
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(per)
            .map(|start| s.spawn(move || (start..(start + per).min(n)).map(f).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| BenchError::WrongResult("hashing thread panicked".into()))
            })
            .collect::<Result<Vec<Result<Vec<_>, _>>, _>>()
    })?;
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

fn kv_batch(n: usize) -> Result<RecordBatch, BenchError> {
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
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

fn kv_columns(batch: &RecordBatch) -> Result<(&Int64Array, &LargeStringArray), BenchError> {
    let ids = batch.column(0).as_any().downcast_ref::<Int64Array>();
    let values = batch.column(1).as_any().downcast_ref::<LargeStringArray>();
    ids.zip(values)
        .ok_or_else(|| BenchError::WrongResult("kv columns have unexpected types".into()))
}

fn tag_batch(n: usize) -> Result<RecordBatch, BenchError> {
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
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_paths_agree() {
        for variant in ["kv", "tag"] {
            let slice = run(&format!("slice_{variant}"), 300).unwrap();
            let rows = run(&format!("rows_{variant}"), 300).unwrap();
            assert_eq!(slice.check, rows.check, "{variant}");
        }
        assert_eq!(run("sha256_kv", 10).unwrap().rows, 10);
    }
}
