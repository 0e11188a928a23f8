//! Pipelines whose function nodes run on a real cluster: Slurm, and Ray (opt-in).
//!
//! # Engines
//!
//! * **Slurm** tests run when `SLURM_CONF` is set (`scripts/slurm-up.sh DIR` starts a
//!   single-node cluster on loopback; `.ci/run` does so in CI). Without it every Slurm test
//!   prints a loud "SKIPPED" line and passes.
//! * **Ray** tests run only with `ORCAPOD_TEST_RAY=1`, against the dashboard at `$RAY_ADDRESS`
//!   (default `http://127.0.0.1:8265`), the Ray job driver being run by `$ORCAPOD_RAY_PYTHON`
//!   (default `python`; it must import `ray`).
//!
//! # This test binary is its own cluster worker
//!
//! Cluster tasks start the program that submitted them again, as `<program> --orcapod-worker
//! <task dir>`: the pattern documented for pipeline programs, whose `main` calls
//! `maybe_run_worker` before anything else. A libtest `main` cannot do that, so this target has
//! `harness = false` (see Cargo.toml) and its own small runner at the bottom of this file: it
//! lists and filters tests by name like libtest, runs them one after the other and exits with
//! a failure status if any failed.
//!
//! # What the tests prove, and how
//!
//! The pipeline: a source of `{id, x, flags}` rows, a Rust function node `score` (registered
//! in this binary's worker), a command function node `triple`, and a join of the two.
//!
//! * **Same results as a local run**: every node's output is compared with the local run's row
//!   by row over every column family (tags, system tags, packets, source info, content hash,
//!   context) with only the per-packet UUIDv7 inside computed source info masked (two runs
//!   that compute the same packets independently can agree only up to those UUIDs); stream
//!   identities, node statistics and packet errors must be equal too.
//! * **What went to the cluster**: the executors keep their run directories (`keep_files`),
//!   one `run-*` directory per submitted batch holding one `job_*` directory per submitted job
//!   and one `task_*` directory per task, whose `task.json` gives the function and row count.
//!   Counting them gives exactly the jobs, tasks and packets submitted; a run that submitted
//!   anything leaves a new `run-*` directory. `score` also leaves one file per call, named with
//!   the calling process's pid, in `<flags>/calls`: that proves the packets were computed by
//!   worker processes and not by the test process, and which packets a rerun recomputed.
//! * **Failures** are switched on with flag files in the `flags` directory, which the
//!   functions consult. The directory's path is an input column with the same value in every
//!   run of a test, so flags change no packet hash: a rerun with the flags removed hits the
//!   same caches.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{canonical_outputs, counts, describe_error};
use orcapod_cache::{InMemoryStore, RocksStore, Store};
use orcapod_datagram::{DataType, Field, RowSet, Source, SourceOptions, Stream, Value};
use orcapod_executor::{
    CommandPacketFunction, DynExecutor, ExecutorError, ExecutorOptions, FailureKind,
    FunctionBuilder, FunctionPod, RustFunction,
};
use orcapod_executor_slurm::task::TaskSpec;
use orcapod_executor_slurm::{
    CancelToken, FunctionRegistry, RayExecutor, SlurmError, SlurmExecutor, worker,
};
use orcapod_node::{ErrorPolicy, NodeError, Pipeline, PipelineBuilder, RunConfig, RunMode};
use orcapod_operator::Join;

// ---------------------------------------------------------------------------------------
// The functions

