//! The Slurm executor value: configuration, `with_options` and the `DynExecutor` impl.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use orcapod_executor::{
    AnyKind, AsyncKind, BatchOutput, BlockingKind, CommandKind, DynExecutor, ExecutionData,
    Executor, ExecutorOptions, InputBatch, PacketFunction,
};

use crate::config::{CancelToken, Resources, RetryPolicy};
use crate::error::Result;
use crate::run::ClusterRun;
use crate::settings::Settings;
use crate::slurm_backend::SlurmBackend;

/// Executor type id of [`SlurmExecutor`].
pub const SLURM_EXECUTOR_TYPE_ID: &str = "slurm";

/// The options [`SlurmExecutor`] accepts in `with_options`.
pub const SLURM_OPTIONS: &[&str] = &[
    "partition",
    "cpus",
    "mem",
    "gpus",
    "time",
    "account",
    "qos",
    "sbatch_args",
    "chunk_size",
    "max_array_size",
    "max_parallel",
    "max_attempts",
    "retry_packet_failures",
    "worker",
    "work_dir",
    "poll_interval_ms",
    "queue_poll_interval_ms",
    "max_wait_s",
    "keep_files",
    "job_name",
    "min_batch_rows",
];

/// Runs packet functions as Slurm job arrays, exchanging packets through a shared directory.
///
/// For every [`execute`](DynExecutor::execute) call it splits the packets into chunks of
/// `chunk_size`, writes each chunk's input (Arrow IPC) and task spec under
/// `<work_dir>/run-<id>/job_<n>/task_<i>`, submits **one job array** per (at most
/// `max_array_size`) chunks with `sbatch --parsable --array=0-(k-1)`, and polls the task
/// directories (and `squeue` for tasks that end without results) until every chunk is done.
/// Each array task runs the worker binary (by default this very program,
/// [`std::env::current_exe`]) as `<worker> --orcapod-worker <task dir>`; see
/// [`worker`](crate::worker) for the one-`main` pattern that makes that work.
///
/// The result is row-for-row what local execution returns (values, order, dropped rows,
/// per-packet failures and captured output). A task that fails, is cancelled, times out or
/// runs out of memory is retried according to the [`RetryPolicy`], then turns into
/// per-packet failures of kind [`FailureKind::Executor`](orcapod_executor::FailureKind::Executor)
/// whose captured output is the task's stderr. Outstanding jobs are `scancel`ed when a run is
/// dropped (error, panic, [`CancelToken`]).
///
/// The executor is an immutable value: every `with_*` method and
/// [`with_options`](DynExecutor::with_options) return a new executor. Options (strings, as
/// in pipelines' `executor_options`): `partition`, `cpus`, `mem`, `gpus`, `time`, `account`,
/// `qos`, `sbatch_args` (whitespace-separated), `chunk_size`, `max_array_size`,
/// `max_parallel`, `max_attempts`, `retry_packet_failures`, `worker`, `work_dir`,
/// `poll_interval_ms`, `queue_poll_interval_ms`, `max_wait_s`, `keep_files`, `job_name`,
/// `min_batch_rows`.
///
/// ```
/// use orcapod_executor::{DynExecutor, ExecutorOptions};
/// use orcapod_executor_slurm::SlurmExecutor;
/// let slurm = SlurmExecutor::new("/shared/orcapod")?.with_chunk_size(50).with_partition("short");
/// let big = slurm.with_options(&ExecutorOptions::new().set("mem", "16G").set("cpus", 4))?;
/// assert_eq!(big.resources().mem.as_deref(), Some("16G"));
/// assert_eq!(slurm.resources().mem, None); // unchanged
/// assert_eq!(big.execution_data().executor_info["partition"], "short");
/// assert!(slurm.with_options(&ExecutorOptions::new().set("memory", "1G")).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SlurmExecutor {
    pub(crate) settings: Arc<Settings>,
    pub(crate) slurm: Arc<SlurmBackend>,
}

impl SlurmExecutor {
    /// An executor exchanging data under `work_dir`, which must be visible at the same path
    /// on the compute nodes (a shared file system). Relative paths are made absolute.
    pub fn new(work_dir: impl AsRef<Path>) -> Result<SlurmExecutor> {
        Ok(SlurmExecutor {
            settings: Arc::new(Settings::new(work_dir.as_ref())?),
            slurm: Arc::new(SlurmBackend::default()),
        })
    }

