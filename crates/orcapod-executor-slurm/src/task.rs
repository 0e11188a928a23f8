//! The task-directory protocol between the submitting process and a worker.
//!
//! A task directory holds:
//!
//! | file | written by | content |
//! |---|---|---|
//! | `task.json` | submitter | [`TaskSpec`]: function uri, command spec, row count, attempt |
//! | `input.arrow` | submitter | the chunk's input packets (Arrow IPC file; one column per present input field) |
//! | `output.arrow` | worker | output columns plus per-packet status and captured output (Arrow IPC file) |
//! | `status.json` | worker, **last** (atomic rename) | [`TaskStatus`]: success or the task-level error |
//! | `stdout.log`, `stderr.log` | the scheduler | the worker's stdout and stderr |
//!
//! The submitter treats a task as finished when `status.json` exists.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, SlurmError};

/// The task description file.
pub const TASK_FILE: &str = "task.json";
/// The input packets file.
pub const INPUT_FILE: &str = "input.arrow";
/// The output packets file.
pub const OUTPUT_FILE: &str = "output.arrow";
/// The status file (its presence marks the task as finished).
pub const STATUS_FILE: &str = "status.json";
/// The worker's standard output, as captured by the scheduler.
pub const STDOUT_FILE: &str = "stdout.log";
/// The worker's standard error, as captured by the scheduler.
pub const STDERR_FILE: &str = "stderr.log";
/// Format tag of [`TaskSpec`].
pub const TASK_FORMAT: &str = "orcapod.worker_task.v1";

/// What a worker must run: written to `task.json`.
///
/// ```
/// use orcapod_executor_slurm::task::{TaskSpec, TASK_FORMAT};
/// let spec = TaskSpec::new("f:h:v0:rust.function.v0", "f", None, 10, 1);
/// assert_eq!(spec.format, TASK_FORMAT);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Always [`TASK_FORMAT`].
    pub format: String,
    /// The function's uri (registry key; checked against a rebuilt command function).
    pub uri: String,
    /// The function's canonical name (for messages).
    pub function: String,
    /// For command functions: their spec (`CommandPacketFunction::to_spec`); the worker
    /// rebuilds the function from it instead of looking it up.
    pub command: Option<serde_json::Value>,
    /// Number of input packets.
    pub rows: usize,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Threads the worker may use for the chunk (the task's CPUs); rows are split over a
    /// thread pool when more than one.
    #[serde(default = "one")]
    pub threads: usize,
}

fn one() -> usize {
    1
}

impl TaskSpec {
    /// A spec in the current format.
    pub fn new(
        uri: impl Into<String>,
        function: impl Into<String>,
        command: Option<serde_json::Value>,
        rows: usize,
        attempt: u32,
    ) -> Self {
        TaskSpec {
            format: TASK_FORMAT.to_string(),
            uri: uri.into(),
            function: function.into(),
            command,
            rows,
            attempt,
            threads: 1,
        }
    }

    /// The same spec with `threads` worker threads (at least 1).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Read `task.json` from a task directory, checking the format.
    pub fn read(dir: &Path) -> Result<TaskSpec> {
        let spec: TaskSpec = read_json(&dir.join(TASK_FILE))?;
        if spec.format != TASK_FORMAT {
            return Err(SlurmError::invalid_task(
                dir,
                format!("format '{}', expected '{TASK_FORMAT}'", spec.format),
            ));
        }
        Ok(spec)
    }

    /// Write `task.json` into a task directory.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(TASK_FILE), self)
    }
}

/// How a task ended, from the worker's point of view: written to `status.json` last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// Did the worker write `output.arrow` for every packet? (Per-packet failures are in the
    /// output; `false` means the whole task failed, see `error`.)
    pub ok: bool,
    /// Rows in `output.arrow`.
    pub rows: usize,
    /// The task-level error, when `ok` is false.
    pub error: Option<String>,
    /// Host the worker ran on.
    pub host: Option<String>,
    /// Time spent running the function, in milliseconds.
    pub elapsed_ms: u64,
}

impl TaskStatus {
    /// Read `status.json` from a task directory; `None` while it does not exist.
    pub fn read(dir: &Path) -> Result<Option<TaskStatus>> {
        let path = dir.join(STATUS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SlurmError::json(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SlurmError::io("cannot read task status", path, e)),
        }
    }

    /// Write `status.json` atomically (temporary file, then rename).
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(STATUS_FILE), self)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes =
        std::fs::read(path).map_err(|e| SlurmError::io("cannot read", path.to_path_buf(), e))?;
    serde_json::from_slice(&bytes).map_err(|e| SlurmError::json(path, e))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| SlurmError::json(path, e))?;
    write_atomic(path, &bytes)
}

/// Write a file through a temporary sibling and a rename, so readers never see half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| SlurmError::io("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| SlurmError::io("cannot rename into place", path, e))
}

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// The last `max` bytes of a text file (lossy UTF-8), or `""` when it cannot be read.
pub(crate) fn read_tail(path: &Path, max: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        format!("[... {start} earlier bytes omitted ...]\n{text}")
    } else {
        text
    }
}
