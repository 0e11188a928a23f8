//! Type-erased function pods, so that pipelines can hold pods of any function and executor.

use std::sync::Arc;

use orcapod_datagram::{Schema, Stream};
use orcapod_executor::{
    DynExecutor, ExecutorOptions, FunctionInfo, FunctionPod, FunctionPodStream, FunctionUri,
    KindedFunction,
};
use orcapod_hash::ContentHash;

/// What a pipeline needs from a function pod, independent of its function and executor types.
///
/// Implemented for every [`FunctionPod`].
pub trait PodLike: Send + Sync + std::fmt::Debug {
    /// The function's uri (identity).
    fn uri(&self) -> &FunctionUri;
    /// The pod's content hash (= the function's).
    fn content_hash(&self) -> &ContentHash;
    /// The pod's pipeline hash.
    fn pipeline_hash(&self) -> &ContentHash;
    /// The pod's label (default: the function's canonical name).
    fn label(&self) -> &str;
    /// The function's metadata (name, version, schemas, optional inputs); `None` for
    /// stand-ins of functions that are not available (loaded read-only).
    fn info(&self) -> Option<&FunctionInfo>;
    /// The function's declared input schema.
    fn input_schema(&self) -> &Schema;
    /// The function's declared output schema.
    fn output_schema(&self) -> &Schema;
    /// The executor's type id.
    fn executor_type_id(&self) -> &str;
    /// Apply the pod to a stream (lazy).
    fn process(&self, input: &Stream) -> orcapod_executor::Result<FunctionPodStream>;
    /// The same pod on another executor, derived with `options` (always a new executor).
    /// Fails if the executor does not support the function's type.
    fn with_executor(
        &self,
        executor: &dyn DynExecutor,
        options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn PodLike>>;
    /// The same pod with its own executor re-derived with `options`.
    fn with_options(&self, options: &ExecutorOptions)
    -> orcapod_executor::Result<Arc<dyn PodLike>>;
    /// The function's self-contained description (a command function's spec), if it has
    /// one; saved pipelines carry it so that they can be rebuilt without code.
    fn portable_spec(&self) -> Option<serde_json::Value> {
        None
    }
}

impl<F, E> PodLike for FunctionPod<F, E>
where
    F: KindedFunction + 'static,
    E: DynExecutor + Clone + 'static,
{
    fn uri(&self) -> &FunctionUri {
        FunctionPod::uri(self)
    }
    fn content_hash(&self) -> &ContentHash {
        FunctionPod::content_hash(self)
    }
    fn pipeline_hash(&self) -> &ContentHash {
        FunctionPod::pipeline_hash(self)
    }
    fn label(&self) -> &str {
        FunctionPod::label(self)
    }
    fn info(&self) -> Option<&FunctionInfo> {
        Some(self.function().info())
    }
    fn input_schema(&self) -> &Schema {
        self.function().input_schema()
    }
    fn output_schema(&self) -> &Schema {
        self.function().output_schema()
    }
    fn executor_type_id(&self) -> &str {
        self.executor().executor_type_id()
    }
    fn process(&self, input: &Stream) -> orcapod_executor::Result<FunctionPodStream> {
        FunctionPod::process(self, std::slice::from_ref(input))
    }
    fn with_executor(
        &self,
        executor: &dyn DynExecutor,
        options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn PodLike>> {
        let derived = executor.with_options_dyn(options)?;
        Ok(Arc::new(self.clone().with_dyn_executor(derived)?))
    }
    fn with_options(
        &self,
        options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn PodLike>> {
        PodLike::with_executor(self, self.executor(), options)
    }
    fn portable_spec(&self) -> Option<serde_json::Value> {
        self.function().portable_spec()
    }
}
