//! One submitted batch: job arrays in flight, polling, retries, cancellation on drop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use orcapod_executor::{BatchOutput, CapturedOutput, FailureKind, FunctionInfo, InputBatch, PacketFunction, RowFailure};

use crate::assemble::Results;
use crate::cli::{self, JobDetail, QueueState};
use crate::config::TaskFailureKind;
use crate::error::{Result, SlurmError};
use crate::executor::Settings;
use crate::ipc::read_output;
use crate::submit::{default_job_name, submit_array, take_rows, worker_path, write_task};
use crate::task::{OUTPUT_FILE, STDERR_FILE, STDOUT_FILE, TaskSpec, TaskStatus, read_tail};
use crate::worker::worker_task_from_args;

/// Timings and counts of a run (for monitoring and benchmarks).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RunStats {
    /// Job arrays submitted (retries included).
    pub arrays: usize,
    /// Array tasks submitted (retries included).
    pub tasks: usize,
    /// Tasks resubmitted after a failure.
    pub retried_tasks: usize,
    /// Time spent writing task inputs and calling `sbatch`.
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
    /// Array tasks still queued or running.
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

/// A batch submitted to Slurm: poll it, wait for it, or drop it to `scancel` its jobs.
///
/// Created by [`SlurmExecutor::submit`](crate::SlurmExecutor::submit).
#[derive(Debug)]
pub struct SlurmRun {
    settings: Arc<Settings>,
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
    stats: RunStats,
}