    fn map(&self, f: impl FnOnce(&mut Settings)) -> SlurmExecutor {
        let mut s = (*self.settings).clone();
        f(&mut s);
        SlurmExecutor {
            settings: Arc::new(s),
            slurm: self.slurm.clone(),
        }
    }

    fn map_slurm(&self, f: impl FnOnce(&mut SlurmBackend)) -> SlurmExecutor {
        let mut b = (*self.slurm).clone();
        f(&mut b);
        SlurmExecutor {
            settings: self.settings.clone(),
            slurm: Arc::new(b),
        }
    }

    /// The shared directory.
    pub fn work_dir(&self) -> &Path {
        &self.settings.work_dir
    }

    /// The resources every task asks for.
    pub fn resources(&self) -> &Resources {
        &self.slurm.resources
    }

    /// Packets per array task.
    pub fn chunk_size(&self) -> usize {
        self.settings.chunk_size
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// The worker binary (`None`: this program).
    pub fn worker(&self) -> Option<&Path> {
        self.settings.worker.as_deref()
    }

    /// The cancellation token watched by this executor's runs.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.settings.cancel
    }

    /// With these resources.
    pub fn with_resources(&self, resources: Resources) -> Self {
        self.map_slurm(|s| s.resources = resources)
    }

    /// With `--partition`.
    pub fn with_partition(&self, partition: impl Into<String>) -> Self {
        let p = partition.into();
        self.map_slurm(|s| s.resources.partition = Some(p))
    }

    /// With `--cpus-per-task` (the worker also uses this many threads per chunk).
    pub fn with_cpus(&self, cpus: u32) -> Self {
        self.map_slurm(|s| s.resources.cpus_per_task = Some(cpus.max(1)))
    }

    /// With `--mem` (e.g. `"4G"`).
    pub fn with_mem(&self, mem: impl Into<String>) -> Self {
        let m = mem.into();
        self.map_slurm(|s| s.resources.mem = Some(m))
    }

    /// With `--time` (e.g. `"00:10:00"`).
    pub fn with_time_limit(&self, time: impl Into<String>) -> Self {
        let t = time.into();
        self.map_slurm(|s| s.resources.time = Some(t))
    }

    /// Packets per array task (at least 1; default 100).
    pub fn with_chunk_size(&self, rows: usize) -> Self {
        self.map(|s| s.chunk_size = rows.max(1))
    }

    /// Largest job array to submit (default 1000, below Slurm's default `MaxArraySize` of
    /// 1001); more chunks are spread over several arrays.
    pub fn with_max_array_size(&self, tasks: usize) -> Self {
        self.map(|s| s.max_job_tasks = tasks.max(1))
    }

    /// At most this many tasks of an array run at once (`--array=…%N`).
    pub fn with_max_parallel(&self, tasks: usize) -> Self {
        self.map_slurm(|s| s.max_parallel = Some(tasks.max(1)))
    }

