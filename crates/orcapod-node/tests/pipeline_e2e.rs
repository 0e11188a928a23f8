//! End-to-end pipelines against a RocksDB store, in sync and async mode: first run, cached
//! rerun, an edited input row, a reopened store, error policies, operator log/replay, label
//! disambiguation, the packet-level cache shared across pipelines, in-run deduplication,
//! pipeline-wide executors and stale stored results.
//!
//! Recording functions (closures appending their input to a shared log) prove which packets
//! were computed: a cache hit is a packet that does not appear in the log.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use arrow_array::{ArrayRef, LargeStringArray, RecordBatch};
use common::{
    CallLog, canonical, id_x_source, id_y_pairs, logged, new_log, recording_double, run_watched,
};
use orcapod_cache::{OnDuplicate, RecordSet, Store, StoreConfig, open_store};
use orcapod_datagram::constants::INPUT_DATA_HASH_COL;
use orcapod_datagram::{Source, SourceOptions, Stream, StreamSchema, Value, rows};
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction, ThreadPoolExecutor};
use orcapod_hash::semantic::Identity;
use orcapod_node::{
    CacheMode, ErrorPolicy, NodeError, Pipeline, PipelineBuilder, RunConfig, RunMode, RunReport,
};
use orcapod_operator::{ArgumentSymmetry, Arity, Join, Operator};

const MODES: [RunMode; 2] = [RunMode::Sync, RunMode::Async];

fn rocks(dir: &Path) -> Arc<dyn Store> {
    open_store(&StoreConfig::Rocksdb {
        path: dir.join("store"),
        options: Default::default(),
    })
    .expect("open RocksDB store")
}

/// `source → double` on `store`.
fn double_pipeline(name: &str, store: &Arc<dyn Store>, source: Source, log: &CallLog) -> Pipeline {
    let mut b = PipelineBuilder::new(name).store(store.clone());
    let s = b.source(source);
    b.function(FunctionPod::new(recording_double(log)), &[s])
        .expect("function node");
    b.build().expect("build")
}

fn run(p: &Pipeline, cfg: &RunConfig) -> RunReport {
    run_watched(p, cfg).unwrap_or_else(|e| panic!("run failed: {e}"))
}

fn cfg(mode: RunMode) -> RunConfig {
    RunConfig::new().mode(mode).chunk_rows(4).max_concurrency(2)
}

fn stats(r: &RunReport, label: &str) -> (usize, usize) {
    let s = r.stats(label).unwrap_or_else(|| panic!("no node {label}"));
    (s.computed, s.cached)
}

fn clear(log: &CallLog) {
    log.lock().expect("log").clear();
}

fn expected_pairs(xs: &[i64]) -> Vec<(i64, i64)> {
    xs.iter()
        .enumerate()
        .map(|(i, x)| (i as i64, 2 * x))
        .collect()
}

/// First run, cached rerun, one edited row, reopened store. Returns the final output.
fn lifecycle(dir: &Path, mode: RunMode) -> Stream {
    let xs: Vec<i64> = (0..20).map(|i| i * 10).collect();
    let mut edited = xs.clone();
    edited[7] = 777;
    let log = new_log();
    let cfg = cfg(mode);
    let edited_output = {
        let store = rocks(dir);
        let p = double_pipeline("e2e", &store, id_x_source("readings", &xs), &log);

        let first = run(&p, &cfg);
        assert_eq!(
            stats(&first, "double"),
            (20, 0),
            "{mode:?}: first run computes everything"
        );
        assert_eq!(logged(&log), xs, "{mode:?}: each packet computed once");
        assert_eq!(
            id_y_pairs(first.output("double").expect("output")),
            expected_pairs(&xs)
        );

        clear(&log);
        let second = run(&p, &cfg);
        assert_eq!(
            stats(&second, "double"),
            (0, 20),
            "{mode:?}: rerun is all cache hits"
        );
        assert!(
            logged(&log).is_empty(),
            "{mode:?}: the function ran on a rerun: {:?}",
            logged(&log)
        );
        assert_eq!(
            canonical(first.output("double").expect("output"), false),
            canonical(second.output("double").expect("output"), false),
            "{mode:?}: the rerun serves exactly the stored rows (same record ids)"
        );

        clear(&log);
        let p = double_pipeline("e2e", &store, id_x_source("readings", &edited), &log);
        let third = run(&p, &cfg);
        assert_eq!(
            stats(&third, "double"),
            (1, 19),
            "{mode:?}: one edited row → one packet recomputed"
        );
        assert_eq!(
            logged(&log),
            vec![777],
            "{mode:?}: only the edited packet is computed"
        );
        assert_eq!(
            id_y_pairs(third.output("double").expect("output")),
            expected_pairs(&edited)
        );
        store.flush().expect("flush");
        third.output("double").expect("output").clone()
    };

    // Drop and reopen the store (as a new process would).
    clear(&log);
    let store = rocks(dir);
    let p = double_pipeline("e2e", &store, id_x_source("readings", &edited), &log);
    let fourth = run(&p, &cfg);
    assert_eq!(
        stats(&fourth, "double"),
        (0, 20),
        "{mode:?}: reopened store serves everything"
    );
    assert!(
        logged(&log).is_empty(),
        "{mode:?}: computed after reopening: {:?}",
        logged(&log)
    );
    let out = fourth.output("double").expect("output").clone();
    assert_eq!(
        canonical(&edited_output, false),
        canonical(&out, false),
        "{mode:?}: reopened store serves the same rows"
    );
    out
}

