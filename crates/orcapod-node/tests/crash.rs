//! Crash safety (issue 5): a run is killed with SIGKILL in the middle of computing 10^4 packets
//! against a RocksDB store, then rerun. Checked:
//!
//! 1. the store opens cleanly after the kill and no stored record is lost or corrupt: every
//!    result record holds the right value for the right input packet hash, every pipeline record
//!    points to an existing result, commits are whole chunks, and every chunk that finished
//!    before the kill (proven by the log showing later chunks started) is stored;
//! 2. the rerun recomputes exactly the packets that were not committed — proven by the
//!    recording function's log: nothing committed is computed again, and every packet is
//!    computed exactly once across the two runs;
//! 3. the final output equals an uninterrupted run on a fresh store.
//!
//! The killed run happens in a child process: this very test binary, re-executed with
//! `--exact crash_worker` and the `ORCAPOD_CRASH_WORKER` environment variable pointing to the
//! work directory (without it, `crash_worker` does nothing). The worker's function sleeps
//! briefly and appends each input to a log file *before* returning, so the log is a superset
//! of what was committed; the parent kills the worker once the log shows a few thousand
//! packets.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_array::{Array, Int64Array, LargeBinaryArray, LargeStringArray};
use common::{id_x_source, id_y_pairs};
use orcapod_cache::{Store, StoreConfig, open_store};
use orcapod_datagram::constants::INPUT_DATA_HASH_COL;
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
use orcapod_node::{DATA_ID_COL, Pipeline, PipelineBuilder, RunConfig, RunMode};

const N: i64 = 10_000;
const CHUNK: usize = 100;
const CONCURRENCY: usize = 2;
const WORKER_ENV: &str = "ORCAPOD_CRASH_WORKER";
const MODE_ENV: &str = "ORCAPOD_CRASH_MODE";

fn store_at(dir: &Path) -> Arc<dyn Store> {
    open_store(&StoreConfig::Rocksdb {
        path: dir.join("store"),
        options: Default::default(),
    })
    .expect("open RocksDB store")
}

/// `y = 3x + 1`, appending `x` to `log` (one `write` per packet) before returning.
fn crash_fn(log: Option<PathBuf>, sleep: Duration) -> RustFunction {
    let file = log.map(|p| {
        Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .expect("log file"),
        ))
    });
    FunctionBuilder::new("crash_fn")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(move |x: i64| {
            if !sleep.is_zero() {
                std::thread::sleep(sleep);
            }
            if let Some(f) = &file {
                let mut f = f.lock().expect("log");
                f.write_all(format!("{x}\n").as_bytes()).expect("log write");
                f.flush().expect("log flush");
            }
            3 * x + 1
        })
}

fn pipeline(store: &Arc<dyn Store>, log: Option<PathBuf>, sleep: Duration) -> Pipeline {
    let xs: Vec<i64> = (0..N).collect();
    let mut b = PipelineBuilder::new("crash").store(store.clone());
    let s = b.source(id_x_source("crash", &xs));
    b.function(FunctionPod::new(crash_fn(log, sleep)), &[s])
        .expect("function");
    b.build().expect("build")
}

fn config(mode: RunMode) -> RunConfig {
    RunConfig::new()
        .mode(mode)
        .chunk_rows(CHUNK)
        .max_concurrency(CONCURRENCY)
}

fn mode_name(mode: RunMode) -> &'static str {
    match mode {
        RunMode::Sync => "sync",
        _ => "async",
    }
}

/// The child side: runs the pipeline until killed. A no-op in ordinary test runs.
#[test]
fn crash_worker() {
    let Ok(dir) = std::env::var(WORKER_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mode = if std::env::var(MODE_ENV).as_deref() == Ok("async") {
        RunMode::Async
    } else {
        RunMode::Sync
    };
    let store = store_at(&dir);
    let p = pipeline(
        &store,
        Some(dir.join("killed.log")),
        Duration::from_micros(200),
    );
    std::fs::write(dir.join("started"), b"").expect("marker");
    let result = p.run(&config(mode));
    // Only reached if the parent failed to kill us in time.
    std::fs::write(
        dir.join("finished"),
        format!("{:?}", result.map(|r| r.total_computed())),
    )
    .expect("marker");
}

/// Complete lines of a log (a line cut by the kill is ignored).
fn read_log(path: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|e| panic!("corrupt log line {l:?}: {e}"))
        })
        .collect()
}

