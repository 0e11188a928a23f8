//! What the generic run loop needs from a scheduler (Slurm, Ray).

use std::fmt;
use std::path::Path;

use crate::config::TaskFailureKind;
use crate::error::Result;
use crate::settings::Settings;

/// A task the scheduler is asked about.
pub(crate) struct TaskRef<'a> {
    pub job: &'a str,
    pub index: usize,
    pub dir: &'a Path,
}

/// What the scheduler says about a task that has not written its status file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Queued or running: it may still write its results.
    Active,
    /// It ended.
    Ended {
        kind: TaskFailureKind,
        /// e.g. `ended in state FAILED (NonZeroExitCode), exit code 42`.
        description: String,
        exit_code: Option<i32>,
        /// It may have succeeded and its files may be late (shared file systems): wait the
        /// lost-task grace period before counting it as failed.
        uncertain: bool,
    },
}

/// A scheduler the run loop submits to.
pub(crate) trait Backend: fmt::Debug + Send + Sync {
    /// How messages name a task, e.g. `slurm task 12_3`.
    fn task_name(&self, job: &str, index: usize) -> String;

    /// Threads a task may use (its CPUs).
    fn threads(&self) -> usize;

    /// Submit tasks `<job_dir>/task_0 .. task_{tasks-1}` as one job; returns the job id.
    fn submit(
        &self,
        settings: &Settings,
        worker: &Path,
        job_dir: &Path,
        tasks: usize,
        job_name: &str,
    ) -> Result<String>;

    /// The state of each task (aligned with `tasks`).
    fn states(&self, tasks: &[TaskRef<'_>]) -> Result<Vec<TaskState>>;

    /// Cancel these jobs (already finished ones are ignored).
    fn cancel(&self, jobs: &[String]) -> Result<()>;
}
