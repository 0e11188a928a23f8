//! The one error type of `orcapod-cache`.

use std::fmt;
use std::path::PathBuf;

use arrow_schema::ArrowError;

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a table path was rejected (see [`TablePath`](crate::TablePath)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// The path has no components.
    Empty,
    /// Component `index` is the empty string.
    EmptyComponent {
        /// Position of the offending component.
        index: usize,
    },
    /// Component `index` contains `/`.
    ContainsSlash {
        /// Position of the offending component.
        index: usize,
    },
    /// Component `index` contains a NUL character.
    ContainsNul {
        /// Position of the offending component.
        index: usize,
    },
    /// The path has more than `max` components.
    TooDeep {
        /// Number of components given.
        depth: usize,
        /// The maximum depth ([`MAX_PATH_DEPTH`](crate::MAX_PATH_DEPTH)).
        max: usize,
    },
    /// (RocksDB format 2) another table's path has the same 8-byte key token.
    TokenCollision {
        /// The path already owning the token.
        other: String,
    },
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathProblem::Empty => write!(f, "the path is empty"),
            PathProblem::EmptyComponent { index } => write!(f, "component {index} is empty"),
            PathProblem::ContainsSlash { index } => write!(f, "component {index} contains '/'"),
            PathProblem::ContainsNul { index } => write!(f, "component {index} contains NUL"),
            PathProblem::TooDeep { depth, max } => {
                write!(f, "{depth} components exceed the maximum depth {max}")
            }
            PathProblem::TokenCollision { other } => write!(
                f,
                "its RocksDB key token collides with the existing table '{other}' (rename one)"
            ),
        }
    }
}

/// Errors raised by stores.
///
/// Every fault leaves the store consistent: a write that fails writes nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A table path failed validation.
    #[error("invalid table path {path:?}: {problem}")]
    InvalidPath {
        /// The rejected components.
        path: Vec<String>,
        /// What is wrong with them.
        problem: PathProblem,
    },
    /// Records handed to a store are malformed (null or missing ids, reserved column, ...).
    #[error("invalid records: {reason}")]
    InvalidRecords {
        /// What is wrong.
        reason: String,
    },
    /// With [`OnDuplicate::Error`](crate::OnDuplicate::Error): some ids already exist.
    /// Nothing of the transaction was written.
    #[error("{count} record id(s) already exist in table '{path}' (first: {})", show_id(.ids.first()))]
    DuplicateRecords {
        /// The table.
        path: String,
        /// How many ids of the batch already exist.
        count: usize,
        /// The first (up to 10) existing ids.
        ids: Vec<Vec<u8>>,
    },
    /// A batch's schema differs from the table's stored schema.
    #[error(
        "schema mismatch in table '{path}' for column(s) {columns:?}: expected [{expected}], found [{found}]"
    )]
    SchemaMismatch {
        /// The table.
        path: String,
        /// Names of the differing columns.
        columns: Vec<String>,
        /// The table's definition of those columns (`name: type`, or `(absent)`).
        expected: String,
        /// The batch's definition of those columns.
        found: String,
    },
    /// A column named in a lookup does not exist in the table.
    #[error("column '{column}' does not exist in table '{path}'")]
    UnknownColumn {
        /// The table.
        path: String,
        /// The missing column.
        column: String,
    },
    /// A secondary index cannot be created or maintained, or a lookup value cannot be compared.
    #[error("index/lookup on column '{column}' of table '{path}': {reason}")]
    Index {
        /// The table.
        path: String,
        /// The column.
        column: String,
        /// Why.
        reason: String,
    },
    /// The store directory is locked by another process (or another handle in this process).
    #[error("store at {} is locked by another process or handle: {detail}", .path.display())]
    Locked {
        /// The store directory.
        path: PathBuf,
        /// The backend's message.
        detail: String,
    },
    /// The store directory or a stored value is corrupted.
    #[error("store at {} is corrupted: {detail}", .path.display())]
    Corrupt {
        /// The store directory.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// The store was written by a newer (or unknown) on-disk format.
    #[error(
        "store at {} has on-disk format version {found}; this build supports up to {supported}",
        .path.display()
    )]
    UnsupportedFormatVersion {
        /// Version found on disk.
        found: u64,
        /// Newest version this build reads.
        supported: u64,
        /// The store directory.
        path: PathBuf,
    },
    /// The directory exists but is not an orcapod store.
    #[error("{} is not an orcapod store: {detail}", .path.display())]
    NotAStore {
        /// The directory.
        path: PathBuf,
        /// Why it was refused.
        detail: String,
    },
    /// The device holding the store is full; the failed write was not applied.
    #[error("no space left for store at {}: {detail}", .path.display())]
    DiskFull {
        /// The store directory.
        path: PathBuf,
        /// The backend's message.
        detail: String,
    },
    /// Any other I/O or backend failure.
    #[error("I/O error on store at {}: {detail}", .path.display())]
    Io {
        /// The store directory (or file).
        path: PathBuf,
        /// The underlying message.
        detail: String,
    },
    /// A cache hit whose stored result no longer matches what the function (or pod) now
    /// declares, e.g. an output column changed type without a version bump. Nothing is
    /// served from such a table; bump the function's major version (a new table) or remove it.
    #[error("stale cached result in table '{path}', column '{column}': {detail}")]
    StaleResult {
        /// The table.
        path: String,
        /// The offending column.
        column: String,
        /// What differs.
        detail: String,
    },
    /// Computing a missing result failed as a whole (not one packet: those are reported per
    /// packet).
    #[error("computing cache misses failed: {0}")]
    Compute(#[from] orcapod_executor::ExecutorError),
    /// Building cache keys or streams failed.
    #[error(transparent)]
    Datagram(#[from] orcapod_datagram::DatagramError),
    /// Hashing a cache key failed.
    #[error(transparent)]
    Hash(#[from] orcapod_hash::HashError),
    /// An Arrow operation failed (encoding, concatenation, ...).
    #[error("arrow error while {context}: {source}")]
    Arrow {
        /// What was being done.
        context: String,
        /// The Arrow error.
        #[source]
        source: ArrowError,
    },
}

impl StoreError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        StoreError::InvalidRecords {
            reason: reason.into(),
        }
    }

    pub(crate) fn arrow(context: impl Into<String>) -> impl FnOnce(ArrowError) -> Self {
        let context = context.into();
        move |source| StoreError::Arrow { context, source }
    }
}

/// Shows an id as UTF-8 when printable, as hex otherwise.
pub(crate) fn show_id(id: Option<&Vec<u8>>) -> String {
    match id {
        None => "-".to_string(),
        Some(id) => match std::str::from_utf8(id) {
            Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
            _ => {
                let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                format!("0x{hex}")
            }
        },
    }
}
