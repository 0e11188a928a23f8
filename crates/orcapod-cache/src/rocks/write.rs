//! Writes: one `WriteBatch` per commit; index creation.

use std::sync::Arc;

use arrow_array::{Array, LargeBinaryArray};
use arrow_schema::SchemaRef;
use rocksdb::{WriteBatch, WriteOptions};

use super::codec::{encode_chunk, encode_schema};
use super::keys::{self, Locator};
use super::{RocksStore, TableMeta, TableSchema, lock};
use crate::error::{Result, StoreError};
use crate::path::TablePath;
use crate::plan::{Catalog, plan};
use crate::records::{RecordSet, WriteSummary};
use crate::schema::{relabel, stored_schema};
use crate::store::StoreTransaction;
use crate::value::{check_lookup_type, encode_column};

/// Index entries are written in WriteBatches of this many entries when an index is built
/// over existing rows (the declaration goes into the last one, so a partial build is
/// invisible and harmlessly redone).
const INDEX_BUILD_BATCH: usize = 100_000;

/// Target Arrow size of one chunk: a point lookup reads and decodes a whole chunk.
const CHUNK_TARGET_BYTES: usize = 16 << 10;
/// Fewest rows per chunk (amortises the IPC framing of wide rows).
const MIN_CHUNK_ROWS: usize = 16;
/// Most rows per chunk.
const MAX_CHUNK_ROWS: usize = 1024;

/// Rows per chunk for `batch`: about `CHUNK_TARGET_BYTES` of data, clamped.
pub(super) fn chunk_rows(batch: &arrow_array::RecordBatch) -> usize {
    let rows = batch.num_rows().max(1);
    let per_row = (batch.get_array_memory_size() / rows).max(1);
    (CHUNK_TARGET_BYTES / per_row).clamp(MIN_CHUNK_ROWS, MAX_CHUNK_ROWS)
}

impl Catalog for RocksStore {
    fn schema_of(&self, path: &TablePath) -> Result<Option<SchemaRef>> {
        Ok(self.meta(path)?.table.as_ref().map(|t| t.data.clone()))
    }

    fn indexes_of(&self, path: &TablePath) -> Result<Vec<String>> {
        Ok(self.meta(path)?.indexes.clone())
    }

    fn existing(&self, path: &TablePath, ids: &LargeBinaryArray) -> Result<Vec<bool>> {
        // Ids the table's filter rules out are not looked up (see `id_filter`).
        let maybe = lock(&self.id_filters)
            .may_contain(path, ids.iter().map(Option::unwrap_or_default))
            .unwrap_or_else(|| vec![true; ids.len()]);
        let prefix = keys::record_prefix(&self.segment(path));
        let mut keys: Vec<(Vec<u8>, usize)> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| maybe[*i])
            .map(|(i, id)| (keys::record_key(&prefix, id.unwrap_or_default()), i))
            .collect();
        keys.sort_unstable();
        let cf = self.default_cf()?;
        let found = self
            .db
            .batched_multi_get_cf(cf, keys.iter().map(|(k, _)| k), true);
        let mut exists = vec![false; ids.len()];
        for (r, (_, i)) in found.into_iter().zip(&keys) {
            exists[*i] = r.map_err(|e| self.err(&e))?.is_some();
        }
        Ok(exists)
    }
}

