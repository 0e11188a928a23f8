//! Shared helpers of the Slurm integration tests.
//!
//! The tests need a real Slurm cluster: they run only when `SLURM_CONF` is set (start one
//! with `scripts/slurm-up.sh DIR` and `export SLURM_CONF=DIR/slurm.conf`); otherwise each
//! prints a loud "skipped" line and passes.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

use orcapod_datagram::{DataType, Field, RowSet, Source, SourceOptions, Stream, Value};
use orcapod_executor::{InputBatch, PacketFunction};
use orcapod_executor_slurm::SlurmExecutor;

/// A scratch directory plus an executor using it and the test worker binary.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub slurm: SlurmExecutor,
}

/// The test cluster, or `None` (after printing why) when `SLURM_CONF` is not set.
pub fn cluster(test: &str) -> Option<Cluster> {
    if std::env::var_os("SLURM_CONF").is_none() {
        eprintln!(
            "\n=== {test}: SKIPPED: no Slurm (SLURM_CONF is not set; start a test cluster with \
             scripts/slurm-up.sh DIR and export SLURM_CONF=DIR/slurm.conf) ===\n"
        );
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("orcapod-slurm-test-")
        .tempdir()
        .expect("temporary directory");
    let slurm = SlurmExecutor::new(dir.path())
        .expect("executor")
        .with_worker(env!("CARGO_BIN_EXE_orcapod-slurm-test-worker"))
        .with_poll_interval(Duration::from_millis(100))
        .with_queue_poll_interval(Duration::from_millis(300))
        .with_lost_grace(Duration::from_secs(3));
    Some(Cluster { dir, slurm })
}

/// `n` rows `{id: i, x: i}` (tag `id`).
pub fn int_source(n: i64) -> Stream {
    int_source_with(n, &[])
}

/// `n` rows `{id: i, x: i}` plus constant string columns.
pub fn int_source_with(n: i64, extra: &[(&str, &str)]) -> Stream {
    let mut fields = vec![
        Field::new("id", DataType::Int),
        Field::new("x", DataType::Int),
    ];
    fields.extend(extra.iter().map(|(k, _)| Field::new(*k, DataType::Str)));
    let mut set = RowSet::with_schema(fields);
    for i in 0..n {
        let mut row = vec![
            ("id".to_string(), Value::Int(i)),
            ("x".to_string(), Value::Int(i)),
        ];
        row.extend(
            extra
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Str(v.to_string()))),
        );
        set.push(row);
    }
    Source::from_rows(set, SourceOptions::new(["id"]).source_id("ints"))
        .expect("source")
        .into_stream()
}

/// The input batch a pod would hand to its executor.
pub fn input_batch(function: &dyn PacketFunction, stream: &Stream) -> InputBatch {
    InputBatch::bind(function.info(), &stream.packet_batch().expect("packets")).expect("bind")
}

/// A batch with one int column.
pub fn ints(values: Vec<i64>) -> InputBatch {
    let n = values.len();
    let column: arrow_array::ArrayRef = std::sync::Arc::new(arrow_array::Int64Array::from(values));
    InputBatch::new(vec![Some(column)], n).expect("batch")
}

/// States `squeue` lists for a job (pending, running, completing; finished jobs are absent).
pub fn squeue_states(job: &str) -> Vec<String> {
    squeue(&["--jobs", job])
}

/// States `squeue` lists for the jobs of this name.
pub fn squeue_states_by_name(name: &str) -> Vec<String> {
    squeue(&["--name", name])
}

fn squeue(filter: &[&str]) -> Vec<String> {
    let out = Command::new("squeue")
        .args(["--noheader", "--array", "--format=%T"])
        .args(filter)
        .output()
        .expect("squeue");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Wait until `cond` holds (polling every 100 ms), failing after `secs` seconds.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
