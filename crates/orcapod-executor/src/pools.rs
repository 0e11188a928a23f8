//! Concurrent executors: a rayon thread pool and a bounded async executor.

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use rayon::prelude::*;

use crate::batch::{BatchOutput, InputBatch};
use crate::error::{ExecutorError, Result};
use crate::executor::{DynExecutor, ExecutionData, Executor, ExecutorOptions};
use crate::function::{AsyncKind, FunctionKind, PacketFunction, RUST_ASYNC_FUNCTION_TYPE_ID};

/// Runs each batch on a dedicated rayon pool: the rows are split into contiguous ranges
/// (`threads × tasks_per_thread` of them), run in parallel, and concatenated in input order,
/// so the output is row-for-row identical to the [`LocalExecutor`](crate::LocalExecutor)'s.
///
/// Supports every function type (async functions are driven with a blocking `block_on` per
/// range). Options: `threads`, `tasks_per_thread`.
///
/// ```
/// use orcapod_executor::{DynExecutor, ExecutorOptions, ThreadPoolExecutor};
/// let pool = ThreadPoolExecutor::new(2).unwrap();
/// let bigger = pool.with_options(&ExecutorOptions::new().set("threads", 4)).unwrap();
/// assert_eq!((pool.threads(), bigger.threads()), (2, 4));
/// assert!(pool.supports_concurrent_execution());
/// ```
#[derive(Clone)]
pub struct ThreadPoolExecutor {
    threads: usize,
    tasks_per_thread: usize,
    pool: Arc<rayon::ThreadPool>,
}

impl ThreadPoolExecutor {
    /// A pool of `threads` worker threads (at least 1).
    pub fn new(threads: usize) -> Result<Self> {
        Self::build(threads, 4)
    }

    fn build(threads: usize, tasks_per_thread: usize) -> Result<Self> {
        let invalid = |option: &str, reason: String| ExecutorError::InvalidOption {
            option: option.into(),
            reason,
        };
        if threads == 0 {
            return Err(invalid("threads", "must be at least 1".into()));
        }
        if tasks_per_thread == 0 {
            return Err(invalid("tasks_per_thread", "must be at least 1".into()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("orcapod-exec-{i}"))
            .build()
            .map_err(|e| invalid("threads", e.to_string()))?;
        Ok(ThreadPoolExecutor {
            threads,
            tasks_per_thread,
            pool: Arc::new(pool),
        })
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Number of row ranges per thread and batch (load balancing).
    pub fn tasks_per_thread(&self) -> usize {
        self.tasks_per_thread
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutor")
            .field("threads", &self.threads)
            .field("tasks_per_thread", &self.tasks_per_thread)
            .finish()
    }
}

impl DynExecutor for ThreadPoolExecutor {
    fn executor_type_id(&self) -> &str {
        "thread_pool"
    }

    fn supports_concurrent_execution(&self) -> bool {
        true
    }

    fn execution_data(&self) -> ExecutionData {
        ExecutionData::new(self.executor_type_id())
            .with("threads", self.threads)
            .with("tasks_per_thread", self.tasks_per_thread)
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        let ranges = input.split(self.threads * self.tasks_per_thread);
        if ranges.len() <= 1 {
            return function.call_batch(input);
        }
        let parts: Vec<Result<BatchOutput>> = self.pool.install(|| {
            ranges
                .into_par_iter()
                .map(|r| function.call_batch(&input.slice(r.start, r.len())))
                .collect()
        });
        BatchOutput::concat(parts.into_iter().collect::<Result<Vec<_>>>()?)
    }

    fn with_options(&self, options: &ExecutorOptions) -> Result<Self> {
        options.check_known(self.executor_type_id(), &["threads", "tasks_per_thread"])?;
        let threads = options.parse("threads")?.unwrap_or(self.threads);
        let tasks = options
            .parse("tasks_per_thread")?
            .unwrap_or(self.tasks_per_thread);
        Self::build(threads, tasks)
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl<K: FunctionKind> Executor<K> for ThreadPoolExecutor {}

/// Runs async functions with at most `max_in_flight` packets in flight, keeping input order.
///
/// Runtime-agnostic: [`execute_async`](DynExecutor::execute_async) returns a plain future that
/// any executor can poll; the blocking [`execute`](DynExecutor::execute) drives it with
/// `futures::executor::block_on`. Only async functions (`"rust.async_function.v0"`) are
/// supported; pairing it with another kind is a compile error on the typed path and an
/// [`ExecutorError::UnsupportedExecutor`] on the dynamic path. Option: `max_in_flight`.
///
/// ```
/// use orcapod_executor::{AsyncExecutor, DynExecutor};
/// let exec = AsyncExecutor::new(8);
/// assert!(exec.supports("rust.async_function.v0"));
/// assert!(!exec.supports("rust.function.v0"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncExecutor {
    max_in_flight: usize,
}

impl AsyncExecutor {
    /// An executor with at most `max_in_flight` (at least 1) packets in flight.
    pub fn new(max_in_flight: usize) -> Self {
        AsyncExecutor {
            max_in_flight: max_in_flight.max(1),
        }
    }

    /// The concurrency limit.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    fn unsupported(&self, function: &dyn PacketFunction) -> ExecutorError {
        ExecutorError::UnsupportedExecutor {
            executor: self.executor_type_id().to_string(),
            function_type: function.type_id().to_string(),
            supported: RUST_ASYNC_FUNCTION_TYPE_ID.to_string(),
        }
    }
}

impl DynExecutor for AsyncExecutor {
    fn executor_type_id(&self) -> &str {
        "async"
    }

    fn supported_function_type_ids(&self) -> Vec<String> {
        vec![RUST_ASYNC_FUNCTION_TYPE_ID.to_string()]
    }

    fn supports_concurrent_execution(&self) -> bool {
        true
    }

    fn execution_data(&self) -> ExecutionData {
        ExecutionData::new(self.executor_type_id()).with("max_in_flight", self.max_in_flight)
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        futures::executor::block_on(self.execute_async(function, input))
    }

    fn execute_async<'a>(
        &'a self,
        function: &'a dyn PacketFunction,
        input: &'a InputBatch,
    ) -> BoxFuture<'a, Result<BatchOutput>> {
        match function.as_async() {
            Some(f) => f.call_batch_async(input, self.max_in_flight),
            None => {
                let err = self.unsupported(function);
                Box::pin(async move { Err(err) })
            }
        }
    }

    fn with_options(&self, options: &ExecutorOptions) -> Result<Self> {
        options.check_known(self.executor_type_id(), &["max_in_flight"])?;
        let n: usize = options
            .parse("max_in_flight")?
            .unwrap_or(self.max_in_flight);
        if n == 0 {
            return Err(ExecutorError::InvalidOption {
                option: "max_in_flight".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(AsyncExecutor::new(n))
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl Executor<AsyncKind> for AsyncExecutor {}