/// `score(x, flags) -> (label, half)`: `label = "x=<x>"`, `half = x / 2` for even `x`, null
/// for odd. Every call leaves a file `<flags>/calls/<x>-<pid>-<n>`. The process exits with
/// status 3 (after a line on stderr) when `<flags>/crash-<x>` exists, and the call waits while
/// `<flags>/hang-<x>` exists.
fn score() -> RustFunction {
    FunctionBuilder::new("score")
        .input::<i64>("x")
        .input::<String>("flags")
        .output::<String>("label")
        .output::<Option<f64>>("half")
        .build(|x: i64, flags: String| {
            let flags = Path::new(&flags);
            note_call(flags, x);
            if flags.join(format!("crash-{x}")).exists() {
                eprintln!("score: packet {x} is flagged, crashing");
                std::process::exit(3);
            }
            let hang = flags.join(format!("hang-{x}"));
            let since = Instant::now();
            while hang.exists() && since.elapsed() < Duration::from_secs(600) {
                std::thread::sleep(Duration::from_millis(50));
            }
            (format!("x={x}"), (x % 2 == 0).then(|| x as f64 / 2.0))
        })
}

fn note_call(flags: &Path, x: i64) {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("{x}-{}-{n}.{nanos}", std::process::id());
    let _ = std::fs::write(flags.join("calls").join(name), b"");
}

/// `triple(x, flags) -> y = 3 x`, a shell command (needs no registration): it fails with
/// status 4 and a line on stderr when `<flags>/fail-<x>` exists.
fn triple() -> CommandPacketFunction {
    let script = r#"if [ -e "$2/fail-$1" ]; then echo "triple: packet $1 is flagged" >&2; exit 4; fi; echo "{\"y\": $(($1 * 3))}""#;
    CommandPacketFunction::builder("triple", "sh")
        .args(["-c", script, "sh", "{x}", "{flags}"])
        .input("x", DataType::Int)
        .input("flags", DataType::Str)
        .output("y", DataType::Int)
        .build()
        .expect("command function")
}

/// The functions this binary's worker can run (command functions need no entry).
fn registry() -> FunctionRegistry {
    FunctionRegistry::new().with(score())
}

/// `n` rows `{id: i, x: i, flags}` → `score`, and unless `score_only`, `triple` and
/// `join(score, triple)`.
fn pipeline(n: i64, flags: &Path, store: Arc<dyn Store>, score_only: bool) -> Pipeline {
    let mut rows = RowSet::with_schema(vec![
        Field::new("id", DataType::Int),
        Field::new("x", DataType::Int),
        Field::new("flags", DataType::Str),
    ]);
    for i in 0..n {
        rows.push(vec![
            ("id".to_string(), Value::Int(i)),
            ("x".to_string(), Value::Int(i)),
            (
                "flags".to_string(),
                Value::Str(flags.to_string_lossy().into_owned()),
            ),
        ]);
    }
    let source =
        Source::from_rows(rows, SourceOptions::new(["id"]).source_id("numbers")).expect("source");
    let mut p = PipelineBuilder::new("cluster_test").store(store);
    let src = p.source(source);
    let s = p
        .function(FunctionPod::new(score()), &[src])
        .expect("score node");
    if !score_only {
        let t = p
            .function(FunctionPod::new(triple()), &[src])
            .expect("triple node");
        let j = p.operator(Join::new(), &[s, t]).expect("join node");
        p.label(j, "join").expect("label");
    }
    p.build().expect("pipeline")
}

// ---------------------------------------------------------------------------------------
// Engines and scratch space

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Slurm,
    Ray,
}

/// One test's scratch directory: the executors' work directory, the flags directory and the
/// RocksDB store.
struct Scratch {
    engine: Engine,
    _dir: tempfile::TempDir,
    work: PathBuf,
    flags: PathBuf,
    store: PathBuf,
    job_name: String,
    /// `run-*` directories already counted by [`Scratch::submitted`].
    seen_runs: BTreeSet<String>,
    /// Call files already returned by [`Scratch::calls`].
    seen_calls: BTreeSet<String>,
}

