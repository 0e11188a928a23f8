//! `fanout`: whether the async orchestrator overlaps independent branches.
//!
//! One source of N packets `(id; x)` feeds two function nodes, `slow_a` and `slow_b`, each
//! sleeping 5 ms per packet (so the work is waiting, not CPU, and no thread pool executor is
//! needed). No store. The sync orchestrator runs the nodes one after the other: about
//! `2 × N × 5 ms`. The async orchestrator runs each node as a task and the function calls on
//! the rayon pool, so the two branches can overlap: about `N × 5 ms` if they do (the issue
//! expects async at least 1.8× faster on 2 cores, i.e. "vs limit" at most 0.56). The async
//! run uses `max_concurrency(1)`: one chunk in flight per node, so any speed-up comes from the
//! two branches overlapping, not from concurrency inside one node. The source is sent as one
//! chunk (N ≤ 1024).

use std::time::Duration;

use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{Pipeline, PipelineBuilder, RunConfig, RunMode};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{Scenario, Variant};

/// Sleep per packet in each branch.
const SLEEP: Duration = Duration::from_millis(5);

/// The `fanout` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "fanout",
    description: "one source -> two function branches sleeping 5 ms per packet, sync vs async run",
    limit: "sync",
    variants: &[
        Variant {
            name: "sync",
            description: "RunMode::Sync: the branches run one after the other",
        },
        Variant {
            name: "async",
            description: "RunMode::Async, max_concurrency(1): the branches may overlap",
        },
    ],
    default_sizes: &[40],
    quick_sizes: &[40],
    python: &[],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let config = match variant {
        "sync" => RunConfig::new().mode(RunMode::Sync),
        "async" => RunConfig::new().mode(RunMode::Async).max_concurrency(1),
        other => {
            return Err(BenchError::Usage(format!(
                "fanout has no variant `{other}`"
            )));
        }
    };
    let pipeline = build(n)?;
    let (report, wall_s, cpu_s) = timed(|| pipeline.run(&config))?;
    let report = report?;
    for branch in ["slow_a", "slow_b"] {
        let rows = report.output(branch).map_or(0, |s| s.num_rows());
        fixtures::expect_rows(branch, rows, n)?;
    }
    let serial_s = 2.0 * n as f64 * SLEEP.as_secs_f64();
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check: format!("2 branches x {n} packets"),
        note: Some(format!(
            "serial sleep time {:.0} ms (2 branches x {n} x {} ms)",
            serial_s * 1e3,
            SLEEP.as_millis()
        )),
    })
}

fn build(n: usize) -> Result<Pipeline, BenchError> {
    let slow = |name: &str, output: &str| {
        FunctionBuilder::new(name)
            .input::<i64>("x")
            .output::<i64>(output)
            .build(|x: i64| {
                std::thread::sleep(SLEEP);
                x
            })
    };
    let batch = fixtures::id_x_batch(n)?;
    let mut builder = PipelineBuilder::new("fanout");
    let source = builder.source(fixtures::source(batch, "fanout")?);
    let a = builder.function(FunctionPod::new(slow("slow_a", "ya")), &[source])?;
    let b = builder.function(FunctionPod::new(slow("slow_b", "yb")), &[source])?;
    builder.label(a, "slow_a")?;
    builder.label(b, "slow_b")?;
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_run_both_branches() {
        for variant in ["sync", "async"] {
            let m = run(variant, 4).unwrap();
            assert_eq!(m.check, "2 branches x 4 packets", "{variant}");
            assert!(m.wall_s >= 0.02, "{variant}: {}", m.wall_s);
        }
    }
}