fn count_lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// Check every stored record of the crashed run; returns the committed inputs.
fn check_store(store: &Arc<dyn Store>, p: &Pipeline) -> BTreeSet<i64> {
    let f = p.node("crash_fn").expect("node");
    let [records_path, results_path] =
        <[_; 2]>::try_from(p.table_paths(f).expect("paths")).expect("two tables");
    assert!(
        store.list_paths().expect("list").len() >= 2,
        "the store lost its tables"
    );
    let source = id_x_source("crash", &(0..N).collect::<Vec<_>>());
    let hashes: Vec<String> = source
        .stream()
        .packet_hashes()
        .expect("hashes")
        .iter()
        .map(ToString::to_string)
        .collect();

    let mut committed = BTreeSet::new();
    let mut result_ids = BTreeSet::new();
    if let Some(results) = store.get_all(&results_path).expect("read results") {
        let data = results.data();
        let y = data
            .column_by_name("y")
            .expect("y")
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("int y");
        let h = data
            .column_by_name(INPUT_DATA_HASH_COL)
            .expect("hash")
            .as_any()
            .downcast_ref::<LargeStringArray>()
            .expect("str hash");
        for r in 0..results.len() {
            assert!(!y.is_null(r), "a null result");
            let x = (y.value(r) - 1) / 3;
            assert!(
                (0..N).contains(&x) && 3 * x + 1 == y.value(r),
                "corrupt result value {}",
                y.value(r)
            );
            assert_eq!(
                h.value(r),
                hashes[x as usize],
                "result for x = {x} is stored under another input hash"
            );
            assert!(committed.insert(x), "packet {x} stored twice");
            result_ids.insert(results.id(r).to_vec());
        }
    }
    let records = store.get_all(&records_path).expect("read records");
    let n_records = records.as_ref().map_or(0, |r| r.len());
    assert_eq!(
        n_records,
        committed.len(),
        "pipeline records and results were not committed together"
    );
    if let Some(records) = records {
        let data = records.data();
        let ids = data
            .column_by_name(DATA_ID_COL)
            .expect("data id")
            .as_any()
            .downcast_ref::<LargeBinaryArray>()
            .expect("binary");
        for r in 0..records.len() {
            assert!(
                result_ids.contains(ids.value(r)),
                "a pipeline record points to a missing result"
            );
        }
    }
    committed
}

