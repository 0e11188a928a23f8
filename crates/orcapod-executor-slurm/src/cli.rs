//! Thin wrappers over the Slurm command-line tools (no client library is needed).

use std::collections::HashMap;
use std::process::{Command, Stdio};

use crate::error::{Result, SlurmError};

/// The Slurm state of one array task, as `squeue` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueueState {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `OUT_OF_MEMORY`, ...
    pub state: String,
    /// Slurm's reason code (`None`, `Resources`, `NonZeroExitCode`, ...).
    pub reason: String,
}

impl QueueState {
    /// Is the task still queued or running (so it may still write its results)?
    pub fn is_active(&self) -> bool {
        is_active_state(&self.state)
    }
}

/// Job states in which a task may still run and write its results.
pub(crate) fn is_active_state(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "CONFIGURING"
            | "COMPLETING"
            | "SUSPENDED"
            | "REQUEUED"
            | "REQUEUE_HOLD"
            | "REQUEUE_FED"
            | "RESIZING"
            | "SIGNALING"
            | "STAGE_OUT"
            | "STOPPED"
            | "SPECIAL_EXIT"
    )
}

/// Details of a finished array task from `scontrol show job`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct JobDetail {
    pub state: String,
    pub reason: String,
    /// `ExitCode=<code>:<signal>`.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
}

fn render(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run a Slurm command and return its stdout; a non-zero exit is [`SlurmError::CommandFailed`].
pub(crate) fn run(program: &str, args: &[String]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| SlurmError::Spawn {
            program: program.to_string(),
            source: std::sync::Arc::new(e),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(SlurmError::CommandFailed {
            command: render(program, args),
            status: match output.status.code() {
                Some(c) => format!("exit status {c}"),
                None => "killed by a signal".into(),
            },
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Is this failure of a Slurm command worth retrying (a busy or restarting controller)?
pub(crate) fn is_transient(e: &SlurmError) -> bool {
    match e {
        SlurmError::CommandFailed { stderr, .. } => [
            "temporarily unavailable",
            "Socket timed out",
            "temporarily unable",
            "Unable to contact slurm controller",
            "Transport endpoint is not connected",
        ]
        .iter()
        .any(|m| stderr.contains(m)),
        _ => false,
    }
}

/// `sbatch --parsable ARGS`: the new job id. Transient failures are retried up to 5 times
/// (1, 2, 4, 8 s apart).
pub(crate) fn sbatch(args: &[String]) -> Result<String> {
    let mut full = vec!["--parsable".to_string()];
    full.extend(args.iter().cloned());
    let mut delay = std::time::Duration::from_secs(1);
    let out = loop {
        match run("sbatch", &full) {
            Err(e) if is_transient(&e) && delay.as_secs() <= 8 => {
                std::thread::sleep(delay);
                delay *= 2;
            }
            other => break other?,
        }
    };
    // `--parsable` prints `<jobid>` or `<jobid>;<cluster>`.
    let id = out
        .trim()
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SlurmError::UnexpectedOutput {
            command: render("sbatch", &full),
            output: out,
        });
    }
    Ok(id)
}

/// Per-task states of the given array jobs: `(array job id, task index) → state`. Tasks the
/// controller has forgotten (finished longer than `MinJobAge` ago) are absent.
pub(crate) fn squeue(jobs: &[String]) -> Result<HashMap<(String, usize), QueueState>> {
    let mut states = HashMap::new();
    if jobs.is_empty() {
        return Ok(states);
    }
    let args = [
        "--noheader",
        "--array",
        "--states=all",
        "--jobs",
        &jobs.join(","),
        "--format=%F|%K|%T|%r",
    ]
    .map(str::to_string);
    let out = match run("squeue", &args) {
        Ok(out) => out,
        // squeue fails when none of the ids is known any more: all are finished.
        Err(SlurmError::CommandFailed { stderr, .. }) if stderr.contains("Invalid job id") => {
            return Ok(states);
        }
        Err(e) => return Err(e),
    };
    for line in out.lines() {
        let parts: Vec<&str> = line.trim().split('|').collect();
        if let [job, task, state, reason] = parts.as_slice()
            && let Ok(task) = task.parse::<usize>()
        {
            states.insert(
                (job.to_string(), task),
                QueueState {
                    state: state.to_string(),
                    reason: reason.to_string(),
                },
            );
        }
    }
    Ok(states)
}

/// `scancel` the given jobs (errors about already finished jobs are ignored).
pub(crate) fn scancel(jobs: &[String]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    match run("scancel", jobs) {
        Err(SlurmError::CommandFailed { stderr, .. }) if stderr.contains("Invalid job id") => {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

/// Details of every task of an array job still known to the controller, by task index (none
/// when the controller has forgotten the job).
pub(crate) fn scontrol_details(job: &str) -> Result<HashMap<usize, JobDetail>> {
    match run(
        "scontrol",
        &["show", "job", "--oneliner", job].map(str::to_string),
    ) {
        Ok(out) => Ok(parse_scontrol(&out)),
        Err(SlurmError::CommandFailed { stderr, .. }) if stderr.contains("Invalid job id") => {
            Ok(HashMap::new())
        }
        Err(e) => Err(e),
    }
}

pub(crate) fn parse_scontrol(out: &str) -> HashMap<usize, JobDetail> {
    let mut details = HashMap::new();
    for line in out.lines() {
        let mut task = None;
        let mut d = JobDetail::default();
        for token in line.split_whitespace() {
            let Some((key, value)) = token.split_once('=') else {
                continue;
            };
            match key {
                "ArrayTaskId" => task = value.parse::<usize>().ok(),
                "JobState" => d.state = value.to_string(),
                "Reason" => d.reason = value.to_string(),
                "ExitCode" => {
                    let (code, signal) = value.split_once(':').unwrap_or((value, ""));
                    d.exit_code = code.parse().ok();
                    d.signal = signal.parse().ok().filter(|s| *s != 0);
                }
                _ => {}
            }
        }
        if let Some(t) = task {
            details.insert(t, d);
        }
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scontrol_lines() {
        let out = "JobId=5 ArrayJobId=2 ArrayTaskId=2 JobName=x JobState=FAILED \
                   Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:01\n\
                   JobId=2 ArrayJobId=2 ArrayTaskId=4-9 JobState=PENDING Reason=None ExitCode=0:0\n\
                   JobId=7 ArrayJobId=2 ArrayTaskId=3 JobState=CANCELLED Reason=None ExitCode=0:15\n";
        let d = parse_scontrol(out);
        assert_eq!(d.len(), 2);
        assert_eq!(d[&2].state, "FAILED");
        assert_eq!((d[&2].exit_code, d[&2].signal), (Some(3), None));
        assert_eq!(d[&3].signal, Some(15));
    }

    #[test]
    fn active_states() {
        assert!(is_active_state("PENDING") && is_active_state("COMPLETING"));
        assert!(!is_active_state("COMPLETED") && !is_active_state("OUT_OF_MEMORY"));
    }
}
