//! The [`Store`] trait, multi-table transactions and store configuration.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use orcapod_datagram::Value;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::memory::InMemoryStore;
use crate::path::TablePath;
use crate::records::{OnDuplicate, RecordSet, WriteSummary};
use crate::rocks::RocksStore;

/// A stream of record sets (one per stored chunk), as returned by [`Store::scan`].
pub type RecordSetIter<'a> = Box<dyn Iterator<Item = Result<RecordSet>> + 'a>;

/// A hierarchical store of Arrow records: tables addressed by [`TablePath`], rows addressed
/// by record id (bytes).
///
/// Semantics shared by every implementation:
/// * Records are immutable once written: an existing id is never replaced
///   ([`OnDuplicate`] chooses between skipping and failing).
/// * Every write ([`add_records`](Store::add_records), [`commit`](Store::commit)) is atomic:
///   it is applied entirely or not at all, and is visible to reads as soon as it returns.
/// * [`flush`](Store::flush) makes everything written so far durable.
/// * Reads return `None` when nothing matches (or the table does not exist).
/// * Lookups by id return rows in the order the ids were asked for, each id at most once.
///
/// The trait is object-safe; stores are shared as `Arc<dyn Store>`.
pub trait Store: Send + Sync + fmt::Debug {
    /// Applies every operation of `txn` atomically, in order (a later operation on the same
    /// table sees the ids of an earlier one as existing). Returns one summary per operation.
    fn commit(&self, txn: StoreTransaction) -> Result<Vec<WriteSummary>>;

    /// Rows of `path` with the given ids (missing ids are ignored).
    fn get_records(&self, path: &TablePath, ids: &[&[u8]]) -> Result<Option<RecordSet>>;

