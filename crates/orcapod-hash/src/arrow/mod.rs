//! Arrow hashing bit-identical to starfix 0.4 (hash format version 0.0.1).
//!
//! The byte layout is specified in `shared/spec/arrow-hashing.md`; section numbers (§) below
//! refer to it. Every hash is an [`ArrowDigest`]: the 3 version bytes `00 00 01` followed by a
//! SHA-256 result.
//!
//! * [`hash_schema`]: the schema alone (column order and metadata-key order never matter).
//! * [`hash_record_batch`], [`hash_batches`] and the streaming [`ArrowDigester`]: schema plus
//!   data. Non-boolean data hashes the same however it is split into batches; boolean columns
//!   are packed per batch (starfix quirk Q1).
//! * [`hash_array`]: one array without a field; nullability comes from the data.
//! * [`hash_rows`]: every row of a batch as its own 1-row table (equal to
//!   `hash_record_batch(&batch.slice(i, 1), ..)` for row `i`), with the schema digest and all
//!   per-column set-up done once per batch.
//!
//! `Utf8`/`LargeUtf8`, `Binary`/`LargeBinary`, `List`/`LargeList` and dictionary/plain encodings
//! of the same values hash identically. Unsupported types (Null, Interval, views, unions,
//! run-end encoded, and the data of `FixedSizeList` and `Map`) are reported as
//! [`HashError::UnsupportedType`](crate::HashError::UnsupportedType) naming the column path.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, Int32Array, RecordBatch};
//! use orcapod_hash::arrow::{hash_array, hash_record_batch};
//!
//! let column: ArrayRef = Arc::new(Int32Array::from(vec![Some(42), None, Some(-7), Some(0)]));
//! let h = hash_array(column.as_ref()).unwrap();
//! assert_eq!(h[..3], [0, 0, 1]);
//! let batch = RecordBatch::try_from_iter([("x", column)]).unwrap();
//! let t = hash_record_batch(&batch, false).unwrap();
//! assert_ne!(h, t);
//! ```

mod bits;
mod entries;
mod json;
mod leaf;
mod row_feed;
mod row_plan;
mod rows;
mod visit;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;

use arrow_array::{Array, RecordBatch};
use arrow_schema::Schema;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::{HashError, Result};
use entries::{EntryMap, build};
pub use rows::hash_rows;
use visit::{Cx, Scratch, decode_dictionary, visit_all};

/// 35-byte starfix digest: 3 version bytes `00 00 01` + SHA-256.
pub type ArrowDigest = [u8; 35];

/// The hash format version prefixed to every [`ArrowDigest`] (0.0.1).
pub const HASH_FORMAT_VERSION: [u8; 3] = [0, 0, 1];

/// Batches whose buffers exceed this size hash their top-level columns in parallel.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Prefixes a SHA-256 result with [`HASH_FORMAT_VERSION`].
fn with_version(sha: &[u8]) -> ArrowDigest {
    let mut out = [0u8; 35];
    out[..3].copy_from_slice(&HASH_FORMAT_VERSION);
    out[3..].copy_from_slice(sha);
    out
}

/// The bare 32-byte schema digest `SHA256(P1 ‖ P2)` of §7 and the texts it was computed from.
fn schema_digest(
    schema: &Schema,
    include_metadata: bool,
) -> Result<([u8; 32], String, Option<String>)> {
    let p1 = json::phase1(schema)?;
    let p2 = if include_metadata {
        json::phase2(schema)
    } else {
        None
    };
    let mut h = Sha256::new();
    h.update(p1.as_bytes());
    if let Some(p2) = &p2 {
        h.update(p2.as_bytes());
    }
    Ok((h.finalize().into(), p1, p2))
}

/// Hashes a schema (§7): field names, canonical types and nullability, plus field and schema
/// metadata when `include_metadata` is true.
///
/// Besides the data-hashable types this accepts `FixedSizeList` and `Map` (as Rust starfix
/// does); it fails with `UnsupportedType` for Null, Interval, view, union and run-end encoded
/// types.
pub fn hash_schema(schema: &Schema, include_metadata: bool) -> Result<ArrowDigest> {
    let (digest, _, _) = schema_digest(schema, include_metadata)?;
    Ok(with_version(&digest))
}

