//! The one error type of `orcapod-datagram`.

use std::path::PathBuf;

/// Errors raised while building or reading schemas, datagrams, streams and sources.
///
/// Each variant names the offending column, row, file or option.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatagramError {
    /// A requested tag column is not present in the input.
    #[error("tag column '{column}' not found in {context} (available columns: {available})")]
    MissingTagColumn {
        /// The missing column.
        column: String,
        /// Where it was looked for (a source name, a file path, ...).
        context: String,
        /// Comma-separated list of the columns that exist.
        available: String,
    },
    /// A named column does not exist.
    #[error("column '{column}' not found in {context}")]
    MissingColumn {
        /// The missing column.
        column: String,
        /// Where it was looked for.
        context: String,
    },
    /// The same column name appears twice.
    #[error("duplicate column '{column}' in {context}")]
    DuplicateColumn {
        /// The duplicated name.
        column: String,
        /// Where the duplicate was found.
        context: String,
    },
    /// A user column uses a prefix that orcapod reserves for hidden columns.
    #[error(
        "column '{column}' in {context} uses the reserved prefix '{prefix}' (orcapod reserves names starting with '_' for system columns); rename it"
    )]
    ReservedColumnName {
        /// The offending column.
        column: String,
        /// The reserved prefix it starts with.
        prefix: String,
        /// Where it was found.
        context: String,
    },
    /// An Arrow type orcapod cannot represent.
    #[error("column '{column}' has unsupported type {data_type}")]
    UnsupportedType {
        /// The offending column.
        column: String,
        /// Rendering of the Arrow type.
        data_type: String,
    },
    /// A stream needs at least one packet column.
    #[error("no packet columns in {context}: every column is a tag column")]
    NoPacketColumns {
        /// Where it happened.
        context: String,
    },
    /// A value does not fit the declared type of its column.
    #[error("row {row}, column '{column}': expected {expected}, found {found}")]
    TypeMismatch {
        /// The offending column.
        column: String,
        /// Zero-based row index.
        row: usize,
        /// Expected type.
        expected: String,
        /// What was found instead.
        found: String,
    },
    /// A null in a column declared non-nullable.
    #[error("row {row}, column '{column}': null value in a non-nullable column")]
    UnexpectedNull {
        /// The offending column.
        column: String,
        /// Zero-based row index.
        row: usize,
    },
    /// Rows given to a row builder do not all have the same columns.
    #[error("row {row} has columns {found} but the first row has {expected}")]
    RaggedRows {
        /// Zero-based row index.
        row: usize,
        /// Columns of the first row.
        expected: String,
        /// Columns of this row.
        found: String,
    },
    /// A source was given no rows and no schema, so its columns cannot be known.
    #[error("{context}: no rows and no schema given, so the columns cannot be inferred")]
    EmptyInput {
        /// Where it happened.
        context: String,
    },
    /// A file could not be read.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is not valid for its format.
    #[error("malformed {format} file '{path}': {reason}")]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// Format name (CSV, Parquet, Arrow IPC).
        format: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// The file extension does not name a supported format.
    #[error(
        "cannot tell the format of '{path}': expected .csv, .parquet/.pq, .arrow/.feather/.ipc or .arrows"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// Two streams or batches that must share a schema do not.
    #[error("schema mismatch in {context}: {detail}")]
    SchemaMismatch {
        /// Where it happened.
        context: String,
        /// What differs.
        detail: String,
    },
    /// An invalid option value.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option name.
        option: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] orcapod_hash::HashError),
    /// An Arrow kernel failed.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Shorthand for results in this crate.
pub type Result<T, E = DatagramError> = std::result::Result<T, E>;