    /// [`get_records`](Self::get_records) reading only `columns` (plus the ids): callers that
    /// need one or two columns of wide rows (e.g. the link column of pipeline records) avoid
    /// copying the rest. An unknown column is [`StoreError::UnknownColumn`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{Int64Array, RecordBatch, StringArray};
    /// use orcapod_cache::{InMemoryStore, OnDuplicate, RecordSet, Store, TablePath};
    /// let store = InMemoryStore::new();
    /// let path = TablePath::new(["t"])?;
    /// let batch = RecordBatch::try_from_iter([
    ///     ("x", Arc::new(Int64Array::from(vec![1, 2])) as _),
    ///     ("wide", Arc::new(StringArray::from(vec!["...", "..."])) as _),
    /// ])?;
    /// store.add_records(&path, RecordSet::new([b"a".to_vec(), b"b".to_vec()], batch)?, OnDuplicate::Error)?;
    /// let set = store.get_records_columns(&path, &[b"b"], &["x"])?.unwrap();
    /// assert_eq!(set.data().num_columns(), 1);
    /// assert_eq!(set.id(0), b"b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn get_records_columns(
        &self,
        path: &TablePath,
        ids: &[&[u8]],
        columns: &[&str],
    ) -> Result<Option<RecordSet>> {
        let Some(schema) = self.table_schema(path)? else {
            return Ok(None);
        };
        let p = crate::lookup::projection(&path.to_string(), &schema, columns)?;
        match self.get_records(path, ids)? {
            None => Ok(None),
            Some(set) => {
                let stored = crate::lookup::project(set.as_stored_batch().clone(), Some(&p))?;
                RecordSet::from_stored(stored).map(Some)
            }
        }
    }

    /// For each of `ids`, whether `path` holds a record with that id (all `false` when the
    /// table does not exist). Content-addressed tables (a result keyed by its input's hash)
    /// ask this instead of reading rows; stores answer from their id index alone (RocksDB:
    /// one batched key probe, no chunk decoded).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{Int64Array, RecordBatch};
    /// use orcapod_cache::{InMemoryStore, OnDuplicate, RecordSet, Store, TablePath};
    /// let store = InMemoryStore::new();
    /// let path = TablePath::new(["t"])?;
    /// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1])) as _)])?;
    /// store.add_records(&path, RecordSet::new([b"a".to_vec()], batch)?, OnDuplicate::Error)?;
    /// assert_eq!(store.contains_ids(&path, &[b"z", b"a"])?, vec![false, true]);
    /// assert_eq!(store.contains_ids(&TablePath::new(["none"])?, &[b"a"])?, vec![false]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn contains_ids(&self, path: &TablePath, ids: &[&[u8]]) -> Result<Vec<bool>> {
        let found = match self.get_records_columns(path, ids, &[])? {
            Some(set) => (0..set.len()).map(|i| set.id(i).to_vec()).collect(),
            None => std::collections::HashSet::new(),
        };
        Ok(ids.iter().map(|id| found.contains(*id)).collect())
    }

    /// All rows of `path`, in write order.
    fn get_all(&self, path: &TablePath) -> Result<Option<RecordSet>>;

    /// All rows of `path`, streamed chunk by chunk (write order).
    fn scan<'a>(&'a self, path: &TablePath) -> Result<RecordSetIter<'a>>;

    /// Rows where every `(column, value)` constraint holds (equality; see the
    /// [`value`-matching rules](crate#lookups-and-indexes)). Uses a secondary index when one
    /// of the columns has one, else scans the table.
    fn get_records_where(
        &self,
        path: &TablePath,
        constraints: &[(&str, Value)],
    ) -> Result<Option<RecordSet>>;

    /// Declares a secondary index on `column` of `path` and builds it from existing rows.
    /// The table may not exist yet (the column is then checked at its first write, which
    /// fails if the column is missing or of an unsupported type). Idempotent.
    fn create_index(&self, path: &TablePath, column: &str) -> Result<()>;

    /// Columns of `path` with a secondary index (declared ones included), sorted.
    fn indexes(&self, path: &TablePath) -> Result<Vec<String>>;

    /// The data schema of `path` (without the id column), `None` if the table does not exist.
    fn table_schema(&self, path: &TablePath) -> Result<Option<SchemaRef>>;

    /// Every table path holding a schema, sorted.
    fn list_paths(&self) -> Result<Vec<TablePath>>;

    /// Makes every completed write durable.
    fn flush(&self) -> Result<()>;

    /// A serialisable description from which [`open_store`](crate::open_store) reopens the
    /// store.
    fn to_config(&self) -> StoreConfig;

    /// Adds `records` to `path` (one atomic write).
    fn add_records(
        &self,
        path: &TablePath,
        records: RecordSet,
        on_duplicate: OnDuplicate,
    ) -> Result<WriteSummary> {
        let mut txn = StoreTransaction::new();
        txn.add_records(path, records, on_duplicate);
        let mut summaries = self.commit(txn)?;
        Ok(summaries.pop().unwrap_or_default())
    }

    /// Adds one record: `row` must have exactly one row.
    fn add_record(
        &self,
        path: &TablePath,
        id: &[u8],
        row: RecordBatch,
        on_duplicate: OnDuplicate,
    ) -> Result<WriteSummary> {
        self.add_records(path, RecordSet::single(id, row)?, on_duplicate)
    }

    /// The row with id `id`.
    fn get_record(&self, path: &TablePath, id: &[u8]) -> Result<Option<RecordSet>> {
        self.get_records(path, &[id])
    }

    /// Rows where `column == value`.
    fn get_records_with_column_value(
        &self,
        path: &TablePath,
        column: &str,
        value: Value,
    ) -> Result<Option<RecordSet>> {
        self.get_records_where(path, &[(column, value)])
    }

    /// For each of `values`, the id of the most recently written record of `path` whose
    /// `column` equals it, or `None` (also when the table does not exist).
    ///
    /// This is the batched form of "latest record with this key" that result caches ask for
    /// every packet of a chunk: stores answer it from a secondary index on `column` in one
    /// pass (RocksDB: one iterator seeking each value's index prefix, no record decoding);
    /// without an index, or in this default implementation, it is one equality lookup per
    /// value. Value-matching rules are those of
    /// [`get_records_where`](Self::get_records_where).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use arrow_schema::{DataType, Field, Schema};
    /// use orcapod_cache::{InMemoryStore, OnDuplicate, RecordSet, Store, TablePath};
    /// use orcapod_datagram::Value;
    ///
    /// let store = InMemoryStore::new();
    /// let path = TablePath::new(["results"])?;
    /// store.create_index(&path, "key")?;
    /// let schema = Arc::new(Schema::new(vec![Field::new("key", DataType::Utf8, false)]));
    /// let rows = |keys: Vec<&str>| RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(keys))]);
    /// store.add_records(&path, RecordSet::new([b"r1".to_vec(), b"r2".to_vec()], rows(vec!["a", "b"])?)?, OnDuplicate::Error)?;
    /// store.add_records(&path, RecordSet::new([b"r3".to_vec()], rows(vec!["a"])?)?, OnDuplicate::Error)?;
    /// let ids = store.latest_ids_where(&path, "key", &[Value::from("a"), Value::from("z"), Value::from("b")])?;
    /// assert_eq!(ids, vec![Some(b"r3".to_vec()), None, Some(b"r2".to_vec())]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn latest_ids_where(
        &self,
        path: &TablePath,
        column: &str,
        values: &[Value],
    ) -> Result<Vec<Option<Vec<u8>>>> {
        latest_ids_by_lookup(self, path, column, values)
    }

    /// Table paths starting with `prefix`, sorted.
    fn list_paths_under(&self, prefix: &[String]) -> Result<Vec<TablePath>> {
        let mut paths = self.list_paths()?;
        paths.retain(|p| p.starts_with(prefix));
        Ok(paths)
    }
}

