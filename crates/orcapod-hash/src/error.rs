//! The one error type of `orcapod-hash`.

use std::path::PathBuf;

/// Everything that can go wrong while computing or parsing an identity.
///
/// Every variant names the offending thing (column path, data type, file or string) so that the
/// message alone is enough to find the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// An Arrow type that the starfix layout cannot hash (Null, Interval, views, unions, ...).
    #[error("unsupported Arrow type {data_type} at column path '{path}'")]
    UnsupportedType {
        /// Column path in starfix notation (`parent/child`, `list/` for list elements).
        path: String,
        /// Rendering of the offending Arrow type.
        data_type: String,
    },
    /// A record batch fed to a digester whose schema differs from the digester's schema.
    #[error(
        "record batch schema does not match the digester schema: expected {expected}, found {found}"
    )]
    SchemaMismatch {
        /// Canonical schema JSON the digester was created with.
        expected: String,
        /// Canonical schema JSON of the offending batch.
        found: String,
    },
    /// A string that should have been a rendered [`crate::ContentHash`] could not be parsed.
    #[error("cannot parse content hash from '{input}': {reason}")]
    InvalidHashString {
        /// The rejected input.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A value that the semantic hasher cannot represent canonically (for example NaN).
    #[error("cannot hash value canonically: {0}")]
    NonCanonicalValue(String),
    /// Reading a file for content hashing failed.
    #[error("cannot hash file '{path}': {source}")]
    Io {
        /// The file being hashed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A path given for content hashing is not a regular file.
    #[error("cannot hash '{path}': not a regular file")]
    NotAFile {
        /// The offending path.
        path: PathBuf,
    },
    /// A data-context key or version that no registered context matches.
    #[error("unknown data context '{0}' (known: std:v0.1:default)")]
    UnknownContext(String),
    /// An Arrow error raised while decoding dictionaries or slicing arrays.
    #[error("arrow error while hashing: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Shorthand for results in this crate.
pub type Result<T, E = HashError> = std::result::Result<T, E>;
