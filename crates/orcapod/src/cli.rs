//! The `orcapod` command-line tool, as a library so that it can be tested in-process.
//!
//! ```
//! let out = orcapod::cli::run(&["--help".to_string()]).unwrap();
//! assert!(out.contains("orcapod hash"));
//! ```

use std::path::Path;

use orcapod_datagram::{DatagramError, read_table};
use orcapod_hash::arrow::{hash_batches, hash_schema};

/// Errors of the command-line tool.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments are wrong; the message says how.
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    /// Reading the input failed.
    #[error(transparent)]
    Data(#[from] DatagramError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] orcapod_hash::HashError),
}

/// Usage text.
pub const USAGE: &str = "usage:
  orcapod hash FILE [--schema]   print the starfix hash of an Arrow IPC, Parquet or CSV file
                                 (--schema: the schema hash instead)
  orcapod --help                 this text";

/// Run the tool with `args` (without the program name); returns what to print on success.
pub fn run(args: &[String]) -> Result<String, CliError> {
    match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => Ok(USAGE.to_string()),
        Some("hash") => hash_command(&args[1..]),
        Some(other) => Err(CliError::Usage(format!("unknown command '{other}'"))),
    }
}

fn hash_command(args: &[String]) -> Result<String, CliError> {
    let mut schema_only = false;
    let mut file = None;
    for a in args {
        match a.as_str() {
            "--schema" => schema_only = true,
            flag if flag.starts_with('-') => {
                return Err(CliError::Usage(format!(
                    "unknown option '{flag}' for 'orcapod hash'"
                )));
            }
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(CliError::Usage(format!("unexpected argument '{extra}'"))),
        }
    }
    let file = file.ok_or_else(|| CliError::Usage("'orcapod hash' needs a FILE".into()))?;
    let (schema, batches) = read_table(Path::new(&file))?;
    let digest = if schema_only {
        hash_schema(&schema, false)?
    } else {
        hash_batches(&schema, batches.iter(), false)?
    };
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}
