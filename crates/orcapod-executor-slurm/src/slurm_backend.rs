//! The Slurm scheduler behind [`SlurmExecutor`](crate::SlurmExecutor): `sbatch` job arrays,
//! `squeue` / `scontrol` states, `scancel`.

use std::collections::HashMap;
use std::path::Path;

use crate::backend::{Backend, TaskRef, TaskState};
use crate::cli::{self, JobDetail, QueueState};
use crate::config::{Resources, TaskFailureKind};
use crate::error::{Result, SlurmError};
use crate::settings::Settings;
use crate::submit::{pattern_escape, shell_quote};
use crate::task::{STDERR_FILE, STDOUT_FILE};
use crate::worker::WORKER_FLAG;

/// Slurm-specific configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlurmBackend {
    pub resources: Resources,
    pub max_parallel: Option<usize>,
    pub prologue: Vec<String>,
}

impl SlurmBackend {
    /// The batch script of a job array whose tasks are `<job_dir>/task_<index>`.
    pub fn batch_script(&self, worker: &Path, job_dir: &Path) -> String {
        let mut s = String::from(
            "#!/bin/sh\n# orcapod worker tasks: one chunk of packets per array task.\n",
        );
        for line in &self.prologue {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(&format!(
            "exec {} {WORKER_FLAG} {}/task_\"${{SLURM_ARRAY_TASK_ID}}\"\n",
            shell_quote(&worker.to_string_lossy()),
            shell_quote(&job_dir.to_string_lossy()),
        ));
        s
    }
}

impl Backend for SlurmBackend {
    fn task_name(&self, job: &str, index: usize) -> String {
        format!("slurm task {job}_{index}")
    }

    fn threads(&self) -> usize {
        self.resources.cpus_per_task.unwrap_or(1).max(1) as usize
    }

    fn submit(
        &self,
        _settings: &Settings,
        worker: &Path,
        job_dir: &Path,
        tasks: usize,
        job_name: &str,
    ) -> Result<String> {
        let script = job_dir.join("job.sh");
        std::fs::write(&script, self.batch_script(worker, job_dir))
            .map_err(|e| SlurmError::io("cannot write batch script", &script, e))?;
        let mut array = format!("--array=0-{}", tasks.saturating_sub(1));
        if let Some(p) = self.max_parallel {
            array.push_str(&format!("%{p}"));
        }
        let pattern = pattern_escape(job_dir);
        let mut args = vec![
            array,
            format!("--job-name={job_name}"),
            format!("--output={pattern}/task_%a/{STDOUT_FILE}"),
            format!("--error={pattern}/task_%a/{STDERR_FILE}"),
        ];
        args.extend(self.resources.sbatch_args());
        args.push(script.to_string_lossy().into_owned());
        cli::sbatch(&args)
    }

    fn states(&self, tasks: &[TaskRef<'_>]) -> Result<Vec<TaskState>> {
        let mut jobs: Vec<String> = tasks.iter().map(|t| t.job.to_string()).collect();
        jobs.sort();
        jobs.dedup();
        let queue = cli::squeue(&jobs)?;
        let mut details: HashMap<&str, HashMap<usize, JobDetail>> = HashMap::new();
        let mut states = Vec::with_capacity(tasks.len());
        for t in tasks {
            let state = queue.get(&(t.job.to_string(), t.index));
            if state.is_some_and(QueueState::is_active) {
                states.push(TaskState::Active);
                continue;
            }
            let Some(state) = state else {
                states.push(TaskState::Ended {
                    kind: TaskFailureKind::Lost,
                    description: "left the queue".into(),
                    exit_code: None,
                    uncertain: true,
                });
                continue;
            };
            let uncertain = state.state == "COMPLETED";
            let detail = if uncertain {
                JobDetail::default()
            } else {
                // A failed `scontrol` (a busy controller) fails this query as a whole: the run
                // loop tolerates that and asks again at the next queue poll, instead of
                // reporting the task's failure without its exit code.
                if !details.contains_key(t.job) {
                    details.insert(t.job, cli::scontrol_details(t.job)?);
                }
                details[t.job].get(&t.index).cloned().unwrap_or_default()
            };
            states.push(TaskState::Ended {
                kind: TaskFailureKind::from_state(&state.state),
                description: describe(state, &detail),
                exit_code: detail.exit_code.filter(|_| detail.signal.is_none()),
                uncertain,
            });
        }
        Ok(states)
    }

    fn cancel(&self, jobs: &[String]) -> Result<()> {
        cli::scancel(jobs)
    }
}

/// `ended in state FAILED (NonZeroExitCode), exit code 42`.
fn describe(state: &QueueState, detail: &JobDetail) -> String {
    let reason = if state.reason.is_empty() || state.reason == "None" {
        &detail.reason
    } else {
        &state.reason
    };
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
}
