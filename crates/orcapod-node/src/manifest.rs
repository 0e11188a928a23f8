//! Completion manifests: the fast path of a rerun over unchanged input.
//!
//! Once a run has produced an output for *every* input row, the same pod over the same input
//! table always has the same output. The manifest records that fact: one record, keyed by
//! the node's content hash plus the starfix hash of its whole input table (every column:
//! tags, system tags, packets with path columns hashed by file content, source info — the
//! node's content hash alone is not data-inclusive for sources with an explicit source id),
//! holding the result-record id of every input row in input order. A later run with the same
//! key reads it and goes straight to assembling the stored results, skipping the per-row
//! packet hashes, entry ids and pipeline-record lookups. One whole-table hash is a single
//! column-parallel pass, much cheaper than two per-row hashes.
//!
//! Only complete runs write one (no failed, dropped or skipped rows), so everything the normal
//! path would retry is still retried; a killed or partial run leaves none and the next run takes
//! the normal path. The manifest is written after the results and pipeline records it points to
//! are committed.

use std::sync::Arc;

use arrow_array::builder::{LargeBinaryBuilder, LargeListBuilder};
use arrow_array::{Array, LargeBinaryArray, LargeListArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_cache::{OnDuplicate, RecordSet, Store, TablePath};

use crate::error::{NodeError, Result};

/// Last path component of a node's manifest table (under its pipeline-record table).
pub const MANIFEST_COMPONENT: &str = "_complete";
/// Column holding the result-record ids of every input row, in input order.
const DATA_IDS_COL: &str = "__data_ids";

/// The manifest key of a node with content hash `node_hash` over `input`.
pub(crate) fn key(node_hash: &str, input: &orcapod_datagram::Stream) -> Result<String> {
    let table = orcapod_datagram::path_hash::hashable_batch(input.batch())?;
    let hash = orcapod_hash::DataContext::default_context()
        .arrow_hasher()
        .hash_batch(&table)?;
    Ok(format!("{node_hash}|{hash}"))
}

/// The manifest table of the node whose pipeline records live at `records`.
pub(crate) fn path(records: &TablePath) -> Result<TablePath> {
    Ok(records.child(MANIFEST_COMPONENT)?)
}

/// The data id of every one of `rows` input rows, if a complete run with manifest `key`
/// recorded them (a manifest of another length is ignored).
pub(crate) fn read(
    store: &dyn Store,
    records: &TablePath,
    key: &str,
    rows: usize,
) -> Result<Option<Vec<Option<Vec<u8>>>>> {
    let path = path(records)?;
    let Some(found) = store.get_records(&path, &[key.as_bytes()])? else {
        return Ok(None);
    };
    let data = found.data();
    let stale = |detail: &str| NodeError::StaleStore {
        node: key.to_string(),
        path: path.to_string(),
        detail: detail.to_string(),
    };
    let lists = data
        .column_by_name(DATA_IDS_COL)
        .and_then(|c| c.as_any().downcast_ref::<LargeListArray>())
        .ok_or_else(|| stale("the manifest has no large_list column __data_ids"))?;
    if lists.is_empty() || lists.is_null(0) {
        return Ok(None);
    }
    let ids = lists.value(0);
    let ids = ids
        .as_any()
        .downcast_ref::<LargeBinaryArray>()
        .ok_or_else(|| stale("the manifest's ids are not large_binary"))?;
    if ids.len() != rows || ids.null_count() > 0 {
        return Ok(None);
    }
    Ok(Some(ids.iter().map(|id| id.map(<[u8]>::to_vec)).collect()))
}

/// Records that the run with manifest `key` produced `data_ids` (every one present) for its
/// whole input.
pub(crate) fn write(
    store: &dyn Store,
    records: &TablePath,
    key: &str,
    data_ids: &[Option<Vec<u8>>],
) -> Result<()> {
    if data_ids.iter().any(Option::is_none) {
        return Ok(());
    }
    let mut lists = LargeListBuilder::new(LargeBinaryBuilder::new()).with_field(ArrowField::new(
        "item",
        ArrowType::LargeBinary,
        false,
    ));
    for id in data_ids.iter().flatten() {
        lists.values().append_value(id);
    }
    lists.append(true);
    let column = lists.finish();
    let schema = ArrowSchema::new(vec![ArrowField::new(
        DATA_IDS_COL,
        column.data_type().clone(),
        false,
    )]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(column)])?;
    store.add_records(
        &path(records)?,
        RecordSet::new([key.as_bytes().to_vec()], batch)?,
        OnDuplicate::Skip,
    )?;
    Ok(())
}
