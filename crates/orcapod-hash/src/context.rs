//! Data contexts: the versioned bundle of hashers whose ids are embedded in every stored
//! hash. Only `std:v0.1:default` exists; its component set is fixed in code, but the key and
//! the hasher ids are kept exactly as orcapod-python writes them.

use std::sync::OnceLock;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use rayon::prelude::*;

use crate::file::FILE_HASH_METHOD;
use crate::semantic::{SEMANTIC_METHOD, SemanticHasher};
use crate::{ContentHash, HashError, Result};

/// The method id of Arrow hashes (starfix layout, 35-byte digests).
const ARROW_METHOD: &str = "arrow_v0.1";

/// Row count from which [`ArrowHasher::hash_rows`] wraps digests into hashes in parallel.
const PARALLEL_WRAP_ROWS: usize = 8192;

/// The Arrow data hasher of a data context (method `arrow_v0.1`): starfix-compatible
/// digests of schemas, record batches and multi-batch tables, wrapped as [`ContentHash`]es.
///
/// Field and schema metadata are excluded (`include_metadata = false`).
#[derive(Clone, Debug)]
pub struct ArrowHasher {
    method: &'static str,
}

impl ArrowHasher {
    fn new() -> Self {
        Self {
            method: ARROW_METHOD,
        }
    }

    /// The method id stamped on every hash (`arrow_v0.1`).
    pub fn method(&self) -> &str {
        self.method
    }

    fn wrap(&self, digest: [u8; 35]) -> ContentHash {
        ContentHash::new(self.method, digest.to_vec())
    }

    /// Hash of a schema alone.
    pub fn hash_schema(&self, schema: &Schema) -> Result<ContentHash> {
        crate::arrow::hash_schema(schema, false).map(|d| self.wrap(d))
    }

    /// Hash of one record batch (schema and data).
    pub fn hash_batch(&self, batch: &RecordBatch) -> Result<ContentHash> {
        crate::arrow::hash_record_batch(batch, false).map(|d| self.wrap(d))
    }

    /// Hash of every row of `batch` as its own 1-row table: element `i` equals
    /// `self.hash_batch(&batch.slice(i, 1))` bit for bit (same metadata handling), but the
    /// schema digest and per-column set-up are computed once per batch and large batches are
    /// hashed in parallel. See [`crate::arrow::hash_rows`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    /// use orcapod_hash::DataContext;
    ///
    /// let hasher = DataContext::default_context().arrow_hasher();
    /// let batch = RecordBatch::try_from_iter([
    ///     ("n", Arc::new(Int64Array::from(vec![7, 8])) as ArrayRef),
    ///     ("s", Arc::new(StringArray::from(vec![Some("x"), None]))),
    /// ])
    /// .unwrap();
    /// let rows = hasher.hash_rows(&batch).unwrap();
    /// assert_eq!(rows[1], hasher.hash_batch(&batch.slice(1, 1)).unwrap());
    /// assert_eq!(rows[0].method(), "arrow_v0.1");
    /// ```
    pub fn hash_rows(&self, batch: &RecordBatch) -> Result<Vec<ContentHash>> {
        let digests = crate::arrow::hash_rows(batch, false)?;
        // Wrapping allocates twice per row; on the calling thread alone it would cost a fifth
        // of the hashing time, so large batches wrap on the pool too.
        if digests.len() >= PARALLEL_WRAP_ROWS {
            Ok(digests
                .par_iter()
                .with_min_len(PARALLEL_WRAP_ROWS / 2)
                .map(|d| self.wrap(*d))
                .collect())
        } else {
            Ok(digests.iter().map(|d| self.wrap(*d)).collect())
        }
    }

    /// Hash of a table given as a schema and its batches; equal to the hash of the same
    /// rows in a single batch (batch boundaries do not matter).
    pub fn hash_batches<'a>(
        &self,
        schema: &Schema,
        batches: impl IntoIterator<Item = &'a RecordBatch>,
    ) -> Result<ContentHash> {
        crate::arrow::hash_batches(schema, batches, false).map(|d| self.wrap(d))
    }
}

