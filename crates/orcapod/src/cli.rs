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
    /// A store could not be opened or read.
    #[error(transparent)]
    Store(#[from] orcapod_cache::StoreError),
    /// A pipeline could not be loaded or rendered.
    #[error(transparent)]
    Node(#[from] orcapod_node::NodeError),
}

/// Usage text.
pub const USAGE: &str = "usage:
  orcapod hash FILE [--schema]          print the starfix hash of an Arrow IPC, Parquet or CSV
                                        file (--schema: the schema hash instead)
  orcapod tables STORE                  list the tables of a RocksDB store directory
  orcapod records STORE TABLE [--limit N]
                                        print a table's records (TABLE: path joined by '/')
  orcapod status STORE PIPELINE.json NODE [--run RUN_ID]
                                        status rows of a node of a saved pipeline
  orcapod logs STORE PIPELINE.json NODE [--run RUN_ID]
                                        captured logs of a node's failed packets
  orcapod graph PIPELINE.json [--svg]   render a saved pipeline as Graphviz DOT (or SVG via dot)
  orcapod --help                        this text";

/// Run the tool with `args` (without the program name); returns what to print on success.
pub fn run(args: &[String]) -> Result<String, CliError> {
    match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => Ok(USAGE.to_string()),
        Some("hash") => hash_command(&args[1..]),
        Some("tables") => crate::inspect::tables(&args[1..]),
        Some("records") => crate::inspect::records(&args[1..]),
        Some("status") => crate::inspect::status_or_logs(&args[1..], false),
        Some("logs") => crate::inspect::status_or_logs(&args[1..], true),
        Some("graph") => crate::inspect::graph(&args[1..]),
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
