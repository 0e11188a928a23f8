//! The one error type of the xtask crate.

use std::path::PathBuf;

/// Everything that can make an xtask command fail.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// A bad command line; the message names the offending option or value.
    #[error("{0}")]
    Usage(String),
    /// A child process could not be started.
    #[error("failed to run `{command}`: {source}")]
    Spawn {
        /// The command line, for the message.
        command: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A child process ran but reported failure.
    #[error("`{command}` failed ({status}){detail}")]
    CommandFailed {
        /// The command line, for the message.
        command: String,
        /// Its exit status, rendered.
        status: String,
        /// The tail of its stderr, prefixed with a newline, or empty.
        detail: String,
    },
    /// A child process printed something we could not understand.
    #[error("cannot understand the output of `{command}`: {detail}")]
    BadOutput {
        /// The command line, for the message.
        command: String,
        /// What was wrong.
        detail: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A JSON file did not have the expected shape.
    #[error("{}: {detail}", path.display())]
    BadJson {
        /// The file involved.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// `cargo xtask deps` found layering violations (they were printed already).
    #[error("layering check failed with {0} violation(s)")]
    LayeringViolations(usize),
    /// `--fail-on-regression` was given and some rows regressed (they were printed already).
    #[error("{count} regression(s) against baseline `{baseline}`")]
    Regressions {
        /// How many rows regressed.
        count: usize,
        /// The baseline name.
        baseline: String,
    },
}

/// Result alias for the xtask crate.
pub type Result<T, E = XtaskError> = std::result::Result<T, E>;

impl XtaskError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        XtaskError::Io {
            path: path.into(),
            source,
        }
    }
}
