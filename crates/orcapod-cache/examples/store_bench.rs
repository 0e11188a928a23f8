//! Measures `add_records` and lookups of both stores against raw RocksDB.
//!
//! `cargo run --release -p orcapod-cache --example store_bench [max_records]`
//!
//! Records: 32-byte id + `x: int64` + `y: float64`, added in batches of 1000, for 10^3 ..
//! `max_records` (default 10^6). "raw" writes the same keys and values of the same sizes
//! (one IPC-sized chunk value per chunk, one 12-byte locator per record key) with plain
//! RocksDB `WriteBatch`es into a fresh database: no duplicate check, no Arrow encoding.
//! Times are the benchmark thread's on-CPU time (the machine may be shared); RocksDB's
//! background flush/compaction threads are not counted, for either side.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Float64Array, Int64Array, RecordBatch};
use orcapod_cache::{
    InMemoryStore, OnDuplicate, RecordSet, RocksStore, Store, StoreOptions, TablePath,
};
use orcapod_datagram::Value;

const BATCH: usize = 1000;

/// A stopwatch of the calling thread's on-CPU time (`/proc/thread-self/schedstat`); falls
/// back to wall time.
#[derive(Clone, Copy)]
struct Instant {
    wall: std::time::Instant,
    cpu: Option<u64>,
}

fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

impl Instant {
    fn now() -> Self {
        Instant {
            wall: std::time::Instant::now(),
            cpu: thread_cpu_ns(),
        }
    }

    fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_ns()) {
            (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
            _ => self.wall.elapsed(),
        }
    }
}

fn id(i: u64) -> [u8; 32] {
    // splitmix64, four rounds: deterministic, random-looking ids.
    let mut out = [0u8; 32];
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in out.chunks_mut(8) {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(x ^ (x >> 31)).to_le_bytes());
    }
    out
}

fn batches(n: usize) -> Vec<RecordSet> {
    (0..n.div_ceil(BATCH))
        .map(|b| {
            let range = (b * BATCH) as u64..((b + 1) * BATCH).min(n) as u64;
            let ids: Vec<[u8; 32]> = range.clone().map(id).collect();
            let xs = Int64Array::from_iter_values(range.clone().map(|i| i as i64));
            let ys = Float64Array::from_iter_values(range.map(|i| i as f64 * 0.5));
            let data =
                RecordBatch::try_from_iter([("x", Arc::new(xs) as _), ("y", Arc::new(ys) as _)])
                    .expect("batch");
            RecordSet::new(ids, data).expect("records")
        })
        .collect()
}

fn per(d: Duration, n: usize) -> f64 {
    d.as_nanos() as f64 / n as f64
}

/// Chunk split of the store (same rule as `rocks::write::chunk_rows`: ~16 KiB, 16..=1024).
fn chunk_rows(batch: &RecordBatch) -> usize {
    let per_row = (batch.get_array_memory_size() / batch.num_rows().max(1)).max(1);
    ((16 << 10) / per_row).clamp(16, 1024)
}

fn ipc_chunk_len(batch: &RecordBatch) -> usize {
    let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &batch.schema()).expect("ipc");
    let head = w.get_ref().len();
    w.write(batch).expect("ipc");
    w.finish().expect("ipc");
    w.into_inner().expect("ipc").len() - head
}

fn raw_options() -> rocksdb::Options {
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.set_log_level(rocksdb::LogLevel::Fatal);
    let mut table = rocksdb::BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    let cache = rocksdb::Cache::new_lru_cache(64 << 20).expect("cache");
    table.set_block_cache(&cache);
    opts.set_block_based_table_factory(&table);
    opts
}