#[test]
fn rocksdb_lifecycle_sync_and_async_agree() {
    let (sync_dir, async_dir) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let sync = lifecycle(sync_dir.path(), RunMode::Sync);
    let asyn = lifecycle(async_dir.path(), RunMode::Async);
    // Independent stores: equal up to the per-packet record ids.
    assert_eq!(
        canonical(&sync, true),
        canonical(&asyn, true),
        "sync and async give the same rows"
    );

    // The other mode on each store: all hits, exactly the same rows.
    for (dir, mode, want) in [
        (sync_dir.path(), RunMode::Async, &sync),
        (async_dir.path(), RunMode::Sync, &asyn),
    ] {
        let log = new_log();
        let mut xs: Vec<i64> = (0..20).map(|i| i * 10).collect();
        xs[7] = 777;
        let p = double_pipeline("e2e", &rocks(dir), id_x_source("readings", &xs), &log);
        let r = run(&p, &cfg(mode));
        assert_eq!(stats(&r, "double"), (0, 20));
        assert!(logged(&log).is_empty());
        assert_eq!(
            canonical(want, false),
            canonical(r.output("double").expect("output"), false),
            "{mode:?} on the other mode's store"
        );
    }
}

/// `fails(x) -> y = 2x`, failing on `x == 30` while `fail` is set; logs every call.
fn failing_double(log: &CallLog, fail: &Arc<AtomicBool>) -> RustFunction {
    let (log, fail) = (log.clone(), fail.clone());
    FunctionBuilder::new("flaky")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(move |x: i64| {
            log.lock().expect("log").push(x);
            if x == 30 && fail.load(Ordering::SeqCst) {
                Err(format!("cannot handle {x}"))
            } else {
                Ok(2 * x)
            }
        })
}

fn flaky_pipeline(
    store: &Arc<dyn Store>,
    xs: &[i64],
    log: &CallLog,
    fail: &Arc<AtomicBool>,
) -> Pipeline {
    let mut b = PipelineBuilder::new("errors").store(store.clone());
    let s = b.source(id_x_source("readings", xs));
    b.function(FunctionPod::new(failing_double(log, fail)), &[s])
        .expect("function");
    b.build().expect("build")
}

#[test]
fn continue_policy_reports_the_failed_packet_and_keeps_the_rest() {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        // x = 30 fails, at rows 3 and 10 (the same packet twice).
        let mut xs: Vec<i64> = (0..10).map(|i| i * 10).collect();
        xs.push(30);
        let (log, fail) = (new_log(), Arc::new(AtomicBool::new(true)));
        let p = flaky_pipeline(&store, &xs, &log, &fail);
        // Two-row chunks: the failures are not in the first chunk of the async run.
        let config = RunConfig::new()
            .mode(mode)
            .chunk_rows(2)
            .max_concurrency(1)
            .error_policy(ErrorPolicy::Continue);
        let r = run(&p, &config);
        assert_eq!(
            r.errors.len(),
            2,
            "{mode:?}: one error per failed row: {:?}",
            r.errors
        );
        for ((node, e), id) in r.errors.iter().zip([3, 10]) {
            assert_eq!(node, "flaky");
            assert_eq!(
                e.tags,
                vec![("id".to_string(), Value::Int(id))],
                "{mode:?}: the error carries the packet's tags"
            );
            assert_eq!(
                e.row, id as usize,
                "{mode:?}: the row counts from the start of the node's input"
            );
            assert!(e.message.contains("cannot handle 30"), "{}", e.message);
        }
        let s = r.stats("flaky").expect("stats");
        assert_eq!(
            (s.computed + s.cached, s.failed, s.dropped, s.rows_out),
            (9, 2, 0, 9),
            "{mode:?}"
        );
        let want: Vec<(i64, i64)> = expected_pairs(&xs)
            .into_iter()
            .filter(|(i, _)| *i != 3 && *i != 10)
            .collect();
        assert_eq!(id_y_pairs(r.output("flaky").expect("output")), want);

        // The failure is not cached: a rerun retries only that packet.
        clear(&log);
        fail.store(false, Ordering::SeqCst);
        let r = run(&p, &config);
        assert_eq!(stats(&r, "flaky"), (1, 10), "{mode:?}");
        assert_eq!(logged(&log), vec![30]);
        assert!(r.errors.is_empty());
        assert_eq!(
            id_y_pairs(r.output("flaky").expect("output")),
            expected_pairs(&xs)
        );
    }
}

