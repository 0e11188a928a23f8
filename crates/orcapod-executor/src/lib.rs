//! Packet functions, function pods and executors for orcapod.
//!
//! A **packet function** maps one input packet to zero or one output packet; it never sees
//! tags. A **function pod** applies a packet function to every packet of a stream, on an
//! **executor**, and returns a lazy [`FunctionPodStream`] whose tags are the input's.
//!
//! * Define functions with [`packet_function!`] (Rust function syntax) or
//!   [`FunctionBuilder`] (closures), as typed Rust code over packet columns; or run external
//!   programs with [`CommandPacketFunction`]; or implement [`PacketFunction`] directly.
//! * Functions are called on **batches** ([`InputBatch`] → [`BatchOutput`]): typed functions
//!   downcast each input column once per batch, read rows without boxing and write outputs
//!   straight into Arrow builders.
//! * Identity is the function's uri `(name, output schema hash, "v{major}", type id)`, as in
//!   orcapod-python; an implementation hash joins the name unless the version is pinned
//!   ([`FunctionInfo`] states the rule).
//! * Executors ([`LocalExecutor`], [`ThreadPoolExecutor`], [`AsyncExecutor`], or your own)
//!   are immutable values; compatibility with a function is checked by types
//!   ([`Executor<K>`] with the function's [`FunctionKind`]) or, for trait objects, once at
//!   assignment ([`FunctionPod::with_dyn_executor`]).
//! * A failing packet (panic, `Err`, failed command) becomes a [`PacketError`] carrying the
//!   packet's tags; it never aborts the other packets.
//!
//! ```
//! use orcapod_datagram::{rows, ColumnConfig, Source, SourceOptions, Value};
//! use orcapod_executor::{packet_function, FunctionPod, ThreadPoolExecutor};
//!
//! let ratio = packet_function! {
//!     fn pressure_ratio(temperature: f64, pressure: f64) -> (ratio: f64, ok: bool) {
//!         let r = pressure / temperature;
//!         (r, r > 1.0)
//!     }
//! };
//! let readings = Source::from_rows(
//!     rows![
//!         {"id" => 1, "temperature" => 300.0, "pressure" => 330.0},
//!         {"id" => 2, "temperature" => 300.0, "pressure" => 150.0},
//!     ],
//!     SourceOptions::new(["id"]).source_id("lab"),
//! )?;
//! let pod = FunctionPod::new(ratio).with_executor(ThreadPoolExecutor::new(2)?);
//! let out = pod.process(&[readings.stream().clone()])?; // lazy: nothing computed yet
//! let table = out.materialize()?;
//! assert_eq!(table.packet_columns(), ["ratio", "ok"]);
//! let (tag, packet) = table.row(1)?;
//! assert_eq!(tag.get("id")?, Some(Value::Int(2)));
//! assert_eq!(packet.get("ok")?, Some(Value::Bool(false)));
//! // Source info of computed values points to the function and a per-packet UUIDv7.
//! let info = packet.source_info()?[0].1.to_string();
//! assert!(info.starts_with("pressure_ratio@") && info.ends_with("::ratio"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod add_result;
mod assemble;
mod async_fn;
mod batch;
mod builder;
mod column;
mod command;
mod error;
mod executor;
mod function;
mod info;
mod join;
mod macros;
mod pod;
mod pod_stream;
mod pools;
pub mod tuples;
mod version;

pub use add_result::AddResult;
pub use async_fn::AsyncRustFunction;
pub use batch::{BatchOutput, InputBatch, RowFailure, check_input_field};
pub use builder::{FunctionBuilder, RustFunction};
pub use column::ColumnType;
pub use command::{COMMAND_SPEC_FORMAT, CommandBuilder, CommandPacketFunction, OUTPUT_DIR_ENV};
pub use error::{CapturedOutput, ExecutorError, FailureKind, PacketError, Result};
pub use executor::{DynExecutor, ExecutionData, Executor, ExecutorOptions, LocalExecutor};
pub use function::{
    AnyKind, AsyncKind, AsyncPacketFunction, BlockingKind, COMMAND_FUNCTION_TYPE_ID, CommandKind,
    FunctionKind, KindedFunction, PYTHON_FUNCTION_TYPE_ID, PacketFunction,
    RUST_ASYNC_FUNCTION_TYPE_ID, RUST_FUNCTION_TYPE_ID,
};
pub use info::{FunctionInfo, FunctionUri, IMPLEMENTATION_HASH_CHARS};
pub use pod::{DEFAULT_MAX_CHUNK_ROWS, FunctionPod, check_executor, pod_stream_identity};
pub use pod_stream::{FunctionPodStream, PodResults, PodRows};
pub use pools::{AsyncExecutor, ThreadPoolExecutor};
pub use version::{DEFAULT_VERSION, Version};