fn crash_and_resume(mode: RunMode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let killed_log = dir.path().join("killed.log");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_worker",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(WORKER_ENV, dir.path())
        .env(MODE_ENV, mode_name(mode))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn worker");
    // Wait for a few thousand computed packets (a hang guard, not a timing assertion).
    let deadline = Instant::now() + Duration::from_secs(300);
    while count_lines(&killed_log) < 3_000 {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "{mode:?}: the worker exited before it was killed ({status}); finished: {:?}",
                std::fs::read_to_string(dir.path().join("finished"))
            );
        }
        assert!(
            Instant::now() < deadline,
            "{mode:?}: the worker made no progress"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL"); // SIGKILL on unix
    let status = child.wait().expect("wait");
    assert!(!status.success(), "{mode:?}: the worker was not killed");
    assert!(
        !dir.path().join("finished").exists(),
        "{mode:?}: the worker finished before the kill"
    );

    // 1. The store opens cleanly; nothing committed is lost or corrupt.
    let store = store_at(dir.path());
    let log2 = dir.path().join("resumed.log");
    let p = pipeline(&store, Some(log2.clone()), Duration::ZERO);
    let committed = check_store(&store, &p);
    let first: Vec<i64> = read_log(&killed_log);
    let first_set: BTreeSet<i64> = first.iter().copied().collect();
    assert_eq!(
        first.len(),
        first_set.len(),
        "{mode:?}: a packet was computed twice before the kill"
    );
    assert!(
        committed.is_subset(&first_set),
        "{mode:?}: stored results the function never computed"
    );
    assert!(
        !committed.is_empty() && committed.len() < N as usize,
        "{mode:?}: committed {} packets",
        committed.len()
    );
    // Commits are whole chunks (rows [100k, 100k + 100) of the source).
    let block = |x: &i64| *x as usize / CHUNK;
    let committed_blocks: BTreeSet<usize> = committed.iter().map(block).collect();
    assert_eq!(
        committed.len(),
        committed_blocks.len() * CHUNK,
        "{mode:?}: a chunk was committed partially"
    );
    // Chunks start in order and at most CONCURRENCY at a time (two in sync mode: the chunk
    // being stored and the one computed ahead of it, see `compute_chunks` in
    // function_node.rs): a chunk that had started means all but the last few started chunks
    // had committed.
    let started_blocks: BTreeSet<usize> = first.iter().map(block).collect();
    let in_flight = if mode == RunMode::Sync {
        2
    } else {
        CONCURRENCY
    };
    assert!(committed_blocks.is_subset(&started_blocks));
    assert!(
        committed_blocks.len() + in_flight >= started_blocks.len(),
        "{mode:?}: finished chunks were lost: {} committed of {} started",
        committed_blocks.len(),
        started_blocks.len()
    );
    if mode == RunMode::Sync {
        let prefix: BTreeSet<usize> = (0..committed_blocks.len()).collect();
        assert_eq!(
            committed_blocks, prefix,
            "sync commits chunks in input order"
        );
    }
    assert!(
        first_set.len() - committed.len() <= in_flight * CHUNK,
        "{mode:?}: more work lost than the chunks in flight"
    );

    // 2. The rerun computes exactly the packets that were not committed.
    let report = p.run(&config(mode)).expect("resumed run");
    let second = read_log(&log2);
    let second_set: BTreeSet<i64> = second.iter().copied().collect();
    assert_eq!(
        second.len(),
        second_set.len(),
        "{mode:?}: a packet was computed twice in the rerun"
    );
    assert!(
        second_set.is_disjoint(&committed),
        "{mode:?}: the rerun recomputed committed packets"
    );
    assert_eq!(
        second.len(),
        N as usize - committed.len(),
        "{mode:?}: recomputed count"
    );
    let s = report.stats("crash_fn").expect("stats");
    assert_eq!(
        (s.computed, s.cached),
        (N as usize - committed.len(), committed.len()),
        "{mode:?}"
    );
    let all: BTreeSet<i64> = committed.union(&second_set).copied().collect();
    assert_eq!(all.len(), N as usize);

    // 3. Same output as an uninterrupted run on a fresh store (in memory: only the rows matter).
    let fresh: Arc<dyn Store> = Arc::new(orcapod_cache::InMemoryStore::new());
    let reference = pipeline(&fresh, None, Duration::ZERO)
        .run(&config(mode))
        .expect("reference run");
    let (got, want) = (
        report.output("crash_fn").expect("output"),
        reference.output("crash_fn").expect("output"),
    );
    let pairs = id_y_pairs(got);
    assert_eq!(pairs, (0..N).map(|i| (i, 3 * i + 1)).collect::<Vec<_>>());
    assert_eq!(
        pairs,
        id_y_pairs(want),
        "{mode:?}: resumed output differs from an uninterrupted run"
    );
    assert_eq!(got.schema(), want.schema(), "{mode:?}");

    // The resumed run stored everything, consistently.
    assert_eq!(
        check_store(&store, &p).len(),
        N as usize,
        "{mode:?}: the resumed run did not store every result"
    );
}

#[test]
fn sigkill_mid_run_then_resume_sync() {
    crash_and_resume(RunMode::Sync);
}

#[test]
fn sigkill_mid_run_then_resume_async() {
    crash_and_resume(RunMode::Async);
}
