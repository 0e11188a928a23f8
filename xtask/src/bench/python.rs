//! `--with-python`: runs the Python reference harness (`bench.py`) for matching workloads.
//!
//! The harness lives at `<shared>/anchors/python-orcapod/bench.py`, where `<shared>` is
//! `$ORCAPOD_SHARED_DIR` or `../shared` next to the workspace root. It runs in the virtualenv
//! `<root>/.venv-python-ref`, created only with `--install-python`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::report::{duration, size};
use super::runner::ScenarioInfo;
use super::stats::SummaryRow;
use crate::error::{Result, XtaskError};

/// One `bench.py` result row (the fields we use).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PyResult {
    /// Workload name.
    pub workload: String,
    /// Size.
    pub n: u64,
    /// `ok`, `timeout`, `error` or `skipped`.
    pub status: String,
    /// Seconds of the measured operation, inside the child.
    #[serde(default)]
    pub op_s: Option<f64>,
    /// Peak RSS of the child, MiB.
    #[serde(default)]
    pub peak_rss_mb: Option<f64>,
    /// The result digest some workloads report (`hash_table`: `arrow_v0.1:<hex>`).
    #[serde(default)]
    pub hash: Option<String>,
}

/// A Rust row next to the matching Python row.
#[derive(Clone, Debug, Serialize)]
pub struct PyComparison {
    /// Rust scenario.
    pub scenario: String,
    /// Rust variant doing the same work.
    pub variant: String,
    /// Python workload.
    pub workload: String,
    /// Size.
    pub n: u64,
    /// Python status.
    pub python_status: String,
    /// Python measured-operation seconds.
    pub python_op_s: Option<f64>,
    /// Rust median wall seconds.
    pub rust_wall_s: Option<f64>,
    /// Rust / Python time (below 1: Rust is faster).
    pub ratio: Option<f64>,
    /// Python peak RSS, MiB.
    pub python_rss_mb: Option<f64>,
    /// Rust peak RSS, MiB.
    pub rust_rss_mb: Option<f64>,
    /// Whether Python's result digest equals the Rust check value (when both exist).
    pub same_result: Option<bool>,
}

/// What `--with-python` adds to the report.
#[derive(Clone, Debug, Serialize)]
pub struct PythonReport {
    /// The harness's own JSON outputs.
    pub outputs: Vec<PathBuf>,
    /// Side-by-side rows.
    pub comparisons: Vec<PyComparison>,
}

