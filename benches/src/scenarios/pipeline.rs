//! `pipeline`: source → function → store, cold (every packet computed and stored) and warm
//! (every packet served from the store).
//!
//! The pipeline is the Python harness's `_run_simple_pipeline`: a source of
//! `(id: int64; x: int64)`, `id = x = 0..N`, and a function node `y = 2x + 1` (int64), in a
//! pipeline with a store, run with the default `RunConfig` (sync, chunks of 1024 packets, one
//! atomic store transaction per chunk). The measured region is `Pipeline::run`; the run report
//! holds the function node's output table, so reading the result (which Python times too) is
//! included.
//!
//! * `mem_cold` / `rocks_cold`: a fresh `InMemoryStore` / `RocksStore` (in a temporary
//!   directory); the pipeline is built before the clock starts.
//! * `mem_warm` / `rocks_warm`: a first, cold run fills the store outside the measured region
//!   (same process); then a new pipeline is built from a fresh source of the same table (as
//!   Python's `pipeline_mem_warm` does, so nothing memoised in the first stream is reused) and
//!   its run is timed: every packet is a cache hit (served through the node's completion
//!   manifest after one whole-table hash, see `orcapod-node/src/manifest.rs`). For RocksDB the store is
//!   closed and reopened between the two runs (the warm run starts with empty in-process
//!   caches, like a new process would; the OS page cache stays warm).
//! * `rocks_raw` (the limit): raw `rocksdb` `WriteBatch` writes of N records, one batch per
//!   1024 records (the node's chunk size), default write options (WAL on, no fsync: the
//!   store's defaults), a 64 MiB write buffer (the store's default). Each record is a 40-byte
//!   key (a table prefix and the big-endian row number, like the store's record keys) and a
//!   150-byte value: the 8-byte input-hash prefix, the 8-byte output `y`, and 134 bytes
//!   standing in for the source-info string orcapod keeps per output (`scale@<uri>::<uuid>::y`
//!   is about that long). orcapod stores two records per packet (the result row and the
//!   pipeline record) plus index entries and Arrow IPC framing, so the limit is deliberately
//!   the floor of what any persistent cache of one result per packet must write.
//!
//! The cost per packet is `10^9 / rows/s` ns. Notes of the RocksDB variants give the bytes in
//! the store directory after the run (WAL, SST, manifest: what was written) per packet.

use std::sync::Arc;

use arrow_array::RecordBatch;
use orcapod_cache::{InMemoryStore, Store, StoreConfig, open_store};
use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{Pipeline, PipelineBuilder, RunConfig, RunReport};
use rocksdb::{DB, Options, WriteBatch, WriteOptions};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// Records per WriteBatch in the limit (`RunConfig`'s default chunk of 1024 packets).
const CHUNK: usize = 1024;
/// Value bytes per record in the limit.
const VALUE_BYTES: usize = 150;
/// Label of the function node.
const FUNCTION: &str = "double_plus_one";

/// The `pipeline` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "pipeline",
    description: "source -> function (y = 2x + 1) -> store, cold and warm, in memory and RocksDB, vs raw RocksDB writes",
    limit: "rocks_raw",
    variants: &[
        Variant {
            name: "mem_cold",
            description: "InMemoryStore, first run: every packet computed and stored",
        },
        Variant {
            name: "mem_warm",
            description: "InMemoryStore, second run (new pipeline, same store): every packet cached",
        },
        Variant {
            name: "rocks_cold",
            description: "RocksStore in a temp dir, first run",
        },
        Variant {
            name: "rocks_warm",
            description: "RocksStore reopened after a first run, second run: every packet cached",
        },
        Variant {
            name: "rocks_raw",
            description: "raw RocksDB: N x (40-byte key, 150-byte value), one WriteBatch per 1024",
        },
    ],
    default_sizes: &[1_000, 10_000, 100_000, 1_000_000],
    quick_sizes: &[1_000],
    python: &[
        PythonRef {
            workload: "pipeline_mem_cold",
            variant: "mem_cold",
        },
        PythonRef {
            workload: "pipeline_mem_warm",
            variant: "mem_warm",
        },
        PythonRef {
            workload: "pipeline_delta_cold",
            variant: "rocks_cold",
        },
        PythonRef {
            workload: "pipeline_delta_warm",
            variant: "rocks_warm",
        },
    ],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let batch = fixtures::id_x_batch(n)?;
    let measurement = |wall_s: f64, cpu_s: f64, check: String, note: Option<String>| Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check,
        note,
    };
    match variant {
        "mem_cold" | "mem_warm" => {
            let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
            if variant == "mem_warm" {
                let first = build(&batch, store.clone())?.run(&RunConfig::new())?;
                expect_counts(&first, n, 0)?;
            }
            let pipeline = build(&batch, store)?;
            let (report, wall_s, cpu_s) = timed(|| pipeline.run(&RunConfig::new()))?;
            let check = checked(&report?, n, variant == "mem_warm")?;
            Ok(measurement(wall_s, cpu_s, check, None))
        }
        "rocks_cold" | "rocks_warm" => {
            let dir = fixtures::tempdir()?;
            let config = StoreConfig::Rocksdb {
                path: dir.path().join("store"),
                options: Default::default(),
            };
            if variant == "rocks_warm" {
                let store = open_store(&config)?;
                let first = build(&batch, store)?.run(&RunConfig::new())?;
                expect_counts(&first, n, 0)?;
                // The pipeline and the store handle drop here, closing the database.
            }
            let pipeline = build(&batch, open_store(&config)?)?;
            let (report, wall_s, cpu_s) = timed(|| pipeline.run(&RunConfig::new()))?;
            let check = checked(&report?, n, variant == "rocks_warm")?;
            let written = fixtures::dir_bytes(dir.path());
            let extra = format!("store dir {:.0} B/packet", written as f64 / n.max(1) as f64);
            Ok(measurement(wall_s, cpu_s, check, Some(extra)))
        }
        "rocks_raw" => {
            let dir = fixtures::tempdir()?;
            let mut options = Options::default();
            options.create_if_missing(true);
            options.set_write_buffer_size(64 << 20);
            let db = DB::open(&options, dir.path().join("raw"))?;
            let (written, wall_s, cpu_s) = timed(|| raw_writes(&db, n))?;
            let written = written?;
            drop(db);
            let on_disk = fixtures::dir_bytes(dir.path());
            let extra = format!(
                "{:.0} B/record written, dir {:.0} B/record",
                written as f64 / n.max(1) as f64,
                on_disk as f64 / n.max(1) as f64
            );
            Ok(measurement(
                wall_s,
                cpu_s,
                format!("{n} records"),
                Some(extra),
            ))
        }
        other => Err(BenchError::Usage(format!(
            "pipeline has no variant `{other}`"
        ))),
    }
}

