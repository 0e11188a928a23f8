//! The executor traits, options, execution metadata and the local executor.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::batch::{BatchOutput, InputBatch};
use crate::error::{ExecutorError, Result};
use crate::function::{FunctionKind, PacketFunction};

/// Executor options, as string key/value pairs (orcapod-python's `with_options(**opts)`).
///
/// ```
/// use orcapod_executor::ExecutorOptions;
/// let opts = ExecutorOptions::new().set("threads", 4);
/// assert_eq!(opts.get("threads"), Some("4"));
/// assert_eq!(opts.parse::<usize>("threads").unwrap(), Some(4));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutorOptions {
    entries: BTreeMap<String, String>,
}

impl ExecutorOptions {
    /// No options.
    pub fn new() -> Self {
        ExecutorOptions::default()
    }

    /// Add or replace an option.
    pub fn set(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.entries.insert(key.into(), value.to_string());
        self
    }

    /// An option's raw value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// All options, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Parse an option; a value that does not parse is an [`ExecutorError::InvalidOption`].
    pub fn parse<T: FromStr>(&self, key: &str) -> Result<Option<T>>
    where
        T::Err: fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>().map_err(|e| ExecutorError::InvalidOption {
                    option: key.to_string(),
                    reason: format!("cannot parse '{v}': {e}"),
                })
            })
            .transpose()
    }

    /// Reject options outside `known` (typo protection for executors with a fixed option set).
    pub fn check_known(&self, executor: &str, known: &[&str]) -> Result<()> {
        match self.entries.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(ExecutorError::InvalidOption {
                option: k.clone(),
                reason: format!("executor '{executor}' accepts only [{}]", known.join(", ")),
            }),
            None => Ok(()),
        }
    }
}

/// Execution metadata: recorded next to results, never part of any hash.
///
/// Mirrors orcapod-python's `get_executor_data()` (`executor_type` plus executor details).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionData {
    /// The executor type id.
    pub executor_type: String,
    /// Executor details (thread counts, limits, ...), stringified.
    pub executor_info: BTreeMap<String, String>,
}

impl ExecutionData {
    /// Metadata with only the executor type.
    pub fn new(executor_type: impl Into<String>) -> Self {
        ExecutionData {
            executor_type: executor_type.into(),
            executor_info: BTreeMap::new(),
        }
    }

    /// Add a detail.
    pub fn with(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.executor_info.insert(key.into(), value.to_string());
        self
    }
}

/// The object-safe executor interface: how a batch of packets is run.
///
/// Executors are immutable values: [`with_options`](Self::with_options) always returns a new
/// executor and never changes `self`. They are never part of any identity.
///
/// Third-party executors implement this trait, then [`Executor<K>`] for every function
/// [`FunctionKind`] they can run (see `tests/custom_executor.rs`).
pub trait DynExecutor: Send + Sync + fmt::Debug {
    /// Executor type id (e.g. `"local"`).
    fn executor_type_id(&self) -> &str;

    /// Packet-function type ids this executor runs; empty means all.
    fn supported_function_type_ids(&self) -> Vec<String> {
        Vec::new()
    }

    /// Can this executor run functions of `function_type_id`?
    fn supports(&self, function_type_id: &str) -> bool {
        let ids = self.supported_function_type_ids();
        ids.is_empty() || ids.iter().any(|t| t == function_type_id)
    }

    /// Does it run packets concurrently?
    fn supports_concurrent_execution(&self) -> bool {
        false
    }

    /// Metadata recorded with results.
    fn execution_data(&self) -> ExecutionData {
        ExecutionData::new(self.executor_type_id())
    }

    /// The fewest rows this executor wants per [`execute`](Self::execute) call. Pods compute
    /// their memoised chunks with 1, 2, 4, … rows (up to their bound) so that the first packets
    /// come back quickly; an executor with a high fixed cost per call (a cluster job) returns
    /// more, and the pod's chunks then start at that size (still capped by the pod's bound).
    /// Default 1.
    fn preferred_min_batch_rows(&self) -> usize {
        1
    }

    /// Run `function` on every row of `input`; rows must come back in input order.
    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput>;

    /// Async variant for callers inside an async runtime. The default runs
    /// [`execute`](Self::execute) inline (blocking the task).
    fn execute_async<'a>(
        &'a self,
        function: &'a dyn PacketFunction,
        input: &'a InputBatch,
    ) -> BoxFuture<'a, Result<BatchOutput>> {
        Box::pin(async move { self.execute(function, input) })
    }

    /// A new executor with `options` applied; `self` is untouched.
    fn with_options(&self, options: &ExecutorOptions) -> Result<Self>
    where
        Self: Sized;

    /// [`with_options`](Self::with_options) for trait objects.
    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>>;
}

/// Compile-time compatibility: `E: Executor<K>` means `E` can run functions of kind `K`.
///
/// [`FunctionPod::with_executor`](crate::FunctionPod::with_executor) requires
/// `E: Executor<F::Kind>`, so pairing, say, a blocking function with the
/// [`AsyncExecutor`](crate::AsyncExecutor) does not compile. Implement `Executor<AnyKind>`
/// only if the executor supports every function type id.
#[diagnostic::on_unimplemented(
    message = "executor `{Self}` cannot run packet functions of kind `{K}`",
    label = "this executor does not implement `Executor<{K}>`",
    note = "pick an executor that implements `Executor<{K}>`, or assign a type-erased executor with `with_dyn_executor` (checked at run time)"
)]
pub trait Executor<K: FunctionKind>: DynExecutor + Clone + 'static {}

impl DynExecutor for Arc<dyn DynExecutor> {
    fn executor_type_id(&self) -> &str {
        (**self).executor_type_id()
    }

    fn supported_function_type_ids(&self) -> Vec<String> {
        (**self).supported_function_type_ids()
    }

    fn supports(&self, function_type_id: &str) -> bool {
        (**self).supports(function_type_id)
    }

    fn supports_concurrent_execution(&self) -> bool {
        (**self).supports_concurrent_execution()
    }

    fn execution_data(&self) -> ExecutionData {
        (**self).execution_data()
    }

    fn preferred_min_batch_rows(&self) -> usize {
        (**self).preferred_min_batch_rows()
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        (**self).execute(function, input)
    }

    fn execute_async<'a>(
        &'a self,
        function: &'a dyn PacketFunction,
        input: &'a InputBatch,
    ) -> BoxFuture<'a, Result<BatchOutput>> {
        (**self).execute_async(function, input)
    }

    fn with_options(&self, options: &ExecutorOptions) -> Result<Self> {
        (**self).with_options_dyn(options)
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        (**self).with_options_dyn(options)
    }
}

/// Runs packets in the calling thread, one batch at a time, in order. Supports every function
/// type; options are accepted and ignored (as orcapod-python's local executor).
///
/// ```
/// use orcapod_executor::{DynExecutor, ExecutorOptions, LocalExecutor};
/// let local = LocalExecutor;
/// assert_eq!(local.executor_type_id(), "local");
/// assert!(local.supports("anything"));
/// let copy = local.with_options(&ExecutorOptions::new().set("x", 1)).unwrap();
/// assert_eq!(copy.execution_data().executor_type, "local");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalExecutor;

impl DynExecutor for LocalExecutor {
    fn executor_type_id(&self) -> &str {
        "local"
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        function.call_batch(input)
    }

    fn with_options(&self, _options: &ExecutorOptions) -> Result<Self> {
        Ok(LocalExecutor)
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl<K: FunctionKind> Executor<K> for LocalExecutor {}