#[test]
fn fail_fast_stops_keeps_finished_work_and_a_rerun_computes_only_the_rest() {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let xs: Vec<i64> = (0..10).map(|i| i * 10).collect();
        let (log, fail) = (new_log(), Arc::new(AtomicBool::new(true)));
        let p = flaky_pipeline(&store, &xs, &log, &fail);
        // Concurrency 1: chunks run one after the other, so "finished before the failure" is exact.
        let config = RunConfig::new()
            .mode(mode)
            .chunk_rows(2)
            .max_concurrency(1)
            .error_policy(ErrorPolicy::FailFast);
        match run_watched(&p, &config) {
            Err(NodeError::PacketFailed { node, error }) => {
                assert_eq!(node, "flaky");
                assert_eq!(error.tags, vec![("id".to_string(), Value::Int(3))]);
                assert_eq!(error.row, 3, "{mode:?}");
            }
            other => panic!("{mode:?}: expected PacketFailed, got {other:?}"),
        }
        let first = logged(&log);
        assert!(first.contains(&30), "{mode:?}: {first:?}");
        assert!(
            !first.contains(&90),
            "{mode:?}: fail-fast ran past the failure: {first:?}"
        );

        clear(&log);
        fail.store(false, Ordering::SeqCst);
        let r = run(&p, &config);
        let second = logged(&log);
        let finished: Vec<i64> = first.iter().copied().filter(|&x| x != 30).collect();
        assert!(
            second.iter().all(|x| !finished.contains(x)),
            "{mode:?}: recomputed finished packets: first {first:?}, second {second:?}"
        );
        let mut all = finished.clone();
        all.extend(&second);
        all.sort();
        assert_eq!(
            all, xs,
            "{mode:?}: every packet computed exactly once over the two runs"
        );
        assert_eq!(
            stats(&r, "flaky"),
            (second.len(), finished.len()),
            "{mode:?}"
        );
        assert_eq!(
            id_y_pairs(r.output("flaky").expect("output")),
            expected_pairs(&xs)
        );
    }
}

/// A `Join` that counts how often it computes (same identity as `Join`).
#[derive(Debug, Default, Clone)]
struct CountingJoin {
    calls: Arc<AtomicUsize>,
}

impl Operator for CountingJoin {
    fn identity_name(&self) -> &'static str {
        "Join"
    }
    fn identity(&self) -> Identity {
        Join::new().identity()
    }
    fn arity(&self) -> Arity {
        Join::new().arity()
    }
    fn symmetry(&self) -> ArgumentSymmetry {
        Join::new().symmetry()
    }
    fn output_schema(&self, inputs: &[StreamSchema]) -> orcapod_operator::Result<StreamSchema> {
        Join::new().output_schema(inputs)
    }
    fn process(
        &self,
        inputs: &[orcapod_datagram::Stream],
    ) -> orcapod_operator::Result<orcapod_datagram::Stream> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Join::new().process(inputs)
    }
}

fn join_sources() -> (Source, Source) {
    let a = Source::from_rows(
        rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}, {"id" => 2, "x" => 21}, {"id" => 4, "x" => 40}],
        SourceOptions::new(["id"]).source_id("A"),
    )
    .expect("A");
    let b = Source::from_rows(
        rows![{"id" => 1, "z" => "one"}, {"id" => 2, "z" => "two"}, {"id" => 3, "z" => "three"}],
        SourceOptions::new(["id"]).source_id("B"),
    )
    .expect("B");
    (a, b)
}

