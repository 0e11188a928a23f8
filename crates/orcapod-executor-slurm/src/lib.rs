//! Cluster execution for orcapod: run packet functions as Slurm job arrays (or Ray jobs).
//!
//! [`SlurmExecutor`] is an ordinary [`DynExecutor`](orcapod_executor::DynExecutor): give it
//! to a function pod (or to a pipeline with `RunConfig::executor`) and every batch of packets
//! goes to the cluster as **one job array** — chunks of `chunk_size` packets per array task,
//! exchanged as Arrow IPC files through a shared directory. The output is row-for-row what
//! local execution returns; failed, cancelled, timed-out or out-of-memory tasks are retried
//! ([`RetryPolicy`]) and then reported as per-packet failures carrying the task's stderr.
//! Because the node layer only sends packets that are missing from its caches, a rerun after a
//! partial failure resubmits only what is missing.
//!
//! # The worker pattern
//!
//! Array tasks run a **worker**: by default the very program that submitted them, started as
//! `<program> --orcapod-worker <task dir>`. The program's `main` calls
//! [`worker::maybe_run_worker`] first; in a worker it looks the function up by uri in a
//! [`FunctionRegistry`], runs the chunk, writes the results and exits. No closure is ever
//! serialised. [`CommandPacketFunction`](orcapod_executor::CommandPacketFunction)s need no
//! registration: their description travels with the task.
//!
//! ```no_run
//! use std::sync::Arc;
//! use orcapod_datagram::{rows, Source, SourceOptions};
//! use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
//! use orcapod_executor_slurm::{worker, FunctionRegistry, RetryPolicy, SlurmExecutor};
//!
//! fn simulate() -> RustFunction {
//!     FunctionBuilder::new("simulate")
//!         .input::<i64>("seed")
//!         .output::<f64>("score")
//!         .build(|seed: i64| (seed as f64).sqrt())
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // In a Slurm task this runs the task and exits; otherwise it returns at once.
//!     worker::maybe_run_worker(&FunctionRegistry::new().with(simulate()));
//!
//!     let slurm = SlurmExecutor::new("/shared/scratch/orcapod")? // visible on every node
//!         .with_partition("short")
//!         .with_mem("2G")
//!         .with_time_limit("00:20:00")
//!         .with_chunk_size(500)
//!         .with_retry_policy(RetryPolicy::attempts(3));
//!     let seeds = Source::from_rows(
//!         rows![{"run" => 1, "seed" => 4}, {"run" => 2, "seed" => 9}],
//!         SourceOptions::new(["run"]),
//!     )?;
//!     let pod = FunctionPod::new(simulate()).with_dyn_executor(Arc::new(slurm))?;
//!     let results = pod.process(&[seeds.stream().clone()])?.materialize_collect()?;
//!     for e in &results.errors {
//!         eprintln!("{e}"); // per-packet failures, with the task's stderr in e.captured
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Modules
//!
//! * [`worker`]: the worker entry point; [`task`]: the task-directory protocol.
//! * [`SlurmExecutor`], [`ClusterRun`] (a non-blocking submission that cancels its jobs
//!   when dropped), [`Resources`], [`RetryPolicy`], [`CancelToken`].
//! * [`RayExecutor`]: the same worker tasks on a Ray cluster, one Ray job per batch through
//!   Ray's Jobs REST API (plain HTTP, no client library).

mod assemble;
mod backend;
mod cli;
mod config;
mod error;
mod executor;
mod ipc;
mod options;
mod ray;
mod registry;
mod run;
mod settings;
mod slurm_backend;
mod submit;
pub mod task;
pub mod worker;

#[cfg(test)]
mod tests;

pub use config::{CancelToken, Resources, RetryPolicy, TaskFailureKind};
pub use error::{Result, SlurmError};
pub use executor::{SLURM_EXECUTOR_TYPE_ID, SLURM_OPTIONS, SlurmExecutor};
pub use ray::{RAY_EXECUTOR_TYPE_ID, RAY_OPTIONS, RayExecutor};
pub use registry::FunctionRegistry;
pub use run::{ClusterRun, Progress, RunStats};