/// Raw RocksDB: the store's keys and same-size values, one WriteBatch per 1000 records,
/// into each of the fresh databases `dirs` in turn (one timed block).
fn raw(dirs: &[std::path::PathBuf], sets: &[RecordSet]) -> Duration {
    let dbs: Vec<rocksdb::DB> = dirs
        .iter()
        .map(|d| rocksdb::DB::open(&raw_options(), d).expect("raw db"))
        .collect();
    // (chunk value, rows of that chunk) per batch, prepared outside the timing.
    let plan: Vec<Vec<(Vec<u8>, usize)>> = sets
        .iter()
        .map(|s| {
            let batch = s.as_stored_batch();
            let cap = chunk_rows(batch);
            (0..batch.num_rows())
                .step_by(cap)
                .map(|start| {
                    let part = batch.slice(start, cap.min(batch.num_rows() - start));
                    (vec![7u8; ipc_chunk_len(&part)], part.num_rows())
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    for db in &dbs {
        let mut seq = 0u64;
        for (set, chunks) in sets.iter().zip(&plan) {
            let mut wb = rocksdb::WriteBatch::default();
            let mut first = 0;
            for (value, rows) in chunks {
                let mut key = b"c\0bench/t\0".to_vec();
                key.extend(seq.to_be_bytes());
                wb.put(&key, value);
                for row in 0..*rows {
                    let mut key = b"r\0bench/t\0".to_vec();
                    key.extend_from_slice(set.id(first + row));
                    let mut loc = [0u8; 12];
                    loc[..8].copy_from_slice(&seq.to_be_bytes());
                    loc[8..].copy_from_slice(&(row as u32).to_be_bytes());
                    wb.put(&key, loc);
                }
                first += rows;
                seq += 1;
            }
            db.write(wb).expect("raw write");
        }
    }
    start.elapsed()
}

/// Ids in a scattered order.
fn lookup_order(n: usize) -> Vec<[u8; 32]> {
    (0..n as u64).map(|i| id((i * 7_919) % n as u64)).collect()
}

/// Raw RocksDB point lookups of the record keys written by [`raw`] (warm).
fn raw_lookups(dir: &std::path::Path, n: usize) -> f64 {
    let db = rocksdb::DB::open(&raw_options(), dir).expect("raw db");
    let keys: Vec<Vec<u8>> = lookup_order(n)
        .iter()
        .map(|i| [&b"r\0bench/t\0"[..], i].concat())
        .collect();
    let pass = || {
        let start = Instant::now();
        for k in &keys {
            assert!(db.get_pinned(k).expect("get").is_some());
        }
        start.elapsed()
    };
    pass();
    per(pass(), n)
}

/// Adds all `sets` to each of `stores` in turn (one timed block).
fn add_all(stores: &[&dyn Store], path: &TablePath, sets: &[RecordSet]) -> Duration {
    let start = Instant::now();
    for store in stores {
        for set in sets {
            store
                .add_records(path, set.clone(), OnDuplicate::Error)
                .expect("add");
        }
    }
    start.elapsed()
}

/// Warm lookups (second pass) of all `n` ids: (ns/id via get_records of 1000 ids, ns/id via
/// get_record).
fn lookups(store: &dyn Store, path: &TablePath, n: usize) -> (f64, f64) {
    let order = lookup_order(n);
    let many = || {
        let start = Instant::now();
        for chunk in order.chunks(BATCH) {
            let ids: Vec<&[u8]> = chunk.iter().map(|i| &i[..]).collect();
            let got = store.get_records(path, &ids).expect("get").expect("found");
            assert_eq!(got.len(), chunk.len());
        }
        start.elapsed()
    };
    let one = || {
        let start = Instant::now();
        for i in &order {
            assert!(store.get_record(path, i).expect("get").is_some());
        }
        start.elapsed()
    };
    many();
    let t_many = many();
    one();
    (per(t_many, n), per(one(), n))
}

fn main() {
    let max: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let path = TablePath::new(["bench", "t"]).expect("path");
    println!("add_records, batches of {BATCH}, on-CPU ns/record:");
    println!(
        "  records | memory | rocksdb | raw WriteBatch | rocksdb/raw | rocksdb flush at end (wall)"
    );
    let mut n = 1000;
    while n <= max {
        let sets = batches(n);
        // Small sizes are repeated on fresh stores inside one timed block, so that every
        // figure covers enough work (the CPU clock only advances at scheduler ticks).
        let mem_reps = (200_000 / n).max(1);
        let disk_reps = (20_000 / n).max(1);
        let mems: Vec<InMemoryStore> = (0..mem_reps).map(|_| InMemoryStore::new()).collect();
        let refs: Vec<&dyn Store> = mems.iter().map(|m| m as &dyn Store).collect();
        let t_mem = add_all(&refs, &path, &sets);
        let dirs: Vec<tempfile::TempDir> = (0..disk_reps)
            .map(|_| tempfile::tempdir().expect("dir"))
            .collect();
        let rocks: Vec<RocksStore> = dirs
            .iter()
            .map(|d| RocksStore::open(d.path().join("store")).expect("open"))
            .collect();
        let refs: Vec<&dyn Store> = rocks.iter().map(|r| r as &dyn Store).collect();
        let t_rocks = add_all(&refs, &path, &sets);
        let raw_dirs: Vec<_> = dirs.iter().map(|d| d.path().join("raw")).collect();
        let t_raw = raw(&raw_dirs, &sets);
        let wall = std::time::Instant::now();
        rocks[0].flush().expect("flush");
        let t_flush = wall.elapsed();
        println!(
            "{n:>9} | {:>6.0} | {:>7.0} | {:>14.0} | {:>10.2}x | {t_flush:?}",
            per(t_mem, n * mem_reps),
            per(t_rocks, n * disk_reps),
            per(t_raw, n * disk_reps),
            t_rocks.as_secs_f64() / t_raw.as_secs_f64()
        );
        if n == max {
            drop(rocks);
            report_lookups(&mems[0], dirs[0].path(), &path, n);
        }
        n *= 10;
    }
    single_record_adds();
}

fn report_lookups(mem: &InMemoryStore, dir: &std::path::Path, path: &TablePath, n: usize) {
    println!("warm lookups of all {n} ids in scattered order, on-CPU ns/id:");
    let (many, one) = lookups(mem, path, n);
    println!(
        "  memory:                               get_records(1000) {many:>6.0} | get_record {one:>6.0}"
    );
    let rocks = RocksStore::open(dir.join("store")).expect("reopen");
    let (many, one) = lookups(&rocks, path, n);
    println!(
        "  rocksdb, default caches (64+64 MiB):  get_records(1000) {many:>6.0} | get_record {one:>6.0}"
    );
    drop(rocks);
    let big = StoreOptions {
        block_cache_bytes: 512 << 20,
        chunk_cache_bytes: 512 << 20,
        ..StoreOptions::default()
    };
    let rocks = RocksStore::open_with_options(dir.join("store"), big).expect("reopen");
    let (many, one) = lookups(&rocks, path, n);
    println!(
        "  rocksdb, caches 512+512 MiB:          get_records(1000) {many:>6.0} | get_record {one:>6.0}"
    );
    let raw = raw_lookups(&dir.join("raw"), n);
    println!("  raw RocksDB get of the record key (64 MiB cache): {raw:.0}");
}

/// One record per call (the result-cache pattern), with an indexed lookup before each add.
fn single_record_adds() {
    let n = 20_000;
    let sets: Vec<RecordSet> = batches(n)
        .iter()
        .flat_map(|s| {
            (0..s.len())
                .map(|i| {
                    let b = s.as_stored_batch().slice(i, 1);
                    RecordSet::from_batch(&b, orcapod_cache::RECORD_ID_COLUMN).expect("row")
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let stores: Vec<(&str, Box<dyn Store>)> = vec![
        ("memory", Box::new(InMemoryStore::new())),
        (
            "rocksdb",
            Box::new(RocksStore::open(dir.path()).expect("open")),
        ),
    ];
    println!("{n} single-record adds, each after an indexed miss lookup, on-CPU:");
    for (name, store) in stores {
        let path = TablePath::new(["single"]).expect("path");
        store.create_index(&path, "x").expect("index");
        let start = Instant::now();
        for (i, set) in sets.iter().enumerate() {
            let hit = store
                .get_records_with_column_value(&path, "x", Value::Int(i as i64))
                .expect("lookup");
            assert!(hit.is_none());
            store
                .add_records(&path, set.clone(), OnDuplicate::Skip)
                .expect("add");
        }
        let t = start.elapsed();
        let start = std::time::Instant::now();
        let all = store.get_all(&path).expect("all").expect("rows");
        println!(
            "  {name}: {:.0} ns/record; then get_all of {} rows: {:?} (wall)",
            per(t, n),
            all.len(),
            start.elapsed()
        );
    }
}
