//! The Ray scheduler behind [`RayExecutor`](super::RayExecutor): one Ray job per batch of
//! tasks, submitted through the Jobs REST API; its driver fans the tasks out as Ray tasks.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value as J, json};

use super::http;
use crate::backend::{Backend, TaskRef, TaskState};
use crate::config::TaskFailureKind;
use crate::error::{Result, SlurmError};
use crate::settings::Settings;

/// The driver script run as each Ray job's entrypoint.
const DRIVER: &str = include_str!("driver.py");
/// Exit code file the driver writes after each worker.
const EXIT_FILE: &str = "ray.exit";
const TIMEOUT: Duration = Duration::from_secs(30);

/// Ray-specific configuration.
#[derive(Clone, Debug)]
pub(crate) struct RayBackend {
    /// Dashboard url, e.g. `http://127.0.0.1:8265`.
    pub address: String,
    /// Python interpreter (with `ray` installed) that runs the driver.
    pub python: String,
    pub num_cpus: f64,
    pub num_gpus: f64,
    /// Memory per task, bytes.
    pub memory: Option<u64>,
    pub runtime_env: Option<J>,
}

impl RayBackend {
    fn call(&self, method: &str, path: &str, body: Option<&J>) -> Result<J> {
        let text = body.map(J::to_string);
        let response = http::request(&self.address, method, path, text.as_deref(), TIMEOUT)?;
        let request = format!("{method} {}{path}", self.address);
        if !(200..300).contains(&response.status) {
            return Err(SlurmError::Http {
                request,
                reason: format!("status {}: {}", response.status, response.body.trim()),
            });
        }
        serde_json::from_str(&response.body).map_err(|e| SlurmError::UnexpectedOutput {
            command: request,
            output: format!("{e}: {}", response.body),
        })
    }

    /// The job's status and message; for failed jobs the message ends with the last line of
    /// the driver's log (e.g. a Python traceback).
    pub(crate) fn job_status(&self, job: &str) -> Result<(String, String)> {
        let info = self.call("GET", &format!("/api/jobs/{job}"), None)?;
        let field = |k: &str| {
            info.get(k)
                .and_then(J::as_str)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let (status, mut message) = (field("status"), field("message"));
        if status == "FAILED"
            && let Ok(logs) = self.call("GET", &format!("/api/jobs/{job}/logs"), None)
            && let Some(last) = logs
                .get("logs")
                .and_then(J::as_str)
                .and_then(|l| l.lines().rev().find(|l| !l.trim().is_empty()))
        {
            message = format!("{message}; driver log: {}", last.trim());
        }
        Ok((status, message))
    }
}

fn is_terminal(status: &str) -> bool {
    matches!(status, "SUCCEEDED" | "FAILED" | "STOPPED")
}

impl Backend for RayBackend {
    fn task_name(&self, job: &str, index: usize) -> String {
        format!("ray job {job} task {index}")
    }

    fn threads(&self) -> usize {
        (self.num_cpus.ceil() as usize).max(1)
    }

    fn submit(
        &self,
        _settings: &Settings,
        worker: &Path,
        job_dir: &Path,
        tasks: usize,
        job_name: &str,
    ) -> Result<String> {
        let driver = job_dir.join("driver.py");
        std::fs::write(&driver, DRIVER)
            .map_err(|e| SlurmError::io("cannot write the Ray driver", &driver, e))?;
        let spec_path = job_dir.join("ray_tasks.json");
        let spec = json!({
            "worker": worker.to_string_lossy(),
            "job_dir": job_dir.to_string_lossy(),
            "tasks": tasks,
            "num_cpus": self.num_cpus,
            "num_gpus": self.num_gpus,
            "memory": self.memory,
        });
        std::fs::write(&spec_path, spec.to_string())
            .map_err(|e| SlurmError::io("cannot write the Ray task list", &spec_path, e))?;
        let quote = |p: &Path| crate::submit::shell_quote(&p.to_string_lossy());
        let mut body = json!({
            "entrypoint": format!(
                "{} {} {}",
                crate::submit::shell_quote(&self.python),
                quote(&driver),
                quote(&spec_path)
            ),
            "metadata": {"orcapod_job_name": job_name},
        });
        if let Some(env) = &self.runtime_env {
            body["runtime_env"] = env.clone();
        }
        let reply = self.call("POST", "/api/jobs/", Some(&body))?;
        reply
            .get("submission_id")
            .or_else(|| reply.get("job_id"))
            .and_then(J::as_str)
            .map(str::to_string)
            .ok_or_else(|| SlurmError::UnexpectedOutput {
                command: format!("POST {}/api/jobs/", self.address),
                output: reply.to_string(),
            })
    }

    fn states(&self, tasks: &[TaskRef<'_>]) -> Result<Vec<TaskState>> {
        let mut jobs: HashMap<&str, (String, String)> = HashMap::new();
        let mut states = Vec::with_capacity(tasks.len());
        for t in tasks {
            // A worker that exited without writing its status failed, whatever the job does.
            if let Ok(code) = std::fs::read_to_string(t.dir.join(EXIT_FILE)) {
                let code = code.trim().parse::<i32>().ok();
                let (kind, description) = match code {
                    Some(0) => (TaskFailureKind::Lost, "exited with status 0".to_string()),
                    Some(c) if c < 0 => (
                        TaskFailureKind::Failed,
                        format!("was killed by signal {}", -c),
                    ),
                    Some(c) => (TaskFailureKind::Failed, format!("exited with status {c}")),
                    None => (TaskFailureKind::Failed, "exited".to_string()),
                };
                states.push(TaskState::Ended {
                    kind,
                    description,
                    exit_code: code.filter(|c| *c >= 0),
                    uncertain: code == Some(0),
                });
                continue;
            }
            if !jobs.contains_key(t.job) {
                jobs.insert(t.job, self.job_status(t.job)?);
            }
            let (status, message) = &jobs[t.job];
            if !is_terminal(status) {
                states.push(TaskState::Active);
                continue;
            }
            let kind = match status.as_str() {
                "STOPPED" => TaskFailureKind::Cancelled,
                "FAILED" => TaskFailureKind::Failed,
                _ => TaskFailureKind::Lost,
            };
            let mut description = format!("ended with its Ray job in state {status}");
            if !message.is_empty() {
                description.push_str(&format!(" ({})", message.trim()));
            }
            states.push(TaskState::Ended {
                kind,
                description,
                exit_code: None,
                uncertain: status == "SUCCEEDED",
            });
        }
        Ok(states)
    }

    fn cancel(&self, jobs: &[String]) -> Result<()> {
        let mut first_error = None;
        for job in jobs {
            if let Err(e) = self.call("POST", &format!("/api/jobs/{job}/stop"), None) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
