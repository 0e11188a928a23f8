//! Nodes, pipelines and orchestration for orcapod.
//!
//! A [`Pipeline`] is a DAG of **source**, **operator** and **function** nodes, built with a
//! [`PipelineBuilder`] (no hidden global tracker) and run with a [`RunConfig`]:
//!
//! * **sync** (pull): nodes run in topological order, each materialising its output;
//! * **async** (push): every node is a task and rows flow through bounded channels with
//!   backpressure. Both modes give the same rows.
//!
//! With a store attached ([`orcapod_cache::Store`]), function nodes work in two phases (stored
//! results first, then only the missing packets, committed atomically chunk by chunk), operator
//! nodes can log or replay their output ([`CacheMode`]), and sources can be cumulative.
//! Every run returns a [`RunReport`] with per-node counts of computed, cached, failed and
//! skipped packets; [`Observer`]s receive run, node and packet events.
//!
//! ```
//! use std::sync::Arc;
//! use orcapod_cache::InMemoryStore;
//! use orcapod_datagram::{rows, Source, SourceOptions};
//! use orcapod_executor::{FunctionBuilder, FunctionPod};
//! use orcapod_node::{PipelineBuilder, RunConfig};
//!
//! let readings = Source::from_rows(
//!     rows![{"id" => 1, "x" => 1.5}, {"id" => 2, "x" => 2.5}],
//!     SourceOptions::new(["id"]).source_id("readings"),
//! )?;
//! let double = FunctionBuilder::new("double").input::<f64>("x").output::<f64>("y").build(|x: f64| 2.0 * x);
//! let store = Arc::new(InMemoryStore::new());
//! let mut p = PipelineBuilder::new("demo").store(store);
//! let src = p.source(readings);
//! p.function(FunctionPod::new(double), &[src])?;
//! let pipeline = p.build()?;
//!
//! let first = pipeline.run(&RunConfig::new())?;
//! assert_eq!((first.total_computed(), first.total_cached()), (2, 0));
//! let second = pipeline.run(&RunConfig::new())?; // everything served from the store
//! assert_eq!((second.total_computed(), second.total_cached()), (0, 2));
//! # Ok::<(), orcapod_node::NodeError>(())
//! ```

mod assemble;
mod async_run;
mod dot;
mod error;
mod function_node;
mod graph;
mod manifest;
mod observer;
mod overlap;
pub mod paths;
mod pipeline;
mod pod;
mod progress;
mod run;
mod save;
mod spec;
mod store_observer;
mod stored;
use orcapod_cache::time;

pub use dot::render_svg;
pub use error::{NodeError, Result};
pub use function_node::{DATA_ID_COL, EXECUTOR_INFO_COL, EXECUTOR_TYPE_COL, INPUT_CONTEXT_COL};
pub use graph::{CacheMode, NodeId, PipelineBuilder};
pub use observer::{
    CompositeObserver, Event, NoOpObserver, NodeKind, Observer, PacketOutcome, RecordingObserver,
};
pub use pipeline::Pipeline;
pub use pod::PodLike;
pub use progress::ProgressObserver;
pub use run::{ErrorPolicy, KeepOutputs, NodeStats, RunConfig, RunMode, RunReport};
pub use save::{LoadMode, Registry, SAVE_FORMAT_VERSION};
pub use spec::{LiteralSpec, OperatorSpec, PredicateSpec};
pub use store_observer::{StoreObserver, TracingObserver};
