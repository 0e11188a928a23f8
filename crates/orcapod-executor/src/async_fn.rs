//! Async Rust packet functions.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use orcapod_datagram::Schema;

use crate::batch::{BatchOutput, InputBatch, RowFailure};
use crate::builder::{FunctionBuilder, Signature, bad_columns, input_failure, panic_message};
use crate::error::{FailureKind, Result};
use crate::function::{
    AsyncKind, AsyncPacketFunction, KindedFunction, PacketFunction, RUST_ASYNC_FUNCTION_TYPE_ID,
};
use crate::info::FunctionInfo;
use crate::tuples::{DefaultValue, InputTuple, IntoOutputs, OutputTuple, RowFn, RowState};

impl<In: InputTuple, Out: OutputTuple> FunctionBuilder<In, Out> {
    /// Build an async function: the closure returns a future of the outputs (same return
    /// conventions as [`build`](Self::build)). The type id becomes `"rust.async_function.v0"`
    /// unless set explicitly to something else.
    ///
    /// Async functions run on any executor: [`AsyncExecutor`](crate::AsyncExecutor) keeps up
    /// to `max_in_flight` packets in flight; the local and thread-pool executors drive them one
    /// at a time with a blocking, runtime-agnostic `block_on`.
    ///
    /// ```
    /// use orcapod_executor::{FunctionBuilder, PacketFunction};
    /// let f = FunctionBuilder::new("fetch")
    ///     .input::<i64>("id")
    ///     .output::<String>("body")
    ///     .try_build_async(|id: i64| async move { format!("item {id}") })
    ///     .unwrap();
    /// assert_eq!(f.type_id(), "rust.async_function.v0");
    /// ```
    pub fn try_build_async<F, Fut, R, M>(mut self, f: F) -> Result<AsyncRustFunction>
    where
        F: RowFn<In, Fut>,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoOutputs<Out, M>,
        M: 'static,
    {
        if self.type_id_is_default() {
            self = self.type_id(RUST_ASYNC_FUNCTION_TYPE_ID);
        }
        let (inputs, outputs) = self.names();
        let info = self.make_info(
            Schema::new(In::fields(inputs)),
            Schema::new(Out::fields(outputs)),
        )?;
        let (input_names, defaults) = self.into_parts();
        let kernel = AsyncTypedKernel::<F, In, Out, Fut, R, M> {
            f,
            defaults,
            input_names,
            _types: PhantomData,
        };
        Ok(AsyncRustFunction {
            info,
            kernel: Arc::new(kernel),
        })
    }

    /// Build an async function.
    ///
    /// # Panics
    ///
    /// On an invalid definition; see [`try_build_async`](Self::try_build_async).
    pub fn build_async<F, Fut, R, M>(self, f: F) -> AsyncRustFunction
    where
        F: RowFn<In, Fut>,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoOutputs<Out, M>,
        M: 'static,
    {
        self.try_build_async(f)
            .unwrap_or_else(|e| panic!("invalid packet function definition: {e}"))
    }
}

trait AsyncKernel: Send + Sync {
    fn run<'a>(
        &'a self,
        input: &'a InputBatch,
        max_in_flight: usize,
    ) -> BoxFuture<'a, Result<BatchOutput>>;
}

struct AsyncTypedKernel<F, In, Out, Fut, R, M> {
    f: F,
    defaults: Vec<DefaultValue>,
    input_names: Vec<String>,
    _types: Signature<In, (Out, Fut, R, M)>,
}

enum Outcome<R> {
    Value(R),
    Input((usize, String)),
    Panic(String),
}

impl<F, In, Out, Fut, R, M> AsyncKernel for AsyncTypedKernel<F, In, Out, Fut, R, M>
where
    In: InputTuple,
    Out: OutputTuple,
    F: RowFn<In, Fut>,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoOutputs<Out, M>,
    M: 'static,
{
    fn run<'a>(
        &'a self,
        input: &'a InputBatch,
        max_in_flight: usize,
    ) -> BoxFuture<'a, Result<BatchOutput>> {
        async move {
            let columns = In::columns(input, &self.defaults)
                .map_err(|e| bad_columns(&self.input_names, e))?;
            let n = input.num_rows();
            let outcomes: Vec<Outcome<R>> = futures::stream::iter(0..n)
                .map(|row| {
                    let started = In::read(&columns, row)
                        .map(|args| catch_unwind(AssertUnwindSafe(|| self.f.call(args))));
                    async move {
                        match started {
                            Err(e) => Outcome::Input(e),
                            Ok(Err(payload)) => Outcome::Panic(panic_message(payload.as_ref())),
                            Ok(Ok(fut)) => match AssertUnwindSafe(fut).catch_unwind().await {
                                Ok(r) => Outcome::Value(r),
                                Err(payload) => Outcome::Panic(panic_message(payload.as_ref())),
                            },
                        }
                    }
                })
                .buffered(max_in_flight.max(1))
                .collect()
                .await;
            let mut builders = Out::builders(n);
            let mut out_dropped = Vec::new();
            let mut failures = Vec::new();
            for (row, outcome) in outcomes.into_iter().enumerate() {
                match outcome {
                    Outcome::Value(r) => match r.write(&mut builders) {
                        RowState::Ok => {}
                        RowState::Dropped => out_dropped.push(row),
                        RowState::Failed(message) => failures.push(RowFailure {
                            row,
                            kind: FailureKind::Error,
                            message,
                            captured: None,
                        }),
                    },
                    Outcome::Input(e) => {
                        Out::append_nulls(&mut builders);
                        failures.push(input_failure(&self.input_names, row, e));
                    }
                    Outcome::Panic(message) => {
                        Out::append_nulls(&mut builders);
                        failures.push(RowFailure {
                            row,
                            kind: FailureKind::Panic,
                            message,
                            captured: None,
                        });
                    }
                }
            }
            let mut out = BatchOutput::new(Out::finish(builders), n);
            out_dropped.into_iter().for_each(|r| out.push_dropped(r));
            failures.into_iter().for_each(|f| out.push_failure(f));
            Ok(out)
        }
        .boxed()
    }
}

/// A typed async Rust packet function (kind [`AsyncKind`]). Built with
/// [`FunctionBuilder::try_build_async`]. Cheap to clone.
#[derive(Clone)]
pub struct AsyncRustFunction {
    info: FunctionInfo,
    kernel: Arc<dyn AsyncKernel>,
}

impl AsyncRustFunction {
    /// The same function with another type id.
    pub fn with_type_id(mut self, type_id: impl Into<String>) -> Self {
        self.info = self.info.with_type_id(type_id);
        self
    }
}

impl fmt::Debug for AsyncRustFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRustFunction")
            .field("uri", &self.info.uri().to_string())
            .finish()
    }
}

impl PacketFunction for AsyncRustFunction {
    fn info(&self) -> &FunctionInfo {
        &self.info
    }

    /// Drives the rows one at a time with `futures::executor::block_on` (do not call from
    /// inside an async task; use [`AsyncPacketFunction::call_batch_async`] there).
    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
        futures::executor::block_on(self.kernel.run(input, 1))
    }

    fn as_async(&self) -> Option<&dyn AsyncPacketFunction> {
        Some(self)
    }
}

impl AsyncPacketFunction for AsyncRustFunction {
    fn call_batch_async<'a>(
        &'a self,
        input: &'a InputBatch,
        max_in_flight: usize,
    ) -> BoxFuture<'a, Result<BatchOutput>> {
        self.kernel.run(input, max_in_flight)
    }
}

impl KindedFunction for AsyncRustFunction {
    type Kind = AsyncKind;
}