/// Hashes one record batch with its own schema (§8); equal to an [`ArrowDigester`] created from
/// `batch.schema()` and updated with `batch`.
pub fn hash_record_batch(batch: &RecordBatch, include_metadata: bool) -> Result<ArrowDigest> {
    let mut digester = ArrowDigester::new(batch.schema_ref(), include_metadata)?;
    digester.update(batch)?;
    Ok(digester.finalize())
}

/// Hashes a sequence of batches sharing `schema`, as one table (§8.7).
pub fn hash_batches<'a>(
    schema: &Schema,
    batches: impl IntoIterator<Item = &'a RecordBatch>,
    include_metadata: bool,
) -> Result<ArrowDigest> {
    let mut digester = ArrowDigester::new(schema, include_metadata)?;
    for batch in batches {
        digester.update(batch)?;
    }
    Ok(digester.finalize())
}

/// Hashes a single array without field, name or metadata (§9). Dictionary arrays hash like
/// their decoded values; the array counts as nullable only when it contains a null.
pub fn hash_array(array: &dyn Array) -> Result<ArrowDigest> {
    let decoded = decode_dictionary(array)?;
    let array: &dyn Array = decoded.as_deref().unwrap_or(array);
    let dt = array.data_type();
    let nullable = array.logical_null_count() > 0;

    let mut f = Sha256::new();
    f.update(json::type_json(dt)?.as_bytes());
    let mut entries = EntryMap::new();
    build(&mut entries, dt, nullable, "")?;
    let mut scratch = Scratch::default();
    let mut cx = Cx {
        entries: &mut entries,
        scratch: &mut scratch,
    };
    visit_all(&mut cx, array, nullable, "")?;
    for entry in entries.into_values() {
        entry.finalize_into(&mut f);
    }
    Ok(with_version(&f.finalize()))
}

/// The Phase-1 schema text of §7.1, exactly as it is hashed.
pub fn schema_json(schema: &Schema) -> Result<String> {
    json::phase1(schema)
}

/// The Phase-2 metadata text of §7.2 (hashed only with `include_metadata`), or `None` when
/// neither the fields nor the schema carry metadata, in which case nothing is fed.
pub fn metadata_json(schema: &Schema) -> Option<String> {
    json::phase2(schema)
}

/// The entries of one or more top-level columns that no other column touches.
#[derive(Debug, Clone, Default)]
struct Group {
    entries: EntryMap,
}

/// Streaming digester: the hash of a table fed batch by batch (§8.7).
///
/// All validity lists and hashers continue across batches, so the result equals the hash of
/// the concatenated batches (except for boolean columns, quirk Q1); zero-row batches change
/// nothing. Large batches hash their top-level columns in parallel with identical results.
///
/// If [`update`](Self::update) returns an error the digester may have absorbed part of the
/// batch; discard it.
#[derive(Clone)]
pub struct ArrowDigester {
    schema: Schema,
    include_metadata: bool,
    schema_digest: [u8; 32],
    schema_text: String,
    metadata_text: Option<String>,
    /// Independent sets of entries; normally one per top-level column.
    groups: Vec<Group>,
    /// Top-level column name to its group.
    group_of: HashMap<String, usize>,
    /// Scratch space of the sequential path, kept across batches.
    scratch: Scratch,
}

impl fmt::Debug for ArrowDigester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrowDigester")
            .field("schema_json", &self.schema_text)
            .field("metadata_json", &self.metadata_text)
            .field("include_metadata", &self.include_metadata)
            .field("groups", &self.groups.len())
            .finish_non_exhaustive()
    }
}

