//! Reads: chunk streaming, id lookups, equality lookups.

use std::collections::{BTreeMap, HashSet};

use arrow_array::RecordBatch;
use arrow_select::interleave::interleave_record_batch;
use orcapod_datagram::Value;

use super::codec::{decode_chunk, decode_chunk_projected};
use super::keys::{self, Locator};
use super::{RocksStore, TableSchema, corrupt, lock};
use crate::error::{Result, StoreError};
use crate::lookup::{Constraint, lookup_keys, matching_rows, project, resolve, take_rows};
use crate::memory::concat_parts;
use crate::path::TablePath;
use crate::records::RecordSet;

/// Approximate memory of a decoded chunk beyond its buffer (array and schema structs).
const CHUNK_OVERHEAD: usize = 512;
/// Id lookups at least this large may be answered by a table scan ...
const BULK_LOOKUP_IDS: usize = 4096;
/// ... when they ask for at least this many ids per chunk of the table. Measured: a point
/// lookup (key read + locator) costs about as much as decoding 1/16 of a typical chunk, and
/// a chunk holds 16 to 1024 rows, so above this ratio the scan reads less.
const SCAN_IDS_PER_CHUNK: u64 = 16;

impl RocksStore {
    /// Streams `(seq, stored-form batch)` for every chunk of a table, in write order.
    pub(super) fn chunk_iter<'a>(
        &'a self,
        path: &TablePath,
        table: &TableSchema,
    ) -> impl Iterator<Item = Result<(u64, RecordBatch)>> + 'a {
        self.chunk_iter_projected(path, table, None)
    }

    /// [`chunk_iter`](Self::chunk_iter) decoding only the stored columns of `projection`.
    pub(super) fn chunk_iter_projected<'a>(
        &'a self,
        path: &TablePath,
        table: &TableSchema,
        projection: Option<Vec<usize>>,
    ) -> impl Iterator<Item = Result<(u64, RecordBatch)>> + 'a {
        let prefix = keys::chunk_prefix(&self.segment(path));
        let table = table.clone();
        let name = path.to_string();
        self.prefix_iter_opt(&prefix, false).map(move |item| {
            let (key, value) = item.map_err(|e| self.err(&e))?;
            let seq = keys::seq_of_chunk_key(&prefix, &key)
                .ok_or_else(|| corrupt(&self.dir, format!("bad chunk key in '{name}'")))?;
            let batch =
                decode_chunk_projected(&table.bytes, &table.stored, &value, projection.as_deref())
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
        let key = keys::chunk_key(&keys::chunk_prefix(&self.segment(path)), seq);
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
        projection: Option<&[usize]>,
    ) -> Result<Option<RecordSet>> {
        let mut slots: BTreeMap<u64, usize> = BTreeMap::new();
        for l in locators {
            let next = slots.len();
            slots.entry(l.seq).or_insert(next);
        }
        let mut chunks = vec![RecordBatch::new_empty(table.stored.clone()); slots.len()];
        for (&seq, &slot) in &slots {
            chunks[slot] = project(self.chunk(path, table, seq)?, projection)?;
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
        columns: Option<&[&str]>,
    ) -> Result<Option<RecordSet>> {
        let meta = self.meta(path)?;
        let Some(table) = &meta.table else {
            return Ok(None);
        };
        let projection = columns
            .map(|c| crate::lookup::projection(&path.to_string(), &table.data, c))
            .transpose()?;
        let projection = projection.as_deref();
        let mut seen: HashSet<&[u8], ahash::RandomState> =
            HashSet::with_capacity_and_hasher(ids.len(), Default::default());
        let wanted: Vec<&[u8]> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        if wanted.len() >= BULK_LOOKUP_IDS
            && wanted.len() as u64 >= SCAN_IDS_PER_CHUNK.saturating_mul(self.chunk_count(path)?)
        {
            return self.scan_for_ids(path, table, &wanted, projection);
        }
        let prefix = keys::record_prefix(&self.segment(path));
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
        self.gather(path, table, &locators, projection)
    }

    /// [`get_records_impl`](Self::get_records_impl) for lookups that ask for a large part of
    /// a table (a warm rerun reads back everything it wrote): one sequential pass over the
    /// chunks, keeping the rows whose id is wanted, instead of a key read per id. Record ids
    /// are unique per table (writes skip or refuse existing ids), so each wanted id is found at
    /// most once.
    fn scan_for_ids(
        &self,
        path: &TablePath,
        table: &TableSchema,
        wanted: &[&[u8]],
        projection: Option<&[usize]>,
    ) -> Result<Option<RecordSet>> {
        let position: std::collections::HashMap<&[u8], usize, ahash::RandomState> =
            wanted.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut found: Vec<Option<(usize, usize)>> = vec![None; wanted.len()];
        let mut chunks = Vec::new();
        // Chunks are decoded with the projection already applied.
        for item in self.chunk_iter_projected(path, table, projection.map(<[usize]>::to_vec)) {
            let (seq, batch) = item?;
            let ids = batch
                .column(0)
                .as_any()
                .downcast_ref::<arrow_array::LargeBinaryArray>()
                .ok_or_else(|| corrupt(&self.dir, format!("chunk {seq} of '{path}' has no ids")))?;
            let mut used = false;
            for row in 0..arrow_array::Array::len(ids) {
                if let Some(&at) = position.get(ids.value(row))
                    && found[at].is_none()
                {
                    found[at] = Some((chunks.len(), row));
                    used = true;
                }
            }
            if used {
                chunks.push(batch);
            }
        }
        let indices: Vec<(usize, usize)> = found.into_iter().flatten().collect();
        if indices.is_empty() {
            return Ok(None);
        }
        RecordSet::from_stored(gather_runs(&chunks, &indices)?).map(Some)
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
        let prefix = keys::index_value_prefix(&self.segment(path), &by.column, &by.key);
        let mut locators = Vec::new();
        for item in self.prefix_iter(&prefix) {
            let (_, value) = item.map_err(|e| self.err(&e))?;
            let l = Locator::decode(&value)
                .ok_or_else(|| corrupt(&self.dir, format!("bad index entry in '{path}'")))?;
            locators.push(l);
        }
        locators.sort_unstable();
        let Some(found) = self.gather(path, table, &locators, None)? else {
            return Ok(None);
        };
        // Re-check every constraint (also guards against a stale or damaged index).
        let rows = matching_rows(found.as_stored_batch(), all, None)?;
        if rows.is_empty() {
            return Ok(None);
        }
        RecordSet::from_stored(take_rows(found.as_stored_batch(), &rows)?).map(Some)
    }

    /// [`Store::latest_ids_where`](crate::Store::latest_ids_where): with an index on `column`,
    /// one raw iterator seeks each value's index prefix (in key order, so the seeks move
    /// forward through the index) and keeps the entry with the greatest locator, i.e. the
    /// record written last; the record id is the entry key's suffix, so no chunk is decoded.
    pub(super) fn latest_ids_impl(
        &self,
        path: &TablePath,
        column: &str,
        values: &[Value],
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let meta = self.meta(path)?;
        let Some(table) = &meta.table else {
            return Ok(vec![None; values.len()]);
        };
        if meta
            .indexes
            .binary_search_by(|c| c.as_str().cmp(column))
            .is_err()
        {
            return crate::store::latest_ids_by_lookup(self, path, column, values);
        }
        let keys_of = lookup_keys(&path.to_string(), &table.data, column, values)?;
        let segment = self.segment(path);
        let mut prefixes: Vec<(Vec<u8>, usize)> = keys_of
            .iter()
            .enumerate()
            .filter_map(|(i, key)| {
                key.as_ref()
                    .map(|k| (keys::index_value_prefix(&segment, column, k), i))
            })
            .collect();
        prefixes.sort_unstable();
        let mut out = vec![None; values.len()];
        let Some(first) = prefixes.first() else {
            return Ok(out);
        };
        let table_prefix = keys::index_value_prefix(&segment, column, &[]);
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_iterate_lower_bound(first.0.clone());
        ro.set_iterate_upper_bound(keys::upper_bound(&table_prefix[..table_prefix.len() - 4]));
        let mut iter = self.db.raw_iterator_opt(ro);
        for (prefix, slot) in &prefixes {
            iter.seek(prefix);
            let mut latest: Option<(Locator, Vec<u8>)> = None;
            while let (Some(key), Some(value)) = (iter.key(), iter.value()) {
                let Some(id) = key.strip_prefix(prefix.as_slice()) else {
                    break;
                };
                let locator = Locator::decode(value)
                    .ok_or_else(|| corrupt(&self.dir, format!("bad index entry in '{path}'")))?;
                if latest.as_ref().is_none_or(|(l, _)| locator > *l) {
                    latest = Some((locator, id.to_vec()));
                }
                iter.next();
            }
            iter.status().map_err(|e| self.err(&e))?;
            out[*slot] = latest.map(|(_, id)| id);
        }
        Ok(out)
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

/// Rows `indices` (chunk, row) of `chunks`, in that order. Reads that want rows in the order
/// they were written (a warm rerun reads back a whole run) ask for long runs of consecutive
/// rows: those are copied as slices (buffer copies) instead of row by row.
fn gather_runs(chunks: &[RecordBatch], indices: &[(usize, usize)]) -> Result<RecordBatch> {
    /// Runs at least this long on average make slicing cheaper than interleaving.
    const MIN_MEAN_RUN: usize = 16;
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for &(chunk, row) in indices {
        match runs.last_mut() {
            Some((c, start, len)) if *c == chunk && *start + *len == row => *len += 1,
            _ => runs.push((chunk, row, 1)),
        }
    }
    let Some(first) = chunks.first() else {
        return Err(StoreError::Corrupt {
            path: Default::default(),
            detail: "no chunk to gather rows from".to_string(),
        });
    };
    if runs.len().saturating_mul(MIN_MEAN_RUN) <= indices.len() {
        let slices: Vec<RecordBatch> = runs
            .iter()
            .map(|&(chunk, start, len)| chunks[chunk].slice(start, len))
            .collect();
        return arrow_select::concat::concat_batches(&first.schema(), &slices)
            .map_err(StoreError::arrow("gathering scanned rows"));
    }
    let refs: Vec<&RecordBatch> = chunks.iter().collect();
    interleave_record_batch(&refs, indices).map_err(StoreError::arrow("gathering scanned rows"))
}
