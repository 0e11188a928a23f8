//! [`InMemoryStore`]: the fast, non-persistent store.
//!
//! Each table is an append-only list of Arrow chunks with a `HashMap` from record id to
//! global row number and one `HashMap` per secondary index. Appends cost O(batch) (small
//! tail chunks are merged binary-counter style, amortised O(log) copies per row); a
//! whole-table read merges all chunks into one, once, lazily. Nothing is ever rescanned on
//! a write, so adding N records one at a time is O(N log N), not quadratic.

mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use arrow_array::LargeBinaryArray;
use arrow_schema::SchemaRef;
use orcapod_datagram::Value;

use crate::error::{Result, StoreError};
use crate::lookup::{lookup_keys, matching_rows, resolve, take_rows};
use crate::path::TablePath;
use crate::plan::{Catalog, plan};
use crate::records::{RecordSet, WriteSummary};
use crate::store::{RecordSetIter, Store, StoreConfig, StoreTransaction};
use table::MemTable;

/// A store held in memory: the default for tests and one-off runs.
///
/// Writes are visible immediately; [`flush`](Store::flush) does nothing. Contents are lost
/// when the store is dropped (its config reopens an empty store).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use orcapod_cache::{InMemoryStore, OnDuplicate, Store, TablePath};
///
/// let store = InMemoryStore::new();
/// let path = TablePath::new(["t"])?;
/// let row = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![7])) as _)])?;
/// store.add_record(&path, b"p1", row.clone(), OnDuplicate::Error)?;
/// assert!(store.get_record(&path, b"p1")?.is_some());
/// assert!(store.add_record(&path, b"p1", row, OnDuplicate::Error).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: RwLock<MemState>,
}

#[derive(Debug, Default)]
struct MemState {
    tables: BTreeMap<TablePath, MemTable>,
    /// Declared index columns, also for tables that do not exist yet.
    declared: BTreeMap<TablePath, BTreeSet<String>>,
}

impl Catalog for MemState {
    fn schema_of(&self, path: &TablePath) -> Result<Option<SchemaRef>> {
        Ok(self.tables.get(path).map(|t| t.schema.clone()))
    }

