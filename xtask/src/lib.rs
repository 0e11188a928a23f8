//! Workspace automation for orcapod-rs, run as `cargo xtask <command>`.
//!
//! * `deps`: the layering check ([`deps`]).
//! * `test`: the full test command run by CI ([`test`]).
//! * `bench`: builds the release scenario runner (`orcapod-bench`) and drives it ([`bench`]).
//!
//! The library half exists so that integration tests (`xtask/tests/deps.rs`) can call the
//! checks directly; `main.rs` only parses the subcommand.

pub mod args;
pub mod bench;
pub mod deps;
pub mod error;
pub mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use error::{Result, XtaskError};

/// The workspace root (the parent of this crate's directory).
///
/// `cargo run` (and so `cargo xtask`) sets `CARGO_MANIFEST_DIR` for the process; it is read at
/// run time first because a binary built from another checkout sharing this target directory
/// would otherwise act on that checkout's sources.
pub fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), Path::to_path_buf)
}

/// The target directory: `$CARGO_TARGET_DIR` (relative to the root if relative) or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A `Command` for the cargo that runs us (`$CARGO`), falling back to `cargo` on `$PATH`.
pub fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Renders a command line for messages.
pub fn display_command(command: &Command) -> String {
    let mut parts = vec![command.get_program().to_string_lossy().into_owned()];
    parts.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    parts.join(" ")
}

/// Runs `command` to completion and returns its stdout; stderr is captured for the error.
pub fn run_capture(command: &mut Command) -> Result<String> {
    let rendered = display_command(command);
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
            detail: tail(&String::from_utf8_lossy(&output.stderr), 20),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| XtaskError::BadOutput {
        command: rendered,
        detail: "stdout is not UTF-8".to_owned(),
    })
}

/// The last `n_lines` lines of `text`, each indented, prefixed with a newline; empty if blank.
pub fn tail(text: &str, n_lines: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let start = lines.len().saturating_sub(n_lines);
    lines[start..]
        .iter()
        .map(|line| format!("\n    {line}"))
        .collect()
}
