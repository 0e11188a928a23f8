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
//! * `mem_cold` / `rocks_cold`: a fresh `InMemoryStore` / `RocksStore` (default
//!   `StoreOptions`, in a temporary directory); the pipeline is built before the clock starts.
//! * `mem_warm` / `rocks_warm`: a first, cold run fills the store outside the measured region
//!   (same process); then a new pipeline is built from a fresh source of the same table (as
//!   Python's `pipeline_mem_warm` does, so nothing memoised in the first stream is reused) and
//!   its run is timed: every packet is a cache hit (served through the node's completion
//!   manifest after one whole-table hash, see `orcapod-node/src/manifest.rs`). For RocksDB
//!   the store is closed and reopened between the two runs (the warm run starts with empty
//!   in-process caches, like a new process would; the OS page cache stays warm).
//! * `rocks_raw` (the limit): raw `rocksdb` `WriteBatch` writes of N records, one batch per
//!   1024 records (the node's chunk size), default write options (WAL on, no fsync: the
//!   store's defaults), a 64 MiB write buffer (the store's default). Each record is a 40-byte
//!   key (a table prefix and the big-endian row number, like the store's record keys: in
//!   ascending order) and a 150-byte value: the 8-byte input-hash prefix, the 8-byte output
//!   `y`, and 134 `.` bytes standing in for the source-info string orcapod keeps per output
//!   (`scale@<uri>::<uuid>::y` is about that long). orcapod stores two records per packet (the
//!   result row and the pipeline record) plus index entries and Arrow IPC framing, so this
//!   limit is deliberately the floor of what any persistent cache of one result per packet
//!   must write. It is kept unchanged as the historical limit.
//! * `rocks_raw_same`: raw RocksDB writes of the **same bytes** as the store. First (not
//!   timed, same process) the `rocks_cold` pipeline runs on a temporary `RocksStore` to learn
//!   what it hands RocksDB ([`RocksStore::write_stats`]: the total `WriteBatch::size_in_bytes`
//!   of its writes); that store is closed and its directory removed. Then the timed region
//!   writes N records into a fresh directory with the `rocks_raw` options and batching (64 MiB
//!   write buffer, WAL on, no fsync, one `WriteBatch` per 1024 records): record `i`'s key is
//!   the 32-byte SHA-256 of `i` (big-endian u64), so keys arrive in random order as the
//!   store's content-addressed keys do; its value is a slice of a fixed 1 MiB pool at a
//!   pseudo-random offset, the pool alternating 32-byte runs of SplitMix64-generated lowercase
//!   hex and of one fixed text, so that it compresses about as well as the store's data
//!   (LZ4 halves both: digests plus per-row repeated columns), sized so that the raw batches total the
//!   store's `WriteBatch` bytes to within a byte per batch. Keys are hashed and the pool is
//!   built before the clock starts. One entry per packet, where the store writes about two
//!   (a locator per stored record, a chunk per up to 1024 rows of a table, schemas, the
//!   node's completion manifest), so the raw run has the same bytes in fewer entries.
//!
//! The cost per packet is `10^9 / rows/s` ns. The ratio `rocks_cold / rocks_raw_same` is the
//! store's cost over raw RocksDB for the same bytes (the table reports ratios to `rocks_raw`
//! only; divide the two walls by hand). Notes of the RocksDB variants give, per packet, the
//! `WriteBatch` bytes written and the entries (`written … B/packet in … entries/packet`, from
//! [`RocksStore::write_stats`] or counted by the raw loop; `rocks_raw_same` also quotes the
//! untimed store run it matched), and the bytes in the directory after the run (WAL, SST,
//! manifest; compressed). Peak RSS of `rocks_raw_same` includes the untimed store run.

use std::sync::Arc;

