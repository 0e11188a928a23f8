//! The one error type of `orcapod-executor`, and per-packet failures.

use std::fmt;
use std::sync::Arc;

use orcapod_datagram::Value;

/// Errors raised while defining packet functions, binding them to streams, assigning
/// executors or running function pods.
///
/// A failure of the user function on one packet is not a crate-level failure: it is recorded
/// as a [`PacketError`] for that packet. [`ExecutorError::Packet`] only appears where a caller
/// asked for fail-fast behaviour (e.g. [`FunctionPodStream::materialize`](crate::FunctionPodStream::materialize)).
///
/// The type is cheap to clone (wrapped foreign errors are shared).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecutorError {
    /// A version string does not have the form `<non-digits><major>.<minor>`.
    #[error("invalid version '{version}': {reason}")]
    InvalidVersion {
        /// The rejected string.
        version: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A function definition is inconsistent (duplicate names, unknown template fields, ...).
    #[error("invalid packet function '{function}': {reason}")]
    InvalidFunction {
        /// Canonical name of the function.
        function: String,
        /// What is wrong.
        reason: String,
    },
    /// A function pod was called without input streams.
    #[error("at least one input stream is required")]
    NoInputStreams,
    /// Several input streams were given and joining them failed.
    #[error("joining the inputs of a multi-input pod failed: {0}")]
    Join(Arc<orcapod_operator::OperatorError>),
    /// The input stream lacks a column the function needs.
    #[error(
        "packet function '{function}' needs input column '{column}' of type {expected}, but the stream's packet columns are [{available}]"
    )]
    MissingInput {
        /// Canonical name of the function.
        function: String,
        /// The missing column.
        column: String,
        /// The type the function expects.
        expected: String,
        /// The packet columns that exist.
        available: String,
    },
    /// An input column has a type the function cannot accept.
    #[error(
        "packet function '{function}': input column '{column}' has type {found}, expected {expected}"
    )]
    InputTypeMismatch {
        /// Canonical name of the function.
        function: String,
        /// The offending column.
        column: String,
        /// The type the function expects.
        expected: String,
        /// The type found in the stream.
        found: String,
    },
    /// Output columns of a fused pod collide with existing columns.
    #[error(
        "packet function '{function}': output columns [{columns}] collide with existing columns of the input stream"
    )]
    OutputCollision {
        /// Canonical name of the function.
        function: String,
        /// The colliding names, comma-separated.
        columns: String,
    },
    /// A function produced output that does not match its declared output schema.
    #[error("packet function '{function}' produced malformed output: {reason}")]
    MalformedOutput {
        /// Canonical name of the function.
        function: String,
        /// What is wrong.
        reason: String,
    },
    /// The executor cannot run this kind of packet function.
    #[error(
        "executor '{executor}' does not support packet function type '{function_type}' (supported: {supported})"
    )]
    UnsupportedExecutor {
        /// Executor type id.
        executor: String,
        /// Packet-function type id.
        function_type: String,
        /// Supported type ids, comma-separated.
        supported: String,
    },
    /// An executor option is unknown or has an invalid value.
    #[error("invalid executor option '{option}': {reason}")]
    InvalidOption {
        /// The option name.
        option: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A batch handed to a function or executor is inconsistent (column lengths or types).
    #[error("invalid batch ({context}): {reason}")]
    InvalidBatch {
        /// What was being built or read.
        context: String,
        /// What is wrong.
        reason: String,
    },
    /// An executor's own machinery failed (e.g. a cluster scheduler rejected a job). The source
    /// is the executor crate's error type (downcast it for details).
    #[error("executor '{executor}' failed: {source}")]
    Backend {
        /// Executor type id.
        executor: String,
        /// The executor's error.
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A packet failed and the caller asked to stop at the first failure.
    #[error(transparent)]
    Packet(Box<PacketError>),
    /// A data-model error.
    #[error(transparent)]
    Datagram(Arc<orcapod_datagram::DatagramError>),
    /// A hashing error.
    #[error(transparent)]
    Hash(Arc<orcapod_hash::HashError>),
    /// An Arrow kernel failed.
    #[error("arrow error: {0}")]
    Arrow(Arc<arrow_schema::ArrowError>),
}

impl From<orcapod_datagram::DatagramError> for ExecutorError {
    fn from(e: orcapod_datagram::DatagramError) -> Self {
        ExecutorError::Datagram(Arc::new(e))
    }
}

impl From<orcapod_hash::HashError> for ExecutorError {
    fn from(e: orcapod_hash::HashError) -> Self {
        ExecutorError::Hash(Arc::new(e))
    }
}

impl From<arrow_schema::ArrowError> for ExecutorError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        ExecutorError::Arrow(Arc::new(e))
    }
}

impl From<PacketError> for ExecutorError {
    fn from(e: PacketError) -> Self {
        ExecutorError::Packet(Box::new(e))
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = ExecutorError> = std::result::Result<T, E>;

/// How a packet failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The user function panicked (message taken from the panic payload).
    Panic,
    /// The user function returned an error (`Err(e)`; message = `e.to_string()`).
    Error,
    /// An input value could not be given to the function (e.g. a null for a non-`Option`
    /// parameter, an integer that does not fit `i32`).
    Input,
    /// An external command failed: spawn error, non-zero exit, or unparsable output.
    Command,
    /// The executor could not run the packet: e.g. the cluster task that held it failed,
    /// was cancelled, timed out or ran out of memory (the message names the task; captured
    /// output holds its stderr).
    Executor,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Panic => "panic",
            FailureKind::Error => "error",
            FailureKind::Input => "input",
            FailureKind::Command => "command",
            FailureKind::Executor => "executor",
        })
    }
}

/// Output captured while processing one packet (external commands).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapturedOutput {
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// Exit code; `None` when the process did not start or was killed by a signal.
    pub exit_status: Option<i32>,
}

/// The failure of a packet function on one packet, with the packet's tags.
///
/// ```
/// use orcapod_executor::{FailureKind, PacketError};
/// use orcapod_datagram::Value;
/// let e = PacketError {
///     function: "f".into(),
///     row: 3,
///     tags: vec![("id".into(), Value::Int(4))],
///     kind: FailureKind::Panic,
///     message: "boom".into(),
///     captured: None,
/// };
/// assert_eq!(e.to_string(), "packet function 'f' failed (panic) on packet {id=4} (input row 3): boom");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct PacketError {
    /// Name of the function (its uri name component).
    pub function: String,
    /// Index of the packet in the input stream.
    pub row: usize,
    /// The packet's user tag values.
    pub tags: Vec<(String, Value)>,
    /// How it failed.
    pub kind: FailureKind,
    /// The panic message, error message or command diagnosis.
    pub message: String,
    /// Captured stdout/stderr/exit status (external commands).
    pub captured: Option<CapturedOutput>,
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "packet function '{}' failed ({}) on packet {{",
            self.function, self.kind
        )?;
        for (i, (k, v)) in self.tags.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        write!(f, "}} (input row {}): {}", self.row, self.message)
    }
}
