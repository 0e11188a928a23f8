//! `function_pod`: framework overhead of a function pod, `y = 2x + 1` per packet.
//!
//! The input is a source of `(id: int64; x: float64 = id / 2)` built before the clock starts
//! (as in `crates/orcapod-executor/examples/throughput.rs`). The pod variants time
//! `FunctionPod::process(&[stream])?.materialize()?` end to end: chunking, the executor, the
//! typed function over Arrow columns, and the output stream with tags, a UUIDv7 record id and
//! a source-info string per packet. The limit `plain_loop` is a Rust loop over the Arrow
//! Float64 column pushing `2x + 1` into a `Float64Builder`: the computation without any
//! framework. The cost per packet is `10^9 / rows/s` ns; the pod's overhead per packet is its
//! cost minus the limit's.

use arrow_array::builder::Float64Builder;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_executor::{FunctionBuilder, FunctionPod, ThreadPoolExecutor};
use std::sync::Arc;

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// The `function_pod` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "function_pod",
    description: "FunctionPod y = 2x + 1 over N packets (process + materialize) vs a plain loop over the column",
    limit: "plain_loop",
    variants: &[
        Variant {
            name: "pod_local",
            description: "FunctionPod on the LocalExecutor, process + materialize",
        },
        Variant {
            name: "pod_threads2",
            description: "FunctionPod on ThreadPoolExecutor::new(2), process + materialize",
        },
        Variant {
            name: "plain_loop",
            description: "loop over the Float64 column into a Float64Builder",
        },
    ],
    default_sizes: &[100_000, 1_000_000],
    quick_sizes: &[10_000],
    python: &[PythonRef {
        workload: "fpod_lazy",
        variant: "pod_local",
    }],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("x", DataType::Float64, false),
        ])),
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| i as f64 * 0.5),
            )),
        ],
    )?;
    let stream = fixtures::source(batch, "bench")?.into_stream();
    let scale = FunctionBuilder::new("scale")
        .input::<f64>("x")
        .output::<f64>("y")
        .build(|x: f64| 2.0 * x + 1.0);
    let inputs = std::slice::from_ref(&stream);
    let (sum, wall_s, cpu_s) = match variant {
        "pod_local" => {
            let pod = FunctionPod::new(scale);
            let (out, wall_s, cpu_s) = timed(|| pod.process(inputs)?.materialize())?;
            (output_sum(&out?, n)?, wall_s, cpu_s)
        }
        "pod_threads2" => {
            let pod = FunctionPod::new(scale).with_executor(ThreadPoolExecutor::new(2)?);
            let (out, wall_s, cpu_s) = timed(|| pod.process(inputs)?.materialize())?;
            (output_sum(&out?, n)?, wall_s, cpu_s)
        }
        "plain_loop" => {
            let xs = stream
                .column("x")
                .and_then(|c| c.as_primitive_opt::<Float64Type>())
                .ok_or_else(|| BenchError::WrongResult("no float64 column `x`".into()))?;
            let (ys, wall_s, cpu_s) = timed(|| plain_loop(xs))?;
            fixtures::expect_rows("plain_loop", ys.len(), n)?;
            (fixtures::float_sum(&ys)?, wall_s, cpu_s)
        }
        other => {
            return Err(BenchError::Usage(format!(
                "function_pod has no variant `{other}`"
            )));
        }
    };
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check: format!("sum(y) = {sum}"),
        note: None,
    })
}

fn output_sum(out: &orcapod_datagram::Stream, n: usize) -> Result<f64, BenchError> {
    fixtures::expect_rows("pod", out.num_rows(), n)?;
    let ys = out
        .column("y")
        .ok_or_else(|| BenchError::WrongResult("no output column `y`".into()))?;
    fixtures::float_sum(ys.as_ref())
}

/// The limit: `2x + 1` over the column, nulls kept (the input has none).
fn plain_loop(xs: &Float64Array) -> Float64Array {
    let mut out = Float64Builder::with_capacity(xs.len());
    for i in 0..xs.len() {
        if xs.is_null(i) {
            out.append_null();
        } else {
            out.append_value(2.0 * xs.value(i) + 1.0);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pods_compute_what_the_loop_computes() {
        let limit = run("plain_loop", 2_000).unwrap();
        // sum over i < 2000 of (i + 1) = 2000 * 2001 / 2
        assert_eq!(limit.check, "sum(y) = 2001000");
        for variant in ["pod_local", "pod_threads2"] {
            assert_eq!(run(variant, 2_000).unwrap().check, limit.check, "{variant}");
        }
    }
}
