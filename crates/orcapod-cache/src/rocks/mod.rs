//! [`RocksStore`]: the embedded persistent store, one RocksDB database per directory.
//!
//! # On-disk layout (format version 2)
//!
//! One RocksDB database, default column family only. `<path>` is the table path's
//! components joined by `/`; `<tok>` is the table's 8-byte key token, the first bytes of
//! SHA-256 of `<path>` (fixed length, so no table's keys are a prefix range of another's).
//! Integers are big-endian so keys sort numerically.
//!
//! | key | value |
//! |---|---|
//! | `m\0format_version` | ASCII decimal format version (`2`); written at creation |
//! | `s\0<path>` | table schema: the schema message of an Arrow IPC stream (ids first: `__record_id: large_binary not null`, then the data columns) |
//! | `t\0<tok>` | `<path>`: the owner of the token (a second table with the same token is refused) |
//! | `c\0<tok><seq: u64>` | one chunk: the rest of an IPC stream (dictionary + record-batch messages + end marker) holding consecutive rows of one write (about 16 KiB of Arrow data, 16 to 1024 rows; bigger writes are split); `schema ++ chunk` is a standard IPC stream |
//! | `r\0<tok><record id>` | locator of a record: chunk `seq` (u64) + `row` (u32), 12 bytes |
//! | `i\0<tok><column>` | empty: a secondary index on `column` is declared |
//! | `x\0<tok><len: u32><column><len: u32><encoded value><record id>` | locator (as above) of the record whose `column` encodes to that value ([encoding](crate#lookups-and-indexes)) |
//!
//! Format 1 (still read and written in directories created with it) spells `<path>\0`
//! where format 2 has `<tok>` and has no `t` keys. Tokens exist because function tables
//! have paths of ~200 bytes (uri + schema hash): in format 1 most of every record, index and
//! chunk key was the path, which RocksDB compared on every memtable insert and lookup and
//! wrote to the log for every record.
//!
//! Each write (`add_records`, or a whole [`StoreTransaction`](crate::StoreTransaction))
//! is **one** RocksDB `WriteBatch`: the chunk, its record keys, index entries and any schema
//! change become visible and durable together, so an interrupted run never leaves half a
//! commit. Writes are not buffered by the store: they go straight to RocksDB's write-ahead
//! log and memtable and are immediately visible to reads; a completed write survives a
//! process crash; [`flush`](crate::Store::flush) (or [`StoreOptions::sync_writes`]) makes it
//! survive power loss too. Records are never rewritten, so chunk keys and locators are
//! stable. A single record costs one chunk (an IPC message, a few hundred bytes of framing);
//! batches amortise that. The schema is stored once per table, not per chunk.
//!
//! Whole-table reads stream the `c\0<path>\0` range chunk by chunk. Lookups by id read the
//! record keys with one batched multi-get, then each needed chunk once: a point lookup costs
//! two key reads and the decoding of one (small) chunk. Recently decoded chunks are kept in
//! memory ([`StoreOptions::chunk_cache_bytes`]); RocksDB's block cache
//! ([`StoreOptions::block_cache_bytes`]), bloom filters (SST and memtable, so the duplicate
//! check of new ids rarely touches disk) and a data-block hash index serve the key reads.
//! RocksDB's informational `LOG` is limited to fatal messages unless
//! [`StoreOptions::verbose_log`] is set (see there why).
//!
//! Opening refuses (with a typed [`StoreError`]): a directory locked by another process or
//! handle (`Locked`), a damaged database (`Corrupt`), a newer format
//! (`UnsupportedFormatVersion`), and a non-empty directory that is not an orcapod store
//! (`NotAStore`).

mod api;
mod cache;
mod codec;
mod errors;
mod id_filter;
mod keys;
mod read;
mod write;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_schema::SchemaRef;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DB, DEFAULT_COLUMN_FAMILY_NAME, IteratorMode,
    Options,
};

use crate::error::{Result, StoreError};
use crate::path::TablePath;
use crate::store::StoreOptions;
use cache::ChunkCache;
use errors::{classify, corrupt, from_io};
use keys::{FORMAT_VERSION, FORMAT_VERSION_KEY};