fn join_pipeline(
    store: &Arc<dyn Store>,
    join: CountingJoin,
    cache: CacheMode,
    log: &CallLog,
) -> Pipeline {
    let (a, b) = join_sources();
    let mut p = PipelineBuilder::new("logged").store(store.clone());
    let (a, b) = (p.source(a), p.source(b));
    let j = p.operator_with_cache(join, &[a, b], cache).expect("join");
    p.label(j, "joined").expect("label");
    p.function(FunctionPod::new(recording_double(log)), &[j])
        .expect("double");
    p.build().expect("build")
}

#[test]
fn operator_log_then_replay_serves_the_logged_rows_without_computing() {
    for (log_mode, replay_mode) in [
        (RunMode::Sync, RunMode::Async),
        (RunMode::Async, RunMode::Sync),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let (log, join) = (new_log(), CountingJoin::default());
        let logged_run = run(
            &join_pipeline(&store, join.clone(), CacheMode::Log, &log),
            &cfg(log_mode),
        );
        assert!(join.calls.load(Ordering::SeqCst) > 0);
        let joined = logged_run.output("joined").expect("joined").clone();
        assert_eq!(joined.num_rows(), 3);
        assert_eq!(logged_run.stats("joined").expect("stats").computed, 3);

        for mode in [replay_mode, log_mode] {
            let replay_join = CountingJoin::default();
            let replayed = run(
                &join_pipeline(&store, replay_join.clone(), CacheMode::Replay, &log),
                &cfg(mode),
            );
            assert_eq!(
                replay_join.calls.load(Ordering::SeqCst),
                0,
                "{mode:?}: replay computed the join"
            );
            let s = replayed.stats("joined").expect("stats");
            assert_eq!((s.computed, s.cached, s.rows_out), (0, 3, 3), "{mode:?}");
            let out = replayed.output("joined").expect("joined");
            assert_eq!(
                canonical(&joined, false),
                canonical(out, false),
                "{mode:?}: replay serves exactly the logged rows"
            );
            assert_eq!(out.identity(), joined.identity());
            // Downstream nodes see the same packets: all cache hits.
            assert_eq!(stats(&replayed, "double"), (0, 3), "{mode:?}");
        }
    }
}

#[test]
fn replay_on_an_empty_store_gives_an_empty_stream_with_the_predicted_schema() {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let (log, join) = (new_log(), CountingJoin::default());
        let p = join_pipeline(&store, join.clone(), CacheMode::Replay, &log);
        let r = run(&p, &cfg(mode));
        assert_eq!(join.calls.load(Ordering::SeqCst), 0);
        let out = r.output("joined").expect("joined");
        assert_eq!(out.num_rows(), 0, "{mode:?}");
        let id = p.node("joined").expect("node");
        assert_eq!(
            &out.schema(),
            p.schema(id).expect("schema"),
            "{mode:?}: replayed schema is the prediction"
        );
        let downstream = r.output("double").expect("double");
        assert_eq!(downstream.num_rows(), 0);
        assert_eq!(
            &downstream.schema(),
            p.schema(p.node("double").expect("node")).expect("schema"),
            "{mode:?}"
        );
        assert!(logged(&log).is_empty());
    }
}

#[test]
fn async_fail_fast_does_not_log_a_truncated_operator_output() {
    // source → flaky (fails fast) → select (logged). The failed run must not leave a partial
    // log behind that a later replay would serve as the operator's complete output.
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let xs: Vec<i64> = (0..10).map(|i| i * 10).collect();
        let (log, fail) = (new_log(), Arc::new(AtomicBool::new(true)));
        let build = |cache: CacheMode| {
            let mut b = PipelineBuilder::new("partial").store(store.clone());
            let s = b.source(id_x_source("readings", &xs));
            let f = b
                .function(FunctionPod::new(failing_double(&log, &fail)), &[s])
                .expect("function");
            let sel = b
                .operator_with_cache(
                    orcapod_operator::SelectPacketColumns::new(["y"]),
                    &[f],
                    cache,
                )
                .expect("select");
            b.label(sel, "selected").expect("label");
            b.build().expect("build")
        };
        let config = RunConfig::new()
            .mode(mode)
            .chunk_rows(2)
            .max_concurrency(1)
            .error_policy(ErrorPolicy::FailFast);
        assert!(
            matches!(
                run_watched(&build(CacheMode::Log), &config),
                Err(NodeError::PacketFailed { .. })
            ),
            "{mode:?}"
        );
        let replayed = run(&build(CacheMode::Replay), &RunConfig::new().mode(mode));
        assert_eq!(
            replayed.output("selected").expect("selected").num_rows(),
            0,
            "{mode:?}: a failed run logged partial operator output"
        );
    }
}

