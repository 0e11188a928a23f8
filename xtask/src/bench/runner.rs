//! Building the `orcapod-bench` runner and running it as one child process per run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, XtaskError};

/// A scenario as described by `orcapod-bench list`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Scenario name.
    pub name: String,
    /// What it measures.
    pub description: String,
    /// The limit variant.
    pub limit: String,
    /// All variants.
    pub variants: Vec<VariantInfo>,
    /// Default sizes.
    pub default_sizes: Vec<u64>,
    /// `--quick` sizes.
    pub quick_sizes: Vec<u64>,
    /// The matching Python reference workloads (one per variant that has a counterpart).
    #[serde(default)]
    pub python: Vec<PythonRefInfo>,
}

/// A variant as described by `orcapod-bench list`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantInfo {
    /// Variant name.
    pub name: String,
    /// What it does.
    pub description: String,
}

/// The matching Python reference workload of a scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PythonRefInfo {
    /// `bench.py` workload name.
    pub workload: String,
    /// The variant that does the same work.
    pub variant: String,
}

/// What one child run reported (the JSON line of `orcapod-bench run`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChildResult {
    /// Wall seconds of the measured operation (inside the child).
    pub wall_s: f64,
    /// CPU seconds of the measured operation (inside the child, 10 ms resolution).
    pub cpu_s: f64,
    /// Peak RSS of the child in MiB.
    pub peak_rss_mb: f64,
    /// Rows processed.
    pub rows: u64,
    /// Bytes processed.
    pub bytes: u64,
    /// Result digest.
    pub check: String,
    /// Optional remark.
    #[serde(default)]
    pub note: Option<String>,
}

/// One run, as recorded in the JSON report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RawRun {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Size (rows or items).
    pub size: u64,
    /// Whether this was a warm-up run (not used in the summary).
    pub warmup: bool,
    /// `ok`, `skipped`, `timeout` or `error`.
    pub status: String,
    /// Wall seconds of the whole child process, measured by the parent.
    pub process_wall_s: f64,
    /// The child's measurement, when `status` is `ok`.
    pub result: Option<ChildResult>,
    /// Why the run is not `ok`.
    pub message: Option<String>,
}

/// Builds the runner in release mode and returns the path of its executable.
pub fn build(root: &Path) -> Result<PathBuf> {
    let mut command = crate::cargo_command();
    command
        .args([
            "build",
            "--release",
            "-p",
            "orcapod-bench",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stderr(Stdio::inherit());
    let rendered = crate::display_command(&command);
    eprintln!("building: {rendered}");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| XtaskError::Spawn {
            command: rendered.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(XtaskError::CommandFailed {
            command: rendered,
            status: output.status.to_string(),
            detail: String::new(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|msg| {
            msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "orcapod-bench"
        })
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from));
    executable.ok_or_else(|| XtaskError::BadOutput {
        command: rendered,
        detail: "no orcapod-bench executable reported".into(),
    })
}

/// Asks the runner for its scenarios.
pub fn list(runner: &Path) -> Result<Vec<ScenarioInfo>> {
    let stdout = crate::run_capture(Command::new(runner).arg("list"))?;
    serde_json::from_str(&stdout).map_err(|err| XtaskError::BadOutput {
        command: format!("{} list", runner.display()),
        detail: err.to_string(),
    })
}

/// Runs one child (`orcapod-bench run ...`), killing it after `timeout`.
pub fn run_one(
    runner: &Path,
    scenario: &str,
    variant: &str,
    size: u64,
    timeout: Duration,
    warmup: bool,
) -> RawRun {
    let mut record = RawRun {
        scenario: scenario.to_owned(),
        variant: variant.to_owned(),
        size,
        warmup,
        status: "error".to_owned(),
        process_wall_s: 0.0,
        result: None,
        message: None,
    };
    let size_arg = size.to_string();
    let start = Instant::now();
    let spawned = Command::new(runner)
        .args(["run", scenario, "--size", &size_arg, "--variant", variant])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            record.message = Some(format!("cannot start {}: {err}", runner.display()));
            return record;
        }
    };
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let exit = wait_with_timeout(&mut child, timeout);
    record.process_wall_s = start.elapsed().as_secs_f64();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match exit {
        Err(err) => record.message = Some(format!("waiting for the child failed: {err}")),
        Ok(None) => {
            record.status = "timeout".to_owned();
            record.message = Some(format!("killed after {} s", timeout.as_secs_f64()));
        }
        Ok(Some(status)) if !status.success() => {
            record.message = Some(format!("exit {status}:{}", crate::tail(&stderr, 5)));
        }
        Ok(Some(_)) => parse_child_line(&stdout, &mut record),
    }
    record
}

fn parse_child_line(stdout: &str, record: &mut RawRun) {
    let Some(line) = stdout.lines().rev().find(|line| line.starts_with('{')) else {
        record.message = Some("the child printed no JSON line".to_owned());
        return;
    };
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(err) => {
            record.message = Some(format!("bad JSON from the child: {err}"));
            return;
        }
    };
    match value["status"].as_str() {
        Some("ok") => match serde_json::from_value::<ChildResult>(value) {
            Ok(result) => {
                record.status = "ok".to_owned();
                record.result = Some(result);
            }
            Err(err) => record.message = Some(format!("bad JSON from the child: {err}")),
        },
        Some("skipped") => {
            record.status = "skipped".to_owned();
            record.message = value["reason"].as_str().map(str::to_owned);
        }
        _ => record.message = Some(format!("unexpected child status in {line}")),
    }
}

/// Reads a child pipe to the end on a thread, so a chatty child never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            if pipe.read_to_end(&mut bytes).is_ok() {
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        text
    })
}

/// Polls the child until it exits (`Some(status)`) or `timeout` passes (killed, `None`).
fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if start.elapsed() >= timeout {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        // Short polls at first (most runs are short), then back off to leave the CPU to the child.
        let pause = if start.elapsed() < Duration::from_millis(100) {
            2
        } else {
            20
        };
        std::thread::sleep(Duration::from_millis(pause));
    }
}