use arrow_array::RecordBatch;
use orcapod_cache::{InMemoryStore, RocksStore, Store, StoreOptions, WriteStats};
use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{Pipeline, PipelineBuilder, RunConfig, RunReport};
use rocksdb::{DB, Options, WriteBatch, WriteOptions};
use sha2::{Digest, Sha256};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// Records per WriteBatch in the limit (`RunConfig`'s default chunk of 1024 packets).
const CHUNK: usize = 1024;
/// Value bytes per record in the limit.
const VALUE_BYTES: usize = 150;
/// `WriteBatch::size_in_bytes` of an empty batch (sequence number and count).
const BATCH_HEADER: u64 = 12;
/// Bytes of lowercase hex text that `rocks_raw_same` takes its values from (beyond the
/// longest value): far more than an SST block, so values in one block do not repeat.
const HEX_POOL: usize = 1 << 20;
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
        Variant {
            name: "rocks_raw_same",
            description: "raw RocksDB: N x (32-byte SHA-256 key, hex value), one WriteBatch per 1024, as many WriteBatch bytes as rocks_cold writes",
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
            let path = dir.path().join("store");
            if variant == "rocks_warm" {
                let first = build(&batch, open_rocks(&path)?)?.run(&RunConfig::new())?;
                expect_counts(&first, n, 0)?;
                // The pipeline and the store handle drop here, closing the database.
            }
            let store = open_rocks(&path)?;
            let pipeline = build(&batch, store.clone())?;
            let (report, wall_s, cpu_s) = timed(|| pipeline.run(&RunConfig::new()))?;
            let check = checked(&report?, n, variant == "rocks_warm")?;
            let stats = store.write_stats();
            drop(pipeline);
            drop(store);
            let on_disk = fixtures::dir_bytes(dir.path());
            let extra = format!(
                "{}, store dir {:.0} B/packet",
                written_note(&stats, n),
                on_disk as f64 / n.max(1) as f64
            );
            Ok(measurement(wall_s, cpu_s, check, Some(extra)))
        }
        "rocks_raw" | "rocks_raw_same" => {
            let (records, target) = match variant {
                "rocks_raw" => (Records::Filler, None),
                _ => {
                    // What the store writes for this pipeline at this size (untimed; the
                    // store is closed and its directory removed before the clock starts).
                    let dir = fixtures::tempdir()?;
                    let store = open_rocks(&dir.path().join("store"))?;
                    let report = build(&batch, store.clone())?.run(&RunConfig::new())?;
                    expect_counts(&report, n, 0)?;
                    let stats = store.write_stats();
                    drop((report, store, dir));
                    (Records::digests(n, stats.bytes), Some(stats))
                }
            };
            let dir = fixtures::tempdir()?;
            let mut options = Options::default();
            options.create_if_missing(true);
            options.set_write_buffer_size(64 << 20);
            let db = DB::open(&options, dir.path().join("raw"))?;
            let (written, wall_s, cpu_s) = timed(|| raw_writes(&db, n, &records))?;
            let (payload, stats) = written?;
            drop(db);
            let on_disk = fixtures::dir_bytes(dir.path());
            let per = |bytes: u64| bytes as f64 / n.max(1) as f64;
            let mut extra = format!(
                "{:.0} B/packet of keys and values, {}, dir {:.0} B/packet",
                per(payload),
                written_note(&stats, n),
                per(on_disk)
            );
            if let Some(store) = target {
                extra.push_str(&format!(
                    "; the store (untimed cold run first): {}",
                    written_note(&store, n)
                ));
            }
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

/// A RocksStore with default options (what `open_store` of `StoreConfig::Rocksdb` with
/// default options opens), kept concrete for its [`RocksStore::write_stats`].
fn open_rocks(path: &std::path::Path) -> Result<Arc<RocksStore>, BenchError> {
    Ok(Arc::new(RocksStore::open_with_options(
        path,
        StoreOptions::default(),
    )?))
}

/// `written B/packet in entries/packet (batches)` of a store's or a raw run's WriteBatches.
fn written_note(stats: &WriteStats, n: usize) -> String {
    let n = n.max(1) as f64;
    format!(
        "written {:.0} B/packet in {:.2} entries/packet ({} WriteBatches)",
        stats.bytes as f64 / n,
        stats.entries as f64 / n,
        stats.batches
    )
}

/// The records of a raw variant.
enum Records {
    /// `rocks_raw`: a 40-byte key (table prefix, big-endian row number) and a 150-byte value.
    Filler,
    /// `rocks_raw_same`: the SHA-256 digest of the big-endian row number as the key, and
    /// `base` (the first `longer` records: `base + 1`) bytes of hex text taken from `pool` at
    /// a pseudo-random offset as the value.
    Digests {
        keys: Vec<[u8; 32]>,
        pool: Vec<u8>,
        base: usize,
        longer: usize,
    },
}

impl Records {
    /// `n` digest-keyed records whose WriteBatches of [`CHUNK`] total `target` bytes of
    /// `WriteBatch::size_in_bytes` (to within a few bytes: a 12-byte header per batch, then
    /// per record a tag byte, varint key length, key, varint value length, value).
    fn digests(n: usize, target: u64) -> Records {
        let keys: Vec<[u8; 32]> = (0..n as u64)
            .map(|row| Sha256::digest(row.to_be_bytes()).into())
            .collect();
        let batches = n.div_ceil(CHUNK) as u64;
        let per_record = target.saturating_sub(BATCH_HEADER * batches) as f64 / n.max(1) as f64;
        // Largest value length whose record fits the per-record budget.
        let record = |value: usize| 1 + 1 + 32 + varint_len(value) + value;
        let mut base = (per_record as usize).saturating_sub(35);
        while base > 0 && record(base) as f64 > per_record {
            base -= 1;
        }
        let spare = target.saturating_sub(BATCH_HEADER * batches + (record(base) * n) as u64);
        let longer = (spare as usize).min(n);
        let mut state = 0x0DC4_u64;
        // Alternating 32-byte runs of random hex and of one fixed text: LZ4 (RocksDB's
        // compression here) halves it, as it halves the store's data (digests, plus columns
        // that repeat per row: node hash, context key, executor info, timestamps).
        const FIXED: &[u8; 32] = b"arrow_v0.1:orcapod-node-constant";
        let pool = (0..HEX_POOL + base + 1)
            .map(|i| match (i / 32) % 2 {
                0 => b"0123456789abcdef"[(splitmix64(&mut state) & 15) as usize],
                _ => FIXED[i % 32],
            })
            .collect();
        Records::Digests {
            keys,
            pool,
            base,
            longer,
        }
    }
}

/// Bytes of the LEB128 varint of `value`.
fn varint_len(mut value: usize) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// The SplitMix64 generator (deterministic pseudo-random values, no dependency).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A raw variant: `n` records in WriteBatches of [`CHUNK`]; returns the key + value bytes
/// and the totals of the batches written.
fn raw_writes(db: &DB, n: usize, records: &Records) -> Result<(u64, WriteStats), BenchError> {
    const PREFIX: &[u8; 32] = b"r\0bench/_result/double_plus_one\0";
    let options = WriteOptions::default();
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(PREFIX);
    let mut value = [b'.'; VALUE_BYTES];
    let mut payload = 0u64;
    let mut stats = WriteStats::default();
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let mut batch = WriteBatch::default();
        for row in start..end {
            let x = row as u64;
            match records {
                Records::Filler => {
                    key[32..].copy_from_slice(&x.to_be_bytes());
                    // An 8-byte stand-in for the input hash prefix, the output, then filler
                    // bytes.
                    value[..8]
                        .copy_from_slice(&x.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
                    value[8..16].copy_from_slice(&(2 * x + 1).to_le_bytes());
                    batch.put(key, value);
                    payload += (key.len() + value.len()) as u64;
                }
                Records::Digests {
                    keys,
                    pool,
                    base,
                    longer,
                } => {
                    let len = base + usize::from(row < *longer);
                    let mut state = x;
                    let at = (splitmix64(&mut state) % (pool.len() - len) as u64) as usize;
                    batch.put(keys[row], &pool[at..at + len]);
                    payload += (32 + len) as u64;
                }
            }
        }
        let (bytes, entries) = (batch.size_in_bytes() as u64, batch.len() as u64);
        db.write_opt(batch, &options)?;
        stats.bytes += bytes;
        stats.entries += entries;
        stats.batches += 1;
        start = end;
    }
    Ok((payload, stats))
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
        let same = run("rocks_raw_same", 3000).unwrap();
        assert_eq!(same.check, "3000 records");
        let note = same.note.unwrap();
        assert!(
            note.contains("; the store (untimed cold run first): written "),
            "{note}"
        );
    }

    #[test]
    fn digest_records_match_the_target_bytes() {
        for (n, target) in [(3000, 2_800_000), (1024, 1_000_000), (5, 1000)] {
            let records = Records::digests(n, target);
            let dir = fixtures::tempdir().unwrap();
            let db = DB::open_default(dir.path().join("raw")).unwrap();
            let (_, stats) = raw_writes(&db, n, &records).unwrap();
            assert_eq!(stats.entries, n as u64);
            assert!(
                stats.bytes.abs_diff(target) <= 2,
                "{n}: {} vs {target}",
                stats.bytes
            );
        }
    }
}