#[test]
fn duplicate_labels_are_numbered_in_content_hash_order() {
    let a = Source::from_rows(rows![{"id" => 1, "x" => 1}], SourceOptions::new(["id"])).expect("a");
    let b = Source::from_rows(rows![{"id" => 2, "x" => 2}], SourceOptions::new(["id"])).expect("b");
    let log = new_log();
    let mut p = PipelineBuilder::new("labels");
    let (na, nb) = (p.source(a.clone()), p.source(b.clone()));
    assert_eq!(
        p.source(a.clone()),
        na,
        "adding the same source twice returns the existing node"
    );
    let fa = p
        .function(FunctionPod::new(recording_double(&log)), &[na])
        .expect("fa");
    let fb = p
        .function(FunctionPod::new(recording_double(&log)), &[nb])
        .expect("fb");
    let p = p.build().expect("build");
    for (x, y, base) in [(na, nb, "DictSource"), (fa, fb, "double")] {
        let (hx, hy) = (
            p.content_hash(x).expect("hash").to_string(),
            p.content_hash(y).expect("hash").to_string(),
        );
        let (first, second) = if hx < hy { (x, y) } else { (y, x) };
        assert_eq!(p.label(first).expect("label"), format!("{base}_1"));
        assert_eq!(p.label(second).expect("label"), format!("{base}_2"));
        assert_eq!(p.node(&format!("{base}_1")).expect("lookup"), first);
    }
    let r = run(&p, &RunConfig::new());
    assert!(r.output("DictSource_1").is_some() && r.output("double_2").is_some());
    assert!(r.output("DictSource").is_none());
}

#[test]
fn packet_cache_is_shared_across_pipelines() {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let log = new_log();
        let first = double_pipeline(
            "first",
            &store,
            id_x_source("A", &[0, 10, 20, 30, 40]),
            &log,
        );
        assert_eq!(stats(&run(&first, &cfg(mode)), "double"), (5, 0));
        clear(&log);
        let second = double_pipeline(
            "second",
            &store,
            id_x_source("B", &[20, 30, 40, 50, 60]),
            &log,
        );
        let r = run(&second, &cfg(mode));
        assert_eq!(
            stats(&r, "double"),
            (2, 3),
            "{mode:?}: only the new packets are computed"
        );
        assert_eq!(logged(&log), vec![50, 60]);
        assert_eq!(
            id_y_pairs(r.output("double").expect("output")),
            expected_pairs(&[20, 30, 40, 50, 60])
        );
        // The second pipeline has its own records now: a rerun is all hits from its own table.
        clear(&log);
        assert_eq!(stats(&run(&second, &cfg(mode)), "double"), (0, 5));
        assert!(logged(&log).is_empty());
    }
}

#[test]
fn identical_packets_in_one_run_are_computed_once() {
    let xs = [5, 5, 7, 5, 7, 9, 5];
    // Async: one chunk at a time, so a later chunk finds the earlier chunk's committed results.
    for (mode, chunk) in [
        (RunMode::Sync, 1024),
        (RunMode::Sync, 2),
        (RunMode::Async, 1024),
        (RunMode::Async, 2),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let log = new_log();
        let p = double_pipeline("dedup", &store, id_x_source("dups", &xs), &log);
        let r = run(
            &p,
            &RunConfig::new()
                .mode(mode)
                .chunk_rows(chunk)
                .max_concurrency(1),
        );
        assert_eq!(
            logged(&log),
            vec![5, 7, 9],
            "{mode:?}/{chunk}: duplicates computed again"
        );
        assert_eq!(stats(&r, "double"), (3, 4), "{mode:?}/{chunk}");
        let out = r.output("double").expect("output");
        assert_eq!(id_y_pairs(out), expected_pairs(&xs));
        // Every row with the same packet points to the same result record.
        let table = out
            .as_table(&orcapod_datagram::ColumnConfig::default().with_source())
            .expect("table");
        let mut by_x = std::collections::BTreeMap::<i64, std::collections::BTreeSet<String>>::new();
        for i in 0..out.num_rows() {
            let (tag, _) = out.row(i).expect("row");
            let id = match tag.get("id").expect("id") {
                Some(Value::Int(v)) => v as usize,
                other => panic!("{other:?}"),
            };
            let col = table.column_by_name("_source_y").expect("source info");
            let info = Value::from_array(col.as_ref(), i).expect("value");
            by_x.entry(xs[id]).or_default().insert(format!("{info:?}"));
        }
        assert!(
            by_x.values().all(|s| s.len() == 1),
            "{mode:?}/{chunk}: {by_x:?}"
        );
    }
}