    fn indexes_of(&self, path: &TablePath) -> Result<Vec<String>> {
        Ok(self
            .declared
            .get(path)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn existing(&self, path: &TablePath, ids: &LargeBinaryArray) -> Result<Vec<bool>> {
        let table = self.tables.get(path);
        Ok(ids
            .iter()
            .map(|id| matches!((table, id), (Some(t), Some(id)) if t.contains(id)))
            .collect())
    }
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, MemState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, MemState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for InMemoryStore {
    fn commit(&self, txn: StoreTransaction) -> Result<Vec<WriteSummary>> {
        let mut state = self.write();
        let planned = plan(&txn, &*state)?;
        // Fallible preparation first (index keys), then infallible mutation.
        let mut prepared = Vec::with_capacity(planned.len());
        for p in &planned {
            let declared = state.declared.get(&p.path).cloned().unwrap_or_default();
            let keys = match state.tables.get(&p.path) {
                Some(t) => t.index_keys(&p.records)?,
                None => MemTable::new(p.schema.clone(), &declared).index_keys(&p.records)?,
            };
            prepared.push(keys);
        }
        let mut summaries = Vec::with_capacity(planned.len());
        for (p, keys) in planned.into_iter().zip(prepared) {
            let declared = state.declared.get(&p.path).cloned().unwrap_or_default();
            let table = state
                .tables
                .entry(p.path.clone())
                .or_insert_with(|| MemTable::new(p.schema.clone(), &declared));
            if p.schema_changed {
                table.set_schema(p.schema.clone());
            }
            table.append(&p.records, keys);
            summaries.push(p.summary);
        }
        Ok(summaries)
    }

    fn get_records(&self, path: &TablePath, ids: &[&[u8]]) -> Result<Option<RecordSet>> {
        let state = self.read();
        let Some(table) = state.tables.get(path) else {
            return Ok(None);
        };
        table.rows_at(&table.rows_of(ids))
    }

    fn get_records_columns(
        &self,
        path: &TablePath,
        ids: &[&[u8]],
        columns: &[&str],
    ) -> Result<Option<RecordSet>> {
        let state = self.read();
        let Some(table) = state.tables.get(path) else {
            return Ok(None);
        };
        let p = crate::lookup::projection(&path.to_string(), &table.schema, columns)?;
        table.rows_at_projected(&table.rows_of(ids), Some(&p))
    }

    fn contains_ids(&self, path: &TablePath, ids: &[&[u8]]) -> Result<Vec<bool>> {
        let state = self.read();
        let table = state.tables.get(path);
        Ok(ids
            .iter()
            .map(|id| table.is_some_and(|t| t.contains(id)))
            .collect())
    }

    fn get_all(&self, path: &TablePath) -> Result<Option<RecordSet>> {
        {
            let state = self.read();
            match state.tables.get(path) {
                None => return Ok(None),
                Some(t) if t.is_empty() => return Ok(None),
                Some(t) if !t.needs_compaction() => {
                    return RecordSet::from_stored(t.chunks()?.remove(0)).map(Some);
                }
                Some(_) => {}
            }
        }
        let mut state = self.write();
        let Some(table) = state.tables.get_mut(path) else {
            return Ok(None);
        };
        table.compact()?;
        let mut chunks = table.chunks()?;
        match chunks.len() {
            0 => Ok(None),
            _ => RecordSet::from_stored(chunks.remove(0)).map(Some),
        }
    }

    fn scan<'a>(&'a self, path: &TablePath) -> Result<RecordSetIter<'a>> {
        let chunks = match self.read().tables.get(path) {
            None => Vec::new(),
            Some(t) => t.chunks()?,
        };
        Ok(Box::new(chunks.into_iter().map(RecordSet::from_stored)))
    }

    fn get_records_where(
        &self,
        path: &TablePath,
        constraints: &[(&str, Value)],
    ) -> Result<Option<RecordSet>> {
        let state = self.read();
        let Some(table) = state.tables.get(path) else {
            return Ok(None);
        };
        let path_str = path.to_string();
        let Some(resolved) = resolve(&path_str, &table.schema, constraints)? else {
            return Ok(None);
        };
        let indexed = resolved
            .iter()
            .find_map(|c| table.indexes.get(&c.column).map(|ix| ix.get(&c.key)));
        if let Some(hits) = indexed {
            let candidates = hits.cloned().unwrap_or_default();
            let Some(found) = table.rows_at(&candidates)? else {
                return Ok(None);
            };
            let rows = matching_rows(found.as_stored_batch(), &resolved, None)?;
            return match rows.is_empty() {
                true => Ok(None),
                false => {
                    RecordSet::from_stored(take_rows(found.as_stored_batch(), &rows)?).map(Some)
                }
            };
        }
        let mut parts = Vec::new();
        for chunk in table.chunks()? {
            let rows = matching_rows(&chunk, &resolved, None)?;
            if !rows.is_empty() {
                parts.push(take_rows(&chunk, &rows)?);
            }
        }
        concat_parts(&table.stored, parts)
    }

    fn latest_ids_where(
        &self,
        path: &TablePath,
        column: &str,
        values: &[Value],
    ) -> Result<Vec<Option<Vec<u8>>>> {
        {
            let state = self.read();
            let Some(table) = state.tables.get(path) else {
                return Ok(vec![None; values.len()]);
            };
            if let Some(index) = table.indexes.get(column) {
                let keys = lookup_keys(&path.to_string(), &table.schema, column, values)?;
                // Index rows are global row numbers in write order: the last is the most recent.
                return Ok(keys
                    .iter()
                    .map(|key| {
                        key.as_ref()
                            .and_then(|k| index.get(k))
                            .and_then(|rows| rows.last())
                            .and_then(|&row| table.id_at(row))
                    })
                    .collect());
            }
        }
        crate::store::latest_ids_by_lookup(self, path, column, values)
    }

    fn create_index(&self, path: &TablePath, column: &str) -> Result<()> {
        let mut state = self.write();
        if let Some(table) = state.tables.get_mut(path) {
            table.build_index(&path.to_string(), column)?;
        }
        state
            .declared
            .entry(path.clone())
            .or_default()
            .insert(column.to_string());
        Ok(())
    }

    fn indexes(&self, path: &TablePath) -> Result<Vec<String>> {
        self.read().indexes_of(path)
    }

    fn table_schema(&self, path: &TablePath) -> Result<Option<SchemaRef>> {
        self.read().schema_of(path)
    }

    fn list_paths(&self) -> Result<Vec<TablePath>> {
        Ok(self.read().tables.keys().cloned().collect())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn to_config(&self) -> StoreConfig {
        StoreConfig::InMemory
    }
}

/// Concatenates matched parts into one record set (`None` when empty).
pub(crate) fn concat_parts(
    stored: &SchemaRef,
    parts: Vec<arrow_array::RecordBatch>,
) -> Result<Option<RecordSet>> {
    let batch = match parts.len() {
        0 => return Ok(None),
        1 => parts.into_iter().next().expect("one part"),
        _ => arrow_select::concat::concat_batches(stored, &parts)
            .map_err(StoreError::arrow("concatenating matches"))?,
    };
    RecordSet::from_stored(batch).map(Some)
}
