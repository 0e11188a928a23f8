//! The one error type of `orcapod-executor-slurm`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use orcapod_executor::ExecutorError;

/// Errors of the cluster executors, the worker and the function registry.
///
/// Every variant names what it was about: the file, the Slurm command, the job and array
/// task, or the function uri. A failure of the user function on one packet, or of the cluster
/// task that held a packet, is *not* an error of this type: it becomes a per-packet failure
/// ([`FailureKind::Executor`](orcapod_executor::FailureKind::Executor) for task failures).
///
/// Inside [`DynExecutor::execute`](orcapod_executor::DynExecutor::execute) these errors are
/// wrapped in [`ExecutorError::Backend`] (downcast the source to get them back), except
/// [`InvalidOption`](Self::InvalidOption) and [`Executor`](Self::Executor), which map to
/// their `ExecutorError` counterparts.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// Reading or writing a file or directory failed.
    #[error("{context} '{}': {source}", path.display())]
    Io {
        /// What was being done.
        context: String,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: Arc<std::io::Error>,
    },
    /// Encoding or decoding Arrow IPC failed.
    #[error("{context} '{}': {source}", path.display())]
    Arrow {
        /// What was being done.
        context: String,
        /// The file.
        path: PathBuf,
        /// The Arrow error.
        source: Arc<arrow_schema::ArrowError>,
    },
    /// A JSON task or status file is malformed.
    #[error("malformed JSON in '{}': {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser error.
        source: Arc<serde_json::Error>,
    },
    /// A task directory does not hold what the worker protocol requires.
    #[error("invalid task '{}': {reason}", dir.display())]
    InvalidTask {
        /// The task directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A scheduler command (`sbatch`, `squeue`, `scancel`, `scontrol`) could not be started.
    #[error("cannot run '{program}': {source} (is Slurm installed and SLURM_CONF set?)")]
    Spawn {
        /// The program.
        program: String,
        /// The I/O error.
        source: Arc<std::io::Error>,
    },
    /// A scheduler command or request failed.
    #[error("'{command}' failed ({status}): {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Exit status, rendered.
        status: String,
        /// Its standard error (trimmed).
        stderr: String,
    },
    /// A scheduler command or service returned something this crate cannot interpret.
    #[error("cannot interpret the output of '{command}': {output:?}")]
    UnexpectedOutput {
        /// The command line.
        command: String,
        /// What it printed.
        output: String,
    },
    /// An HTTP request to a scheduler service (Ray's Jobs API) failed.
    #[error("{request} failed: {reason}")]
    Http {
        /// Method and url.
        request: String,
        /// What went wrong (connection error, status and body, ...).
        reason: String,
    },
    /// An executor option is unknown or has an invalid value.
    #[error("invalid option '{option}': {reason}")]
    InvalidOption {
        /// The option.
        option: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The worker's registry has no function with this uri.
    #[error(
        "function '{uri}' is not registered in this worker (registered: [{}]); register it in the \
         FunctionRegistry given to maybe_run_worker",
        registered.join(", ")
    )]
    UnknownFunction {
        /// The uri looked up.
        uri: String,
        /// The uris that are registered.
        registered: Vec<String>,
    },
    /// A function rebuilt or found by the worker does not have the uri the task asked for
    /// (the worker binary and the submitting program disagree about the function).
    #[error("task '{}' asks for function '{expected}', but the worker's function is '{found}'", dir.display())]
    FunctionMismatch {
        /// The task directory.
        dir: PathBuf,
        /// The uri in the task.
        expected: String,
        /// The uri of the worker's function.
        found: String,
    },
    /// A worker reported that the whole task failed (not one packet): e.g. its function
    /// returned an error for the batch, or the function is not registered in the worker.
    #[error("{task} ('{}') failed: {message}", dir.display())]
    TaskFailed {
        /// The task, e.g. `slurm task 1234_5`.
        task: String,
        /// The task directory.
        dir: PathBuf,
        /// The worker's message.
        message: String,
    },
    /// The run was cancelled through its [`CancelToken`](crate::CancelToken); its jobs were
    /// cancelled (`scancel` on Slurm).
    #[error("cancelled; jobs [{}] were cancelled", jobs.join(", "))]
    Cancelled {
        /// The jobs that were cancelled.
        jobs: Vec<String>,
    },
    /// The run did not finish within the executor's `max_wait`; its jobs were cancelled.
    #[error("not finished after {waited:?}; jobs [{}] were cancelled", jobs.join(", "))]
    Timeout {
        /// How long the run waited.
        waited: Duration,
        /// The jobs that were cancelled.
        jobs: Vec<String>,
    },
    /// `execute` was called inside a worker process: the program's `main` did not call
    /// `maybe_run_worker` first, so the worker ran the whole program again.
    #[error(
        "this process was started as an orcapod worker for task '{task}', but it is submitting \
         jobs itself: call orcapod_executor_slurm::worker::maybe_run_worker first thing in main"
    )]
    RecursiveWorker {
        /// The task the process was started for.
        task: String,
    },
    /// An orcapod-executor error (binding inputs, function definitions, ...).
    #[error(transparent)]
    Executor(#[from] ExecutorError),
}

/// Shorthand for results in this crate.
pub type Result<T, E = SlurmError> = std::result::Result<T, E>;

impl SlurmError {
    pub(crate) fn io(
        context: impl Into<String>,
        path: impl Into<PathBuf>,
        e: std::io::Error,
    ) -> Self {
        SlurmError::Io {
            context: context.into(),
            path: path.into(),
            source: Arc::new(e),
        }
    }

    pub(crate) fn arrow(
        context: impl Into<String>,
        path: impl Into<PathBuf>,
        e: arrow_schema::ArrowError,
    ) -> Self {
        SlurmError::Arrow {
            context: context.into(),
            path: path.into(),
            source: Arc::new(e),
        }
    }

    pub(crate) fn json(path: impl Into<PathBuf>, e: serde_json::Error) -> Self {
        SlurmError::Json {
            path: path.into(),
            source: Arc::new(e),
        }
    }

    pub(crate) fn invalid_task(dir: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        SlurmError::InvalidTask {
            dir: dir.into(),
            reason: reason.into(),
        }
    }

    /// This error as an [`ExecutorError`] of executor `executor`.
    pub fn into_executor_error(self, executor: &str) -> ExecutorError {
        match self {
            SlurmError::Executor(e) => e,
            SlurmError::InvalidOption { option, reason } => {
                ExecutorError::InvalidOption { option, reason }
            }
            other => ExecutorError::Backend {
                executor: executor.to_string(),
                source: Arc::new(other),
            },
        }
    }
}
