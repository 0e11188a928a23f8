//! Settings shared by the cluster executors (everything but the scheduler's own resources).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{CancelToken, RetryPolicy};
use crate::error::{Result, SlurmError};

#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub work_dir: PathBuf,
    pub worker: Option<PathBuf>,
    pub chunk_size: usize,
    /// Most tasks per submitted job (Slurm: array size).
    pub max_job_tasks: usize,
    pub retry: RetryPolicy,
    pub poll_interval: Duration,
    pub queue_poll_interval: Duration,
    pub lost_grace: Duration,
    pub max_wait: Option<Duration>,
    pub keep_files: bool,
    pub job_name: Option<String>,
    pub cancel: CancelToken,
    pub min_batch_rows: usize,
}

impl Settings {
    pub fn new(work_dir: &Path) -> Result<Settings> {
        Ok(Settings {
            work_dir: absolute(work_dir)?,
            worker: None,
            chunk_size: 100,
            max_job_tasks: 1000,
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_millis(500),
            queue_poll_interval: Duration::from_millis(1000),
            lost_grace: Duration::from_secs(10),
            max_wait: None,
            keep_files: false,
            job_name: None,
            cancel: CancelToken::new(),
            min_batch_rows: usize::MAX,
        })
    }
}

pub(crate) fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p)
        .map_err(|e| SlurmError::io("cannot make the work directory absolute", p, e))
}
