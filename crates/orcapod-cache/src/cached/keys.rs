//! Cache keys: input packet hashes (packet level) and entry ids (pod level).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_datagram::Stream;
use orcapod_datagram::constants::{INPUT_DATA_HASH_COL, NODE_CONTENT_HASH_COL};
use orcapod_datagram::path_hash::hashable_batch;
use orcapod_executor::{FunctionInfo, InputBatch};
use orcapod_hash::{ContentHash, DataContext};

use crate::error::{Result, StoreError};

/// The content hash of every row of `packets` as a 1-row table (path columns hashed by file
/// content), i.e. the packet-level cache key of each row. For the packet columns of a
/// stream this equals [`Stream::packet_hashes`].
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Int64Array, RecordBatch};
/// use orcapod_cache::cached::packet_keys;
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2, 1])) as ArrayRef)])?;
/// let keys = packet_keys(&batch)?;
/// assert_eq!(keys[0], keys[2]);
/// assert_ne!(keys[0], keys[1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn packet_keys(packets: &RecordBatch) -> Result<Vec<ContentHash>> {
    let hashable = hashable_batch(packets)?;
    Ok(DataContext::default_context()
        .arrow_hasher()
        .hash_rows(&hashable)?)
}

/// The record id of a function node's result for an input packet with hash `input_hash`:
/// the prefixed digest bytes `arrow_v0.1:<32 bytes>` of the hash. Result tables are
/// content-addressed: a result is found by computing its id (no secondary index), and two
/// writers of the same result write the same id, so the first one stored is the one kept.
///
/// ```
/// use orcapod_cache::cached::{packet_keys, result_id};
/// use arrow_array::{Int64Array, RecordBatch};
/// use std::sync::Arc;
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![7, 7])) as _)])?;
/// let keys = packet_keys(&batch)?;
/// assert_eq!(result_id(&keys[0]), result_id(&keys[1]));
/// assert!(result_id(&keys[0]).starts_with(b"arrow_v0.1:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn result_id(input_hash: &ContentHash) -> Vec<u8> {
    input_hash.to_prefixed_digest()
}

/// The input columns a packet function sees, as a record batch named and typed by its input
/// schema (absent optional inputs left out): what [`CachedPacketFunction`] keys on.
///
/// [`CachedPacketFunction`]: crate::cached::CachedPacketFunction
pub(crate) fn input_table(info: &FunctionInfo, input: &InputBatch) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in info.input_schema().fields().iter().zip(input.columns()) {
        if let Some(column) = column {
            let mut arrow = field.to_arrow();
            if arrow.data_type() != column.data_type() {
                // The batch holds canonical types; keep the column's own (equal up to
                // metadata) so that the table is well-formed.
                arrow = arrow.with_data_type(column.data_type().clone());
            }
            // Declared nullability is part of the key (it is hashed with the schema); a column
            // holding nulls anyway must still make a valid table.
            let nullable = arrow.is_nullable() || column.null_count() > 0;
            fields.push(arrow.with_nullable(nullable));
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(input.num_rows())),
    )
    .map_err(StoreError::arrow(
        "building the cache-key table of an input batch",
    ))
}

/// The pod-level key of every row of `input`: the starfix hash of the row's tags and system
/// tags, its input packet hash (`__input_data_hash`) and `pod_hash` (`_node_content_hash`),
/// as the prefixed digest bytes `arrow_v0.1:<32 bytes>` (orcapod 0.1.4's pipeline "entry
/// id"). Two rows share a key only if they have the same tags, the same provenance and the
/// same packet, and went through the same pod.
///
/// ```
/// use orcapod_cache::cached::pod_entry_ids;
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// let source = Source::from_rows(
///     rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 5}],
///     SourceOptions::new(["id"]).source_id("s"),
/// )?;
/// let stream = source.stream();
/// let hashes: Vec<String> = stream.packet_hashes()?.iter().map(ToString::to_string).collect();
/// let ids = pod_entry_ids(&stream, &hashes, "pod-hash")?;
/// assert_eq!(hashes[0], hashes[1]); // same packet ...
/// assert_ne!(ids[0], ids[1]); // ... under different tags
/// assert!(ids[0].starts_with(b"arrow_v0.1:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pod_entry_ids(
    input: &Stream,
    packet_hashes: &[impl AsRef<str>],
    pod_hash: &str,
) -> Result<Vec<Vec<u8>>> {
    let batch = input.batch();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for name in input.tag_columns().iter().chain(input.system_tag_columns()) {
        if let (Some(f), Some(c)) = (input.field(name), batch.column_by_name(name)) {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    fields.push(ArrowField::new(
        INPUT_DATA_HASH_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        packet_hashes.iter().map(AsRef::as_ref),
    )));
    fields.push(ArrowField::new(
        NODE_CONTENT_HASH_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(pod_hash, input.num_rows()),
    )));
    let table = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns)
        .map_err(StoreError::arrow("building the entry-id table"))?;
    let hashes = DataContext::default_context()
        .arrow_hasher()
        .hash_rows(&table)?;
    Ok(hashes.iter().map(ContentHash::to_prefixed_digest).collect())
}
