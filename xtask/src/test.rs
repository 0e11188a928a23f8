//! `cargo xtask test`: the project's full test command (what `.ci/run` runs).
//!
//! Steps, in order, each stopping the run on failure:
//! 1. `cargo fmt --all --check`
//! 2. `cargo clippy --workspace --all-targets -- -D warnings`
//! 3. `cargo test --workspace` (unit, integration and doc tests of every crate, xtask included;
//!    the layering check runs as `xtask/tests/deps.rs`)
//! 4. `cargo xtask deps` (the layering table, printed)
//! 5. `cargo xtask bench --quick --runs 1 --warmup 0` (a smoke run; asserts no timings)
//!
//! `--no-bench` skips step 5.

use std::path::Path;
use std::process::Command;

use crate::{Result, XtaskError, cargo_command, display_command};

/// Run the full test command from the workspace `root`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut bench = true;
    for a in args {
        match a.as_str() {
            "--no-bench" => bench = false,
            other => {
                return Err(XtaskError::Usage(format!(
                    "cargo xtask test: unknown option `{other}` (known: --no-bench)"
                )));
            }
        }
    }
    let steps: Vec<(&str, Vec<&str>)> = vec![
        ("format", vec!["fmt", "--all", "--check"]),
        (
            "clippy",
            vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("tests", vec!["test", "--workspace"]),
        (
            "layering",
            vec!["run", "--quiet", "--package", "xtask", "--", "deps"],
        ),
    ];
    for (name, step) in &steps {
        step_run(root, name, step)?;
    }
    if bench {
        step_run(
            root,
            "bench smoke",
            &[
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--",
                "bench",
                "--quick",
                "--runs",
                "1",
                "--warmup",
                "0",
            ],
        )?;
    }
    println!("== xtask test: all steps passed");
    Ok(())
}

fn step_run(root: &Path, name: &str, args: &[&str]) -> Result<()> {
    let mut command: Command = cargo_command();
    command.current_dir(root).args(args);
    println!("== xtask test: {name}: {}", display_command(&command));
    let status = command.status().map_err(|source| XtaskError::Spawn {
        command: display_command(&command),
        source,
    })?;
    if !status.success() {
        return Err(XtaskError::CommandFailed {
            command: display_command(&command),
            status: status.to_string(),
            detail: String::new(),
        });
    }
    Ok(())
}