impl RocksStore {
    pub(super) fn default_cf(&self) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(rocksdb::DEFAULT_COLUMN_FAMILY_NAME)
            .ok_or_else(|| StoreError::Io {
                path: self.dir.clone(),
                detail: "the default column family is missing".to_string(),
            })
    }

    fn write_options(&self) -> WriteOptions {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.options.sync_writes);
        wo
    }

    /// Writes `wb` and, if RocksDB accepts it, adds it to [`write_stats`](Self::write_stats).
    fn write_batch(&self, wb: WriteBatch) -> std::result::Result<(), rocksdb::Error> {
        let (bytes, entries) = (wb.size_in_bytes(), wb.len());
        self.db.write_opt(wb, &self.write_options())?;
        self.written.add(bytes, entries);
        Ok(())
    }

    /// The number of chunk sequence numbers `path` has used: an upper bound of its chunk
    /// count (failed writes also use one), without allocating.
    pub(super) fn chunk_count(&self, path: &TablePath) -> Result<u64> {
        if let Some(next) = lock(&self.seqs).get(path) {
            return Ok(*next);
        }
        self.last_seq_plus_one(path)
    }

    /// One more than the greatest chunk sequence number stored for `path` (0 if none).
    fn last_seq_plus_one(&self, path: &TablePath) -> Result<u64> {
        let prefix = keys::chunk_prefix(&self.segment(path));
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_iterate_lower_bound(prefix.clone());
        ro.set_iterate_upper_bound(keys::upper_bound(&prefix));
        let mut it = self.db.raw_iterator_opt(ro);
        it.seek_to_last();
        match it.key() {
            Some(key) => Ok(keys::seq_of_chunk_key(&prefix, key)
                .ok_or_else(|| super::corrupt(&self.dir, format!("bad chunk key in '{path}'")))?
                .saturating_add(1)),
            None => {
                it.status().map_err(|e| self.err(&e))?;
                Ok(0)
            }
        }
    }

    /// Allocates the next chunk sequence number of `path` (never reused in this session).
    fn allocate_seq(&self, path: &TablePath) -> Result<u64> {
        let mut seqs = lock(&self.seqs);
        if let Some(next) = seqs.get_mut(path) {
            *next += 1;
            return Ok(*next - 1);
        }
        let next = self.last_seq_plus_one(path)?;
        seqs.insert(path.clone(), next + 1);
        Ok(next)
    }

    /// Format 2: records `t\0<token>` → path with a table's schema, after checking that no
    /// other table already owns the token (64-bit tokens make a collision astronomically
    /// unlikely; it would still be refused rather than mix two tables' keys).
    fn claim_token(&self, wb: &mut WriteBatch, path: &TablePath) -> Result<()> {
        if self.key_format != keys::KeyFormat::Token {
            return Ok(());
        }
        let key = keys::token_key(&self.segment(path));
        let joined = path.joined();
        match self.db.get_pinned(&key).map_err(|e| self.err(&e))? {
            Some(owner) if owner.as_ref() != joined.as_bytes() => Err(StoreError::InvalidPath {
                path: path.components().to_vec(),
                problem: crate::error::PathProblem::TokenCollision {
                    other: String::from_utf8_lossy(&owner).into_owned(),
                },
            }),
            Some(_) => Ok(()),
            None => {
                wb.put(&key, joined.as_bytes());
                Ok(())
            }
        }
    }

    /// Applies a transaction as one WriteBatch.
    pub(super) fn commit_txn(&self, txn: StoreTransaction) -> Result<Vec<WriteSummary>> {
        let _writer = lock(&self.writer);
        let planned = plan(&txn, self)?;
        let mut wb = WriteBatch::default();
        // Record and index entries of the whole transaction, put in key order at the end:
        // the memtable's skip list inserts neighbouring keys far faster than scattered ones
        // (digest-keyed entries arrive in random order). Keys are distinct (the plan removed
        // duplicates), so the order of puts does not change what is written.
        let mut entries: Vec<(Vec<u8>, [u8; 12])> = Vec::new();
        let mut new_meta: Vec<(TablePath, Arc<TableMeta>)> = Vec::new();
        // Tables this transaction creates (their id filters start now).
        let mut created: Vec<&TablePath> = Vec::new();
        for p in &planned {
            if self.meta(&p.path)?.table.is_none() && !created.contains(&&p.path) {
                created.push(&p.path);
            }
            let stored = stored_schema(&p.schema);
            if p.schema_changed {
                let bytes = encode_schema(&stored)?;
                wb.put(keys::schema_key(&p.path), &bytes);
                self.claim_token(&mut wb, &p.path)?;
                let table = TableSchema {
                    data: p.schema.clone(),
                    stored: stored.clone(),
                    bytes: Arc::from(bytes),
                };
                let meta = TableMeta {
                    table: Some(table),
                    indexes: p.indexes.clone(),
                };
                new_meta.push((p.path.clone(), Arc::new(meta)));
            }
            let batch = p.records.as_stored_batch();
            let cap = chunk_rows(batch);
            for start in (0..batch.num_rows()).step_by(cap) {
                let len = cap.min(batch.num_rows() - start);
                let part = RecordSet::from_stored(batch.slice(start, len))?;
                let seq = self.allocate_seq(&p.path)?;
                self.put_records(
                    &mut wb,
                    &mut entries,
                    &p.path,
                    &stored,
                    seq,
                    &part,
                    &p.indexes,
                )?;
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in &entries {
            wb.put(key, value);
        }
        // Publish widened/new schemas before the write (old chunks decode under a wider
        // schema); forget them again if the write fails.
        {
            let mut meta = lock(&self.meta);
            for (path, m) in &new_meta {
                meta.insert(path.clone(), Arc::clone(m));
            }
        }
        if let Err(e) = self.write_batch(wb) {
            let mut meta = lock(&self.meta);
            let mut filters = lock(&self.id_filters);
            for p in &planned {
                meta.remove(&p.path);
                filters.forget(&p.path);
            }
            return Err(self.err(&e));
        }
        {
            let mut filters = lock(&self.id_filters);
            for path in created {
                filters.track_new_table(path);
            }
            for p in &planned {
                let ids = p.records.ids();
                filters.add(&p.path, ids.iter().map(Option::unwrap_or_default));
            }
        }
        Ok(planned.into_iter().map(|p| p.summary).collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn put_records(
        &self,
        wb: &mut WriteBatch,
        entries: &mut Vec<(Vec<u8>, [u8; 12])>,
        path: &TablePath,
        stored: &SchemaRef,
        seq: u64,
        records: &RecordSet,
        indexes: &[String],
    ) -> Result<()> {
        let batch = relabel(records.as_stored_batch(), stored)?;
        let segment = self.segment(path);
        let chunk_prefix = keys::chunk_prefix(&segment);
        wb.put(keys::chunk_key(&chunk_prefix, seq), encode_chunk(&batch)?);
        let prefix = keys::record_prefix(&segment);
        let ids = records.ids();
        for (row, id) in ids.iter().enumerate() {
            let loc = Locator {
                seq,
                row: row as u32,
            };
            entries.push((
                keys::record_key(&prefix, id.unwrap_or_default()),
                loc.encode(),
            ));
        }
        for column in indexes {
            let i = stored.index_of(column).map_err(|_| StoreError::Index {
                path: path.to_string(),
                column: column.clone(),
                reason: "the indexed column is missing".to_string(),
            })?;
            let encoded =
                encode_column(batch.column(i).as_ref()).map_err(|reason| StoreError::Index {
                    path: path.to_string(),
                    column: column.clone(),
                    reason,
                })?;
            for (row, value) in encoded.into_iter().enumerate() {
                let Some(value) = value else { continue };
                let mut key = keys::index_value_prefix(&segment, column, &value);
                key.extend_from_slice(ids.value(row));
                let loc = Locator {
                    seq,
                    row: row as u32,
                };
                entries.push((key, loc.encode()));
            }
        }
        Ok(())
    }

    /// Declares (and builds) an index.
    pub(super) fn create_index_impl(&self, path: &TablePath, column: &str) -> Result<()> {
        let _writer = lock(&self.writer);
        let meta = self.meta(path)?;
        if meta.indexes.iter().any(|c| c == column) {
            return Ok(());
        }
        let err = |reason: String| StoreError::Index {
            path: path.to_string(),
            column: column.to_string(),
            reason,
        };
        let mut wb = WriteBatch::default();
        let segment = self.segment(path);
        if let Some(table) = &meta.table {
            let field = table
                .data
                .field_with_name(column)
                .map_err(|_| err("no such column".to_string()))?;
            check_lookup_type(field.data_type()).map_err(err)?;
            let i = table
                .stored
                .index_of(column)
                .map_err(|e| err(e.to_string()))?;
            for item in self.chunk_iter(path, table) {
                let (seq, batch) = item?;
                let encoded = encode_column(batch.column(i).as_ref()).map_err(err)?;
                let ids = RecordSet::from_stored(batch)?;
                for (row, value) in encoded.into_iter().enumerate() {
                    let Some(value) = value else { continue };
                    let mut key = keys::index_value_prefix(&segment, column, &value);
                    key.extend_from_slice(ids.id(row));
                    let loc = Locator {
                        seq,
                        row: row as u32,
                    };
                    wb.put(&key, loc.encode());
                }
                if wb.len() >= INDEX_BUILD_BATCH {
                    let full = std::mem::take(&mut wb);
                    self.write_batch(full).map_err(|e| self.err(&e))?;
                }
            }
        }
        wb.put(keys::index_decl_key(&segment, column), []);
        self.write_batch(wb).map_err(|e| self.err(&e))?;
        let mut indexes = meta.indexes.clone();
        indexes.push(column.to_string());
        indexes.sort();
        let updated = TableMeta {
            table: meta.table.clone(),
            indexes,
        };
        lock(&self.meta).insert(path.clone(), Arc::new(updated));
        Ok(())
    }
}
