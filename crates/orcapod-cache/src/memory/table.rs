//! One in-memory table: append-only chunk list plus hash-map lookups.

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use arrow_select::concat::concat_batches;
use arrow_select::interleave::interleave_record_batch;

use crate::error::{Result, StoreError};
use crate::lookup::project;
use crate::records::RecordSet;
use crate::schema::{relabel, stored_schema};
use crate::value::check_lookup_type;

/// Chunks at or above this many rows are never merged on append.
const MERGE_BELOW_ROWS: usize = 4096;

/// Encoded index keys of one column for the rows of one chunk (`None`: null/NaN).
pub(super) type IndexKeys = Vec<(String, Vec<Option<Vec<u8>>>)>;

/// Hash maps keyed by ids and digests: ahash (randomly seeded, so still DoS-resistant) is
/// several times faster than SipHash on these short keys, which warm reruns hash millions of.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// A table. Rows are numbered globally in write order; `ids` and `indexes` hold global
/// row numbers, which stay valid when chunks are merged.
#[derive(Debug)]
pub(super) struct MemTable {
    /// Data schema.
    pub(super) schema: SchemaRef,
    /// Stored-form schema (id column first).
    pub(super) stored: SchemaRef,
    /// Chunks, each possibly labelled with an older (narrower) schema: see `chunk`.
    chunks: Vec<RecordBatch>,
    /// Global row number of the first row of each chunk.
    starts: Vec<usize>,
    rows: usize,
    ids: HashMap<Box<[u8]>, usize>,
    pub(super) indexes: BTreeMap<String, HashMap<Vec<u8>, Vec<usize>>>,
}

impl MemTable {
    pub(super) fn new(schema: SchemaRef, index_columns: &BTreeSet<String>) -> Self {
        MemTable {
            stored: stored_schema(&schema),
            schema,
            chunks: Vec::new(),
            starts: Vec::new(),
            rows: 0,
            ids: HashMap::default(),
            indexes: index_columns
                .iter()
                .map(|c| (c.clone(), HashMap::default()))
                .collect(),
        }
    }

    pub(super) fn set_schema(&mut self, schema: SchemaRef) {
        self.stored = stored_schema(&schema);
        self.schema = schema;
    }

    pub(super) fn contains(&self, id: &[u8]) -> bool {
        self.ids.contains_key(id)
    }

