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
//! With the default `KeepOutputs::All` the run report keeps every node's output, so both modes
//! end up holding every node's full table; the `*_sinks` variants keep only the sink's output
//! (`KeepOutputs::Sinks`): the sync run then frees each intermediate table after its consumer
//! ran, and the async run never gathers intermediate chunks, so what it adds is the sink's
//! output plus the chunks in flight; `async_nothing` keeps no output at all (results would go
//! to a store), which leaves only the chunks in flight: the streaming bound.

use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{KeepOutputs, Pipeline, PipelineBuilder, RunConfig, RunMode};
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
        Variant {
            name: "sync_sinks",
            description: "RunMode::Sync keeping only the sink's output (intermediates freed)",
        },
        Variant {
            name: "async_sinks",
            description: "RunMode::Async keeping only the sink's output (nothing else gathered)",
        },
        Variant {
            name: "async_nothing",
            description: "RunMode::Async keeping no output: the streaming bound itself",
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
        "sync_sinks" => RunConfig::new()
            .mode(RunMode::Sync)
            .keep_outputs(KeepOutputs::Sinks),
        "async_sinks" => RunConfig::new()
            .mode(RunMode::Async)
            .keep_outputs(KeepOutputs::Sinks),
        "async_nothing" => RunConfig::new()
            .mode(RunMode::Async)
            .keep_outputs(KeepOutputs::Nothing),
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
    let check = match report.output(FUNCTION) {
        Some(out) => {
            fixtures::expect_rows(FUNCTION, out.num_rows(), n)?;
            let sum = fixtures::int_sum(fixtures::int_column(out, "y")?);
            format!("{n} rows; sum(y) = {sum}")
        }
        // Nothing kept: the node's statistics still prove every row went through.
        None => {
            let rows = report.stats(FUNCTION).map_or(0, |s| s.rows_out);
            fixtures::expect_rows(FUNCTION, rows, n)?;
            format!("{n} rows")
        }
    };
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
        check,
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
        // sum over x < 3000 of (2x + 1) = 3000^2
        assert_eq!(sync.check, "3000 rows; sum(y) = 9000000");
        for variant in ["async", "sync_sinks", "async_sinks"] {
            assert_eq!(run(variant, 3_000).unwrap().check, sync.check, "{variant}");
        }
        assert_eq!(run("async_nothing", 3_000).unwrap().check, "3000 rows");
    }
}
