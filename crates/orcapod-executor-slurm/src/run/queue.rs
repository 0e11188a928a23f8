//! Asking the scheduler about tasks that ended without results.

use std::time::Instant;

use orcapod_executor::{CapturedOutput, FailureKind, RowFailure};

use super::{ClusterRun, MAX_QUEUE_ERRORS, Task};
use crate::backend::{TaskRef, TaskState};
use crate::config::TaskFailureKind;
use crate::error::Result;
use crate::task::{STDERR_FILE, STDOUT_FILE, TaskStatus, read_tail};

impl ClusterRun {
    /// Ask the scheduler about unfinished tasks; those that ended without results fail (after
    /// a grace period when they may have succeeded, or the scheduler forgot them).
    pub(super) fn check_queue(&mut self, retries: &mut Vec<(Vec<usize>, u32)>) -> Result<()> {
        let refs: Vec<TaskRef<'_>> = self
            .active
            .iter()
            .map(|t| TaskRef {
                job: &self.jobs[t.job],
                index: t.index,
                dir: &t.dir,
            })
            .collect();
        // A busy controller may time out now and then: the status files still work, so only
        // give up after many failed queries in a row.
        let states = match self.backend.states(&refs) {
            Ok(states) if states.len() == self.active.len() => {
                self.queue_errors = 0;
                states
            }
            Ok(_) => return Ok(()),
            Err(e) => {
                self.queue_errors += 1;
                return if self.queue_errors >= MAX_QUEUE_ERRORS {
                    Err(e)
                } else {
                    Ok(())
                };
            }
        };
        let mut failed: Vec<(Task, TaskFailureKind, String, Option<i32>)> = Vec::new();
        let mut finished = Vec::new();
        // Walk backwards so that swap_remove keeps `states[i]` aligned with `active[i]`.
        for i in (0..self.active.len()).rev() {
            let task = &mut self.active[i];
            let TaskState::Ended {
                kind,
                description,
                exit_code,
                uncertain,
            } = &states[i]
            else {
                task.gone_since = None;
                continue;
            };
            if let Some(status) = TaskStatus::read(&task.dir)? {
                finished.push((self.active.swap_remove(i), status));
                continue;
            }
            if *uncertain {
                let since = *task.gone_since.get_or_insert_with(Instant::now);
                if since.elapsed() < self.settings.lost_grace {
                    continue;
                }
            }
            let task = self.active.swap_remove(i);
            failed.push((task, *kind, description.clone(), *exit_code));
        }
        for (task, status) in finished {
            self.collect(&task, &status, retries)?;
        }
        for (task, kind, description, exit_code) in failed {
            if self.settings.retry.retries(kind, task.attempt) {
                retries.push((task.rows, task.attempt + 1));
            } else {
                let failure = self.task_failure(&task, kind, &description, exit_code);
                self.results.record_task_failure(&task.rows, &failure);
            }
        }
        Ok(())
    }

    fn task_failure(
        &self,
        task: &Task,
        kind: TaskFailureKind,
        description: &str,
        exit_code: Option<i32>,
    ) -> RowFailure {
        let stderr = read_tail(&task.dir.join(STDERR_FILE), 64 * 1024);
        let stdout = read_tail(&task.dir.join(STDOUT_FILE), 16 * 1024);
        let last = stderr
            .trim_end()
            .lines()
            .last()
            .map(|l| format!(": {l}"))
            .unwrap_or_default();
        RowFailure {
            row: 0,
            kind: FailureKind::Executor,
            message: format!(
                "{} ({kind}; {} packets, attempt {} of {}) {description} without results{last}",
                self.backend.task_name(&self.jobs[task.job], task.index),
                task.rows.len(),
                task.attempt,
                self.settings.retry.max_attempts,
            ),
            captured: Some(CapturedOutput {
                stdout,
                stderr,
                exit_status: exit_code,
            }),
        }
    }
}