impl Scratch {
    /// Scratch space for `test` on `engine`, or `None` (after a loud line) when the engine is
    /// not available.
    fn new(engine: Engine, test: &str) -> Option<Scratch> {
        let missing = match engine {
            Engine::Slurm => std::env::var_os("SLURM_CONF").is_none().then_some(
                "no Slurm (SLURM_CONF is not set; start a test cluster with \
                 scripts/slurm-up.sh DIR and export SLURM_CONF=DIR/slurm.conf)",
            ),
            Engine::Ray => (std::env::var("ORCAPOD_TEST_RAY").as_deref() != Ok("1"))
                .then_some("Ray tests are opt-in (set ORCAPOD_TEST_RAY=1)"),
        };
        if let Some(why) = missing {
            eprintln!("\n=== {test}: SKIPPED: {why} ===\n");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("orcapod-cluster-pipeline-")
            .tempdir()
            .expect("temporary directory");
        let flags = dir.path().join("flags");
        std::fs::create_dir_all(flags.join("calls")).expect("flags directory");
        Some(Scratch {
            engine,
            work: dir.path().join("work"),
            store: dir.path().join("store"),
            flags,
            // Unique per test and process, so that squeue can be asked about this test's jobs.
            job_name: format!("orcapod-cp-{}-{test}", std::process::id()),
            _dir: dir,
            seen_runs: BTreeSet::new(),
            seen_calls: BTreeSet::new(),
        })
    }

    /// A fresh executor for the engine, keeping its run directories, watching `cancel`.
    fn executor(&self, cancel: &CancelToken) -> Arc<dyn DynExecutor> {
        let keep = ExecutorOptions::new()
            .set("keep_files", true)
            .set("job_name", &self.job_name);
        match self.engine {
            Engine::Slurm => {
                // No `with_worker`: the tasks run this very program (the worker pattern).
                let slurm = SlurmExecutor::new(&self.work)
                    .expect("slurm executor")
                    .with_poll_interval(Duration::from_millis(100))
                    .with_queue_poll_interval(Duration::from_millis(300))
                    .with_lost_grace(Duration::from_secs(3))
                    .with_cancel_token(cancel.clone());
                Arc::new(slurm.with_options(&keep).expect("options"))
            }
            Engine::Ray => {
                let address = std::env::var("RAY_ADDRESS")
                    .unwrap_or_else(|_| "http://127.0.0.1:8265".to_string());
                let python =
                    std::env::var("ORCAPOD_RAY_PYTHON").unwrap_or_else(|_| "python".to_string());
                let ray = RayExecutor::new(address, &self.work)
                    .expect("ray executor")
                    .with_python(python)
                    .with_poll_interval(Duration::from_millis(200))
                    .with_lost_grace(Duration::from_secs(3))
                    .with_cancel_token(cancel.clone());
                Arc::new(ray.with_options(&keep).expect("options"))
            }
        }
    }

    /// A run configuration on a fresh executor: continue on errors, `chunk_rows` packets per
    /// committed node chunk, `chunk_size` packets per cluster task.
    fn config(&self, cancel: &CancelToken, chunk_rows: usize, chunk_size: usize) -> RunConfig {
        RunConfig::new()
            .executor(self.executor(cancel))
            .executor_options(ExecutorOptions::new().set("chunk_size", chunk_size))
            .chunk_rows(chunk_rows)
            .error_policy(ErrorPolicy::Continue)
    }

    /// The persistent store (opened anew, as a new process would).
    fn rocks(&self) -> Arc<dyn Store> {
        Arc::new(RocksStore::open(&self.store).expect("rocksdb store"))
    }

    fn flag(&self, name: &str) {
        std::fs::write(self.flags.join(name), b"").expect("flag file");
    }

    fn unflag(&self, name: &str) {
        std::fs::remove_file(self.flags.join(name)).expect("flag file");
    }

    /// What was submitted since the last call, by function name.
    fn submitted(&mut self) -> BTreeMap<String, Submitted> {
        let mut out: BTreeMap<String, Submitted> = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(&self.work) else {
            return out;
        };
        let mut runs: Vec<(String, PathBuf)> = entries
            .map(|e| e.expect("directory entry"))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .filter(|(name, _)| name.starts_with("run-") && !self.seen_runs.contains(name))
            .collect();
        runs.sort();
        for (name, run) in runs {
            self.seen_runs.insert(name);
            let mut function = None;
            let mut s = Submitted {
                runs: 1,
                ..Submitted::default()
            };
            for job in subdirs(&run, "job_") {
                s.jobs += 1;
                for task in subdirs(&job, "task_") {
                    let spec = TaskSpec::read(&task).expect("task.json");
                    s.tasks += 1;
                    s.rows += spec.rows;
                    function = Some(spec.function);
                }
            }
            let entry = out
                .entry(function.unwrap_or_else(|| "(no tasks)".into()))
                .or_default();
            entry.runs += s.runs;
            entry.jobs += s.jobs;
            entry.tasks += s.tasks;
            entry.rows += s.rows;
        }
        out
    }

    /// `score` calls since the last call: `(x, pid)`, sorted.
    fn calls(&mut self) -> Vec<(i64, u32)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.flags.join("calls")).expect("calls directory") {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            if self.seen_calls.insert(name.clone()) {
                let mut parts = name.split('-');
                let x = parts.next().and_then(|p| p.parse().ok()).expect("x");
                let pid = parts.next().and_then(|p| p.parse().ok()).expect("pid");
                out.push((x, pid));
            }
        }
        out.sort_unstable();
        out
    }

    /// Asserts that the calls since the last look are exactly one per `x`, made by other
    /// processes (cluster workers) than this one.
    fn assert_cluster_calls(&mut self, xs: impl IntoIterator<Item = i64>) {
        let calls = self.calls();
        let got: Vec<i64> = calls.iter().map(|c| c.0).collect();
        assert_eq!(got, xs.into_iter().collect::<Vec<_>>(), "score calls");
        let me = std::process::id();
        assert!(
            calls.iter().all(|(_, pid)| *pid != me),
            "packets were computed in the test process, not on the cluster: {calls:?}"
        );
    }
}

