//! Commit planning shared by all stores: batch-internal de-duplication, schema checks,
//! duplicate handling and index validation. Planning reads the store but never writes it,
//! so a transaction that fails here leaves no trace.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{Array, LargeBinaryArray, UInt32Array};
use arrow_schema::SchemaRef;
use arrow_select::take::take_record_batch;

use crate::error::{Result, StoreError};
use crate::path::TablePath;
use crate::records::{OnDuplicate, RecordSet, WriteSummary};
use crate::schema::conform;
use crate::store::StoreTransaction;
use crate::value::check_lookup_type;

/// Read access to committed state needed to plan a commit.
pub(crate) trait Catalog {
    /// Data schema of an existing table.
    fn schema_of(&self, path: &TablePath) -> Result<Option<SchemaRef>>;
    /// Index columns declared for `path`.
    fn indexes_of(&self, path: &TablePath) -> Result<Vec<String>>;
    /// For each id, whether it is already stored in `path` (only called for existing tables).
    fn existing(&self, path: &TablePath, ids: &LargeBinaryArray) -> Result<Vec<bool>>;
}

/// One append, ready to be applied.
pub(crate) struct PlannedWrite {
    pub(crate) path: TablePath,
    /// The table's data schema after this write.
    pub(crate) schema: SchemaRef,
    /// The schema must be (re)written: new table or widened nullability.
    pub(crate) schema_changed: bool,
    /// Records to append (may be empty), conformed to `schema`.
    pub(crate) records: RecordSet,
    /// Index columns to maintain.
    pub(crate) indexes: Vec<String>,
    pub(crate) summary: WriteSummary,
}

/// Keeps the last row of every id (orcapod-python's rule for ids repeated inside a batch).
fn dedupe_last(records: &RecordSet) -> Result<(RecordSet, usize)> {
    let ids = records.ids();
    let mut seen = HashSet::with_capacity(ids.len());
    let mut keep: Vec<u32> = Vec::with_capacity(ids.len());
    for i in (0..ids.len()).rev() {
        if seen.insert(ids.value(i)) {
            keep.push(i as u32);
        }
    }
    if keep.len() == ids.len() {
        return Ok((records.clone(), 0));
    }
    keep.reverse();
    let dropped = ids.len() - keep.len();
    let batch = take_record_batch(records.as_stored_batch(), &UInt32Array::from(keep))
        .map_err(StoreError::arrow("dropping superseded rows"))?;
    Ok((RecordSet::from_stored(batch)?, dropped))
}

fn keep_rows(records: &RecordSet, keep: &[bool]) -> Result<RecordSet> {
    let idx: UInt32Array = keep
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i as u32)
        .collect();
    let batch = take_record_batch(records.as_stored_batch(), &idx)
        .map_err(StoreError::arrow("dropping existing rows"))?;
    RecordSet::from_stored(batch)
}

fn check_index_column(path: &str, schema: &SchemaRef, column: &str) -> Result<()> {
    let err = |reason: String| StoreError::Index {
        path: path.to_string(),
        column: column.to_string(),
        reason,
    };
    let field = schema
        .field_with_name(column)
        .map_err(|_| err("the indexed column is missing from the batch".to_string()))?;
    check_lookup_type(field.data_type()).map_err(err)
}

#[derive(Default)]
struct TableState {
    schema: Option<SchemaRef>,
    exists: bool,
    pending: HashSet<Vec<u8>>,
}

/// Plans `txn` against `catalog`. Fails (writing nothing) on the first invalid operation.
pub(crate) fn plan(txn: &StoreTransaction, catalog: &dyn Catalog) -> Result<Vec<PlannedWrite>> {
    let mut tables: HashMap<&TablePath, TableState> = HashMap::new();
    let mut planned = Vec::with_capacity(txn.ops.len());
    for (k, op) in txn.ops.iter().enumerate() {
        // Ids written by this operation matter only to a later operation on the same table
        // (typical transactions write two different tables: don't hash every id for none).
        let track_pending = txn.ops[k + 1..].iter().any(|later| later.path == op.path);
        let path_str = op.path.to_string();
        let state = match tables.entry(&op.path) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let schema = catalog.schema_of(&op.path)?;
                v.insert(TableState {
                    exists: schema.is_some(),
                    schema,
                    pending: HashSet::new(),
                })
            }
        };
        let (records, superseded) = dedupe_last(&op.records)?;
        let conformed = conform(&path_str, state.schema.as_ref(), &records)?;
        let new_table = state.schema.is_none();
        let indexes = catalog.indexes_of(&op.path)?;
        if new_table {
            for column in &indexes {
                check_index_column(&path_str, &conformed.schema, column)?;
            }
        }
        let mut records = conformed.records;
        let n = records.len();
        let mut exists = if state.exists && n > 0 {
            catalog.existing(&op.path, records.ids())?
        } else {
            vec![false; n]
        };
        if !state.pending.is_empty() {
            for (i, e) in exists.iter_mut().enumerate() {
                *e |= state.pending.contains(records.id(i));
            }
        }
        let count = exists.iter().filter(|e| **e).count();
        if count > 0 {
            match op.on_duplicate {
                OnDuplicate::Error => {
                    let ids = (0..n)
                        .filter(|&i| exists[i])
                        .take(10)
                        .map(|i| records.id(i).to_vec())
                        .collect();
                    return Err(StoreError::DuplicateRecords {
                        path: path_str,
                        count,
                        ids,
                    });
                }
                OnDuplicate::Skip => {
                    let keep: Vec<bool> = exists.iter().map(|e| !e).collect();
                    records = keep_rows(&records, &keep)?;
                }
            }
        }
        if track_pending {
            state
                .pending
                .extend(records.ids().iter().flatten().map(<[u8]>::to_vec));
        }
        state.schema = Some(Arc::clone(&conformed.schema));
        planned.push(PlannedWrite {
            path: op.path.clone(),
            schema: conformed.schema,
            schema_changed: conformed.widened,
            summary: WriteSummary {
                written: records.len(),
                skipped: count,
                superseded_in_batch: superseded,
            },
            records,
            indexes,
        });
    }
    Ok(planned)
}