/// [`Store::latest_ids_where`] as one equality lookup per value (the fallback of stores
/// without an index on the column).
pub(crate) fn latest_ids_by_lookup<S: Store + ?Sized>(
    store: &S,
    path: &TablePath,
    column: &str,
    values: &[Value],
) -> Result<Vec<Option<Vec<u8>>>> {
    values
        .iter()
        .map(|value| {
            let found = store.get_records_where(path, &[(column, value.clone())])?;
            Ok(found
                .filter(|set| !set.is_empty())
                .map(|set| set.id(set.len() - 1).to_vec()))
        })
        .collect()
}

/// One operation of a [`StoreTransaction`].
#[derive(Debug, Clone)]
pub(crate) struct TxnOp {
    pub(crate) path: TablePath,
    pub(crate) records: RecordSet,
    pub(crate) on_duplicate: OnDuplicate,
}

/// Writes to several tables, committed atomically by [`Store::commit`] (one RocksDB
/// `WriteBatch`).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use orcapod_cache::{InMemoryStore, OnDuplicate, RecordSet, Store, StoreTransaction, TablePath};
///
/// let store = InMemoryStore::new();
/// let row = |v: i64| RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![v])) as _)]);
/// let mut txn = StoreTransaction::new();
/// txn.add_records(&TablePath::new(["a"])?, RecordSet::single("r1", row(1)?)?, OnDuplicate::Error)
///     .add_records(&TablePath::new(["b"])?, RecordSet::single("r1", row(2)?)?, OnDuplicate::Error);
/// let summaries = store.commit(txn)?;
/// assert_eq!(summaries.len(), 2);
/// assert_eq!(store.list_paths()?.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StoreTransaction {
    pub(crate) ops: Vec<TxnOp>,
}

impl StoreTransaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `records` for `path`.
    pub fn add_records(
        &mut self,
        path: &TablePath,
        records: RecordSet,
        on_duplicate: OnDuplicate,
    ) -> &mut Self {
        self.ops.push(TxnOp {
            path: path.clone(),
            records,
            on_duplicate,
        });
        self
    }

    /// Number of queued operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation is queued.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Tuning of the RocksDB store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreOptions {
    /// `fsync` the write-ahead log on every write (slow, survives power loss). Without it a
    /// completed write survives a process crash, and [`Store::flush`] makes it durable.
    pub sync_writes: bool,
    /// Size of RocksDB's block cache (blocks as read from disk, uncompressed).
    pub block_cache_bytes: usize,
    /// Memory for recently decoded chunks (a point lookup decodes one whole chunk).
    pub chunk_cache_bytes: usize,
    /// Size of a memtable before it is written to an SST file.
    pub write_buffer_bytes: usize,
    /// Write RocksDB's informational `LOG` file (for diagnosis). Off by default: with
    /// Debian's assertion-enabled librocksdb 7.8, logging after a write failed on a full
    /// device aborts the process instead of returning an error.
    pub verbose_log: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            sync_writes: false,
            block_cache_bytes: 64 << 20,
            chunk_cache_bytes: 64 << 20,
            write_buffer_bytes: 64 << 20,
            verbose_log: false,
        }
    }
}

impl StoreOptions {
    fn is_default(&self) -> bool {
        self == &StoreOptions::default()
    }
}

/// Serialisable store description (`{"type":"in_memory"}`, `{"type":"rocksdb","path":…}`).
///
/// ```
/// use orcapod_cache::StoreConfig;
/// let c: StoreConfig = serde_json::from_str(r#"{"type":"rocksdb","path":"/tmp/x"}"#)?;
/// assert!(matches!(c, StoreConfig::Rocksdb { .. }));
/// assert_eq!(serde_json::to_string(&StoreConfig::InMemory)?, r#"{"type":"in_memory"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoreConfig {
    /// A fresh, empty [`InMemoryStore`] (contents are not saved).
    InMemory,
    /// A [`RocksStore`] in directory `path` (created if missing).
    Rocksdb {
        /// The store directory.
        path: PathBuf,
        /// Tuning (omitted when default).
        #[serde(default, skip_serializing_if = "StoreOptions::is_default")]
        options: StoreOptions,
    },
}

/// Opens the store described by `config`.
///
/// ```
/// use orcapod_cache::{open_store, StoreConfig};
/// let store = open_store(&StoreConfig::InMemory)?;
/// assert_eq!(store.to_config(), StoreConfig::InMemory);
/// # Ok::<(), orcapod_cache::StoreError>(())
/// ```
pub fn open_store(config: &StoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match config {
        StoreConfig::InMemory => Arc::new(InMemoryStore::new()),
        StoreConfig::Rocksdb { path, options } => {
            Arc::new(RocksStore::open_with_options(path, options.clone())?)
        }
    })
}
