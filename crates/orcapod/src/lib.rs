//! # orcapod
//!
//! Reproducible scientific data pipelines over Apache Arrow.
//!
//! This facade re-exports every layer of the workspace so that most users need one dependency:
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`hash`] | `orcapod-hash` | content hashes, the starfix-compatible Arrow hasher, semantic hasher, data contexts |
//! | [`datagram`] | `orcapod-datagram` | schemas, tags, packets, streams and sources |
//! | [`channel`] | `orcapod-channel` | bounded async/sync channels with backpressure |
//! | [`operator`] | `orcapod-operator` | structural stream operators |
//! | [`executor`] | `orcapod-executor` | packet functions, function pods and executors |
//! | [`cache`] | `orcapod-cache` | in-memory and RocksDB stores |
//! | [`node`] | `orcapod-node` | nodes, pipelines, sync/async runs, observers, rendering |
//!
//! The [`prelude`] brings the everyday names into scope.
//!
//! ```
//! use orcapod::prelude::*;
//!
//! let sessions = Source::from_rows(
//!     rows![{"session" => "a", "n_trials" => 12}, {"session" => "b", "n_trials" => 9}],
//!     SourceOptions::new(["session"]).source_id("sessions"),
//! )?;
//! println!("{}", sessions.content_hash());
//! assert_eq!(sessions.stream().num_rows(), 2);
//! # Ok::<(), orcapod::datagram::DatagramError>(())
//! ```

pub use orcapod_cache as cache;
pub use orcapod_channel as channel;
pub use orcapod_datagram as datagram;
pub use orcapod_executor as executor;
pub use orcapod_hash as hash;
pub use orcapod_node as node;
pub use orcapod_operator as operator;

pub mod cli;
pub mod inspect;
pub mod pipeline_file;

/// The names most programs need.
pub mod prelude {
    pub use orcapod_cache::{InMemoryStore, Store, StoreConfig, open_store};
    pub use orcapod_datagram::{
        ColumnConfig, DataType, Datagram, Field, Packet, Schema, Source, SourceOptions, Stream,
        Tag, Value, rows,
    };
    pub use orcapod_executor::{
        CommandPacketFunction, FunctionBuilder, FunctionPod, LocalExecutor, ThreadPoolExecutor,
        packet_function,
    };
    pub use orcapod_hash::{ContentHash, DataContext};
    pub use orcapod_node::{
        CacheMode, ErrorPolicy, Pipeline, PipelineBuilder, ProgressObserver, RunConfig, RunMode,
        RunReport,
    };
    pub use orcapod_operator::{
        Batch, DropPacketColumns, DropTagColumns, Filter, Join, MapPackets, MapTags, MergeJoin,
        Operator, Predicate, SelectPacketColumns, SelectTagColumns, SemiJoin,
    };
}
