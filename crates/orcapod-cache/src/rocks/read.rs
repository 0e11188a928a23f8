//! Reads: chunk streaming, id lookups, equality lookups.

use std::collections::{BTreeMap, HashSet};

use arrow_array::RecordBatch;
use arrow_select::interleave::interleave_record_batch;
use orcapod_datagram::Value;

use super::codec::decode_chunk;
use super::keys::{self, Locator};
use super::{RocksStore, TableSchema, corrupt, lock};
use crate::error::{Result, StoreError};
use crate::lookup::{Constraint, matching_rows, resolve, take_rows};
use crate::memory::concat_parts;
use crate::path::TablePath;
use crate::records::RecordSet;

/// Approximate memory of a decoded chunk beyond its buffer (array and schema structs).
const CHUNK_OVERHEAD: usize = 512;

impl RocksStore {
    /// Streams `(seq, stored-form batch)` for every chunk of a table, in write order.
    pub(super) fn chunk_iter<'a>(
        &'a self,
        path: &TablePath,
        table: &TableSchema,
    ) -> impl Iterator<Item = Result<(u64, RecordBatch)>> + 'a {
        let prefix = keys::chunk_prefix(path);
        let table = table.clone();
        let name = path.to_string();
        self.prefix_iter_opt(&prefix, false).map(move |item| {
            let (key, value) = item.map_err(|e| self.err(&e))?;
            let seq = keys::seq_of_chunk_key(&prefix, &key)
                .ok_or_else(|| corrupt(&self.dir, format!("bad chunk key in '{name}'")))?;
            let batch = decode_chunk(&table.bytes, &table.stored, &value)
                .map_err(|e| corrupt(&self.dir, format!("chunk {seq} of '{name}': {e}")))?;
            Ok((seq, batch))
        })
    }

    /// One decoded chunk (through the chunk cache).
    fn chunk(&self, path: &TablePath, table: &TableSchema, seq: u64) -> Result<RecordBatch> {
        let name = path.to_string();
        if let Some(batch) = lock(&self.chunks).get(&name, seq) {
            return crate::schema::relabel(&batch, &table.stored);
        }
        let key = keys::chunk_key(&keys::chunk_prefix(path), seq);
        // Decoded chunks are cached here; keep their raw blocks out of RocksDB's block cache,
        // which then holds the record keys.
        let mut ro = rocksdb::ReadOptions::default();
        ro.fill_cache(false);
        let value = self
            .db
            .get_pinned_opt(&key, &ro)
            .map_err(|e| self.err(&e))?
            .ok_or_else(|| corrupt(&self.dir, format!("chunk {seq} of '{name}' is missing")))?;
        let batch = decode_chunk(&table.bytes, &table.stored, &value)
            .map_err(|e| corrupt(&self.dir, format!("chunk {seq} of '{name}': {e}")))?;
        // Decoded arrays share one buffer of about the value's size.
        lock(&self.chunks).insert(&name, seq, batch.clone(), value.len() + CHUNK_OVERHEAD);
        Ok(batch)
    }

    /// Rows at `locators` (in that order), read chunk by chunk.
    fn gather(
        &self,
        path: &TablePath,
        table: &TableSchema,
        locators: &[Locator],
    ) -> Result<Option<RecordSet>> {
        let mut slots: BTreeMap<u64, usize> = BTreeMap::new();
        for l in locators {
            let next = slots.len();
            slots.entry(l.seq).or_insert(next);
        }
        let mut chunks = vec![RecordBatch::new_empty(table.stored.clone()); slots.len()];
        for (&seq, &slot) in &slots {
            chunks[slot] = self.chunk(path, table, seq)?;
        }
        let mut indices = Vec::with_capacity(locators.len());
        for l in locators {
            let slot = slots[&l.seq];
            if l.row as usize >= chunks[slot].num_rows() {
                return Err(corrupt(
                    &self.dir,
                    format!("record locator {l:?} of '{path}' is out of range"),
                ));
            }
            indices.push((slot, l.row as usize));
        }
        let batch = match indices.as_slice() {
            [] => return Ok(None),
            [(slot, row)] => chunks[*slot].slice(*row, 1),
            _ => {
                let refs: Vec<&RecordBatch> = chunks.iter().collect();
                interleave_record_batch(&refs, &indices)
                    .map_err(StoreError::arrow("gathering rows"))?
            }
        };
        RecordSet::from_stored(batch).map(Some)
    }

    pub(super) fn get_records_impl(
        &self,
        path: &TablePath,
        ids: &[&[u8]],
    ) -> Result<Option<RecordSet>> {
        let meta = self.meta(path)?;
        let Some(table) = &meta.table else {
            return Ok(None);
        };
        let mut seen = HashSet::with_capacity(ids.len());
        let wanted: Vec<&[u8]> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        let prefix = keys::record_prefix(path);
        let keys: Vec<Vec<u8>> = wanted
            .iter()
            .map(|id| keys::record_key(&prefix, id))
            .collect();
        let values = match keys.as_slice() {
            [] => return Ok(None),
            [key] => vec![self.db.get_pinned(key)],
            _ => self
                .db
                .batched_multi_get_cf(self.default_cf()?, &keys, false),
        };
        let mut locators = Vec::with_capacity(values.len());
        for value in values {
            if let Some(v) = value.map_err(|e| self.err(&e))? {
                let l = Locator::decode(&v)
                    .ok_or_else(|| corrupt(&self.dir, format!("bad record locator in '{path}'")))?;
                locators.push(l);
            }
        }
        self.gather(path, table, &locators)
    }

    pub(super) fn where_impl(
        &self,
        path: &TablePath,
        constraints: &[(&str, Value)],
    ) -> Result<Option<RecordSet>> {
        let meta = self.meta(path)?;
        let Some(table) = &meta.table else {
            return Ok(None);
        };
        let Some(resolved) = resolve(&path.to_string(), &table.data, constraints)? else {
            return Ok(None);
        };
        let indexed = resolved
            .iter()
            .find(|c| meta.indexes.binary_search(&c.column).is_ok());
        if let Some(c) = indexed {
            return self.indexed_lookup(path, table, c, &resolved);
        }
        let mut parts = Vec::new();
        for item in self.chunk_iter(path, table) {
            let (_, chunk) = item?;
            let rows = matching_rows(&chunk, &resolved, None)?;
            if !rows.is_empty() {
                parts.push(take_rows(&chunk, &rows)?);
            }
        }
        concat_parts(&table.stored, parts)
    }

    fn indexed_lookup(
        &self,
        path: &TablePath,
        table: &TableSchema,
        by: &Constraint,
        all: &[Constraint],
    ) -> Result<Option<RecordSet>> {
        let prefix = keys::index_value_prefix(path, &by.column, &by.key);
        let mut locators = Vec::new();
        for item in self.prefix_iter(&prefix) {
            let (_, value) = item.map_err(|e| self.err(&e))?;
            let l = Locator::decode(&value)
                .ok_or_else(|| corrupt(&self.dir, format!("bad index entry in '{path}'")))?;
            locators.push(l);
        }
        locators.sort_unstable();
        let Some(found) = self.gather(path, table, &locators)? else {
            return Ok(None);
        };
        // Re-check every constraint (also guards against a stale or damaged index).
        let rows = matching_rows(found.as_stored_batch(), all, None)?;
        if rows.is_empty() {
            return Ok(None);
        }
        RecordSet::from_stored(take_rows(found.as_stored_batch(), &rows)?).map(Some)
    }

    pub(super) fn list_paths_impl(&self) -> Result<Vec<TablePath>> {
        let mut paths = Vec::new();
        for item in self.prefix_iter(keys::SCHEMA_PREFIX) {
            let (key, _) = item.map_err(|e| self.err(&e))?;
            let path = keys::path_of_schema_key(&key).map_err(|e| match e {
                StoreError::Corrupt { detail, .. } => corrupt(&self.dir, detail),
                other => other,
            })?;
            paths.push(path);
        }
        paths.sort();
        Ok(paths)
    }
}