/// A persistent store in a directory (RocksDB).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use orcapod_cache::{OnDuplicate, RecordSet, RocksStore, Store, TablePath};
///
/// let dir = tempfile::tempdir()?;
/// let path = TablePath::new(["results", "add"])?;
/// {
///     let store = RocksStore::open(dir.path())?;
///     let data = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
///     store.add_records(&path, RecordSet::new(["a", "b"], data)?, OnDuplicate::Error)?;
///     store.flush()?;
/// }
/// let store = RocksStore::open(dir.path())?;
/// assert_eq!(store.get_all(&path)?.unwrap().len(), 2);
/// assert_eq!(store.list_paths()?, vec![path]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RocksStore {
    db: DB,
    dir: PathBuf,
    options: StoreOptions,
    /// Serialises writers (duplicate checks and sequence allocation happen under it).
    writer: Mutex<()>,
    /// Cached table metadata (only this handle can write the directory: RocksDB's LOCK).
    meta: Mutex<HashMap<TablePath, Arc<TableMeta>>>,
    /// Next chunk sequence number per table; only ever advances, even on failed writes.
    seqs: Mutex<HashMap<TablePath, u64>>,
    chunks: Mutex<ChunkCache>,
    /// How table paths appear in keys (from the directory's format version).
    key_format: keys::KeyFormat,
    /// Totals of this handle's successful `WriteBatch`es ([`RocksStore::write_stats`]).
    written: WriteCounters,
    /// Filters of the record ids of tables this handle created (see [`id_filter`]).
    id_filters: Mutex<id_filter::IdFilters>,
}

/// What a [`RocksStore`] handle has handed RocksDB: the totals of its successful writes
/// (commits of records and transactions, and index builds) since it was opened.
///
/// `bytes` is RocksDB's own measure of a `WriteBatch` (`WriteBatch::size_in_bytes`: keys,
/// values, a tag and length prefixes per entry, and a 12-byte batch header), which is what
/// the write-ahead log receives and the memtable stores; compaction rewrites come on top.
/// The format marker written when a directory is created is not counted.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use orcapod_cache::{OnDuplicate, RecordSet, RocksStore, Store, TablePath, WriteStats};
///
/// let dir = tempfile::tempdir()?;
/// let store = RocksStore::open(dir.path())?;
/// assert_eq!(store.write_stats(), WriteStats::default());
/// let path = TablePath::new(["results", "add"])?;
/// let data = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
/// store.add_records(&path, RecordSet::new(["a", "b"], data)?, OnDuplicate::Error)?;
/// let stats = store.write_stats();
/// // One WriteBatch: the schema, the chunk holding both rows, a locator per record, ...
/// assert_eq!(stats.batches, 1);
/// assert!(stats.entries >= 4);
/// assert!(stats.bytes > stats.entries);
/// // A refused write (duplicate ids) hands RocksDB nothing.
/// let again = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1])) as _)])?;
/// assert!(store.add_records(&path, RecordSet::new(["a"], again)?, OnDuplicate::Error).is_err());
/// assert_eq!(store.write_stats(), stats);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Total `WriteBatch::size_in_bytes` of the successful writes.
    pub bytes: u64,
    /// Total entries (puts) in them.
    pub entries: u64,
    /// Number of successful `WriteBatch` writes.
    pub batches: u64,
}

/// The atomic totals behind [`WriteStats`].
#[derive(Debug, Default)]
struct WriteCounters {
    bytes: AtomicU64,
    entries: AtomicU64,
    batches: AtomicU64,
}

