//! Per-row hashing: the hash of every row of a batch as its own 1-row table, in one pass.
//!
//! The schema digest, the entry layout and the compiled plan ([`row_plan`](super::row_plan))
//! are built once per batch; each row then only feeds its own bytes into a reused set of entry
//! hashers and finishes them after a cloned `SHA256(schema_digest)` prefix state. A top-level
//! leaf column whose value repeats from one row to the next reuses its data digest (constant
//! columns such as a node hash are common in tag tables). Large batches hash chunks of rows in
//! parallel.
//!
//! Bit-identity with the 1-row slices follows from feeding exactly the same `Visit`/`Leaf`
//! sequence (spec §8.4) that the slice would get; `tests/arrow_rows.rs` checks it against
//! `hash_record_batch` on random nested batches and on the shared vectors.

use std::collections::{HashMap, HashSet};

use arrow_array::RecordBatch;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::entries::{Entry, EntryMap, build};
use super::row_feed::{RowState, feed_row};
use super::row_plan::compile;
use super::{ArrowDigest, ArrowDigester, schema_digest, with_version};
use crate::Result;

/// Rows per parallel task: large enough to amortise task and state set-up, small enough to
/// balance two or more cores.
const CHUNK_ROWS: usize = 4096;

/// Hashes every row of `batch` as its own 1-row table: element `i` equals
/// [`hash_record_batch`](super::hash_record_batch)`(&batch.slice(i, 1), include_metadata)`
/// bit for bit, for every type that function accepts (nesting, nulls, booleans, dictionaries,
/// sliced arrays, metadata).
///
/// The schema digest is computed once and rows are hashed without slicing or per-row
/// allocation; batches of more than a few thousand rows are hashed on the rayon pool.
///
/// A zero-row batch gives an empty list (whatever its schema, like hashing no slices). An
/// error of any row (e.g. an unsupported column type) is returned for the whole batch.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Int64Array, LargeStringArray, RecordBatch};
/// use orcapod_hash::arrow::{hash_record_batch, hash_rows};
///
/// let batch = RecordBatch::try_from_iter([
///     ("id", Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef),
///     ("name", Arc::new(LargeStringArray::from(vec!["a", "bb", "ccc"]))),
/// ])
/// .unwrap();
/// let rows = hash_rows(&batch, false).unwrap();
/// assert_eq!(rows.len(), 3);
/// for (i, digest) in rows.iter().enumerate() {
///     assert_eq!(*digest, hash_record_batch(&batch.slice(i, 1), false).unwrap());
/// }
/// ```
pub fn hash_rows(batch: &RecordBatch, include_metadata: bool) -> Result<Vec<ArrowDigest>> {
    hash_rows_with(batch, include_metadata, None)
}

/// [`hash_rows`] with the parallel/sequential choice forced when `parallel` is `Some` (tests).
pub(super) fn hash_rows_with(
    batch: &RecordBatch,
    include_metadata: bool,
    parallel: Option<bool>,
) -> Result<Vec<ArrowDigest>> {
    let n = batch.num_rows();
    if n == 0 {
        return Ok(Vec::new());
    }
    let parallel = parallel.unwrap_or(n >= 2 * CHUNK_ROWS);
    let schema = batch.schema_ref();
    let Some(template) = entry_template(schema)? else {
        return by_slicing(batch, include_metadata, parallel);
    };
    let (digest, _, _) = schema_digest(schema, include_metadata)?;
    let mut prefix = Sha256::new();
    prefix.update(digest);

    let slot_of: HashMap<String, usize> = template
        .keys()
        .enumerate()
        .map(|(i, path)| (path.clone(), i))
        .collect();
    let entries: Vec<Entry> = template.into_values().collect();
    let mut nodes = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let compiled = compile(
            &mut nodes,
            &slot_of,
            &entries,
            column.as_ref(),
            field.is_nullable(),
            field.name(),
            None,
        );
        if compiled.is_err() {
            // Whatever the plan could not handle, the reference path reports or hashes
            // exactly (its errors are the ones `hash_record_batch` gives per row).
            return by_slicing(batch, include_metadata, parallel);
        }
    }

    let mut out = vec![[0u8; 35]; n];
    let hash_chunk =
        |state: &mut RowState, first: usize, chunk: &mut [ArrowDigest]| -> Result<()> {
            for (k, slot) in chunk.iter_mut().enumerate() {
                let row = first + k;
                for node in &nodes {
                    feed_row(node, row, state)?;
                }
                *slot = with_version(&state.finish(&prefix));
            }
            Ok(())
        };
    if parallel {
        out.par_chunks_mut(CHUNK_ROWS)
            .enumerate()
            .try_for_each_init(
                || RowState::new(&entries),
                |state, (c, chunk)| hash_chunk(state, c * CHUNK_ROWS, chunk),
            )?;
    } else {
        hash_chunk(&mut RowState::new(&entries), 0, &mut out)?;
    }
    Ok(out)
}

/// The entries of `schema` in path order, or `None` when two columns share a path (quirk Q6:
/// merged entries then depend on column order, which the slice path reproduces exactly).
fn entry_template(schema: &arrow_schema::Schema) -> Result<Option<EntryMap>> {
    let mut all = EntryMap::new();
    let mut names = HashSet::new();
    for field in schema.fields() {
        if !names.insert(field.name().as_str()) {
            return Ok(None);
        }
        let mut own = EntryMap::new();
        build(
            &mut own,
            field.data_type(),
            field.is_nullable(),
            field.name(),
        )?;
        for (path, entry) in own {
            if all.insert(path, entry).is_some() {
                return Ok(None);
            }
        }
    }
    Ok(Some(all))
}

