//! Running packet functions on a Ray cluster through Ray's Jobs REST API.

mod backend;
mod http;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use orcapod_executor::{
    AnyKind, AsyncKind, BatchOutput, BlockingKind, CommandKind, DynExecutor, ExecutionData,
    Executor, ExecutorOptions, InputBatch, PacketFunction,
};

use crate::config::{CancelToken, RetryPolicy};
use crate::error::{Result, SlurmError};
use crate::options::{COMMON_OPTIONS, apply_common};
use crate::run::ClusterRun;
use crate::settings::Settings;
use backend::RayBackend;

/// Executor type id of [`RayExecutor`].
pub const RAY_EXECUTOR_TYPE_ID: &str = "ray";

/// Ray-specific options of [`RayExecutor`] (besides the common ones: `chunk_size`,
/// `max_attempts`, `retry_packet_failures`, `worker`, `work_dir`, `poll_interval_ms`,
/// `queue_poll_interval_ms`, `max_wait_s`, `keep_files`, `job_name`, `min_batch_rows`).
pub const RAY_OPTIONS: &[&str] = &[
    "address",
    "python",
    "num_cpus",
    "num_gpus",
    "memory",
    "max_job_tasks",
];

/// Runs packet functions on a Ray cluster: every batch becomes **one Ray job** (submitted
/// with `POST /api/jobs/` to the dashboard), whose Python driver runs one Ray task per chunk;
/// each Ray task runs the worker binary on its task directory, exactly as a Slurm array task
/// does (same [worker pattern](crate::worker), same shared-directory protocol, same results,
/// retries and per-packet failures as [`SlurmExecutor`](crate::SlurmExecutor)). Dropping a
/// run stops its jobs (`POST /api/jobs/<id>/stop`).
///
/// Needs a dashboard reachable over plain HTTP, a Python with `ray` on the head node
/// ([`with_python`](Self::with_python)), and the work directory and worker binary at the same
/// paths on every node. Each Ray job costs seconds of start-up, so use large chunks.
///
/// ```
/// use orcapod_executor::{DynExecutor, ExecutorOptions};
/// use orcapod_executor_slurm::RayExecutor;
/// let ray = RayExecutor::new("http://127.0.0.1:8265", "/shared/orcapod")?.with_chunk_size(1000);
/// let gpu = ray.with_options(&ExecutorOptions::new().set("num_gpus", 1))?;
/// assert_eq!(gpu.execution_data().executor_info["num_gpus"], "1");
/// assert!(RayExecutor::new("https://head:8265", "/tmp").is_err()); // plain HTTP only
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RayExecutor {
    settings: Arc<Settings>,
    ray: Arc<RayBackend>,
}

fn check_address(address: &str) -> Result<()> {
    http::parse_base(address)
        .map(|_| ())
        .map_err(|reason| SlurmError::InvalidOption {
            option: "address".into(),
            reason,
        })
}

impl RayExecutor {
    /// An executor talking to the Ray dashboard at `address` (`http://host:8265`) and
    /// exchanging data under `work_dir` (visible at the same path on every node).
    pub fn new(address: impl Into<String>, work_dir: impl AsRef<Path>) -> Result<RayExecutor> {
        let address = address.into();
        check_address(&address)?;
        Ok(RayExecutor {
            settings: Arc::new(Settings::new(work_dir.as_ref())?),
            ray: Arc::new(RayBackend {
                address,
                python: "python".into(),
                num_cpus: 1.0,
                num_gpus: 0.0,
                memory: None,
                runtime_env: None,
            }),
        })
    }

    fn map(&self, f: impl FnOnce(&mut Settings)) -> RayExecutor {
        let mut s = (*self.settings).clone();
        f(&mut s);
        RayExecutor {
            settings: Arc::new(s),
            ray: self.ray.clone(),
        }
    }

    fn map_ray(&self, f: impl FnOnce(&mut RayBackend)) -> RayExecutor {
        let mut r = (*self.ray).clone();
        f(&mut r);
        RayExecutor {
            settings: self.settings.clone(),
            ray: Arc::new(r),
        }
    }

    /// The dashboard url.
    pub fn address(&self) -> &str {
        &self.ray.address
    }

    /// The Python interpreter (with `ray` installed) that runs each job's driver (default
    /// `python`).
    pub fn with_python(&self, python: impl Into<String>) -> Self {
        let p = python.into();
        self.map_ray(|r| r.python = p)
    }

    /// CPUs per task (Ray `num_cpus`; the worker also uses that many threads). Default 1.
    pub fn with_num_cpus(&self, cpus: f64) -> Self {
        self.map_ray(|r| r.num_cpus = cpus.max(0.0))
    }

    /// GPUs per task (Ray `num_gpus`). Default 0.
    pub fn with_num_gpus(&self, gpus: f64) -> Self {
        self.map_ray(|r| r.num_gpus = gpus.max(0.0))
    }

    /// Memory per task in bytes (Ray `memory`).
    pub fn with_memory(&self, bytes: u64) -> Self {
        self.map_ray(|r| r.memory = Some(bytes))
    }

    /// The job's `runtime_env` (JSON, as in Ray's Jobs API).
    pub fn with_runtime_env(&self, env: serde_json::Value) -> Self {
        self.map_ray(|r| r.runtime_env = Some(env))
    }

