//! The declarations a pipeline file holds, after reading (paths resolved against the file's
//! directory, values typed) and before anything is built. Spans are byte ranges into the file,
//! kept so that building can still point at the line that caused a problem.

use std::ops::Range;
use std::path::PathBuf;

use orcapod_cache::StoreConfig;
use orcapod_datagram::DataType;
use orcapod_node::{CacheMode, ErrorPolicy, OperatorSpec, RunMode};

/// Name of the format, the value of the top-level `format` key.
pub const FORMAT_NAME: &str = "orcapod-pipeline";

/// Version of the pipeline-file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A whole pipeline file.
#[derive(Clone, Debug)]
pub struct PipelineDecl {
    /// Pipeline name (store tables are scoped by it).
    pub name: String,
    /// Format version the file declares.
    pub version: u32,
    /// Where results are kept.
    pub store: StoreDecl,
    /// How to run.
    pub run: RunDecl,
    /// Sources, operators and functions, in file order.
    pub nodes: Vec<NodeDecl>,
}

/// The store section.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreDecl {
    /// No store: nothing is cached between runs.
    None,
    /// A store (in memory, or a RocksDB directory resolved against the file's directory).
    Store(StoreConfig),
}

/// One labelled node.
#[derive(Clone, Debug)]
pub struct NodeDecl {
    /// The label (the key of its table, unique in the file).
    pub label: String,
    /// Span of the label key.
    pub label_span: Range<usize>,
    /// Upstream labels with their spans (empty for sources).
    pub from: Vec<(String, Range<usize>)>,
    /// What the node is.
    pub kind: NodeKindDecl,
}

/// The three node kinds.
#[derive(Clone, Debug)]
pub enum NodeKindDecl {
    /// A source.
    Source(SourceDecl),
    /// An operator with its options.
    Operator(OperatorDecl),
    /// A command function.
    Function(FunctionDecl),
}

impl NodeKindDecl {
    /// `"source"`, `"operator"` or `"function"`.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKindDecl::Source(_) => "source",
            NodeKindDecl::Operator(_) => "operator",
            NodeKindDecl::Function(_) => "function",
        }
    }
}

/// A source declaration.
#[derive(Clone, Debug)]
pub struct SourceDecl {
    /// Where the rows come from.
    pub origin: OriginDecl,
    /// Span of the path value (for "missing file" and read errors).
    pub path_span: Range<usize>,
    /// Tag columns (for directories: empty means the pattern's fields, or `name`).
    pub tags: Vec<String>,
    /// Source id (default: the label), part of the source's identity.
    pub source_id: String,
    /// Column holding record ids, if any.
    pub record_id_column: Option<String>,
    /// Accumulate rows across runs.
    pub cumulative: bool,
}

/// Where a source's rows come from.
#[derive(Clone, Debug, PartialEq)]
pub enum OriginDecl {
    /// A CSV, Parquet or Arrow IPC file (by extension).
    File(PathBuf),
    /// One row per file of a directory, as path-typed packets.
    Directory {
        /// The directory.
        path: PathBuf,
        /// File-name template such as `{subject}_{session}.txt` (its fields become tags).
        pattern: Option<String>,
        /// Only files with this extension (without pattern).
        extension: Option<String>,
    },
}

/// An operator declaration.
#[derive(Clone, Debug)]
pub struct OperatorDecl {
    /// The operator with its options (the serialisable spec of `orcapod-node`).
    pub spec: OperatorSpec,
    /// Store mode.
    pub cache: CacheMode,
    /// Where build errors of this operator point: its `type` value, or a Filter's predicate.
    pub error_span: Range<usize>,
}

/// A typed column of a command function.
#[derive(Clone, Debug)]
pub struct ColumnDecl {
    /// Column name.
    pub name: String,
    /// Type.
    pub dtype: DataType,
    /// Whether nulls are allowed (`"float?"`).
    pub nullable: bool,
    /// Span of the column's key.
    pub span: Range<usize>,
}

/// A command function declaration.
#[derive(Clone, Debug)]
pub struct FunctionDecl {
    /// Function name (default: the label); part of its identity.
    pub name: String,
    /// The program.
    pub program: String,
    /// Argument templates (`{column}` is replaced by the packet's value).
    pub args: Vec<String>,
    /// Environment templates.
    pub env: Vec<(String, String)>,
    /// Input columns, in file order.
    pub inputs: Vec<ColumnDecl>,
    /// Output columns, in file order.
    pub outputs: Vec<ColumnDecl>,
    /// Version (`v1.2`); `None` uses the library default.
    pub version: Option<String>,
    /// Pin the version: editing the command then keeps the identity.
    pub pin_version: bool,
    /// Working directory (resolved against the file's directory).
    pub working_dir: Option<PathBuf>,
}

/// The `[run]` section.
#[derive(Clone, Debug)]
pub struct RunDecl {
    /// Sync or async.
    pub mode: RunMode,
    /// Chunks a function node processes at once.
    pub max_concurrency: Option<usize>,
    /// Channel capacity in async mode.
    pub channel_capacity: Option<usize>,
    /// Packets per committed chunk.
    pub chunk_rows: Option<usize>,
    /// Continue or fail fast.
    pub error_policy: ErrorPolicy,
    /// The executor for every function node.
    pub executor: ExecutorDecl,
    /// Span of the executor table (where executor errors point).
    pub executor_span: Range<usize>,
    /// Options for every function node's executor.
    pub executor_options: Vec<(String, String)>,
    /// Per-node settings.
    pub nodes: Vec<NodeRunDecl>,
}

impl Default for RunDecl {
    fn default() -> Self {
        RunDecl {
            mode: RunMode::Sync,
            max_concurrency: None,
            channel_capacity: None,
            chunk_rows: None,
            error_policy: ErrorPolicy::Continue,
            executor: ExecutorDecl::Local,
            executor_span: 0..0,
            executor_options: Vec::new(),
            nodes: Vec::new(),
        }
    }
}

/// Settings of one node in `[run.nodes.<label>]`.
#[derive(Clone, Debug)]
pub struct NodeRunDecl {
    /// The node's label.
    pub label: String,
    /// Span of the label key.
    pub span: Range<usize>,
    /// Concurrency override.
    pub concurrency: Option<usize>,
    /// Executor options for this node.
    pub executor_options: Vec<(String, String)>,
}

/// The executor section.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecutorDecl {
    /// In the calling thread.
    Local,
    /// A thread pool.
    ThreadPool {
        /// Threads.
        threads: usize,
    },
    /// Slurm job arrays.
    Slurm {
        /// Shared directory (resolved against the file's directory).
        work_dir: PathBuf,
        /// Options (`partition`, `mem`, …) applied with `with_options`.
        options: Vec<(String, String)>,
    },
    /// Ray jobs.
    Ray {
        /// Dashboard address.
        address: String,
        /// Shared directory.
        work_dir: PathBuf,
        /// Options (`num_cpus`, …).
        options: Vec<(String, String)>,
    },
}

/// Parse a column type: `int`, `float`, `bool`, `str`, `bytes`, `path`, `date`, `datetime`,
/// `list[T]`; a trailing `?` makes it nullable.
pub fn parse_column_type(text: &str) -> Option<(DataType, bool)> {
    let (body, nullable) = match text.trim().strip_suffix('?') {
        Some(b) => (b.trim(), true),
        None => (text.trim(), false),
    };
    Some((DataType::parse_name(body)?, nullable))
}
