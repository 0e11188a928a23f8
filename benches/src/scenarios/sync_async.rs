//! `sync_async`: the same pipeline under the sync (pull, materialising) and the async (push,
//! channels) orchestrator.
//!
//! The pipeline is the Python harness's `pipe_jfb_*`: two sources `(id; a)` and `(id; b)` of N
//! rows each (`id = a = b = 0..N`), `Join` on `id`, a function node `c = 2a + b` (int64), and
//! `Batch(100)`, with a fresh `InMemoryStore` (a cold run: every packet computed and stored).
//! The pipeline is built before the clock starts; the measured region is `Pipeline::run` with
//! `RunConfig::new().mode(Sync | Async)` (otherwise defaults: channel capacity 64, chunks of
//! 1024 rows, concurrency 2). The limit is `sync`.

use std::sync::Arc;

use orcapod_cache::InMemoryStore;
use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{Pipeline, PipelineBuilder, RunConfig, RunMode};
use orcapod_operator::{Batch, Join};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// The `sync_async` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "sync_async",
    description: "two sources -> Join -> function (c = 2a + b) -> Batch(100), InMemoryStore, sync vs async run",
    limit: "sync",
    variants: &[
        Variant {
            name: "sync",
            description: "RunMode::Sync: nodes in topological order, each materialised",
        },
        Variant {
            name: "async",
            description: "RunMode::Async: every node a task, row chunks over bounded channels",
        },
    ],
    default_sizes: &[10_000, 100_000, 1_000_000],
    quick_sizes: &[10_000],
    python: &[
        PythonRef {
            workload: "pipe_jfb_sync",
            variant: "sync",
        },
        PythonRef {
            workload: "pipe_jfb_async",
            variant: "async",
        },
    ],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let mode = match variant {
        "sync" => RunMode::Sync,
        "async" => RunMode::Async,
        other => {
            return Err(BenchError::Usage(format!(
                "sync_async has no variant `{other}`"
            )));
        }
    };
    let (pipeline, batch_label) = build(n)?;
    let config = RunConfig::new().mode(mode);
    let (report, wall_s, cpu_s) = timed(|| pipeline.run(&config))?;
    let report = report?;
    let computed = report.stats("combine").map_or(0, |s| s.computed);
    if computed != n || !report.errors.is_empty() {
        return Err(BenchError::WrongResult(format!(
            "{computed} packets computed, {} errors; expected {n} computed",
            report.errors.len()
        )));
    }
    let out = report
        .output(&batch_label)
        .ok_or_else(|| BenchError::WrongResult(format!("no output for `{batch_label}`")))?;
    fixtures::expect_rows("batch", out.num_rows(), n.div_ceil(100))?;
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check: format!("{} batches of {n} packets", out.num_rows()),
        note: None,
    })
}

/// The pipeline and the label of its Batch node.
fn build(n: usize) -> Result<(Pipeline, String), BenchError> {
    let left = fixtures::int_batch(vec![("id", fixtures::iota(n)), ("a", fixtures::iota(n))])?;
    let right = fixtures::int_batch(vec![("id", fixtures::iota(n)), ("b", fixtures::iota(n))])?;
    let combine = FunctionBuilder::new("combine")
        .input::<i64>("a")
        .input::<i64>("b")
        .output::<i64>("c")
        .build(|a: i64, b: i64| 2 * a + b);
    let mut builder = PipelineBuilder::new("jfb").store(Arc::new(InMemoryStore::new()));
    let left = builder.source(fixtures::source(left, "left")?);
    let right = builder.source(fixtures::source(right, "right")?);
    let joined = builder.operator(Join::new(), &[left, right])?;
    let combined = builder.function(FunctionPod::new(combine), &[joined])?;
    let batched = builder.operator(Batch::new(100, false), &[combined])?;
    builder.label(combined, "combine")?;
    builder.label(batched, "batch")?;
    Ok((builder.build()?, "batch".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_give_the_same_batches() {
        let sync = run("sync", 2_050).unwrap();
        let asynchronous = run("async", 2_050).unwrap();
        assert_eq!(sync.check, "21 batches of 2050 packets");
        assert_eq!(asynchronous.check, sync.check);
    }
}