impl SlurmRun {
    pub(crate) fn start(
        settings: Arc<Settings>,
        function: &dyn PacketFunction,
        input: &InputBatch,
    ) -> Result<SlurmRun> {
        if let Some(task) = worker_task_from_args() {
            return Err(SlurmError::RecursiveWorker {
                task: task.display().to_string(),
            });
        }
        let dir = settings
            .work_dir
            .join(format!("run-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| SlurmError::io("cannot create run directory", &dir, e))?;
        let mut command = function.portable_spec();
        if let Some(serde_json::Value::Object(spec)) = &mut command
            && spec.get("output_root").is_none_or(serde_json::Value::is_null)
        {
            // Per-packet output directories must be visible to the submitter.
            let root = settings.work_dir.join("command-outputs");
            spec.insert("output_root".into(), root.to_string_lossy().into_owned().into());
        }
        let now = Instant::now();
        let mut run = SlurmRun {
            worker: worker_path(&settings)?,
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

    /// Ids of every job array submitted so far.
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
        let threads = self.settings.resources.cpus_per_task.unwrap_or(1) as usize;
        for batch in groups.chunks(self.settings.max_array_size.max(1)) {
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
            let id = submit_array(&self.settings, &self.worker, &job_dir, batch.len(), &self.job_name)?;
            self.jobs.push(id);
            self.active.extend(tasks);
            self.stats.arrays += 1;
            self.stats.tasks += batch.len();
        }
        self.stats.submit_time += t0.elapsed();
        Ok(())
    }

    /// Look at the task directories (and, at most every `queue_poll_interval`, at `squeue`),
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
        if !self.active.is_empty() && self.last_queue_poll.elapsed() >= self.settings.queue_poll_interval {
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
    fn collect(&mut self, task: &Task, status: &TaskStatus, retries: &mut Vec<(Vec<usize>, u32)>) -> Result<()> {
        self.stats.worker_time += Duration::from_millis(status.elapsed_ms);
        if !status.ok {
            self.keep_dir = true;
            return Err(SlurmError::TaskFailed {
                job: self.jobs[task.job].clone(),
                task: task.index,
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

    /// Ask `squeue` about unfinished tasks; those that left the queue without results fail
    /// (after a grace period when Slurm says they completed, or forgot them).
    fn check_queue(&mut self, retries: &mut Vec<(Vec<usize>, u32)>) -> Result<()> {
        let mut jobs: Vec<String> = self.active.iter().map(|t| self.jobs[t.job].clone()).collect();
        jobs.dedup();
        let states = cli::squeue(&jobs)?;
        let mut failed: Vec<(Task, QueueState)> = Vec::new();
        let mut finished = Vec::new();
        let mut i = 0;
        while i < self.active.len() {
            let task = &mut self.active[i];
            let state = states.get(&(self.jobs[task.job].clone(), task.index));
            if state.is_some_and(QueueState::is_active) {
                task.gone_since = None;
                i += 1;
                continue;
            }
            if let Some(status) = TaskStatus::read(&task.dir)? {
                finished.push((self.active.swap_remove(i), status));
                continue;
            }
            let state = state.cloned().unwrap_or(QueueState {
                state: String::new(),
                reason: String::new(),
            });
            if state.state.is_empty() || state.state == "COMPLETED" {
                let since = *task.gone_since.get_or_insert_with(Instant::now);
                if since.elapsed() < self.settings.lost_grace {
                    i += 1;
                    continue;
                }
            }
            failed.push((self.active.swap_remove(i), state));
        }
        for (task, status) in finished {
            self.collect(&task, &status, retries)?;
        }
        let mut details: HashMap<usize, HashMap<usize, JobDetail>> = HashMap::new();
        for (task, state) in failed {
            let detail = details
                .entry(task.job)
                .or_insert_with(|| cli::scontrol_details(&self.jobs[task.job]).unwrap_or_default())
                .get(&task.index)
                .cloned()
                .unwrap_or_default();
            let kind = TaskFailureKind::from_state(&state.state);
            if self.settings.retry.retries(kind, task.attempt) {
                retries.push((task.rows, task.attempt + 1));
            } else {
                let failure = self.task_failure(&task, kind, &state, &detail);
                self.results.record_task_failure(&task.rows, &failure);
            }
        }
        Ok(())
    }

    fn task_failure(&self, task: &Task, kind: TaskFailureKind, state: &QueueState, detail: &JobDetail) -> RowFailure {
        let stderr = read_tail(&task.dir.join(STDERR_FILE), 64 * 1024);
        let stdout = read_tail(&task.dir.join(STDOUT_FILE), 16 * 1024);
        let what = if state.state.is_empty() {
            "left the queue".to_string()
        } else {
            let reason = if state.reason.is_empty() || state.reason == "None" { &detail.reason } else { &state.reason };
            let mut s = format!("ended in state {}", state.state);
            if !reason.is_empty() && reason != "None" {
                s.push_str(&format!(" ({reason})"));
            }
            if let Some(c) = detail.exit_code.filter(|c| *c != 0) {
                s.push_str(&format!(", exit code {c}"));
            }
            if let Some(sig) = detail.signal {
                s.push_str(&format!(", signal {sig}"));
            }
            s
        };
        let last = stderr.trim_end().lines().last().map(|l| format!(": {l}")).unwrap_or_default();
        RowFailure {
            row: 0,
            kind: FailureKind::Executor,
            message: format!(
                "slurm task {}_{} ({kind}; {} packets, attempt {} of {}) {what} without results{last}",
                self.jobs[task.job],
                task.index,
                task.rows.len(),
                task.attempt,
                self.settings.retry.max_attempts,
            ),
            captured: Some(CapturedOutput {
                stdout,
                stderr,
                exit_status: detail.exit_code.filter(|_| detail.signal.is_none()),
            }),
        }
    }

    /// Wait until every packet has a result and return the output in input order.
    pub fn wait(self) -> Result<BatchOutput> {
        self.wait_with_stats().map(|(out, _)| out)
    }

    /// [`wait`](Self::wait), also returning the run's [`RunStats`].
    pub fn wait_with_stats(mut self) -> Result<(BatchOutput, RunStats)> {
        let mut sleep = Duration::from_millis(20);
        while !self.poll()? {
            std::thread::sleep(sleep.min(self.settings.poll_interval));
            sleep = sleep.mul_f64(1.5);
        }
        let results = std::mem::take(&mut self.results);
        Ok((results.finish(&self.info)?, self.stats.clone()))
    }

    /// `scancel` every job with unfinished tasks now; returns their ids.
    pub fn cancel(mut self) -> Result<Vec<String>> {
        let jobs = self.active_jobs();
        self.finished = true;
        cli::scancel(&jobs)?;
        Ok(jobs)
    }

    fn active_jobs(&self) -> Vec<String> {
        let mut jobs: Vec<String> = self.active.iter().map(|t| self.jobs[t.job].clone()).collect();
        jobs.dedup();
        jobs
    }

    fn cancel_jobs(&mut self) -> Vec<String> {
        let jobs = self.active_jobs();
        let _ = cli::scancel(&jobs);
        self.active.clear();
        self.finished = true;
        jobs
    }
}

impl Drop for SlurmRun {
    fn drop(&mut self) {
        if !self.finished {
            let _ = cli::scancel(&self.active_jobs());
        }
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
