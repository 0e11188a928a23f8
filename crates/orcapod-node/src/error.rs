//! The one error type of `orcapod-node`.

use orcapod_executor::PacketError;

/// Errors raised while building, running, saving or loading pipelines.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A node id or label that the pipeline does not have.
    #[error("pipeline '{pipeline}' has no node {node}")]
    UnknownNode {
        /// The pipeline's name.
        pipeline: String,
        /// The id or label asked for.
        node: String,
    },
    /// Inputs that do not fit a node (wrong count, incompatible schema, ...).
    #[error("node '{node}': invalid input: {reason}")]
    InvalidInput {
        /// The node's label.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// A packet failed under the fail-fast error policy.
    #[error("node '{node}': packet failed: {error}")]
    PacketFailed {
        /// The node's label.
        node: String,
        /// The failure, with the packet's tags and captured output.
        error: Box<PacketError>,
    },
    /// A node whose results are needed was not computed and has nothing stored.
    #[error("node '{node}' has no output: {reason}")]
    NoOutput {
        /// The node's label.
        node: String,
        /// Why.
        reason: String,
    },
    /// Stored data that does not fit what the node expects (for example a cache hit whose
    /// stored schema no longer matches the function's declared output).
    #[error("node '{node}': stored records at {path} do not match: {detail}")]
    StaleStore {
        /// The node's label.
        node: String,
        /// The table path.
        path: String,
        /// What differs.
        detail: String,
    },
    /// A saved pipeline file that cannot be loaded.
    #[error("cannot load pipeline: {0}")]
    Load(String),
    /// An invalid configuration value.
    #[error("invalid run configuration: {0}")]
    Config(String),
    /// The async run was interrupted (a task panicked or a channel broke).
    #[error("async run failed: {0}")]
    Async(String),
    /// From the data model.
    #[error(transparent)]
    Datagram(#[from] orcapod_datagram::DatagramError),
    /// From an operator.
    #[error(transparent)]
    Operator(#[from] orcapod_operator::OperatorError),
    /// From a function pod or executor.
    #[error(transparent)]
    Executor(#[from] orcapod_executor::ExecutorError),
    /// From a store.
    #[error(transparent)]
    Store(#[from] orcapod_cache::StoreError),
    /// From hashing.
    #[error(transparent)]
    Hash(#[from] orcapod_hash::HashError),
    /// From an Arrow kernel.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// File I/O (save/load).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
