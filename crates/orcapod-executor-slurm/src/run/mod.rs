//! One submitted batch: jobs in flight, polling, retries, cancellation on drop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use orcapod_executor::{BatchOutput, FunctionInfo, InputBatch, PacketFunction};

use crate::assemble::Results;
use crate::backend::Backend;
use crate::config::CancelToken;
use crate::error::{Result, SlurmError};
use crate::ipc::read_output;
use crate::settings::Settings;
use crate::submit::{default_job_name, take_rows, worker_path, write_task};
use crate::task::{OUTPUT_FILE, TaskSpec, TaskStatus};
use crate::worker::worker_task_from_args;

mod queue;

/// Timings and counts of a run (for monitoring and benchmarks).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RunStats {
    /// Jobs submitted (Slurm job arrays or Ray jobs; retries included).
    pub jobs: usize,
    /// Tasks submitted, one per chunk (retries included).
    pub tasks: usize,
    /// Tasks resubmitted after a failure.
    pub retried_tasks: usize,
    /// Time spent writing task inputs and submitting jobs.
    pub submit_time: Duration,
    /// Sum of the workers' own time running the function.
    pub worker_time: Duration,
    /// From the start of submission to the last result.
    pub elapsed: Duration,
}

/// Progress of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Input packets.
    pub rows: usize,
    /// Packets with a final result (value, drop or failure).
    pub rows_done: usize,
    /// Tasks still queued or running.
    pub active_tasks: usize,
}

#[derive(Debug)]
struct Task {
    job: usize,
    index: usize,
    rows: Vec<usize>,
    attempt: u32,
    dir: PathBuf,
    gone_since: Option<Instant>,
}

/// `DynExecutor::execute` of a cluster executor: wait for a submitted run, errors typed as the
/// executor `executor`'s.
pub(crate) fn execute_blocking(
    submitted: Result<ClusterRun>,
    executor: &str,
) -> orcapod_executor::Result<BatchOutput> {
    submitted
        .and_then(ClusterRun::wait)
        .map_err(|e| e.into_executor_error(executor))
}

/// `DynExecutor::execute_async` of a cluster executor: the run was submitted already (task
/// files written, scheduler called); the future waits on a helper thread and dropping it
/// cancels the jobs.
pub(crate) fn execute_future(
    submitted: Result<ClusterRun>,
    executor: &'static str,
) -> BoxFuture<'static, orcapod_executor::Result<BatchOutput>> {
    match submitted {
        Ok(run) => Box::pin(async move {
            run.into_future()
                .await
                .map_err(|e| e.into_executor_error(executor))
        }),
        Err(e) => Box::pin(futures::future::ready(Err(e.into_executor_error(executor)))),
    }
}

/// A batch submitted to a cluster: poll it, wait for it, or drop it to cancel its jobs
/// (`scancel` on Slurm).
///
/// Created by [`SlurmExecutor::submit`](crate::SlurmExecutor::submit).
#[derive(Debug)]
pub struct ClusterRun {
    settings: Arc<Settings>,
    backend: Arc<dyn Backend>,
    info: FunctionInfo,
    command: Option<serde_json::Value>,
    input: InputBatch,
    dir: PathBuf,
    worker: PathBuf,
    job_name: String,
    results: Results,
    jobs: Vec<String>,
    active: Vec<Task>,
    started: Instant,
    last_queue_poll: Instant,
    finished: bool,
    keep_dir: bool,
    queue_errors: u32,
    stats: RunStats,
}

/// Consecutive failed scheduler queries (`squeue`) after which a run fails.
const MAX_QUEUE_ERRORS: u32 = 10;