    /// Packets per task (at least 1; default 100).
    pub fn with_chunk_size(&self, rows: usize) -> Self {
        self.map(|s| s.chunk_size = rows.max(1))
    }

    /// Most tasks per Ray job (default 1000).
    pub fn with_max_job_tasks(&self, tasks: usize) -> Self {
        self.map(|s| s.max_job_tasks = tasks.max(1))
    }

    /// With this retry policy.
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        self.map(|s| s.retry = retry)
    }

    /// Run this worker binary instead of the current executable.
    pub fn with_worker(&self, worker: impl Into<PathBuf>) -> Self {
        let w = worker.into();
        self.map(|s| s.worker = Some(w))
    }

    /// Poll the task directories at most this far apart (default 500 ms).
    pub fn with_poll_interval(&self, interval: Duration) -> Self {
        self.map(|s| s.poll_interval = interval)
    }

    /// Ask the Jobs API about unfinished jobs at most this often (default 1 s).
    pub fn with_queue_poll_interval(&self, interval: Duration) -> Self {
        self.map(|s| s.queue_poll_interval = interval)
    }

    /// How long a task whose job ended without its status file is waited for (default 10 s).
    pub fn with_lost_grace(&self, grace: Duration) -> Self {
        self.map(|s| s.lost_grace = grace)
    }

    /// Give up (and stop the jobs) after this long.
    pub fn with_max_wait(&self, max_wait: Duration) -> Self {
        self.map(|s| s.max_wait = Some(max_wait))
    }

    /// Watch this cancellation token.
    pub fn with_cancel_token(&self, token: CancelToken) -> Self {
        self.map(|s| s.cancel = token)
    }

    /// The status of a Ray job (`PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `STOPPED`), e.g.
    /// one of [`ClusterRun::job_ids`].
    pub fn job_status(&self, job: &str) -> Result<String> {
        self.ray.job_status(job).map(|(status, _)| status)
    }

    /// Submit without waiting; dropping the run stops its Ray jobs.
    pub fn submit(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<ClusterRun> {
        ClusterRun::start(self.settings.clone(), self.ray.clone(), function, input)
    }

    fn apply(&self, o: &ExecutorOptions) -> Result<RayExecutor> {
        let known: Vec<&str> = COMMON_OPTIONS.iter().chain(RAY_OPTIONS).copied().collect();
        o.check_known(RAY_EXECUTOR_TYPE_ID, &known)?;
        let mut s = (*self.settings).clone();
        apply_common(&mut s, o)?;
        s.max_job_tasks = crate::options::positive(o, "max_job_tasks")?.unwrap_or(s.max_job_tasks);
        let mut r = (*self.ray).clone();
        if let Some(a) = o.get("address") {
            check_address(a)?;
            r.address = a.to_string();
        }
        if let Some(p) = o.get("python") {
            r.python = p.to_string();
        }
        r.num_cpus = o.parse("num_cpus")?.unwrap_or(r.num_cpus);
        r.num_gpus = o.parse("num_gpus")?.unwrap_or(r.num_gpus);
        r.memory = o.parse("memory")?.or(r.memory);
        Ok(RayExecutor {
            settings: Arc::new(s),
            ray: Arc::new(r),
        })
    }
}

impl DynExecutor for RayExecutor {
    fn executor_type_id(&self) -> &str {
        RAY_EXECUTOR_TYPE_ID
    }

    fn supports_concurrent_execution(&self) -> bool {
        true
    }

    fn preferred_min_batch_rows(&self) -> usize {
        self.settings.min_batch_rows
    }

    fn execution_data(&self) -> ExecutionData {
        let mut d = ExecutionData::new(RAY_EXECUTOR_TYPE_ID)
            .with("address", &self.ray.address)
            .with("chunk_size", self.settings.chunk_size)
            .with("num_cpus", self.ray.num_cpus)
            .with("num_gpus", self.ray.num_gpus);
        if let Some(m) = self.ray.memory {
            d = d.with("memory", m);
        }
        d
    }

    fn execute(
        &self,
        function: &dyn PacketFunction,
        input: &InputBatch,
    ) -> orcapod_executor::Result<BatchOutput> {
        crate::run::execute_blocking(self.submit(function, input), RAY_EXECUTOR_TYPE_ID)
    }

    /// Submits at once (writing the task files and calling the scheduler), then waits on a
    /// helper thread; dropping the future cancels the jobs.
    fn execute_async<'a>(
        &'a self,
        function: &'a dyn PacketFunction,
        input: &'a InputBatch,
    ) -> BoxFuture<'a, orcapod_executor::Result<BatchOutput>> {
        crate::run::execute_future(self.submit(function, input), RAY_EXECUTOR_TYPE_ID)
    }

    fn with_options(&self, options: &ExecutorOptions) -> orcapod_executor::Result<Self> {
        self.apply(options)
            .map_err(|e| e.into_executor_error(RAY_EXECUTOR_TYPE_ID))
    }

    fn with_options_dyn(
        &self,
        options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl Executor<BlockingKind> for RayExecutor {}
impl Executor<CommandKind> for RayExecutor {}
impl Executor<AsyncKind> for RayExecutor {}
impl Executor<AnyKind> for RayExecutor {}
