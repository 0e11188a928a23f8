//! The packet-function traits and the kind markers that tie functions to executors.

use std::sync::Arc;

use futures::future::BoxFuture;
use orcapod_datagram::Schema;
use orcapod_hash::ContentHash;

use crate::batch::{BatchOutput, InputBatch};
use crate::error::Result;
use crate::info::{FunctionInfo, FunctionUri};

/// Type id of in-process Rust functions ([`RustFunction`](crate::RustFunction)).
pub const RUST_FUNCTION_TYPE_ID: &str = "rust.function.v0";
/// Type id of async Rust functions ([`AsyncRustFunction`](crate::AsyncRustFunction)).
pub const RUST_ASYNC_FUNCTION_TYPE_ID: &str = "rust.async_function.v0";
/// Type id of external-command functions ([`CommandPacketFunction`](crate::CommandPacketFunction)).
pub const COMMAND_FUNCTION_TYPE_ID: &str = "command.function.v0";
/// Type id of orcapod-python functions (for reproducing Python identities).
pub const PYTHON_FUNCTION_TYPE_ID: &str = "python.function.v0";

/// A compile-time marker for the way a packet function is called. Executors declare the
/// kinds they can run by implementing [`Executor<K>`](crate::Executor).
pub trait FunctionKind: Send + Sync + 'static {
    /// Human-readable kind name.
    const NAME: &'static str;
}

/// In-process, blocking Rust functions.
#[derive(Debug)]
pub enum BlockingKind {}
/// External programs.
#[derive(Debug)]
pub enum CommandKind {}
/// Async Rust functions (need an executor that drives futures).
#[derive(Debug)]
pub enum AsyncKind {}
/// Type-erased functions (`Arc<dyn PacketFunction>`): only executors that support every
/// function type implement `Executor<AnyKind>`; others are checked at assignment with
/// [`FunctionPod::with_dyn_executor`](crate::FunctionPod::with_dyn_executor).
#[derive(Debug)]
pub enum AnyKind {}

impl FunctionKind for BlockingKind {
    const NAME: &'static str = "blocking";
}
impl FunctionKind for CommandKind {
    const NAME: &'static str = "command";
}
impl FunctionKind for AsyncKind {
    const NAME: &'static str = "async";
}
impl FunctionKind for AnyKind {
    const NAME: &'static str = "any";
}

/// A function from one input packet to zero or one output packet, called on batches.
///
/// Implementations receive an [`InputBatch`] whose columns are aligned with
/// [`input_schema`](Self::input_schema) in canonical Arrow types, and return one output array
/// per output field plus the rows that were dropped or failed ([`BatchOutput`]). A failure of
/// the user code on one row must be reported in the [`BatchOutput`], not as an `Err`; `Err` is
/// for failures of the whole batch.
///
/// Identity is [`uri`](Self::uri) (see [`FunctionInfo`] for the rule); the provided methods
/// read it from [`info`](Self::info).
///
/// Implementing it directly gives full control, e.g. a vectorised Arrow kernel:
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::cast::AsArray;
/// use arrow_array::types::Float64Type;
/// use arrow_array::ArrayRef;
/// use orcapod_datagram::{DataType, Field, Schema};
/// use orcapod_executor::{
///     BatchOutput, BlockingKind, FunctionInfo, FunctionPod, InputBatch, KindedFunction,
///     PacketFunction, Result,
/// };
///
/// struct Negate(FunctionInfo);
///
/// impl PacketFunction for Negate {
///     fn info(&self) -> &FunctionInfo {
///         &self.0
///     }
///     fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
///         // Column 0 is input field "x", already float64.
///         let x = input.column(0).expect("x is required").as_primitive::<Float64Type>();
///         let y: ArrayRef = Arc::new(x.unary::<_, Float64Type>(|v| -v));
///         Ok(BatchOutput::new(vec![y], input.num_rows()))
///     }
/// }
///
/// impl KindedFunction for Negate {
///     type Kind = BlockingKind;
/// }
///
/// let info = FunctionInfo::new(
///     "negate",
///     "rust.function.v0",
///     Schema::new(vec![Field::new("x", DataType::Float)]),
///     Schema::new(vec![Field::new("y", DataType::Float)]),
/// )?;
/// let pod = FunctionPod::new(Negate(info));
/// assert_eq!(pod.label(), "negate");
/// # Ok::<(), orcapod_executor::ExecutorError>(())
/// ```
pub trait PacketFunction: Send + Sync {
    /// Name, version, type id, schemas, uri and identity.
    fn info(&self) -> &FunctionInfo;

    /// Apply the function to every row of `input`.
    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput>;

    /// The async interface, for functions that have one.
    fn as_async(&self) -> Option<&dyn AsyncPacketFunction> {
        None
    }

    /// A self-contained, serialisable description from which the function can be rebuilt in
    /// another process (e.g. a cluster worker), or `None` for functions that exist only as
    /// code (such workers find them by uri in a registry compiled into the worker binary).
    /// [`CommandPacketFunction`](crate::CommandPacketFunction) returns its
    /// [`to_spec`](crate::CommandPacketFunction::to_spec).
    fn portable_spec(&self) -> Option<serde_json::Value> {
        None
    }

    /// Canonical function name.
    fn canonical_name(&self) -> &str {
        self.info().name()
    }

    /// Major version (part of identity).
    fn major_version(&self) -> u64 {
        self.info().major_version()
    }

    /// Minor version string (not part of identity).
    fn minor_version(&self) -> &str {
        self.info().minor_version()
    }

    /// Packet-function type id (e.g. `"rust.function.v0"`).
    fn type_id(&self) -> &str {
        self.info().type_id()
    }

    /// Input packet schema (optional fields: [`FunctionInfo::optional_inputs`]).
    fn input_schema(&self) -> &Schema {
        self.info().input_schema()
    }

    /// Output packet schema.
    fn output_schema(&self) -> &Schema {
        self.info().output_schema()
    }

    /// The uri `(name component, output schema hash, "v{major}", type id)`.
    fn uri(&self) -> &FunctionUri {
        self.info().uri()
    }

    /// Content hash: semantic hash of the uri tuple.
    fn content_hash(&self) -> &ContentHash {
        self.info().content_hash()
    }

    /// Pipeline hash (equal to the content hash for packet functions).
    fn pipeline_hash(&self) -> &ContentHash {
        self.info().content_hash()
    }

    /// Hash of the implementation, if known.
    fn implementation_hash(&self) -> Option<&ContentHash> {
        self.info().implementation_hash()
    }
}

/// A packet function that can run its rows as futures, at most `max_in_flight` at a time.
pub trait AsyncPacketFunction: PacketFunction {
    /// Apply the function to every row of `input`, keeping the output in row order.
    fn call_batch_async<'a>(
        &'a self,
        input: &'a InputBatch,
        max_in_flight: usize,
    ) -> BoxFuture<'a, Result<BatchOutput>>;
}

/// A packet function whose [`FunctionKind`] is known at compile time.
pub trait KindedFunction: PacketFunction {
    /// How the function is called.
    type Kind: FunctionKind;
}

impl<T: PacketFunction + ?Sized> PacketFunction for Arc<T> {
    fn info(&self) -> &FunctionInfo {
        (**self).info()
    }

    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
        (**self).call_batch(input)
    }

    fn as_async(&self) -> Option<&dyn AsyncPacketFunction> {
        (**self).as_async()
    }

    fn portable_spec(&self) -> Option<serde_json::Value> {
        (**self).portable_spec()
    }
}

impl KindedFunction for Arc<dyn PacketFunction> {
    type Kind = AnyKind;
}