/// A versioned bundle of hashers, identified by a context key such as `std:v0.1:default`.
///
/// ```
/// use orcapod_hash::DataContext;
///
/// let ctx = DataContext::resolve(Some("latest")).unwrap();
/// assert_eq!(ctx.key(), DataContext::DEFAULT_KEY);
/// assert_eq!(ctx.version(), "v0.1");
/// assert_eq!(ctx.semantic_hasher().method(), "semantic_v0.1");
/// assert_eq!(ctx.arrow_hasher().method(), "arrow_v0.1");
/// assert_eq!(ctx.file_hash_method(), "sha256");
/// assert!(DataContext::resolve(Some("v9")).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct DataContext {
    key: &'static str,
    version: &'static str,
    description: &'static str,
    semantic: SemanticHasher,
    arrow: ArrowHasher,
    file_method: &'static str,
}

impl DataContext {
    /// The key of the default (and only) context.
    pub const DEFAULT_KEY: &'static str = "std:v0.1:default";

    /// The default context `std:v0.1:default`, built once.
    pub fn default_context() -> &'static DataContext {
        static DEFAULT: OnceLock<DataContext> = OnceLock::new();
        DEFAULT.get_or_init(|| DataContext {
            key: Self::DEFAULT_KEY,
            version: "v0.1",
            description: "Standard orcapod data context v0.1: starfix Arrow hasher (arrow_v0.1), \
                          semantic object hasher (semantic_v0.1), SHA-256 file hashing.",
            semantic: SemanticHasher::new(),
            arrow: ArrowHasher::new(),
            file_method: FILE_HASH_METHOD,
        })
    }

    /// Resolves a context key or version: `None`, `"latest"`, `"v0.1"` and
    /// `"std:v0.1:default"` all name the default context; anything else is
    /// [`HashError::UnknownContext`].
    pub fn resolve(key_or_version: Option<&str>) -> Result<&'static DataContext> {
        match key_or_version {
            None | Some("latest" | "v0.1" | Self::DEFAULT_KEY) => Ok(Self::default_context()),
            Some(other) => Err(HashError::UnknownContext(other.to_owned())),
        }
    }

    /// The full context key (`std:v0.1:default`), stored in `_context_key` columns.
    pub fn key(&self) -> &str {
        self.key
    }

    /// The context version (`v0.1`).
    pub fn version(&self) -> &str {
        self.version
    }

    /// A human-readable description.
    pub fn description(&self) -> &str {
        self.description
    }

    /// The semantic (object) hasher (`semantic_v0.1`).
    pub fn semantic_hasher(&self) -> &SemanticHasher {
        &self.semantic
    }

    /// The Arrow hasher (`arrow_v0.1`).
    pub fn arrow_hasher(&self) -> &ArrowHasher {
        &self.arrow
    }

    /// The method id of file-content hashes (`sha256`).
    pub fn file_hash_method(&self) -> &str {
        self.file_method
    }

    /// `(component, method id)` pairs of this context, e.g. for provenance records:
    /// `[("arrow", "arrow_v0.1"), ("semantic", "semantic_v0.1"), ("file", "sha256")]`.
    pub fn hasher_versions(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("arrow", self.arrow.method),
            ("semantic", SEMANTIC_METHOD),
            ("file", self.file_method),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        for k in [None, Some("latest"), Some("v0.1"), Some("std:v0.1:default")] {
            let ctx = DataContext::resolve(k).unwrap();
            assert!(std::ptr::eq(ctx, DataContext::default_context()));
        }
        for k in ["", "v0.2", "std:v0.1:other", "LATEST"] {
            match DataContext::resolve(Some(k)) {
                Err(HashError::UnknownContext(s)) => assert_eq!(s, k),
                other => panic!("{k}: {other:?}"),
            }
        }
        let ctx = DataContext::default_context();
        assert_eq!(
            ctx.hasher_versions(),
            vec![
                ("arrow", "arrow_v0.1"),
                ("semantic", "semantic_v0.1"),
                ("file", "sha256")
            ]
        );
        assert!(!ctx.description().is_empty());
    }
}