/// The pipeline: a fresh source of `batch` (fixed source id, so identities match across
/// builds) and the function node, with `store`.
fn build(batch: &RecordBatch, store: Arc<dyn Store>) -> Result<Pipeline, BenchError> {
    let function = FunctionBuilder::new(FUNCTION)
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| 2 * x + 1);
    let mut builder = PipelineBuilder::new("bench").store(store);
    let source = builder.source(fixtures::source(batch.clone(), "bench")?);
    builder.function(FunctionPod::new(function), &[source])?;
    Ok(builder.build()?)
}

fn expect_counts(report: &RunReport, n: usize, cached: usize) -> Result<(), BenchError> {
    let stats = report.stats(FUNCTION);
    let got_computed = stats.map_or(0, |s| s.computed);
    let got_cached = stats.map_or(0, |s| s.cached);
    if (got_computed, got_cached) == (n - cached, cached) && report.errors.is_empty() {
        Ok(())
    } else {
        Err(BenchError::WrongResult(format!(
            "computed {got_computed}, cached {got_cached}, {} errors; expected {} computed and {cached} cached",
            report.errors.len(),
            n - cached
        )))
    }
}

/// Checks the counts and the output, and returns the check value (the sum of `y`, identical
/// for cold and warm runs).
fn checked(report: &RunReport, n: usize, warm: bool) -> Result<String, BenchError> {
    expect_counts(report, n, if warm { n } else { 0 })?;
    let out = report
        .output(FUNCTION)
        .ok_or_else(|| BenchError::WrongResult(format!("no output for node `{FUNCTION}`")))?;
    fixtures::expect_rows(FUNCTION, out.num_rows(), n)?;
    let sum = fixtures::int_sum(fixtures::int_column(out, "y")?);
    Ok(format!("{n} rows; sum(y) = {sum}"))
}

/// The limit: `n` records in WriteBatches of [`CHUNK`]; returns the key + value bytes written.
fn raw_writes(db: &DB, n: usize) -> Result<u64, BenchError> {
    const PREFIX: &[u8; 32] = b"r\0bench/_result/double_plus_one\0";
    let options = WriteOptions::default();
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(PREFIX);
    let mut value = [b'.'; VALUE_BYTES];
    let mut written = 0u64;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let mut batch = WriteBatch::default();
        for row in start..end {
            let x = row as u64;
            key[32..].copy_from_slice(&x.to_be_bytes());
            // An 8-byte stand-in for the input hash prefix, the output, then filler bytes.
            value[..8].copy_from_slice(&x.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
            value[8..16].copy_from_slice(&(2 * x + 1).to_le_bytes());
            batch.put(key, value);
            written += (key.len() + value.len()) as u64;
        }
        db.write_opt(batch, &options)?;
        start = end;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_runs_and_cold_equals_warm() {
        let cold = run("mem_cold", 300).unwrap();
        assert_eq!(cold.check, "300 rows; sum(y) = 90000");
        for variant in ["mem_warm", "rocks_cold", "rocks_warm"] {
            assert_eq!(run(variant, 300).unwrap().check, cold.check, "{variant}");
        }
        assert_eq!(run("rocks_raw", 3000).unwrap().check, "3000 records");
    }
}
