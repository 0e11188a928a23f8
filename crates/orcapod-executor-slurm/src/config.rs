//! Resources, retry policy and cancellation: the value types configuring [`SlurmExecutor`].
//!
//! [`SlurmExecutor`]: crate::SlurmExecutor

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What each array task asks Slurm for (`sbatch` options). Unset fields use the cluster's
/// defaults.
///
/// ```
/// use orcapod_executor_slurm::Resources;
/// let r = Resources { partition: Some("short".into()), cpus_per_task: Some(4), ..Default::default() };
/// assert_eq!(r.sbatch_args(), ["--partition=short", "--cpus-per-task=4"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--cpus-per-task`; the worker also runs a chunk's rows on this many threads.
    pub cpus_per_task: Option<u32>,
    /// `--mem`, e.g. `"4G"` (memory per node, i.e. per task here).
    pub mem: Option<String>,
    /// `--gpus`, e.g. `"1"` or `"a100:1"`.
    pub gpus: Option<String>,
    /// `--time`, the time limit per task, e.g. `"00:30:00"` or `"90"` (minutes).
    pub time: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// Further `sbatch` arguments, passed as given (e.g. `["--constraint=avx2"]`).
    pub extra_args: Vec<String>,
}

impl Resources {
    /// The `sbatch` arguments for these resources.
    pub fn sbatch_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut push = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                args.push(format!("--{flag}={v}"));
            }
        };
        push("partition", self.partition.clone());
        push("cpus-per-task", self.cpus_per_task.map(|c| c.to_string()));
        push("mem", self.mem.clone());
        push("gpus", self.gpus.clone());
        push("time", self.time.clone());
        push("account", self.account.clone());
        push("qos", self.qos.clone());
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// Why a cluster task ended without results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskFailureKind {
    /// The task exited with a non-zero status or crashed (`FAILED`), e.g. the worker aborted.
    Failed,
    /// It exceeded its memory limit (`OUT_OF_MEMORY`).
    OutOfMemory,
    /// It exceeded its time limit (`TIMEOUT`, `DEADLINE`).
    Timeout,
    /// It was cancelled by someone else (`CANCELLED`).
    Cancelled,
    /// Its node failed or did not boot (`NODE_FAIL`, `BOOT_FAIL`).
    NodeFailure,
    /// It was preempted (`PREEMPTED`).
    Preempted,
    /// It left the queue without writing its status (e.g. `COMPLETED` with no results, or no
    /// longer known to the controller).
    Lost,
}

impl TaskFailureKind {
    /// The kind for a Slurm job state (`None` for an empty or unknown state: lost).
    ///
    /// ```
    /// use orcapod_executor_slurm::TaskFailureKind;
    /// assert_eq!(TaskFailureKind::from_state("OUT_OF_MEMORY"), TaskFailureKind::OutOfMemory);
    /// assert_eq!(TaskFailureKind::from_state(""), TaskFailureKind::Lost);
    /// ```
    pub fn from_state(state: &str) -> TaskFailureKind {
        match state {
            "FAILED" => TaskFailureKind::Failed,
            "OUT_OF_MEMORY" => TaskFailureKind::OutOfMemory,
            "TIMEOUT" | "DEADLINE" => TaskFailureKind::Timeout,
            "CANCELLED" => TaskFailureKind::Cancelled,
            "NODE_FAIL" | "BOOT_FAIL" => TaskFailureKind::NodeFailure,
            "PREEMPTED" => TaskFailureKind::Preempted,
            _ => TaskFailureKind::Lost,
        }
    }
}

impl fmt::Display for TaskFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskFailureKind::Failed => "failed",
            TaskFailureKind::OutOfMemory => "out of memory",
            TaskFailureKind::Timeout => "timed out",
            TaskFailureKind::Cancelled => "cancelled",
            TaskFailureKind::NodeFailure => "node failure",
            TaskFailureKind::Preempted => "preempted",
            TaskFailureKind::Lost => "lost",
        })
    }
}

/// When to resubmit work that did not produce results.
///
/// Every chunk gets at most `max_attempts` attempts. A task that fails with a kind in
/// `retry_on` is resubmitted (its whole chunk, in a new job array together with the other
/// retries found in the same poll); other task failures become per-packet errors at once.
/// With `retry_packet_failures`, packets whose *function* failed (panic, error, failed
/// command) are resubmitted too. The default is 3 attempts on crashes, node failures,
/// preemption and lost tasks; out-of-memory and time-outs are not retried (the same
/// resources would fail again).
///
/// ```
/// use orcapod_executor_slurm::{RetryPolicy, TaskFailureKind};
/// let p = RetryPolicy::default();
/// assert!(p.retries(TaskFailureKind::Failed, 1) && !p.retries(TaskFailureKind::Failed, 3));
/// assert!(!p.retries(TaskFailureKind::OutOfMemory, 1));
/// assert!(!RetryPolicy::never().retries(TaskFailureKind::Lost, 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per chunk, at least 1.
    pub max_attempts: u32,
    /// Task failures that are retried.
    pub retry_on: Vec<TaskFailureKind>,
    /// Also retry packets whose function failed.
    pub retry_packet_failures: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            retry_on: vec![
                TaskFailureKind::Failed,
                TaskFailureKind::NodeFailure,
                TaskFailureKind::Preempted,
                TaskFailureKind::Lost,
            ],
            retry_packet_failures: false,
        }
    }
}

impl RetryPolicy {
    /// One attempt: nothing is retried.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The default kinds, with `max_attempts` attempts (at least 1).
    pub fn attempts(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            ..RetryPolicy::default()
        }
    }

    /// Is a task failure of `kind` in attempt `attempt` (from 1) retried?
    pub fn retries(&self, kind: TaskFailureKind, attempt: u32) -> bool {
        attempt < self.max_attempts && self.retry_on.contains(&kind)
    }

    /// Is a function failure in attempt `attempt` retried?
    pub fn retries_packets(&self, attempt: u32) -> bool {
        self.retry_packet_failures && attempt < self.max_attempts
    }
}

/// Cancels runs from another thread (e.g. a Ctrl-C handler): every run of an executor holding
/// this token stops at its next poll, `scancel`s its jobs and returns
/// [`SlurmError::Cancelled`](crate::SlurmError::Cancelled).
///
/// ```
/// use orcapod_executor_slurm::CancelToken;
/// let token = CancelToken::new();
/// let clone = token.clone();
/// clone.cancel();
/// assert!(token.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancel every run watching this token (and all later ones).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Has [`cancel`](Self::cancel) been called?
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
