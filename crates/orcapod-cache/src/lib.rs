//! Content-addressed result stores and caches for orcapod.
//!
//! This crate holds the **stores**: hierarchical tables of Arrow rows keyed by record id
//! (orcapod-python's `ArrowDatabaseProtocol`), with two implementations behind one
//! object-safe trait, [`Store`]:
//!
//! * [`InMemoryStore`]: fast, non-persistent; the default for tests and one-off runs.
//! * [`RocksStore`]: embedded and persistent (RocksDB), crash-safe: every write is one atomic
//!   RocksDB `WriteBatch`. Its on-disk layout is documented in [`rocks`](RocksStore).
//!
//! Tables are addressed by a validated [`TablePath`]; rows travel as [`RecordSet`]s (an Arrow
//! batch plus one `large_binary` id per row). Writes take an [`OnDuplicate`] policy; several
//! tables can be written atomically with a [`StoreTransaction`]. [`StoreConfig`] (serde)
//! and [`open_store`] describe and reopen a store. Every failure is a [`StoreError`].
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Int64Array, RecordBatch, StringArray};
//! use orcapod_cache::{open_store, OnDuplicate, RecordSet, StoreConfig, TablePath};
//! use orcapod_datagram::Value;
//!
//! let dir = tempfile::tempdir()?;
//! let store = open_store(&StoreConfig::Rocksdb { path: dir.path().into(), options: Default::default() })?;
//! let path = TablePath::new(["demo", "_result", "add"])?;
//! store.create_index(&path, "__input_packet_hash")?;
//!
//! let data = RecordBatch::try_from_iter([
//!     ("__input_packet_hash", Arc::new(StringArray::from(vec!["h1", "h2"])) as _),
//!     ("sum", Arc::new(Int64Array::from(vec![3, 7])) as _),
//! ])?;
//! let written = store.add_records(&path, RecordSet::new(["r1", "r2"], data.clone())?, OnDuplicate::Skip)?;
//! assert_eq!(written.written, 2);
//! // Re-adding skips existing ids; OnDuplicate::Error would fail and write nothing.
//! let again = store.add_records(&path, RecordSet::new(["r1", "r2"], data)?, OnDuplicate::Skip)?;
//! assert_eq!(again.skipped, 2);
//!
//! let hit = store.get_records_with_column_value(&path, "__input_packet_hash", Value::Str("h2".into()))?;
//! assert_eq!(hit.unwrap().id(0), b"r2");
//! assert_eq!(store.get_record(&path, b"r1")?.unwrap().len(), 1);
//! store.flush()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! * **Ids repeated inside one batch:** the last row wins (orcapod-python's rule); the
//!   superseded rows are counted in [`WriteSummary::superseded_in_batch`].
//! * **Existing ids** are never replaced (this resolves spec quirk 12 — InMemory replaced,
//!   Delta kept — in favour of keeping): [`OnDuplicate::Skip`] drops those rows,
//!   [`OnDuplicate::Error`] fails and writes nothing of the whole transaction.
//! * **Visibility and durability:** there is no pending buffer; a write is visible to every
//!   read as soon as it returns (so quirk 13 cannot arise). [`Store::flush`] makes writes
//!   durable (RocksDB: memtable flush + WAL sync).
//! * **Schemas:** a table's schema is fixed by its first write; later batches must have the
//!   same columns (any order) and types. Nullability may widen; see the `schema` rules in
//!   [`StoreError::SchemaMismatch`].
//! * **Empty results** are `None` (as in orcapod-python).
//!
//! # Lookups and indexes
//!
//! [`Store::get_records_where`] matches rows where each named column equals an
//! [`orcapod_datagram::Value`]. Values match within a type family only: `Int` matches any
//! integer column, `Float` float columns (`-0.0 == 0.0`, NaN never matches), `Str`/`Path`
//! string columns, `Bytes` binary columns, `Bool`, `Date` (date32), `Timestamp`
//! (timestamp µs). Nulls never match. A column declared with [`Store::create_index`] is looked
//! up through a hash map (memory) or a key range (RocksDB) instead of a scan.

pub mod cached;
mod error;
mod lookup;
mod memory;
mod path;
mod plan;
mod records;
mod rocks;
mod schema;
mod store;
pub mod time;
mod value;

pub use error::{PathProblem, Result, StoreError};
pub use memory::InMemoryStore;
pub use path::{MAX_PATH_DEPTH, TablePath};
pub use records::{OnDuplicate, RECORD_ID_COLUMN, RecordSet, WriteSummary};
pub use rocks::{RocksStore, WriteStats};
pub use store::{RecordSetIter, Store, StoreConfig, StoreOptions, StoreTransaction, open_store};