impl WriteCounters {
    /// Counts one successful write of `bytes` in `entries` entries.
    fn add(&self, bytes: usize, entries: usize) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.entries.fetch_add(entries as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> WriteStats {
        WriteStats {
            bytes: self.bytes.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}

/// Schema and indexes of one table.
#[derive(Debug, Default)]
pub(super) struct TableMeta {
    /// `None` while the table does not exist (it may still have declared indexes).
    pub(super) table: Option<TableSchema>,
    /// Declared index columns, sorted.
    pub(super) indexes: Vec<String>,
}

/// A table's schema in its three forms.
#[derive(Debug, Clone)]
pub(super) struct TableSchema {
    pub(super) data: SchemaRef,
    pub(super) stored: SchemaRef,
    pub(super) bytes: Arc<[u8]>,
}

impl fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksStore")
            .field("dir", &self.dir)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Refuses directories that are neither empty nor a RocksDB database.
fn check_directory(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(StoreError::NotAStore {
            path: dir.to_path_buf(),
            detail: "not a directory".to_string(),
        });
    }
    if !dir.exists() {
        return std::fs::create_dir_all(dir).map_err(|e| from_io(dir, &e));
    }
    let names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| from_io(dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() || names.iter().any(|n| n == "CURRENT") {
        return Ok(());
    }
    // Files a database creation writes before CURRENT: an interrupted creation, reopenable.
    let creation = |n: &str| {
        n == "LOCK" || n == "IDENTITY" || n.starts_with("LOG") || n.starts_with("OPTIONS-")
    };
    let data = |n: &str| n.starts_with("MANIFEST-") || n.ends_with(".sst") || n.ends_with(".log");
    if names.iter().any(|n| data(n)) {
        return Err(corrupt(dir, "the CURRENT file is missing"));
    }
    if names.iter().all(|n| creation(n)) {
        return Ok(());
    }
    Err(StoreError::NotAStore {
        path: dir.to_path_buf(),
        detail: "the directory is not empty and holds no database".to_string(),
    })
}

impl RocksStore {
    /// Opens (creating if needed) the store in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_options(dir, StoreOptions::default())
    }

    /// Opens (creating if needed) the store in `dir`.
    pub fn open_with_options(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        check_directory(&dir)?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_paranoid_checks(true);
        opts.set_keep_log_file_num(4);
        // Debian's librocksdb 7.8 is built with assertions, and its info-LOG writer aborts the
        // process when it logs after a failed write to a full device. Keep the LOG to fatal
        // messages unless asked otherwise.
        opts.set_log_level(match options.verbose_log {
            true => rocksdb::LogLevel::Info,
            false => rocksdb::LogLevel::Fatal,
        });
        opts.set_write_buffer_size(options.write_buffer_bytes.max(64 << 10));
        // Bloom filters (SST and memtable) make the duplicate check of absent ids cheap; the
        // data-block hash index speeds up point lookups of record keys.
        opts.set_memtable_prefix_bloom_ratio(0.05);
        opts.set_memtable_whole_key_filtering(true);
        // LZ4 decompresses several times faster than the default Snappy (point lookups
        // that miss the caches are dominated by decompression).
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        // Compact level 0 after 8 flushed memtables instead of RocksDB's default 4. Record
        // locators are keyed by digests, so every L0 file spans the whole key range and every
        // L0 -> L1 compaction rewrites all of L1; doing it half as often saves CPU. Measured
        // 2026-11-29 (2 cores, load 1.4-2.0, `orcapod-bench run pipeline`, 4 vs 8 interleaved
        // in one binary): rocks_cold at 10^6 packets 11.6/11.7/12.1 s wall, 18.1/18.0/18.3 s
        // CPU with 4; 12.0/11.9/11.9 s wall, 16.6/16.2/16.1 s CPU with 8 (compaction mostly
        // runs on a core the pipeline leaves idle, so wall is unchanged and CPU drops ~10%).
        // rocks_warm at 10^6: 1.70/1.67 s wall, 3.3/3.2 s CPU with 4 (compactions left
        // pending by the cold run still run in it); 1.61/1.61 s, 1.6/1.7 s CPU with 8. 10^5
        // packets never compact (0.97/0.93 s both). 16 was no better. Reads check the bloom
        // filters of up to 8 L0 files; the slowdown (20) and stop (36) triggers stay at their
        // defaults. Tried and not kept: no compression on L0/L1 (10^6: 11.8/11.9 s vs
        // 12.3/11.7 s; 10^5: 1.42 s vs 1.42 s, means of 5), memtable bloom off (much worse:
        // 10^5 1.8-2.2 s vs 1.5 s, 10^6 35 s vs ~20 s under load), dynamic level bytes and
        // bytes_per_sync 1 MiB (no gain).
        opts.set_level_zero_file_num_compaction_trigger(8);
        let mut table = BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        table.set_data_block_index_type(rocksdb::DataBlockIndexType::BinaryAndHash);
        table.set_data_block_hash_ratio(0.75);
        let cache =
            Cache::new_lru_cache(options.block_cache_bytes).map_err(|e| StoreError::Io {
                path: dir.clone(),
                detail: e.to_string(),
            })?;
        table.set_block_cache(&cache);
        opts.set_block_based_table_factory(&table);
        // Opening the default family by descriptor registers its handle (for batched
        // multi-gets), gives it the table options above (`open_cf` by name would use
        // defaults), and refuses databases with other column families (not ours).
        let default_cf = ColumnFamilyDescriptor::new(DEFAULT_COLUMN_FAMILY_NAME, opts.clone());
        let db = DB::open_cf_descriptors(&opts, &dir, [default_cf])
            .map_err(|e| classify(&dir, &e, true))?;
        let mut store = RocksStore {
            db,
            dir,
            chunks: Mutex::new(ChunkCache::new(options.chunk_cache_bytes)),
            options,
            writer: Mutex::new(()),
            meta: Mutex::new(HashMap::new()),
            seqs: Mutex::new(HashMap::new()),
            key_format: keys::KeyFormat::of_version(FORMAT_VERSION),
            written: WriteCounters::default(),
            id_filters: Mutex::new(id_filter::IdFilters::default()),
        };
        let version = store.check_format()?;
        store.key_format = keys::KeyFormat::of_version(version);
        Ok(store)
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The totals of this handle's successful writes so far (see [`WriteStats`]).
    pub fn write_stats(&self) -> WriteStats {
        self.written.snapshot()
    }

    /// Checks (or, for a new store, writes) the format marker; returns the format version.
    fn check_format(&self) -> Result<u64> {
        let found = self.db.get(FORMAT_VERSION_KEY).map_err(|e| self.err(&e))?;
        let Some(raw) = found else {
            let empty = self.db.iterator(IteratorMode::Start).next().is_none();
            if !empty {
                return Err(StoreError::NotAStore {
                    path: self.dir.clone(),
                    detail: "a RocksDB database without the orcapod format marker".to_string(),
                });
            }
            let mut wo = rocksdb::WriteOptions::default();
            wo.set_sync(true);
            let version = FORMAT_VERSION.to_string();
            self.db
                .put_opt(FORMAT_VERSION_KEY, version.as_bytes(), &wo)
                .map_err(|e| self.err(&e))?;
            return Ok(FORMAT_VERSION);
        };
        let version = std::str::from_utf8(&raw)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| corrupt(&self.dir, format!("invalid format marker {raw:?}")))?;
        if version > FORMAT_VERSION {
            return Err(StoreError::UnsupportedFormatVersion {
                found: version,
                supported: FORMAT_VERSION,
                path: self.dir.clone(),
            });
        }
        Ok(version)
    }

    /// The bytes naming `path` inside this store's chunk, record and index keys.
    pub(super) fn segment(&self, path: &TablePath) -> Vec<u8> {
        self.key_format.segment(path)
    }

    fn err(&self, e: &rocksdb::Error) -> StoreError {
        classify(&self.dir, e, false)
    }

    /// Metadata of `path` (cached).
    pub(super) fn meta(&self, path: &TablePath) -> Result<Arc<TableMeta>> {
        if let Some(m) = lock(&self.meta).get(path) {
            return Ok(Arc::clone(m));
        }
        let table = match self
            .db
            .get_pinned(keys::schema_key(path))
            .map_err(|e| self.err(&e))?
        {
            None => None,
            Some(bytes) => {
                let stored = codec::decode_schema(&bytes)
                    .map_err(|e| corrupt(&self.dir, format!("schema of table '{path}': {e}")))?;
                let data = data_schema(&stored).ok_or_else(|| {
                    corrupt(&self.dir, format!("schema of table '{path}' lacks ids"))
                })?;
                Some(TableSchema {
                    data,
                    stored,
                    bytes: Arc::from(&bytes[..]),
                })
            }
        };
        let prefix = keys::index_decl_prefix(&self.segment(path));
        let mut indexes = Vec::new();
        for key in self.keys_with_prefix(&prefix)? {
            let column = std::str::from_utf8(&key[prefix.len()..])
                .map_err(|_| corrupt(&self.dir, format!("index key of '{path}' not UTF-8")))?;
            indexes.push(column.to_string());
        }
        indexes.sort();
        let meta = Arc::new(TableMeta { table, indexes });
        // A writer may have published newer metadata while this was loading: keep theirs.
        let mut cache = lock(&self.meta);
        Ok(Arc::clone(cache.entry(path.clone()).or_insert(meta)))
    }

    /// All keys under `prefix`, collected.
    fn keys_with_prefix(&self, prefix: &[u8]) -> Result<Vec<Box<[u8]>>> {
        self.prefix_iter(prefix)
            .map(|r| r.map(|(k, _)| k).map_err(|e| self.err(&e)))
            .collect()
    }

    /// A RocksDB iterator over the keys starting with `prefix`.
    pub(super) fn prefix_iter(&self, prefix: &[u8]) -> rocksdb::DBIterator<'_> {
        self.prefix_iter_opt(prefix, true)
    }

    /// [`prefix_iter`](Self::prefix_iter); `fill_cache: false` keeps bulk reads (whole-table
    /// scans) from evicting the record keys from RocksDB's block cache.
    pub(super) fn prefix_iter_opt(
        &self,
        prefix: &[u8],
        fill_cache: bool,
    ) -> rocksdb::DBIterator<'_> {
        let mut ro = rocksdb::ReadOptions::default();
        ro.fill_cache(fill_cache);
        ro.set_iterate_lower_bound(prefix.to_vec());
        ro.set_iterate_upper_bound(keys::upper_bound(prefix));
        self.db.iterator_opt(IteratorMode::Start, ro)
    }
}

/// The data schema (id column removed) of a stored schema.
fn data_schema(stored: &SchemaRef) -> Option<SchemaRef> {
    let first = stored.fields().first()?;
    if first.name() != crate::records::RECORD_ID_COLUMN {
        return None;
    }
    let fields: Vec<_> = stored.fields().iter().skip(1).cloned().collect();
    Some(Arc::new(arrow_schema::Schema::new_with_metadata(
        fields,
        stored.metadata().clone(),
    )))
}