#[test]
fn a_pipeline_wide_executor_gives_the_same_rows_and_shares_the_cache() {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let xs: Vec<i64> = (0..12).collect();
        let log = new_log();
        let memory: Arc<dyn Store> = Arc::new(orcapod_cache::InMemoryStore::new());
        let plain = double_pipeline("exec", &memory, id_x_source("e", &xs), &log);
        let reference = run(&plain, &cfg(mode));
        let pooled = cfg(mode).executor(Arc::new(ThreadPoolExecutor::new(2).expect("pool")));
        let p = double_pipeline("exec", &store, id_x_source("e", &xs), &log);
        let r = run(&p, &pooled);
        assert_eq!(stats(&r, "double"), (12, 0));
        assert_eq!(
            canonical(reference.output("double").expect("out"), true),
            canonical(r.output("double").expect("out"), true),
            "{mode:?}: the executor changes no row"
        );
        // The executor is not part of the identity: the default executor hits the same cache.
        clear(&log);
        let again = run(&p, &cfg(mode));
        assert_eq!(stats(&again, "double"), (0, 12));
        assert!(logged(&log).is_empty());
        assert_eq!(
            canonical(r.output("double").expect("out"), false),
            canonical(again.output("double").expect("out"), false)
        );
    }
}

#[test]
fn a_stored_result_that_no_longer_matches_the_declared_output_is_a_stale_store_error() {
    stale_result_is_an_error(Planted::ContentAddressed);
}

/// Result tables of stores written before results were content-addressed: results keyed by
/// UUID, found through the `__input_data_hash` index (kept and searched for such tables).
#[test]
fn a_stale_result_in_an_indexed_legacy_table_is_a_stale_store_error_too() {
    stale_result_is_an_error(Planted::LegacyIndexed);
}

/// How the stale result is planted.
#[derive(Clone, Copy, Debug)]
enum Planted {
    /// Under its content-addressed id (`result_id` of the input packet hash).
    ContentAddressed,
    /// Under an arbitrary id, with the legacy index on `__input_data_hash` declared.
    LegacyIndexed,
}

fn stale_result_is_an_error(planted: Planted) {
    for mode in MODES {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rocks(dir.path());
        let log = new_log();
        let source = id_x_source("stale", &[5]);
        let content_hash = source.stream().packet_hashes().expect("hashes")[0].clone();
        let hash = content_hash.to_string();
        // A result for that very input packet, but with `y` stored as text.
        let pod = FunctionPod::new(recording_double(&log));
        let path = orcapod_node::paths::function_results(pod.uri()).expect("path");
        let data = RecordBatch::try_from_iter([
            (
                INPUT_DATA_HASH_COL,
                Arc::new(LargeStringArray::from(vec![hash.as_str()])) as ArrayRef,
            ),
            (
                "y",
                Arc::new(LargeStringArray::from(vec!["ten"])) as ArrayRef,
            ),
            (
                "_source_y",
                Arc::new(LargeStringArray::from(vec!["elsewhere::y"])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let id = match planted {
            Planted::ContentAddressed => orcapod_cache::cached::result_id(&content_hash),
            Planted::LegacyIndexed => {
                store
                    .create_index(&path, INPUT_DATA_HASH_COL)
                    .expect("legacy index");
                b"planted".to_vec()
            }
        };
        store
            .add_records(
                &path,
                RecordSet::new([id], data).expect("records"),
                OnDuplicate::Error,
            )
            .expect("plant");

        let p = double_pipeline("stale", &store, source, &log);
        match run_watched(&p, &cfg(mode)) {
            Err(NodeError::StaleStore {
                node,
                path: at,
                detail,
            }) => {
                assert_eq!(node, "double");
                assert_eq!(at, path.to_string());
                assert!(detail.contains('y'), "{detail}");
            }
            other => panic!("{mode:?} {planted:?}: expected StaleStore, got {other:?}"),
        }
        assert!(
            logged(&log).is_empty(),
            "the stale hit must not be recomputed silently"
        );
    }
}
