//! Measures `add_records` and lookups of both stores against raw RocksDB writes.
//!
//! `cargo run --release -p orcapod-cache --example store_bench [max_records]`
//!
//! Records: 32-byte id + `x: int64` + `y: float64`, written in batches of 1000. "raw" writes
//! the same keys and values of the same sizes with plain RocksDB `WriteBatch`es into a fresh
//! database (no duplicate check, no Arrow encoding).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Float64Array, Int64Array, RecordBatch};
use orcapod_cache::{InMemoryStore, OnDuplicate, RecordSet, RocksStore, Store, TablePath};

const BATCH: usize = 1000;

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
            let data = RecordBatch::try_from_iter([
                (
                    "x",
                    Arc::new(Int64Array::from_iter_values(
                        range.clone().map(|i| i as i64),
                    )) as _,
                ),
                (
                    "y",
                    Arc::new(Float64Array::from_iter_values(
                        range.map(|i| i as f64 * 0.5),
                    )) as _,
                ),
            ])
            .expect("batch");
            RecordSet::new(ids, data).expect("records")
        })
        .collect()
}

fn per(d: Duration, n: usize) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn ipc_chunk_len(records: &RecordSet) -> usize {
    let batch = records.as_stored_batch();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &batch.schema()).expect("ipc");
    let head = w.get_ref().len();
    w.write(batch).expect("ipc");
    w.finish().expect("ipc");
    w.into_inner().expect("ipc").len() - head
}

/// Raw RocksDB: the same keys and same-size values, one WriteBatch per 1000 records.
fn raw(dir: &std::path::Path, sets: &[RecordSet]) -> Duration {
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.set_log_level(rocksdb::LogLevel::Fatal);
    let mut table = rocksdb::BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    opts.set_block_based_table_factory(&table);
    let db = rocksdb::DB::open(&opts, dir).expect("raw db");
    let values: Vec<Vec<u8>> = sets.iter().map(|s| vec![7u8; ipc_chunk_len(s)]).collect();
    let start = Instant::now();
    for (seq, (set, value)) in sets.iter().zip(&values).enumerate() {
        let mut wb = rocksdb::WriteBatch::default();
        let mut key = b"c\0bench/t\0".to_vec();
        key.extend((seq as u64).to_be_bytes());
        wb.put(&key, value);
        for row in 0..set.len() {
            let mut key = b"r\0bench/t\0".to_vec();
            key.extend_from_slice(set.id(row));
            let mut loc = [0u8; 12];
            loc[..8].copy_from_slice(&(seq as u64).to_be_bytes());
            loc[8..].copy_from_slice(&(row as u32).to_be_bytes());
            wb.put(&key, loc);
        }
        db.write(wb).expect("raw write");
    }
    start.elapsed()
}

fn add_all(store: &dyn Store, path: &TablePath, sets: &[RecordSet]) -> Duration {
    let start = Instant::now();
    for set in sets {
        store
            .add_records(path, set.clone(), OnDuplicate::Error)
            .expect("add");
    }
    start.elapsed()
}

fn lookups(store: &dyn Store, path: &TablePath, n: usize) -> (f64, f64) {
    // Random order, each id once; first pass warms caches.
    let order: Vec<[u8; 32]> = (0..n as u64).map(|i| id((i * 7_919) % n as u64)).collect();
    let measure = || {
        let start = Instant::now();
        for chunk in order.chunks(BATCH) {
            let ids: Vec<&[u8]> = chunk.iter().map(|i| &i[..]).collect();
            let got = store.get_records(path, &ids).expect("get").expect("found");
            assert_eq!(got.len(), chunk.len());
        }
        start.elapsed()
    };
    measure();
    let many = per(measure(), n);
    let single_n = n.min(200_000);
    let start = Instant::now();
    for i in &order[..single_n] {
        assert!(store.get_record(path, i).expect("get").is_some());
    }
    (many, per(start.elapsed(), single_n))
}

fn main() {
    let max: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    if std::env::var("BENCH_ONLY").as_deref() == Ok("lookup") {
        lookup_only(max);
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("single") {
        single_record_adds();
        return;
    }
    let path = TablePath::new(["bench", "t"]).expect("path");
    println!("records | memory add | rocksdb add | rocksdb add+flush | raw WriteBatch | rocks/raw");
    let mut n = 1000;
    while n <= max {
        let sets = batches(n);
        let mem = InMemoryStore::new();
        let t_mem = add_all(&mem, &path, &sets);
        let dir = tempfile::tempdir().expect("dir");
        let rocks = RocksStore::open(dir.path().join("store")).expect("open");
        let t_rocks = add_all(&rocks, &path, &sets);
        let start = Instant::now();
        rocks.flush().expect("flush");
        let t_flush = t_rocks + start.elapsed();
        let t_raw = raw(&dir.path().join("raw"), &sets);
        println!(
            "{n:>9} | {:>7.0} ns | {:>8.0} ns | {:>8.0} ns | {:>8.0} ns | {:.2}x",
            per(t_mem, n),
            per(t_rocks, n),
            per(t_flush, n),
            per(t_raw, n),
            t_rocks.as_secs_f64() / t_raw.as_secs_f64()
        );
        if n == max {
            let (m_many, m_one) = lookups(&mem, &path, n);
            let (r_many, r_one) = lookups(&rocks, &path, n);
            println!(
                "warm lookups of {n} ids, ns/id: memory get_records(1000 ids) {m_many:.0}, get_record {m_one:.0}; rocksdb get_records(1000 ids) {r_many:.0}, get_record {r_one:.0}"
            );
            drop(rocks);
            let reopened = RocksStore::open(dir.path().join("store")).expect("reopen");
            let (c_many, _) = lookups(&reopened, &path, n);
            println!("rocksdb after reopen, get_records(1000 ids): {c_many:.0} ns/id");
        }
        n *= 10;
    }
    single_record_adds();
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
    for (name, store) in stores {
        let path = TablePath::new(["single"]).expect("path");
        store.create_index(&path, "x").expect("index");
        let start = Instant::now();
        for (i, set) in sets.iter().enumerate() {
            let hit = store
                .get_records_with_column_value(&path, "x", orcapod_datagram::Value::Int(i as i64))
                .expect("lookup");
            assert!(hit.is_none());
            store
                .add_records(&path, set.clone(), OnDuplicate::Skip)
                .expect("add");
        }
        let t = start.elapsed();
        let start = Instant::now();
        let all = store.get_all(&path).expect("all").expect("rows");
        println!(
            "{name}: {n} single-record (indexed lookup + add) {:.0} ns/record; get_all of {} rows {:?}",
            per(t, n),
            all.len(),
            start.elapsed()
        );
    }
}

/// Loads `n` records into RocksDB (or reuses `$BENCH_DIR`), reopens, times warm lookups.
fn lookup_only(n: usize) {
    let path = TablePath::new(["bench", "t"]).expect("path");
    let tmp = tempfile::tempdir().expect("dir");
    let dir = std::env::var("BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or(tmp.path().into());
    if !dir.join("CURRENT").exists() {
        let sets = batches(n);
        let rocks = RocksStore::open(&dir).expect("open");
        let t = add_all(&rocks, &path, &sets);
        rocks.flush().expect("flush");
        println!("add {:.0} ns/record", per(t, n));
    }
    let rocks = RocksStore::open(&dir).expect("open");
    let (many, one) = lookups(&rocks, &path, n);
    println!("rocksdb {n}: get_records(1000 ids) {many:.0} ns/id, get_record {one:.0} ns/id");
}