/// The reference path: one digester per row from a shared template (so the schema digest is
/// still computed once), fed with the row's 1-row slice.
fn by_slicing(
    batch: &RecordBatch,
    include_metadata: bool,
    parallel: bool,
) -> Result<Vec<ArrowDigest>> {
    let template = ArrowDigester::new(batch.schema_ref(), include_metadata)?;
    let one = |i: usize| -> Result<ArrowDigest> {
        let mut digester = template.clone();
        // Sequential: a 1-row slice still reports the whole batch's buffer size.
        digester.update_with(&batch.slice(i, 1), Some(false))?;
        Ok(digester.finalize())
    };
    if parallel {
        (0..batch.num_rows()).into_par_iter().map(one).collect()
    } else {
        (0..batch.num_rows()).map(one).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, BooleanArray, Int32Array, LargeBinaryArray, StringArray, StringViewArray,
        StructArray,
    };
    use arrow_buffer::NullBuffer;
    use arrow_schema::{DataType, Field, Fields};

    use super::*;
    use crate::HashError;
    use crate::arrow::hash_record_batch;

    fn reference(batch: &RecordBatch) -> Vec<ArrowDigest> {
        (0..batch.num_rows())
            .map(|i| hash_record_batch(&batch.slice(i, 1), false).unwrap())
            .collect()
    }

    #[test]
    fn parallel_and_sequential_agree_with_slices() {
        let n = 3 * CHUNK_ROWS + 17;
        let ints: Int32Array = (0..n as i32).map(|i| (i % 7 != 0).then_some(i)).collect();
        let bools: BooleanArray = (0..n).map(|i| (i % 5 != 0).then_some(i % 3 == 0)).collect();
        let batch =
            RecordBatch::try_from_iter([("i", Arc::new(ints) as ArrayRef), ("b", Arc::new(bools))])
                .unwrap()
                .slice(5, n - 9);
        let want = reference(&batch);
        assert_eq!(hash_rows_with(&batch, false, Some(true)).unwrap(), want);
        assert_eq!(hash_rows_with(&batch, false, Some(false)).unwrap(), want);
        assert_eq!(hash_rows(&batch, false).unwrap(), want);
    }

    #[test]
    fn repeated_values_and_nulls_reuse_digests_exactly() {
        // Runs of equal values, and null next to empty values (which feed `u64le(0)`, unlike a
        // null), exercise the memo of row-level leaves on both sides of every transition.
        let strings = StringArray::from(vec![
            Some(""),
            None,
            None,
            Some(""),
            Some("a"),
            Some("a"),
            None,
            Some("a"),
        ]);
        let binary = LargeBinaryArray::from(vec![
            None,
            Some(&b""[..]),
            Some(b""),
            None,
            Some(b"a"),
            Some(b"a"),
            Some(b"\0"),
            None,
        ]);
        let bools = BooleanArray::from(vec![
            Some(false),
            None,
            Some(false),
            Some(true),
            Some(true),
            None,
            None,
            Some(false),
        ]);
        let ints = Int32Array::from(vec![
            Some(0),
            None,
            Some(0),
            Some(0),
            None,
            Some(7),
            Some(7),
            None,
        ]);
        let st = StructArray::new(
            Fields::from(vec![Field::new("x", DataType::Int32, true)]),
            vec![Arc::new(Int32Array::from(vec![1; 8])) as ArrayRef],
            Some(NullBuffer::from(vec![
                true, false, true, true, false, false, true, true,
            ])),
        );
        let batch = RecordBatch::try_from_iter([
            ("s", Arc::new(strings) as ArrayRef),
            ("b", Arc::new(binary)),
            ("f", Arc::new(bools)),
            ("i", Arc::new(ints)),
            ("st", Arc::new(st)),
        ])
        .unwrap();
        for parallel in [Some(true), Some(false)] {
            assert_eq!(
                hash_rows_with(&batch, false, parallel).unwrap(),
                reference(&batch)
            );
        }
    }

    #[test]
    fn path_collisions_take_the_slice_path() {
        // Quirk Q6: column "s/x" and child x of struct s share the path "s/x".
        let st = StructArray::new(
            Fields::from(vec![Field::new("x", DataType::Int32, true)]),
            vec![Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef],
            None,
        );
        let batch = RecordBatch::try_from_iter([
            ("s", Arc::new(st) as ArrayRef),
            (
                "s/x",
                Arc::new(Int32Array::from(vec![Some(3), None, Some(5)])),
            ),
        ])
        .unwrap();
        assert!(entry_template(batch.schema_ref()).unwrap().is_none());
        for parallel in [Some(true), Some(false)] {
            assert_eq!(
                hash_rows_with(&batch, false, parallel).unwrap(),
                reference(&batch)
            );
        }
    }

    #[test]
    fn unsupported_types_fail_like_the_slice_path() {
        let view: StringViewArray = vec![Some("a"), None].into_iter().collect();
        let batch = RecordBatch::try_from_iter([("v", Arc::new(view) as ArrayRef)]).unwrap();
        let slice_err = hash_record_batch(&batch.slice(0, 1), false).unwrap_err();
        let rows_err = hash_rows(&batch, false).unwrap_err();
        assert!(matches!(rows_err, HashError::UnsupportedType { .. }));
        assert_eq!(rows_err.to_string(), slice_err.to_string());
        // No rows, nothing to hash: like hashing no slices at all.
        assert!(hash_rows(&batch.slice(0, 0), false).unwrap().is_empty());
    }

    #[test]
    fn zero_column_batch_hashes_the_schema_digest_only() {
        let batch = RecordBatch::try_new_with_options(
            Arc::new(arrow_schema::Schema::empty()),
            vec![],
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(3)),
        )
        .unwrap();
        assert_eq!(hash_rows(&batch, false).unwrap(), reference(&batch));
    }
}