/// The shared directory: `$ORCAPOD_SHARED_DIR`, else `<root>/../shared`.
pub fn shared_dir(root: &Path) -> PathBuf {
    let dir = match std::env::var_os("ORCAPOD_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join("..").join("shared"),
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Runs the harness for each scenario with a Python counterpart; `None` if it cannot run.
pub fn run(
    root: &Path,
    out_dir: &Path,
    stamp: &str,
    install: bool,
    timeout_s: f64,
    plan: &[(ScenarioInfo, Vec<u64>)],
    rows: &[SummaryRow],
) -> Result<Option<PythonReport>> {
    let harness_dir = shared_dir(root).join("anchors").join("python-orcapod");
    let bench_py = harness_dir.join("bench.py");
    if !bench_py.is_file() {
        eprintln!(
            "--with-python: {} not found (set ORCAPOD_SHARED_DIR); skipping",
            bench_py.display()
        );
        return Ok(None);
    }
    let venv = root.join(".venv-python-ref");
    let python = venv.join("bin").join("python");
    let lock = harness_dir.join("requirements.lock.txt");
    if !python.is_file() {
        if !install {
            eprintln!(
                "--with-python: no virtualenv at {venv}; skipping the Python reference.\n\
                 Create it with `cargo xtask bench --with-python --install-python`, or by hand:\n  \
                 python3 -m venv {venv}\n  {venv}/bin/python -m pip install -r {lock}",
                venv = venv.display(),
                lock = lock.display()
            );
            return Ok(None);
        }
        run_inherited(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        run_inherited(
            Command::new(&python)
                .args(["-m", "pip", "install", "-r"])
                .arg(&lock),
        )?;
    }
    let mut report = PythonReport {
        outputs: Vec::new(),
        comparisons: Vec::new(),
    };
    for (info, sizes) in plan {
        for reference in &info.python {
            let out = out_dir.join(format!("python-{stamp}-{}.json", reference.workload));
            let sizes_arg: Vec<String> = sizes.iter().map(u64::to_string).collect();
            eprintln!(
                "\npython reference: {} (for scenario {})",
                reference.workload, info.name
            );
            run_inherited(
                Command::new(&python)
                    .arg(&bench_py)
                    .args([
                        "--only",
                        &reference.workload,
                        "--sizes",
                        &sizes_arg.join(","),
                    ])
                    .args(["--timeout", &format!("{timeout_s}"), "--out"])
                    .arg(&out)
                    .current_dir(&harness_dir),
            )?;
            let text = std::fs::read_to_string(&out).map_err(|err| XtaskError::io(&out, err))?;
            let parsed: serde_json::Value =
                serde_json::from_str(&text).map_err(|err| XtaskError::BadJson {
                    path: out.clone(),
                    detail: err.to_string(),
                })?;
            let results: Vec<PyResult> = serde_json::from_value(parsed["results"].clone())
                .map_err(|err| XtaskError::BadJson {
                    path: out.clone(),
                    detail: err.to_string(),
                })?;
            for result in results
                .into_iter()
                .filter(|r| r.workload == reference.workload)
            {
                let rust = rows.iter().find(|row| {
                    row.scenario == info.name
                        && row.variant == reference.variant
                        && row.size == result.n
                });
                let rust_wall_s = rust.and_then(|row| row.median_wall_s);
                report.comparisons.push(PyComparison {
                    scenario: info.name.clone(),
                    variant: reference.variant.clone(),
                    workload: result.workload.clone(),
                    n: result.n,
                    python_status: result.status.clone(),
                    python_op_s: result.op_s,
                    rust_wall_s,
                    ratio: rust_wall_s
                        .zip(result.op_s)
                        .filter(|(_, py)| *py > 0.0)
                        .map(|(rs, py)| rs / py),
                    python_rss_mb: result.peak_rss_mb,
                    rust_rss_mb: rust.and_then(|row| row.peak_rss_mb),
                    same_result: same_result(
                        result.hash.as_deref(),
                        rust.and_then(|row| row.check.as_deref()),
                    ),
                });
            }
            report.outputs.push(out);
        }
    }
    Ok(Some(report))
}

/// Compares a Python digest (`method:hex` or `hex`) with a Rust check value.
fn same_result(python: Option<&str>, rust: Option<&str>) -> Option<bool> {
    let python = python?;
    let hex = python.rsplit_once(':').map_or(python, |(_, hex)| hex);
    Some(hex.eq_ignore_ascii_case(rust?))
}

fn run_inherited(command: &mut Command) -> Result<()> {
    let rendered = crate::display_command(command);
    let status = command
        .stdin(Stdio::null())
        .status()
        .map_err(|source| XtaskError::Spawn {
            command: rendered.clone(),
            source,
        })?;
    if !status.success() {
        return Err(XtaskError::CommandFailed {
            command: rendered,
            status: status.to_string(),
            detail: String::new(),
        });
    }
    Ok(())
}

/// The Rust/Python table.
pub fn table(report: &PythonReport) -> String {
    let mut out = format!(
        "{:<16} {:<12} {:<19} {:>6} {:<8} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n",
        "scenario",
        "variant",
        "python",
        "size",
        "py stat",
        "python",
        "rust",
        "rust/py",
        "py MB",
        "rust MB",
        "same result"
    );
    let opt = |value: Option<f64>, render: &dyn Fn(f64) -> String| {
        value.map_or_else(|| "-".to_owned(), render)
    };
    for c in &report.comparisons {
        out.push_str(&format!(
            "{:<16} {:<12} {:<19} {:>6} {:<8} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n",
            c.scenario,
            c.variant,
            c.workload,
            size(c.n),
            c.python_status,
            opt(c.python_op_s, &duration),
            opt(c.rust_wall_s, &duration),
            opt(c.ratio, &|r| format!("{r:.3}")),
            opt(c.python_rss_mb, &|m| format!("{m:.1}")),
            opt(c.rust_rss_mb, &|m| format!("{m:.1}")),
            match c.same_result {
                Some(true) => "yes",
                Some(false) => "NO (digests differ)",
                None => "-",
            },
        ));
    }
    out.push_str(
        "rust/py < 1: Rust is faster. python = bench.py op_s (its own method, e.g. best of 3 for \
         hash_table);\nrust = median wall of the measured operation; same result = Python's digest \
         equals the Rust check value.\n",
    );
    out
}
