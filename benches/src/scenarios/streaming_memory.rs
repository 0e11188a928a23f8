//! `streaming_memory`: peak memory of the async (streaming) and the sync (materialising) run
//! of a chain of per-chunk nodes.
//!
//! The pipeline: a source of `(id; x, a, b)` int64 columns, N rows, then `MapPackets x → v`,
//! `SelectPacketColumns [v]` and a function node `y = 2v + 1` (int64); no store. All three
//! downstream nodes stream per chunk in async mode (chunks of 1024 rows, channel capacity 64),
//! so an async run could in principle hold only the input plus a bounded number of chunks in
//! flight, whereas a sync run materialises every node's full output.
//!
//! Measurement: after the inputs are built, the peak RSS (`VmHWM`) is reset to the current RSS
//! (`/proc/self/clear_refs`), so the reported `rss MB` is the peak **during the run**, with
//! the inputs resident but without the temporaries of building them. The note gives the
//! resident size before the run and what the run added on top of it.
//!
//! Caveat (measured, not worked around): the async orchestrator also subscribes a collector to
//! every node's output and concatenates each node's chunks into `RunReport::outputs`, so it
//! keeps every node's full output alive until the end of the run, like the sync run does,
//! and then copies the chunks into one table per node.

use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{Pipeline, PipelineBuilder, RunConfig, RunMode};
use orcapod_operator::{MapPackets, SelectPacketColumns};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{self, Measurement, timed};
use crate::scenario::{Scenario, Variant};

/// Label of the function node.
const FUNCTION: &str = "double_plus_one";

/// The `streaming_memory` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "streaming_memory",
    description: "peak RSS of source -> MapPackets -> SelectPacketColumns -> function, async (streaming) vs sync",
    limit: "sync",
    variants: &[
        Variant {
            name: "sync",
            description: "RunMode::Sync: every node's output materialised",
        },
        Variant {
            name: "async",
            description: "RunMode::Async: per-chunk streaming through bounded channels",
        },
    ],
    default_sizes: &[100_000, 1_000_000],
    quick_sizes: &[100_000],
    python: &[],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let config = match variant {
        "sync" => RunConfig::new().mode(RunMode::Sync),
        "async" => RunConfig::new().mode(RunMode::Async),
        other => {
            return Err(BenchError::Usage(format!(
                "streaming_memory has no variant `{other}`"
            )));
        }
    };
    let pipeline = build(n)?;
    // Only a missing /proc feature makes the reset fail; the peak then includes input building.
    let reset = measure::reset_peak_rss().is_ok();
    let before_mib = measure::current_rss_mib()?;
    let (report, wall_s, cpu_s) = timed(|| pipeline.run(&config))?;
    let peak_mib = measure::peak_rss_mib()?;
    let report = report?;
    let out = report
        .output(FUNCTION)
        .ok_or_else(|| BenchError::WrongResult(format!("no output for `{FUNCTION}`")))?;
    fixtures::expect_rows(FUNCTION, out.num_rows(), n)?;
    let sum = fixtures::int_sum(fixtures::int_column(out, "y")?);
    let mut note = format!(
        "rss before run {before_mib:.0} MiB, peak {peak_mib:.0} MiB (+{:.0} MiB, {:.0} B/row)",
        peak_mib - before_mib,
        (peak_mib - before_mib) * 1_048_576.0 / n.max(1) as f64
    );
    if !reset {
        note.push_str("; peak NOT reset (no /proc/self/clear_refs): includes input building");
    }
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check: format!("{n} rows; sum(y) = {sum}"),
        note: Some(note),
    })
}

fn build(n: usize) -> Result<Pipeline, BenchError> {
    let batch = fixtures::int_batch(vec![
        ("id", fixtures::iota(n)),
        ("x", fixtures::iota(n)),
        ("a", fixtures::iota(n)),
        ("b", fixtures::iota(n)),
    ])?;
    let function = FunctionBuilder::new(FUNCTION)
        .input::<i64>("v")
        .output::<i64>("y")
        .build(|v: i64| 2 * v + 1);
    let mut builder = PipelineBuilder::new("streaming");
    let source = builder.source(fixtures::source(batch, "streaming")?);
    let mapped = builder.operator(MapPackets::new([("x", "v")]), &[source])?;
    let selected = builder.operator(SelectPacketColumns::new(["v"]), &[mapped])?;
    builder.function(FunctionPod::new(function), &[selected])?;
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_compute_the_same_rows() {
        let sync = run("sync", 3_000).unwrap();
        let asynchronous = run("async", 3_000).unwrap();
        // sum over x < 3000 of (2x + 1) = 3000^2
        assert_eq!(sync.check, "3000 rows; sum(y) = 9000000");
        assert_eq!(asynchronous.check, sync.check);
    }
}