impl ArrowDigester {
    /// Creates a digester for batches of `schema`.
    ///
    /// Fails with `UnsupportedType` when a column (at any depth) has a type whose data cannot
    /// be hashed.
    pub fn new(schema: &Schema, include_metadata: bool) -> Result<Self> {
        let (schema_digest, schema_text, metadata_text) = schema_digest(schema, include_metadata)?;
        let mut groups = Vec::with_capacity(schema.fields().len());
        let mut group_of = HashMap::with_capacity(schema.fields().len());
        let mut seen_paths: HashSet<&str> = HashSet::new();
        let mut collision = false;
        for field in schema.fields() {
            let mut entries = EntryMap::new();
            build(
                &mut entries,
                field.data_type(),
                field.is_nullable(),
                field.name(),
            )?;
            if group_of
                .insert(field.name().clone(), groups.len())
                .is_some()
            {
                collision = true;
            }
            groups.push(Group { entries });
        }
        for group in &groups {
            for path in group.entries.keys() {
                collision |= !seen_paths.insert(path.as_str());
            }
        }
        if collision {
            // Quirk Q6: paths shared between columns merge into one entry map, built and fed in
            // column order, exactly as starfix does. Hash everything in one group then.
            let mut entries = EntryMap::new();
            for field in schema.fields() {
                build(
                    &mut entries,
                    field.data_type(),
                    field.is_nullable(),
                    field.name(),
                )?;
            }
            groups = vec![Group { entries }];
            group_of = schema
                .fields()
                .iter()
                .map(|f| (f.name().clone(), 0))
                .collect();
        }
        Ok(Self {
            schema: schema.clone(),
            include_metadata,
            schema_digest,
            schema_text,
            metadata_text,
            groups,
            group_of,
            scratch: Scratch::default(),
        })
    }

    /// Checks that `schema` matches the digester's schema (§8.7).
    fn check_schema(&self, schema: &Schema) -> Result<()> {
        if *schema == self.schema {
            return Ok(());
        }
        let found = json::phase1(schema)?;
        let found_metadata = if self.include_metadata {
            json::phase2(schema)
        } else {
            None
        };
        if found != self.schema_text || found_metadata != self.metadata_text {
            let describe = |p1: &str, p2: &Option<String>| match p2 {
                Some(p2) => format!("{p1} with metadata {p2}"),
                None => p1.to_owned(),
            };
            return Err(HashError::SchemaMismatch {
                expected: describe(&self.schema_text, &self.metadata_text),
                found: describe(&found, &found_metadata),
            });
        }
        Ok(())
    }

    /// Feeds one batch. Its schema must match the digester's: same Phase-1 JSON (names,
    /// canonical types, nullability; column order free) and, with `include_metadata`, the
    /// same metadata; otherwise `SchemaMismatch`.
    pub fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        self.update_with(batch, None)
    }

    /// [`update`](Self::update), with the parallel/sequential choice forced when `parallel`
    /// is `Some` (for tests).
    fn update_with(&mut self, batch: &RecordBatch, parallel: Option<bool>) -> Result<()> {
        let schema = batch.schema_ref();
        self.check_schema(schema)?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let mut work: Vec<Vec<usize>> = vec![Vec::new(); self.groups.len()];
        for (i, field) in schema.fields().iter().enumerate() {
            if let Some(&g) = self.group_of.get(field.name())
                && let Some(cols) = work.get_mut(g)
            {
                cols.push(i);
            }
        }
        let busy_groups = work.iter().filter(|w| !w.is_empty()).count();
        let parallel = parallel.unwrap_or_else(|| {
            busy_groups > 1 && batch.get_array_memory_size() > PARALLEL_MIN_BYTES
        });
        let feed = |scratch: &mut Scratch, group: &mut Group, cols: &Vec<usize>| -> Result<()> {
            let mut cx = Cx {
                entries: &mut group.entries,
                scratch,
            };
            for &i in cols {
                let field = schema.field(i);
                let column = batch.column(i);
                visit_all(&mut cx, column.as_ref(), field.is_nullable(), field.name())?;
            }
            Ok(())
        };
        if parallel {
            self.groups
                .par_iter_mut()
                .zip(work.par_iter())
                .filter(|(_, cols)| !cols.is_empty())
                .try_for_each_init(Scratch::default, |scratch, (group, cols)| {
                    feed(scratch, group, cols)
                })
        } else {
            for (group, cols) in self.groups.iter_mut().zip(&work) {
                feed(&mut self.scratch, group, cols)?;
            }
            Ok(())
        }
    }

    /// Finishes the hash (§8.6): the schema digest, then every entry in path byte order.
    pub fn finalize(self) -> ArrowDigest {
        let mut f = Sha256::new();
        f.update(self.schema_digest);
        let mut all: Vec<(String, entries::Entry)> = self
            .groups
            .into_iter()
            .flat_map(|g| g.entries.into_iter())
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, entry) in all {
            entry.finalize_into(&mut f);
        }
        with_version(&f.finalize())
    }
}
