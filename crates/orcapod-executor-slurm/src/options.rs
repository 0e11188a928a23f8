//! `with_options`: string options, as pipelines pass them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use orcapod_executor::ExecutorOptions;

use crate::error::{Result, SlurmError};
use crate::executor::{SLURM_EXECUTOR_TYPE_ID, SLURM_OPTIONS, SlurmExecutor};
use crate::settings::{Settings, absolute};

/// Options every cluster executor accepts.
pub(crate) const COMMON_OPTIONS: &[&str] = &[
    "chunk_size",
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

/// A positive integer option.
pub(crate) fn positive(o: &ExecutorOptions, key: &str) -> Result<Option<usize>> {
    match o.parse::<usize>(key)? {
        Some(0) => Err(SlurmError::InvalidOption {
            option: key.into(),
            reason: "must be at least 1".into(),
        }),
        other => Ok(other),
    }
}

/// Apply the [`COMMON_OPTIONS`] present in `o` to `s`.
pub(crate) fn apply_common(s: &mut Settings, o: &ExecutorOptions) -> Result<()> {
    s.chunk_size = positive(o, "chunk_size")?.unwrap_or(s.chunk_size);
    s.min_batch_rows = positive(o, "min_batch_rows")?.unwrap_or(s.min_batch_rows);
    if let Some(n) = positive(o, "max_attempts")? {
        s.retry.max_attempts = u32::try_from(n).unwrap_or(u32::MAX);
    }
    s.retry.retry_packet_failures = o
        .parse("retry_packet_failures")?
        .unwrap_or(s.retry.retry_packet_failures);
    if let Some(w) = o.get("worker") {
        s.worker = Some(PathBuf::from(w));
    }
    if let Some(d) = o.get("work_dir") {
        s.work_dir = absolute(Path::new(d))?;
    }
    let ms = |k: &str| o.parse::<u64>(k).map(|v| v.map(Duration::from_millis));
    s.poll_interval = ms("poll_interval_ms")?.unwrap_or(s.poll_interval);
    s.queue_poll_interval = ms("queue_poll_interval_ms")?.unwrap_or(s.queue_poll_interval);
    if let Some(secs) = o.parse::<f64>("max_wait_s")? {
        s.max_wait =
            Some(
                Duration::try_from_secs_f64(secs).map_err(|e| SlurmError::InvalidOption {
                    option: "max_wait_s".into(),
                    reason: e.to_string(),
                })?,
            );
    }
    s.keep_files = o.parse("keep_files")?.unwrap_or(s.keep_files);
    if let Some(n) = o.get("job_name") {
        s.job_name = Some(n.to_string());
    }
    Ok(())
}

impl SlurmExecutor {
    pub(crate) fn apply(&self, o: &ExecutorOptions) -> Result<SlurmExecutor> {
        o.check_known(SLURM_EXECUTOR_TYPE_ID, SLURM_OPTIONS)?;
        let mut s = (*self.settings).clone();
        apply_common(&mut s, o)?;
        s.max_job_tasks = positive(o, "max_array_size")?.unwrap_or(s.max_job_tasks);
        let mut b = (*self.slurm).clone();
        let text = |k: &str| o.get(k).map(str::to_string);
        let r = &mut b.resources;
        r.partition = text("partition").or(r.partition.take());
        r.cpus_per_task = o.parse::<u32>("cpus")?.or(r.cpus_per_task);
        r.mem = text("mem").or(r.mem.take());
        r.gpus = text("gpus").or(r.gpus.take());
        r.time = text("time").or(r.time.take());
        r.account = text("account").or(r.account.take());
        r.qos = text("qos").or(r.qos.take());
        if let Some(a) = o.get("sbatch_args") {
            r.extra_args = a.split_whitespace().map(str::to_string).collect();
        }
        b.max_parallel = positive(o, "max_parallel")?.or(b.max_parallel);
        Ok(SlurmExecutor {
            settings: Arc::new(s),
            slurm: Arc::new(b),
        })
    }
}