    /// With this retry policy.
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        self.map(|s| s.retry = retry)
    }

    /// Run this worker binary instead of the current executable (it must call
    /// [`maybe_run_worker`](crate::worker::maybe_run_worker) with a registry holding the
    /// functions).
    pub fn with_worker(&self, worker: impl Into<PathBuf>) -> Self {
        let w = worker.into();
        self.map(|s| s.worker = Some(w))
    }

    /// Shell lines run by each task before the worker (e.g. `module load gcc`).
    pub fn with_prologue(&self, lines: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let lines: Vec<String> = lines.into_iter().map(Into::into).collect();
        self.map_slurm(|s| s.prologue = lines)
    }

    /// Poll the task directories at most this far apart (default 500 ms; polling starts at
    /// 20 ms and backs off).
    pub fn with_poll_interval(&self, interval: Duration) -> Self {
        self.map(|s| s.poll_interval = interval)
    }

    /// Ask `squeue` about unfinished tasks at most this often (default 1 s).
    pub fn with_queue_poll_interval(&self, interval: Duration) -> Self {
        self.map(|s| s.queue_poll_interval = interval)
    }

    /// How long a task that left the queue without a status file is waited for (shared file
    /// systems may show files late) before it counts as lost (default 10 s).
    pub fn with_lost_grace(&self, grace: Duration) -> Self {
        self.map(|s| s.lost_grace = grace)
    }

    /// Give up (and `scancel`) runs that take longer than this.
    pub fn with_max_wait(&self, max_wait: Duration) -> Self {
        self.map(|s| s.max_wait = Some(max_wait))
    }

    /// Keep every run directory (default: removed when the run ends, except after a
    /// task-level error, whose directory is kept for inspection).
    pub fn with_keep_files(&self, keep: bool) -> Self {
        self.map(|s| s.keep_files = keep)
    }

    /// Job name (default `orcapod-<function name>`).
    pub fn with_job_name(&self, name: impl Into<String>) -> Self {
        let n = name.into();
        self.map(|s| s.job_name = Some(n))
    }

    /// Watch this cancellation token (shared by executors derived from this one).
    pub fn with_cancel_token(&self, token: CancelToken) -> Self {
        self.map(|s| s.cancel = token)
    }

    /// The smallest batch pods should hand to this executor (default: as large as the pod
    /// allows, so a pod's packets go out in as few job arrays as possible).
    pub fn with_min_batch_rows(&self, rows: usize) -> Self {
        self.map(|s| s.min_batch_rows = rows.max(1))
    }

    /// Submit `input` and return the running [`ClusterRun`] without waiting (dropping it
    /// `scancel`s its jobs). [`execute`](DynExecutor::execute) is `submit` then
    /// [`ClusterRun::wait`].
    pub fn submit(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<ClusterRun> {
        ClusterRun::start(self.settings.clone(), self.slurm.clone(), function, input)
    }
}

impl DynExecutor for SlurmExecutor {
    fn executor_type_id(&self) -> &str {
        SLURM_EXECUTOR_TYPE_ID
    }

    fn supports_concurrent_execution(&self) -> bool {
        true
    }

    fn preferred_min_batch_rows(&self) -> usize {
        self.settings.min_batch_rows
    }

    fn execution_data(&self) -> ExecutionData {
        let s = &self.settings;
        let mut d = ExecutionData::new(SLURM_EXECUTOR_TYPE_ID)
            .with("chunk_size", s.chunk_size)
            .with("max_attempts", s.retry.max_attempts)
            .with("work_dir", s.work_dir.display());
        let r = &self.slurm.resources;
        for (k, v) in [
            ("partition", &r.partition),
            ("mem", &r.mem),
            ("gpus", &r.gpus),
            ("time", &r.time),
            ("account", &r.account),
            ("qos", &r.qos),
        ] {
            if let Some(v) = v {
                d = d.with(k, v);
            }
        }
        if let Some(c) = r.cpus_per_task {
            d = d.with("cpus", c);
        }
        d
    }

    fn execute(
        &self,
        function: &dyn PacketFunction,
        input: &InputBatch,
    ) -> orcapod_executor::Result<BatchOutput> {
        crate::run::execute_blocking(self.submit(function, input), SLURM_EXECUTOR_TYPE_ID)
    }

    /// Submits at once (writing the task files and calling the scheduler), then waits on a
    /// helper thread; dropping the future cancels the jobs.
    fn execute_async<'a>(
        &'a self,
        function: &'a dyn PacketFunction,
        input: &'a InputBatch,
    ) -> BoxFuture<'a, orcapod_executor::Result<BatchOutput>> {
        crate::run::execute_future(self.submit(function, input), SLURM_EXECUTOR_TYPE_ID)
    }

    fn with_options(&self, options: &ExecutorOptions) -> orcapod_executor::Result<Self> {
        self.apply(options)
            .map_err(|e| e.into_executor_error(SLURM_EXECUTOR_TYPE_ID))
    }

    fn with_options_dyn(
        &self,
        options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

// Any function the worker can find (registry) or rebuild (command spec) can run: all kinds.
impl Executor<BlockingKind> for SlurmExecutor {}
impl Executor<CommandKind> for SlurmExecutor {}
impl Executor<AsyncKind> for SlurmExecutor {}
impl Executor<AnyKind> for SlurmExecutor {}
