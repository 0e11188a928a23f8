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
    /// A pipeline file is unreadable or has problems (each listed with `file:line:column`).
    #[error(transparent)]
    PipelineFile(#[from] crate::pipeline_file::PipelineFileError),
    /// A run failed (fail-fast policy); the text is the summary table and the failure.
    #[error("run failed:\n{0}")]
    RunFailed(String),
}

impl CliError {
    /// The process exit status for this error: 1 for a failed run, 2 for everything else
    /// (bad arguments, invalid files, unreadable stores).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::RunFailed(_) => 1,
            _ => 2,
        }
    }
}

/// Usage text.
pub const USAGE: &str = "usage:
  orcapod run FILE [--store DIR]        run a pipeline file (TOML; or a saved PIPELINE.json whose
                                        functions are all commands); prints computed / cached /
                                        failed per node (--store: use this RocksDB store)
  orcapod plan FILE [--store DIR]       what a run would compute and what is cached (runs nothing)
  orcapod show FILE NODE [--out OUT] [--limit N] [--all-columns] [--store DIR]
                                        a node's rows as a table, or written to OUT (.csv,
                                        .parquet, .arrow)
  orcapod check FILE                    validate a pipeline file (every problem, with line:column)
  orcapod export PIPELINE.json [--out FILE.toml]
                                        a saved pipeline as a pipeline file
  orcapod hash FILE [--schema]          print the starfix hash of an Arrow IPC, Parquet or CSV
                                        file (--schema: the schema hash instead)
  orcapod tables STORE                  list the tables of a RocksDB store directory
  orcapod records STORE TABLE [--limit N]
                                        print a table's records (TABLE: path joined by '/')
  orcapod status STORE PIPELINE.json NODE [--run RUN_ID]
                                        status rows of a node of a saved pipeline
  orcapod logs STORE PIPELINE.json NODE [--run RUN_ID]
                                        captured logs of a node's failed packets
  orcapod graph FILE [--svg]            render a pipeline file or saved PIPELINE.json as Graphviz
                                        DOT (or SVG via dot)
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
        Some("run") => crate::inspect::pipeline_command("run", &args[1..]),
        Some("plan") => crate::inspect::pipeline_command("plan", &args[1..]),
        Some("check") => crate::inspect::pipeline_command("check", &args[1..]),
        Some("show") => crate::inspect::show(&args[1..]),
        Some("export") => crate::inspect::export(&args[1..]),
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
