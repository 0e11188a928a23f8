//! Framework overhead of function pods: `y = 2x + 1` over 10^6 packets.
//!
//! Run with `cargo run --release -p orcapod-executor --example throughput [n]`. Prints, per
//! variant, the best of several runs in ns per packet:
//!
//! * `arrow unary`: the Arrow kernel `PrimitiveArray::unary` (vectorised; the hardware limit);
//! * `plain loop`: a Rust loop over the Float64 column pushing into a `Float64Builder`;
//! * `call_batch`: the typed function alone on the whole column (no stream, no provenance);
//! * `pod local` / `pod thread_pool(2)`: `FunctionPod::process` + `materialize` end to end
//!   (chunking, executor, output stream with tags, per-packet UUIDv7 and source info);
//! * the cost of filling a fresh buffer as large as the source-info column (on machines with
//!   expensive page faults this, not the function call, dominates the pod figures);
//! * `row iteration`: pulling `(Tag, Packet)` pairs one at a time (one run).
//!
//! `… [n] pod-only` runs only the local pod (for profilers).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::builder::Float64Builder;
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_datagram::{Source, SourceOptions, Stream};
use orcapod_executor::{
    FunctionBuilder, FunctionPod, InputBatch, PacketFunction, ThreadPoolExecutor,
};

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |s| s.parse())?;
    let runs = 7;
    let xs = Float64Array::from_iter_values((0..n).map(|i| i as f64 * 0.5));
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("x", DataType::Float64, false),
        ])),
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(xs.clone()),
        ],
    )?;
    let stream: Stream =
        Source::from_batch(batch, SourceOptions::new(["id"]).source_id("bench"))?.into_stream();
    let scale = FunctionBuilder::new("scale")
        .input::<f64>("x")
        .output::<f64>("y")
        .build(|x: f64| 2.0 * x + 1.0);

    let per = |d: Duration| d.as_nanos() as f64 / n as f64;
    if std::env::args().nth(2).as_deref() == Some("pod-only") {
        // For profilers: only the local pod, end to end.
        let pod = FunctionPod::new(scale.clone());
        let d = best_of(runs, || {
            black_box(
                pod.process(std::slice::from_ref(&stream))
                    .expect("process")
                    .materialize()
                    .expect("materialize"),
            );
        });
        println!("pod local, materialize: {:.2} ns/packet", per(d));
        return Ok(());
    }
    let unary = best_of(runs, || {
        black_box(xs.unary::<_, arrow_array::types::Float64Type>(|x| 2.0 * x + 1.0));
    });
    let plain = best_of(runs, || {
        let mut b = Float64Builder::with_capacity(n);
        for i in 0..xs.len() {
            if xs.is_null(i) {
                b.append_null();
            } else {
                b.append_value(2.0 * xs.value(i) + 1.0);
            }
        }
        black_box(b.finish());
    });
    let column: ArrayRef = Arc::new(xs.clone());
    let input = InputBatch::new(vec![Some(column)], n)?;
    let kernel = best_of(runs, || {
        black_box(scale.call_batch(&input).expect("call_batch"));
    });
    let local_pod = FunctionPod::new(scale.clone());
    let local = best_of(runs, || {
        let out = local_pod
            .process(std::slice::from_ref(&stream))
            .expect("process")
            .materialize()
            .expect("materialize");
        assert_eq!(out.num_rows(), n);
    });
    let pool_pod = FunctionPod::new(scale.clone()).with_executor(ThreadPoolExecutor::new(2)?);
    let pooled = best_of(runs, || {
        let out = pool_pod
            .process(std::slice::from_ref(&stream))
            .expect("process")
            .materialize()
            .expect("materialize");
        assert_eq!(out.num_rows(), n);
    });
    // The provenance floor: writing ~140 fresh bytes of source info per packet.
    let info_len = pool_pod.uri().to_string().len() + 2 + 32 + 3;
    let provenance = best_of(runs, || {
        black_box(vec![1u8; n * info_len]);
    });
    let iterated = best_of(1, || {
        let out = local_pod
            .process(std::slice::from_ref(&stream))
            .expect("process");
        assert_eq!(out.iter().count(), n);
    });

    println!("y = 2x + 1 over {n} packets (best of {runs}; ns per packet)");
    println!("  arrow unary kernel          {:8.2}", per(unary));
    println!("  plain loop + builder        {:8.2}", per(plain));
    println!(
        "  RustFunction::call_batch    {:8.2}   overhead vs loop {:+.2}",
        per(kernel),
        per(kernel) - per(plain)
    );
    println!(
        "  pod local, materialize      {:8.2}   overhead vs loop {:+.2}",
        per(local),
        per(local) - per(plain)
    );
    println!(
        "  pod thread_pool(2)          {:8.2}   overhead vs loop {:+.2}",
        per(pooled),
        per(pooled) - per(plain)
    );
    println!(
        "  (fresh {info_len}-byte buffer per packet: {:.2}, the cost floor of source info)",
        per(provenance)
    );
    println!(
        "  pod local, row iteration    {:8.2}   (Tag/Packet per row; 1 run)",
        per(iterated)
    );
    Ok(())
}
