//! Throughput of cheap packets through Slurm (or Ray) against local execution.
//!
//! ```text
//! scripts/slurm-up.sh /tmp/slurm && export SLURM_CONF=/tmp/slurm/slurm.conf
//! cargo run --release -p orcapod-executor-slurm --example slurm_bench -- [PACKETS] [CHUNK...]
//! # Ray instead: ORCAPOD_BENCH_RAY=http://127.0.0.1:8265 ORCAPOD_RAY_PYTHON=.../python
//! ```
//!
//! This program is also its own worker (the pattern of `orcapod_executor_slurm::worker`):
//! `main` first calls `maybe_run_worker`, so the Slurm tasks run this same binary.

use std::time::{Duration, Instant};

use orcapod_executor::{DynExecutor, FunctionBuilder, InputBatch, LocalExecutor, RustFunction};
use orcapod_executor_slurm::{ClusterRun, FunctionRegistry, RayExecutor, SlurmExecutor, worker};

fn square() -> RustFunction {
    FunctionBuilder::new("bench_square")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x.wrapping_mul(x))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    worker::maybe_run_worker(&FunctionRegistry::new().with(square()));

    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let chunks: Vec<usize> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    let chunks = if chunks.is_empty() {
        vec![1000, 100]
    } else {
        chunks
    };
    let ray = std::env::var("ORCAPOD_BENCH_RAY").ok();
    if ray.is_none() && std::env::var_os("SLURM_CONF").is_none() {
        eprintln!("SLURM_CONF is not set: start a cluster with scripts/slurm-up.sh DIR first");
        std::process::exit(2);
    }
    let f = square();
    let column: arrow_array::ArrayRef =
        std::sync::Arc::new(arrow_array::Int64Array::from_iter_values(0..n as i64));
    let input = InputBatch::new(vec![Some(column)], n)?;

    let t = Instant::now();
    let reps = 20;
    for _ in 0..reps {
        LocalExecutor.execute(&f, &input)?;
    }
    let local = t.elapsed() / reps;
    println!(
        "local: {n} packets in {:.3} ms ({:.1} ns/packet)",
        ms(local),
        local.as_nanos() as f64 / n as f64
    );

    let dir = tempfile_dir()?;
    let slurm = SlurmExecutor::new(&dir)?
        .with_poll_interval(Duration::from_millis(100))
        .with_queue_poll_interval(Duration::from_secs(2));
    let python = std::env::var("ORCAPOD_RAY_PYTHON").unwrap_or_else(|_| "python".into());
    let submit = |chunk: usize| -> Result<ClusterRun, orcapod_executor_slurm::SlurmError> {
        match &ray {
            Some(address) => RayExecutor::new(address.clone(), &dir)?
                .with_python(python.clone())
                .with_poll_interval(Duration::from_millis(100))
                .with_chunk_size(chunk)
                .submit(&f, &input),
            None => slurm.with_chunk_size(chunk).submit(&f, &input),
        }
    };
    let expected = LocalExecutor.execute(&f, &input)?;
    println!(
        "| packets | chunk size | tasks | jobs | wall time (s) | submit (s) | worker time, sum (s) | per chunk (ms) | per packet (ms) | packets/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for chunk in chunks {
        let t = Instant::now();
        let (out, stats) = submit(chunk)?.wait_with_stats()?;
        let wall = t.elapsed();
        assert_eq!(out.columns()[0].to_data(), expected.columns()[0].to_data());
        assert!(out.failures().is_empty(), "{:?}", &out.failures()[..1]);
        println!(
            "| {n} | {chunk} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.3} | {:.0} |",
            stats.tasks,
            stats.jobs,
            wall.as_secs_f64(),
            stats.submit_time.as_secs_f64(),
            stats.worker_time.as_secs_f64(),
            ms(wall) / stats.tasks as f64,
            ms(wall) / n as f64,
            n as f64 / wall.as_secs_f64(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("orcapod-slurm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
