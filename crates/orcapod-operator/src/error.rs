//! The one error type of `orcapod-operator`.

use std::fmt;

/// Which family of columns an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// User tag columns.
    Tag,
    /// Packet (payload) columns.
    Packet,
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Tag => "tag",
            ColumnKind::Packet => "packet",
        })
    }
}

/// Errors raised while validating inputs, predicting schemas or running operators.
///
/// Every variant names the operator, the input and/or the columns involved, so that the message
/// alone says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// The operator was given the wrong number of input streams.
    #[error("{operator} takes {expected} input stream(s), got {got}")]
    WrongInputCount {
        /// Operator identity name.
        operator: &'static str,
        /// Human-readable arity ("exactly 1", "exactly 2", "at least 1").
        expected: &'static str,
        /// Number of inputs given.
        got: usize,
    },
    /// Join inputs share packet column names (use MergeJoin or rename the columns first).
    #[error(
        "Join: packet columns must not overlap, but {} appear in input {left} and input {right}; rename them (MapPackets) or use MergeJoin",
        .columns.join(", ")
    )]
    OverlappingPacketColumns {
        /// The shared packet column names.
        columns: Vec<String>,
        /// Index (as given) of the first input holding them.
        left: usize,
        /// Index (as given) of the second input holding them.
        right: usize,
    },
    /// A tag column shared by two join inputs has different types or nullability.
    #[error("{operator}: tag column '{column}' has incompatible types: {left} vs {right}")]
    IncompatibleTagTypes {
        /// Operator identity name.
        operator: &'static str,
        /// The shared tag column.
        column: String,
        /// Its type in the first input (logical type, `| None` when nullable).
        left: String,
        /// Its type in the other input.
        right: String,
    },
    /// A column shared by the two SemiJoin inputs has different types or nullability.
    #[error(
        "{operator}: column '{column}' has incompatible types: {left} (left) vs {right} (right)"
    )]
    IncompatibleColumnTypes {
        /// Operator identity name.
        operator: &'static str,
        /// The shared column.
        column: String,
        /// Its type in the left input.
        left: String,
        /// Its type in the right input.
        right: String,
    },
    /// MergeJoin: a colliding packet column has different types in the two inputs.
    #[error(
        "MergeJoin: colliding packet column '{column}' has incompatible types: {left} vs {right}; MergeJoin requires identical types"
    )]
    CollidingTypeMismatch {
        /// The colliding column.
        column: String,
        /// Its type in the first input.
        left: String,
        /// Its type in the second input.
        right: String,
    },
    /// A name is a tag column in one join input and a packet column in another.
    #[error("{operator}: column '{column}' is a tag in one input and a packet column in another")]
    TagPacketConflict {
        /// Operator identity name.
        operator: &'static str,
        /// The ambiguous column.
        column: String,
    },
    /// Strict selection or dropping of columns that do not exist.
    #[error(
        "{operator}: missing {kind} columns: {} (available: {}); make sure every listed column exists or use strict = false",
        .columns.join(", "), .available.join(", ")
    )]
    MissingColumns {
        /// Operator identity name.
        operator: &'static str,
        /// Tag or packet columns.
        kind: ColumnKind,
        /// The requested columns that are absent.
        columns: Vec<String>,
        /// The columns of that kind that exist.
        available: Vec<String>,
    },
    /// A rename would produce duplicate or reserved column names.
    #[error("{operator}: renaming would cause collisions: {detail}")]
    RenameCollision {
        /// Operator identity name.
        operator: &'static str,
        /// The colliding target names.
        columns: Vec<String>,
        /// What they collide with.
        detail: String,
    },
    /// The operator would remove every packet column (a stream needs at least one).
    #[error("{operator}: the output would have no packet columns (a stream needs at least one)")]
    NoPacketColumns {
        /// Operator identity name.
        operator: &'static str,
    },
    /// A batch size that is not a non-negative integer.
    #[error("Batch: batch size must be non-negative, got {0}")]
    InvalidBatchSize(i64),
    /// A filter predicate names a column the stream does not have.
    #[error("Filter: unknown column '{column}' (available: {})", .available.join(", "))]
    UnknownColumn {
        /// The unknown column.
        column: String,
        /// Columns that can be filtered on.
        available: Vec<String>,
    },
    /// A filter literal does not match the type of its column, or the comparison is unsupported.
    #[error(
        "Filter: cannot compare column '{column}' of type {column_type} with {literal}: {reason}"
    )]
    FilterTypeMismatch {
        /// The column.
        column: String,
        /// Its logical type.
        column_type: String,
        /// Rendering of the literal.
        literal: String,
        /// Why the comparison is rejected.
        reason: String,
    },
    /// Pick / Index applied to a column of the wrong kind, or with a field that does not exist.
    #[error("{operator}: cannot project column '{column}' of type {column_type}: {reason}")]
    NotProjectable {
        /// Operator identity name.
        operator: &'static str,
        /// The column.
        column: String,
        /// Its logical type.
        column_type: String,
        /// What is wrong.
        reason: String,
    },
    /// Pick / Index with `fail_on_miss`: a row has no such element.
    #[error("{operator}: row {row} of column '{column}' has no element {element}")]
    ProjectionMiss {
        /// Operator identity name.
        operator: &'static str,
        /// The column.
        column: String,
        /// Zero-based row index in the input.
        row: usize,
        /// The missing key or index.
        element: String,
    },
    /// A data-model error (building the output stream, reading types, ...).
    #[error(transparent)]
    Datagram(#[from] orcapod_datagram::DatagramError),
    /// Hashing an identity failed.
    #[error(transparent)]
    Hash(#[from] orcapod_hash::HashError),
    /// An Arrow kernel failed.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Shorthand for results in this crate.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
