//! The one error type of the bench runner.

/// Everything that can make a runner invocation fail.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A bad command line; the message names the offending argument.
    #[error("{0}")]
    Usage(String),
    /// No scenario has this name.
    #[error("unknown scenario `{name}` (known: {known})")]
    UnknownScenario {
        /// The requested name.
        name: String,
        /// The registered names, comma-separated.
        known: String,
    },
    /// The scenario has no such variant.
    #[error("scenario `{scenario}` has no variant `{variant}` (known: {known})")]
    UnknownVariant {
        /// The scenario.
        scenario: &'static str,
        /// The requested variant.
        variant: String,
        /// The scenario's variants, comma-separated.
        known: String,
    },
    /// The variant cannot run on this machine (a missing tool); reported as "skipped".
    #[error("{0}")]
    Unavailable(String),
    /// Reading `/proc` or running a helper process failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A `/proc` file or a helper's output did not parse.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The measured operation computed something other than expected.
    #[error("wrong result: {0}")]
    WrongResult(String),
    /// The Arrow hasher failed.
    #[error("arrow hashing failed: {0}")]
    Hash(#[from] orcapod_hash::HashError),
    /// Building the input data failed.
    #[error("building input data failed: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Building a source or stream failed.
    #[error("orcapod-datagram: {0}")]
    Datagram(#[from] orcapod_datagram::DatagramError),
    /// An operator failed.
    #[error("orcapod-operator: {0}")]
    Operator(#[from] orcapod_operator::OperatorError),
    /// A function pod or executor failed.
    #[error("orcapod-executor: {0}")]
    Executor(#[from] orcapod_executor::ExecutorError),
    /// Building or running a pipeline failed.
    #[error("orcapod-node: {0}")]
    Node(#[from] orcapod_node::NodeError),
    /// Opening or using a store failed.
    #[error("orcapod-cache: {0}")]
    Store(#[from] orcapod_cache::StoreError),
    /// The raw RocksDB limit failed.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
}