impl ClusterRun {
    pub(crate) fn start(
        settings: Arc<Settings>,
        backend: Arc<dyn Backend>,
        function: &dyn PacketFunction,
        input: &InputBatch,
    ) -> Result<ClusterRun> {
        if let Some(task) = worker_task_from_args() {
            return Err(SlurmError::RecursiveWorker {
                task: task.display().to_string(),
            });
        }
        let worker = worker_path(&settings)?;
        let dir = settings
            .work_dir
            .join(format!("run-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| SlurmError::io("cannot create run directory", &dir, e))?;
        let mut command = function.portable_spec();
        if let Some(serde_json::Value::Object(spec)) = &mut command
            && spec
                .get("output_root")
                .is_none_or(serde_json::Value::is_null)
        {
            // Per-packet output directories must be visible to the submitter.
            let root = settings.work_dir.join("command-outputs");
            spec.insert(
                "output_root".into(),
                root.to_string_lossy().into_owned().into(),
            );
        }
        let now = Instant::now();
        let mut run = ClusterRun {
            backend,
            worker,
            job_name: settings
                .job_name
                .clone()
                .unwrap_or_else(|| default_job_name(function.canonical_name())),
            info: function.info().clone(),
            command,
            input: input.clone(),
            results: Results::new(input.num_rows()),
            jobs: Vec::new(),
            active: Vec::new(),
            started: now,
            last_queue_poll: now,
            finished: false,
            keep_dir: settings.keep_files,
            queue_errors: 0,
            stats: RunStats::default(),
            dir,
            settings,
        };
        let chunk = run.settings.chunk_size.max(1);
        let groups = (0..input.num_rows())
            .step_by(chunk)
            .map(|start| ((start..(start + chunk).min(input.num_rows())).collect(), 1))
            .collect();
        run.submit_groups(groups)?;
        Ok(run)
    }

    /// The run's directory (`<work_dir>/run-<id>`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Ids of every job submitted so far (Slurm: job array ids).
    pub fn job_ids(&self) -> &[String] {
        &self.jobs
    }

    /// Counts and timings so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// How far the run is.
    pub fn progress(&self) -> Progress {
        Progress {
            rows: self.input.num_rows(),
            rows_done: self.results.done(),
            active_tasks: self.active.len(),
        }
    }

    fn submit_groups(&mut self, groups: Vec<(Vec<usize>, u32)>) -> Result<()> {
        let t0 = Instant::now();
        let threads = self.backend.threads();
        for batch in groups.chunks(self.settings.max_job_tasks.max(1)) {
            let job = self.jobs.len();
            let job_dir = self.dir.join(format!("job_{job}"));
            let mut tasks = Vec::with_capacity(batch.len());
            for (index, (rows, attempt)) in batch.iter().enumerate() {
                let dir = job_dir.join(format!("task_{index}"));
                let spec = TaskSpec::new(
                    self.info.uri().to_string(),
                    self.info.name(),
                    self.command.clone(),
                    rows.len(),
                    *attempt,
                )
                .with_threads(threads);
                write_task(&dir, &self.info, &spec, &take_rows(&self.input, rows)?)?;
                tasks.push(Task {
                    job,
                    index,
                    rows: rows.clone(),
                    attempt: *attempt,
                    dir,
                    gone_since: None,
                });
            }
            let id = self.backend.submit(
                &self.settings,
                &self.worker,
                &job_dir,
                batch.len(),
                &self.job_name,
            )?;
            self.jobs.push(id);
            self.active.extend(tasks);
            self.stats.jobs += 1;
            self.stats.tasks += batch.len();
        }
        self.stats.submit_time += t0.elapsed();
        Ok(())
    }

    /// Look at the task directories (and, at most every `queue_poll_interval`, at the
    /// scheduler's queue),
    /// collect finished chunks and resubmit failed ones. `Ok(true)` once every packet has a
    /// result.
    pub fn poll(&mut self) -> Result<bool> {
        if self.finished {
            return Ok(true);
        }
        if self.settings.cancel.is_cancelled() {
            return Err(SlurmError::Cancelled {
                jobs: self.cancel_jobs(),
            });
        }
        if let Some(max) = self.settings.max_wait
            && self.started.elapsed() > max
        {
            return Err(SlurmError::Timeout {
                waited: self.started.elapsed(),
                jobs: self.cancel_jobs(),
            });
        }
        let mut retries = Vec::new();
        let mut finished = Vec::new();
        let mut i = 0;
        while i < self.active.len() {
            match TaskStatus::read(&self.active[i].dir)? {
                Some(status) => finished.push((self.active.swap_remove(i), status)),
                None => i += 1,
            }
        }
        for (task, status) in finished {
            self.collect(&task, &status, &mut retries)?;
        }
        if !self.active.is_empty()
            && self.last_queue_poll.elapsed() >= self.settings.queue_poll_interval
        {
            self.last_queue_poll = Instant::now();
            self.check_queue(&mut retries)?;
        }
        if !retries.is_empty() {
            self.stats.retried_tasks += retries.len();
            self.submit_groups(retries)?;
        }
        if self.active.is_empty() {
            self.finished = true;
            self.stats.elapsed = self.started.elapsed();
        }
        Ok(self.finished)
    }

    /// Record a task that wrote its status file.
    fn collect(
        &mut self,
        task: &Task,
        status: &TaskStatus,
        retries: &mut Vec<(Vec<usize>, u32)>,
    ) -> Result<()> {
        self.stats.worker_time += Duration::from_millis(status.elapsed_ms);
        if !status.ok {
            self.keep_dir = true;
            return Err(SlurmError::TaskFailed {
                task: self.backend.task_name(&self.jobs[task.job], task.index),
                dir: task.dir.clone(),
                message: status.error.clone().unwrap_or_default(),
            });
        }
        let output = read_output(&task.dir.join(OUTPUT_FILE), &self.info, task.rows.len())?;
        let retry_failed = self.settings.retry.retries_packets(task.attempt);
        let again = self.results.record_output(&task.rows, output, retry_failed);
        if !again.is_empty() {
            retries.push((again, task.attempt + 1));
        }
        Ok(())
    }

    /// Wait until every packet has a result and return the output in input order.
    pub fn wait(self) -> Result<BatchOutput> {
        self.wait_with_stats().map(|(out, _)| out)
    }

    /// [`wait`](Self::wait), also returning the run's [`RunStats`].
    pub fn wait_with_stats(self) -> Result<(BatchOutput, RunStats)> {
        self.wait_watching(None)
    }

    /// Wait on a helper thread: the future resolves with the output, and dropping it before
    /// then cancels the run's jobs. For async callers that must not block.
    pub fn into_future(self) -> BoxFuture<'static, Result<BatchOutput>> {
        let abandoned = CancelToken::new();
        let guard = CancelOnDrop(abandoned.clone());
        let (tx, rx) = futures::channel::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("orcapod-cluster-wait".into())
            .spawn(move || {
                let _ = tx.send(self.wait_watching(Some(&abandoned)).map(|(out, _)| out));
            });
        Box::pin(async move {
            let _guard = guard;
            spawned.map_err(|e| SlurmError::io("cannot start a thread to wait for", "jobs", e))?;
            rx.await
                .unwrap_or_else(|_| Err(SlurmError::Cancelled { jobs: Vec::new() }))
        })
    }

    fn wait_watching(mut self, stop: Option<&CancelToken>) -> Result<(BatchOutput, RunStats)> {
        let max = self.settings.poll_interval;
        let mut sleep = Duration::from_millis(20).min(max);
        while !self.poll()? {
            if stop.is_some_and(CancelToken::is_cancelled) {
                return Err(SlurmError::Cancelled {
                    jobs: self.cancel_jobs(),
                });
            }
            std::thread::sleep(sleep);
            sleep = (sleep * 3 / 2).min(max);
        }
        let results = std::mem::take(&mut self.results);
        Ok((results.finish(&self.info)?, self.stats.clone()))
    }

    /// Cancel every job with unfinished tasks now; returns their ids.
    pub fn cancel(mut self) -> Result<Vec<String>> {
        let jobs = self.active_jobs();
        self.finished = true;
        self.backend.cancel(&jobs)?;
        Ok(jobs)
    }

    fn active_jobs(&self) -> Vec<String> {
        let mut jobs: Vec<String> = self
            .active
            .iter()
            .map(|t| self.jobs[t.job].clone())
            .collect();
        jobs.sort();
        jobs.dedup();
        jobs
    }

    fn cancel_jobs(&mut self) -> Vec<String> {
        let jobs = self.active_jobs();
        let _ = self.backend.cancel(&jobs);
        self.active.clear();
        self.finished = true;
        jobs
    }
}

/// Cancels a token when dropped (a dropped future abandons its run).
struct CancelOnDrop(CancelToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl Drop for ClusterRun {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.backend.cancel(&self.active_jobs());
        }
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