/// Jobs and packets one function submitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Submitted {
    /// Batches (one `execute` call of the executor).
    runs: usize,
    /// Slurm job arrays or Ray jobs, retries included.
    jobs: usize,
    /// Array tasks (chunks), retries included.
    tasks: usize,
    /// Packets, retries included.
    rows: usize,
}

fn submitted(runs: usize, jobs: usize, tasks: usize, rows: usize) -> Submitted {
    Submitted {
        runs,
        jobs,
        tasks,
        rows,
    }
}

fn subdirs(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("run directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    v.sort();
    v
}

fn local_store() -> Arc<dyn Store> {
    Arc::new(InMemoryStore::new())
}

/// Every node's output equal up to computed UUIDs (with equal identities), equal node
/// statistics and equal packet errors (with their captured output).
fn assert_same_results(local: &orcapod_node::RunReport, remote: &orcapod_node::RunReport) {
    assert_eq!(
        canonical_outputs(local, true),
        canonical_outputs(remote, true)
    );
    for (label, stream) in &local.outputs {
        assert_eq!(
            stream.identity(),
            remote.outputs[label].identity(),
            "identity of node {label}"
        );
    }
    assert_eq!(counts(local), counts(remote));
    assert_eq!(errors(local), errors(remote));
}

fn errors(report: &orcapod_node::RunReport) -> Vec<String> {
    let mut v: Vec<String> = report
        .errors
        .iter()
        .map(|(node, e)| format!("{} | {:?}", describe_error(node, e, true), e.captured))
        .collect();
    v.sort();
    v
}

/// `(computed, cached, failed)` of a node.
fn stats(report: &orcapod_node::RunReport, label: &str) -> (usize, usize, usize) {
    let s = report.stats(label).expect("node stats");
    (s.computed, s.cached, s.failed)
}

/// The `id` tags of a stream, sorted.
fn ids(stream: &Stream) -> Vec<i64> {
    let mut v: Vec<i64> = (0..stream.num_rows())
        .map(
            |r| match stream.row(r).expect("row").0.get("id").expect("id") {
                Some(Value::Int(i)) => i,
                other => panic!("id is {other:?}"),
            },
        )
        .collect();
    v.sort_unstable();
    v
}

/// Wait until `cond` returns something (polling every 100 ms), failing after `secs` seconds:
/// a liveness limit far above the expected time, not a timing assertion.
fn wait_for<T>(secs: u64, what: &str, mut cond: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = cond() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether process `pid` still runs (a zombie does not count).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // `pid (comm) state ...`: the state follows the last ')'.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// Lines `squeue` lists for the jobs of this name (finished jobs are absent).
fn squeue_by_name(name: &str) -> Vec<String> {
    let out = Command::new("squeue")
        .args(["--noheader", "--array", "--format=%i %T", "--name", name])
        .output()
        .expect("squeue");
    assert!(out.status.success(), "squeue failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The tests

/// Results identical to a local run (sync and async modes), and a rerun in a new process
/// (reopened store, rebuilt pipeline) is all cache hits and submits nothing.
fn results_match_local_and_a_rerun_submits_nothing(engine: Engine, test: &str) {
    let Some(mut s) = Scratch::new(engine, test) else {
        return;
    };
    let (n, chunk_rows, chunk_size) = (40, 16, 5);
    let cancel = CancelToken::new();

    let local = pipeline(n, &s.flags, local_store(), false)
        .run(&RunConfig::new().chunk_rows(chunk_rows))
        .expect("local run");
    assert_eq!(stats(&local, "score"), (40, 0, 0));
    assert_eq!(stats(&local, "triple"), (40, 0, 0));
    assert_eq!(local.output("join").expect("join").num_rows(), 40);
    let me = std::process::id();
    assert!(s.calls().iter().all(|(_, pid)| *pid == me));

    // On the cluster, into a RocksDB store.
    let config = s.config(&cancel, chunk_rows, chunk_size);
    let remote = pipeline(n, &s.flags, s.rocks(), false)
        .run(&config)
        .expect("cluster run");
    assert_same_results(&local, &remote);
    // Each committed node chunk (16, 16, 8 packets) is one job of chunk_size-packet tasks.
    let expected = submitted(3, 3, 4 + 4 + 2, 40);
    let got = s.submitted();
    assert_eq!(got.get("score"), Some(&expected), "{got:?}");
    assert_eq!(got.get("triple"), Some(&expected), "{got:?}");
    assert_eq!(got.len(), 2, "{got:?}");
    s.assert_cluster_calls(0..n);

    // The async orchestrator on the cluster, into a fresh store: the same results.
    let async_report = pipeline(n, &s.flags, local_store(), false)
        .run(&config.clone().mode(RunMode::Async))
        .expect("async cluster run");
    assert_same_results(&local, &async_report);
    let got = s.submitted();
    assert_eq!(got["score"].rows, 40, "{got:?}");
    assert_eq!(got["triple"].rows, 40, "{got:?}");
    s.assert_cluster_calls(0..n);

    // A rerun, as a new process would do it: everything is served from the store, nothing
    // is submitted, no packet is computed, and the output is exactly the stored one.
    let rerun = pipeline(n, &s.flags, s.rocks(), false)
        .run(&s.config(&cancel, chunk_rows, chunk_size))
        .expect("rerun");
    assert_eq!(stats(&rerun, "score"), (0, 40, 0));
    assert_eq!(stats(&rerun, "triple"), (0, 40, 0));
    assert_eq!(s.submitted(), BTreeMap::new(), "the rerun submitted jobs");
    assert_eq!(s.calls(), Vec::new(), "the rerun computed packets");
    assert_eq!(
        canonical_outputs(&rerun, false),
        canonical_outputs(&remote, false)
    );
    if engine == Engine::Slurm {
        assert_eq!(squeue_by_name(&s.job_name), Vec::<String>::new());
    }
}

/// A packet whose command fails gets its own error with its stderr and exit status, as
/// locally; a crashing task is retried, then fails its packets with the task's stderr; every
/// other packet is stored; a rerun with the failures fixed submits exactly the failed packets.
fn failures_carry_stderr_and_a_fixed_rerun_submits_only_them(engine: Engine, test: &str) {
    let Some(mut s) = Scratch::new(engine, test) else {
        return;
    };
    let (n, chunk_size) = (30, 4);
    let cancel = CancelToken::new();
    s.flag("fail-7");

    // Locally: `triple` fails on packet 7 (a per-packet command failure).
    let local = pipeline(n, &s.flags, local_store(), false)
        .run(&RunConfig::new().error_policy(ErrorPolicy::Continue))
        .expect("local run");
    assert_eq!(stats(&local, "score"), (30, 0, 0));
    assert_eq!(stats(&local, "triple"), (29, 0, 1));
    s.calls();

    // On the cluster `score` also crashes its worker process on packet 21: the task holding
    // packets 20..24 fails, is retried once (max_attempts 2) and fails again.
    s.flag("crash-21");
    let config = s
        .config(&cancel, 1024, chunk_size)
        .node_executor_options("score", ExecutorOptions::new().set("max_attempts", 2));
    let remote = pipeline(n, &s.flags, s.rocks(), false)
        .run(&config)
        .expect("cluster run");
    assert_eq!(stats(&remote, "score"), (26, 0, 4));
    assert_eq!(stats(&remote, "triple"), (29, 0, 1));
    let got = s.submitted();
    // 8 tasks of 4 packets, plus the retry of one of them as a second job.
    assert_eq!(got["score"], submitted(1, 2, 9, 34), "{got:?}");
    assert_eq!(got["triple"], submitted(1, 1, 8, 30), "{got:?}");

    // `triple`: the same error as locally, with the command's own stderr and exit status.
    let errs = |node: &str| -> Vec<&orcapod_executor::PacketError> {
        remote
            .errors
            .iter()
            .filter(|(n, _)| n == node)
            .map(|(_, e)| e)
            .collect()
    };
    let triple_errors = errs("triple");
    assert_eq!(triple_errors.len(), 1);
    let local_error = &local.errors[0].1;
    assert_eq!(
        describe_error("triple", triple_errors[0], true),
        describe_error("triple", local_error, true)
    );
    assert_eq!(triple_errors[0].captured, local_error.captured);
    assert_eq!(triple_errors[0].kind, FailureKind::Command);
    let captured = triple_errors[0].captured.as_ref().expect("captured output");
    assert_eq!(
        (captured.stderr.as_str(), captured.exit_status),
        ("triple: packet 7 is flagged\n", Some(4))
    );
    assert_eq!(triple_errors[0].tags, vec![("id".into(), Value::Int(7))]);
    assert_eq!(
        canonical_outputs(&local, true)["triple"],
        canonical_outputs(&remote, true)["triple"]
    );

    // `score`: the four packets of the crashed task fail with the task's stderr.
    let score_errors = errs("score");
    let failed: Vec<i64> = score_errors
        .iter()
        .map(|e| match e.tags.as_slice() {
            [(tag, Value::Int(id))] if tag == "id" => *id,
            other => panic!("tags {other:?}"),
        })
        .collect();
    assert_eq!(failed, vec![20, 21, 22, 23]);
    for e in &score_errors {
        assert_eq!(e.kind, FailureKind::Executor, "{e}");
        assert!(e.message.contains("attempt 2 of 2"), "{}", e.message);
        let status = match engine {
            Engine::Slurm => "exit code 3",
            Engine::Ray => "exited with status 3",
        };
        assert!(e.message.contains(status), "{}", e.message);
        let captured = e.captured.as_ref().expect("captured output");
        assert!(
            captured
                .stderr
                .contains("score: packet 21 is flagged, crashing"),
            "{captured:?}"
        );
        assert_eq!(captured.exit_status, Some(3));
    }
    // The worker ran packet 20, then 21 crashed it; twice. The other tasks ran once.
    let calls: Vec<i64> = s.calls().iter().map(|c| c.0).collect();
    let expected: Vec<i64> = (0..n)
        .filter(|x| !(22..24).contains(x))
        .flat_map(|x| {
            if x == 20 || x == 21 {
                vec![x, x]
            } else {
                vec![x]
            }
        })
        .collect();
    assert_eq!(calls, expected);
    // Everything else came out (and was stored): the join has the rows both sides have.
    let score_ids: Vec<i64> = (0..n).filter(|x| !(20..24).contains(x)).collect();
    assert_eq!(ids(&remote.outputs["score"]), score_ids);
    let join_ids: Vec<i64> = score_ids.iter().copied().filter(|x| *x != 7).collect();
    assert_eq!(ids(&remote.outputs["join"]), join_ids);

    // Fixed: the rerun (a new process: reopened store, rebuilt pipeline) submits exactly the
    // five failed packets, one job per node, and serves the rest from the store.
    s.unflag("crash-21");
    s.unflag("fail-7");
    let rerun = pipeline(n, &s.flags, s.rocks(), false)
        .run(&s.config(&cancel, 1024, chunk_size))
        .expect("rerun");
    assert_eq!(stats(&rerun, "score"), (4, 26, 0));
    assert_eq!(stats(&rerun, "triple"), (1, 29, 0));
    assert!(rerun.errors.is_empty(), "{:?}", rerun.errors);
    let got = s.submitted();
    assert_eq!(got["score"], submitted(1, 1, 1, 4), "{got:?}");
    assert_eq!(got["triple"], submitted(1, 1, 1, 1), "{got:?}");
    assert_eq!(got.len(), 2, "{got:?}");
    s.assert_cluster_calls(20..24);
    // And the result is what a clean local run gives.
    let clean = pipeline(n, &s.flags, local_store(), false)
        .run(&RunConfig::new())
        .expect("clean local run");
    assert_eq!(
        canonical_outputs(&clean, true),
        canonical_outputs(&rerun, true)
    );
}

/// Cancelling a run stops its cluster work (the hanging task's process ends; on Slurm its job
/// leaves the queue) and fails the run with the executor's `Cancelled` error; the chunks
/// committed before stay stored, and the rerun submits only the cancelled chunk.
fn cancelling_stops_the_jobs_and_the_rerun_submits_only_the_rest(engine: Engine, test: &str) {
    let Some(mut s) = Scratch::new(engine, test) else {
        return;
    };
    let (n, chunk_rows, chunk_size) = (15, 5, 5);
    // Packet 12, in the third node chunk, waits until the flag is removed.
    s.flag("hang-12");
    let cancel = CancelToken::new();
    let config = s.config(&cancel, chunk_rows, chunk_size);
    let p = pipeline(n, &s.flags, s.rocks(), true);
    let run = std::thread::spawn(move || p.run(&config));
    let pid = wait_for(300, "packet 12 to start on the cluster", || {
        s.calls().iter().find(|c| c.0 == 12).map(|c| c.1)
    });
    assert_ne!(pid, std::process::id());
    cancel.cancel();
    let result = run.join().expect("the run thread");
    match &result {
        Err(NodeError::Executor(ExecutorError::Backend { source, .. })) => assert!(
            matches!(
                source.downcast_ref::<SlurmError>(),
                Some(SlurmError::Cancelled { .. })
            ),
            "{source}"
        ),
        other => panic!("expected a cancelled run, got {other:?}"),
    }
    wait_for(120, "the cancelled task's process to end", || {
        (!alive(pid)).then_some(())
    });
    if engine == Engine::Slurm {
        wait_for(120, "the cancelled job to leave the queue", || {
            squeue_by_name(&s.job_name).is_empty().then_some(())
        });
    }
    // Three node chunks were submitted; the first two finished and were committed.
    assert_eq!(
        s.submitted()["score"],
        submitted(3, 3, 3, 15),
        "one task per node chunk"
    );

    s.unflag("hang-12");
    let rerun = pipeline(n, &s.flags, s.rocks(), true)
        .run(&s.config(&CancelToken::new(), chunk_rows, chunk_size))
        .expect("rerun");
    assert_eq!(stats(&rerun, "score"), (5, 10, 0));
    let got = s.submitted();
    assert_eq!(got["score"], submitted(1, 1, 1, 5), "{got:?}");
    assert_eq!(got.len(), 1, "{got:?}");
    let calls: Vec<i64> = s.calls().iter().map(|c| c.0).collect();
    // Packets 10 and 11 ran before 12 hung (their results were never collected): run again.
    assert_eq!(calls, vec![10, 11, 12, 13, 14]);
    let clean = pipeline(n, &s.flags, local_store(), true)
        .run(&RunConfig::new())
        .expect("clean local run");
    assert_eq!(
        canonical_outputs(&clean, true),
        canonical_outputs(&rerun, true)
    );
}

// ---------------------------------------------------------------------------------------
// The runner

struct Case {
    name: &'static str,
    run: fn(&'static str),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "slurm_results_match_local_and_a_rerun_submits_nothing",
            run: |t| results_match_local_and_a_rerun_submits_nothing(Engine::Slurm, t),
        },
        Case {
            name: "slurm_failures_carry_stderr_and_a_fixed_rerun_submits_only_them",
            run: |t| failures_carry_stderr_and_a_fixed_rerun_submits_only_them(Engine::Slurm, t),
        },
        Case {
            name: "slurm_cancelling_stops_the_jobs_and_the_rerun_submits_only_the_rest",
            run: |t| {
                cancelling_stops_the_jobs_and_the_rerun_submits_only_the_rest(Engine::Slurm, t)
            },
        },
        Case {
            name: "ray_results_match_local_and_a_rerun_submits_nothing",
            run: |t| results_match_local_and_a_rerun_submits_nothing(Engine::Ray, t),
        },
        Case {
            name: "ray_failures_carry_stderr_and_a_fixed_rerun_submits_only_them",
            run: |t| failures_carry_stderr_and_a_fixed_rerun_submits_only_them(Engine::Ray, t),
        },
        Case {
            name: "ray_cancelling_stops_the_jobs_and_the_rerun_submits_only_the_rest",
            run: |t| cancelling_stops_the_jobs_and_the_rerun_submits_only_the_rest(Engine::Ray, t),
        },
    ]
}

fn main() -> ExitCode {
    // In a cluster task: run it and exit. Otherwise return at once and run the tests.
    worker::maybe_run_worker(&registry());
    run_tests(&cases())
}

/// A libtest-like runner: `--list`, name filters (substring, or whole with `--exact`),
/// `--skip NAME`; `--ignored` runs nothing (no test is ignored); other libtest options are
/// accepted and ignored. Tests run one after the other.
fn run_tests(cases: &[Case]) -> ExitCode {
    let mut filters = Vec::new();
    let mut skips = Vec::new();
    let (mut exact, mut list, mut ignored_only) = (false, false, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--exact" => exact = true,
            "--ignored" => ignored_only = true,
            "--skip" => skips.extend(args.next()),
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            a => filters.push(a.to_string()),
        }
    }
    let matches = |name: &str, pattern: &String| {
        if exact {
            name == pattern
        } else {
            name.contains(pattern.as_str())
        }
    };
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|_| !ignored_only)
        .filter(|c| filters.is_empty() || filters.iter().any(|f| matches(c.name, f)))
        .filter(|c| !skips.iter().any(|s| matches(c.name, s)))
        .collect();
    if list {
        for c in &selected {
            println!("{}: test", c.name);
        }
        return ExitCode::SUCCESS;
    }
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for c in &selected {
        let started = Instant::now();
        let outcome = catch_unwind(|| (c.run)(c.name));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        println!("test {} ... {verdict} ({:.1?})", c.name, started.elapsed());
        let _ = std::io::stdout().flush();
        if outcome.is_err() {
            failed.push(c.name);
        }
    }
    let passed = selected.len() - failed.len();
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        cases.len() - selected.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