    /// The rows of `ids` that exist, in the order asked, each at most once (a bitmap over the
    /// table's rows, cheaper than hashing them).
    pub(super) fn rows_of(&self, ids: &[&[u8]]) -> Vec<usize> {
        let mut seen = vec![false; self.rows];
        ids.iter()
            .filter_map(|id| self.row_of(id))
            .filter(|&r| !std::mem::replace(&mut seen[r], true))
            .collect()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Chunk `i` labelled with the current schema.
    fn chunk(&self, i: usize) -> Result<RecordBatch> {
        relabel(&self.chunks[i], &self.stored)
    }

    /// Index keys of `records` for every index of this table (fallible preparation).
    pub(super) fn index_keys(&self, records: &RecordSet) -> Result<IndexKeys> {
        self.indexes
            .keys()
            .map(|column| {
                let i = self
                    .stored
                    .index_of(column)
                    .map_err(|_| StoreError::Index {
                        path: String::new(),
                        column: column.clone(),
                        reason: "the indexed column is missing".to_string(),
                    })?;
                Ok((
                    column.clone(),
                    encode_column(records.as_stored_batch(), i, column)?,
                ))
            })
            .collect()
    }

    /// Appends prepared records (infallible).
    pub(super) fn append(&mut self, records: &RecordSet, keys: IndexKeys) {
        let n = records.len();
        if n == 0 {
            return;
        }
        let start = self.rows;
        for (i, id) in records.ids().iter().enumerate() {
            if let Some(id) = id {
                self.ids.insert(id.into(), start + i);
            }
        }
        for (column, keys) in keys {
            let index = self.indexes.entry(column).or_default();
            for (i, key) in keys.into_iter().enumerate() {
                if let Some(key) = key {
                    index.entry(key).or_default().push(start + i);
                }
            }
        }
        self.chunks.push(records.as_stored_batch().clone());
        self.starts.push(start);
        self.rows += n;
        self.merge_tail();
    }

    /// Binary-counter merging of small tail chunks: amortised O(log) copies per row,
    /// O(log n + n / MERGE_BELOW_ROWS) chunks.
    fn merge_tail(&mut self) {
        while let [.., a, b] = self.chunks.as_slice() {
            if a.num_rows() >= MERGE_BELOW_ROWS || b.num_rows() < a.num_rows() {
                break;
            }
            let k = self.chunks.len();
            let Ok(merged) = self.concat(k - 2..k) else {
                break;
            };
            self.chunks.truncate(k - 2);
            self.starts.truncate(k - 1);
            self.chunks.push(merged);
        }
    }

    fn concat(&self, range: std::ops::Range<usize>) -> Result<RecordBatch> {
        let chunks = range.map(|i| self.chunk(i)).collect::<Result<Vec<_>>>()?;
        concat_batches(&self.stored, &chunks).map_err(StoreError::arrow("compacting chunks"))
    }

    /// Merges all chunks into one (lazily, before whole-table reads).
    pub(super) fn compact(&mut self) -> Result<()> {
        if self.chunks.len() > 1 {
            let merged = self.concat(0..self.chunks.len())?;
            self.chunks = vec![merged];
            self.starts = vec![0];
        }
        Ok(())
    }

    pub(super) fn needs_compaction(&self) -> bool {
        self.chunks.len() > 1
    }

    /// All chunks, labelled with the current schema.
    pub(super) fn chunks(&self) -> Result<Vec<RecordBatch>> {
        (0..self.chunks.len()).map(|i| self.chunk(i)).collect()
    }

    fn locate(&self, row: usize) -> (usize, usize) {
        let c = self.starts.partition_point(|&s| s <= row) - 1;
        (c, row - self.starts[c])
    }

    /// The record id of global row `row`.
    pub(super) fn id_at(&self, row: usize) -> Option<Vec<u8>> {
        use arrow_array::Array;
        if row >= self.rows {
            return None;
        }
        let (c, r) = self.locate(row);
        let ids = self.chunks[c]
            .column(0)
            .as_any()
            .downcast_ref::<arrow_array::LargeBinaryArray>()?;
        (r < ids.len()).then(|| ids.value(r).to_vec())
    }

    /// Rows at global positions `rows` (in that order).
    pub(super) fn rows_at(&self, rows: &[usize]) -> Result<Option<RecordSet>> {
        self.rows_at_projected(rows, None)
    }

    /// [`rows_at`](Self::rows_at) keeping only the stored columns of `projection`.
    pub(super) fn rows_at_projected(
        &self,
        rows: &[usize],
        projection: Option<&[usize]>,
    ) -> Result<Option<RecordSet>> {
        let batch = match rows {
            [] => return Ok(None),
            [row] => {
                let (c, r) = self.locate(*row);
                project(self.chunk(c)?, projection)?.slice(r, 1)
            }
            _ => {
                let mut used: BTreeMap<usize, usize> = BTreeMap::new();
                let located: Vec<(usize, usize)> = rows.iter().map(|&r| self.locate(r)).collect();
                for (c, _) in &located {
                    let next = used.len();
                    used.entry(*c).or_insert(next);
                }
                let mut chunks = vec![RecordBatch::new_empty(self.stored.clone()); used.len()];
                for (&c, &slot) in &used {
                    chunks[slot] = project(self.chunk(c)?, projection)?;
                }
                let refs: Vec<&RecordBatch> = chunks.iter().collect();
                let indices: Vec<(usize, usize)> =
                    located.iter().map(|(c, r)| (used[c], *r)).collect();
                interleave_record_batch(&refs, &indices)
                    .map_err(StoreError::arrow("gathering rows"))?
            }
        };
        RecordSet::from_stored(batch).map(Some)
    }

    /// Builds an index on `column` from the existing rows (no-op if it exists).
    pub(super) fn build_index(&mut self, path: &str, column: &str) -> Result<()> {
        if self.indexes.contains_key(column) {
            return Ok(());
        }
        let err = |reason: String| StoreError::Index {
            path: path.to_string(),
            column: column.to_string(),
            reason,
        };
        let field = self
            .schema
            .field_with_name(column)
            .map_err(|_| err("no such column".to_string()))?;
        check_lookup_type(field.data_type()).map_err(err)?;
        let i = self
            .stored
            .index_of(column)
            .map_err(|e| err(e.to_string()))?;
        let mut index: HashMap<Vec<u8>, Vec<usize>> = HashMap::default();
        let mut row = 0;
        for chunk in self.chunks()? {
            for key in encode_column(&chunk, i, column)? {
                if let Some(key) = key {
                    index.entry(key).or_default().push(row);
                }
                row += 1;
            }
        }
        self.indexes.insert(column.to_string(), index);
        Ok(())
    }

    /// Global row of `id`.
    pub(super) fn row_of(&self, id: &[u8]) -> Option<usize> {
        self.ids.get(id).copied()
    }
}

/// Encoded keys of stored column `i` of `batch`.
fn encode_column(batch: &RecordBatch, i: usize, column: &str) -> Result<Vec<Option<Vec<u8>>>> {
    crate::value::encode_column(batch.column(i).as_ref()).map_err(|reason| StoreError::Index {
        path: String::new(),
        column: column.to_string(),
        reason,
    })
}
