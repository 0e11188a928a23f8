//! The worker entry point: one binary that is both the pipeline and its cluster worker.
//!
//! Rust closures cannot be sent to another machine. Instead, the program that builds the
//! pipeline is also the worker: cluster tasks start **the same executable** with the
//! arguments `--orcapod-worker <task dir>`. Its `main` calls [`maybe_run_worker`] first; in a
//! worker process that runs the task (looking the function up by uri in the
//! [`FunctionRegistry`]) and exits, in the normal process it returns at once and the program
//! goes on to build and run the pipeline.
//!
//! ```no_run
//! use std::sync::Arc;
//! use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
//! use orcapod_executor_slurm::{worker, FunctionRegistry, SlurmExecutor};
//!
//! // The functions the cluster may run, defined in one place.
//! fn square() -> RustFunction {
//!     FunctionBuilder::new("square").input::<i64>("x").output::<i64>("y").build(|x: i64| x * x)
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // 1. First thing: a worker process runs its task here and exits.
//!     worker::maybe_run_worker(&FunctionRegistry::new().with(square()));
//!
//!     // 2. Otherwise this is the pipeline: its Slurm tasks re-run this same binary.
//!     let slurm = SlurmExecutor::new("/shared/scratch/orcapod")?.with_partition("short");
//!     let pod = FunctionPod::new(square()).with_dyn_executor(Arc::new(slurm))?;
//!     # let _ = pod;
//!     Ok(())
//! }
//! ```
//!
//! The binary must be reachable at the same path on the compute nodes (a shared file system),
//! or be given explicitly with [`SlurmExecutor::with_worker`](crate::SlurmExecutor::with_worker).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use orcapod_executor::{
    BatchOutput, CommandPacketFunction, DynExecutor, PacketFunction, ThreadPoolExecutor,
};

use crate::error::{Result, SlurmError};
use crate::ipc::{read_input, write_output};
use crate::registry::FunctionRegistry;
use crate::task::{INPUT_FILE, OUTPUT_FILE, TaskSpec, TaskStatus};

/// The command-line flag that starts a worker: `<program> --orcapod-worker <task dir>`.
pub const WORKER_FLAG: &str = "--orcapod-worker";

/// The task directory this process was started for (`--orcapod-worker <dir>`), if any.
///
/// ```
/// // A test binary is not a worker.
/// assert!(orcapod_executor_slurm::worker::worker_task_from_args().is_none());
/// ```
pub fn worker_task_from_args() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == WORKER_FLAG {
            return args.next().map(PathBuf::from);
        }
    }
    None
}

/// If this process was started as a worker, run its task with `registry` and **exit** (status
/// 0 when the task's results were written, 1 otherwise); else return immediately.
///
/// Call it first thing in `main`, before any other work. See the [module docs](self).
pub fn maybe_run_worker(registry: &FunctionRegistry) {
    if let Some(dir) = worker_task_from_args() {
        std::process::exit(run_worker(registry, &dir));
    }
}

/// Run the task in `dir` and return the process exit status (0 when the task succeeded).
/// Errors are printed to stderr, which the scheduler captures into the task's `stderr.log`.
pub fn run_worker(registry: &FunctionRegistry, dir: &Path) -> i32 {
    match run_task(registry, dir) {
        Ok(status) if status.ok => 0,
        Ok(status) => {
            eprintln!(
                "orcapod worker: task '{}' failed: {}",
                dir.display(),
                status.error.unwrap_or_default()
            );
            1
        }
        Err(e) => {
            eprintln!("orcapod worker: task '{}': {e}", dir.display());
            1
        }
    }
}

/// Run the task in `dir`: read `task.json` and `input.arrow`, find or rebuild the function,
/// call it, and write `output.arrow` and then `status.json`.
///
/// A task-level failure (unknown function, unreadable input, the function's batch-level
/// error or panic) is recorded in `status.json` with `ok: false` and returned as that status;
/// `Err` means not even the status could be written.
pub fn run_task(registry: &FunctionRegistry, dir: &Path) -> Result<TaskStatus> {
    let started = Instant::now();
    let host = std::env::var("SLURMD_NODENAME").ok();
    let status = match compute(registry, dir) {
        Ok(rows) => TaskStatus {
            ok: true,
            rows,
            error: None,
            host,
            elapsed_ms: elapsed_ms(started),
        },
        Err(e) => TaskStatus {
            ok: false,
            rows: 0,
            error: Some(e.to_string()),
            host,
            elapsed_ms: elapsed_ms(started),
        },
    };
    status.write(dir)?;
    Ok(status)
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn compute(registry: &FunctionRegistry, dir: &Path) -> Result<usize> {
    let spec = TaskSpec::read(dir)?;
    let function: Arc<dyn PacketFunction> = match &spec.command {
        Some(command) => Arc::new(CommandPacketFunction::from_spec(command)?),
        None => registry.get(&spec.uri)?.clone(),
    };
    let found = function.uri().to_string();
    if found != spec.uri {
        return Err(SlurmError::FunctionMismatch {
            dir: dir.to_path_buf(),
            expected: spec.uri,
            found,
        });
    }
    let input = read_input(&dir.join(INPUT_FILE), function.info(), spec.rows)?;
    let output = catch_unwind(AssertUnwindSafe(|| {
        call(function.as_ref(), &input, spec.threads)
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".into());
        SlurmError::invalid_task(
            dir,
            format!("the function panicked on the batch: {message}"),
        )
    })??;
    if output.num_rows() != spec.rows {
        return Err(SlurmError::invalid_task(
            dir,
            format!(
                "the function returned {} rows for {} input rows",
                output.num_rows(),
                spec.rows
            ),
        ));
    }
    write_output(&dir.join(OUTPUT_FILE), function.info(), &output)?;
    Ok(spec.rows)
}

/// Call the function on the batch, on `threads` threads when more than one is allotted.
fn call(
    function: &dyn PacketFunction,
    input: &orcapod_executor::InputBatch,
    threads: usize,
) -> Result<BatchOutput> {
    if threads > 1 && input.num_rows() > 1 {
        Ok(ThreadPoolExecutor::new(threads)?.execute(function, input)?)
    } else {
        Ok(function.call_batch(input)?)
    }
}
