//! Function pods: a packet function plus an executor, applied to streams.

use std::sync::Arc;

use orcapod_datagram::{ColumnConfig, Schema, Stream, StreamIdentity};
use orcapod_hash::semantic::Identity;
use orcapod_hash::{ContentHash, DataContext};

use crate::batch::InputBatch;
use crate::error::{ExecutorError, Result};
use crate::executor::{DynExecutor, Executor, LocalExecutor};
use crate::function::{KindedFunction, PacketFunction};
use crate::info::FunctionUri;
use crate::pod_stream::{FunctionPodStream, PodStreamConfig};

/// Default upper bound on the rows computed per memoised chunk of a [`FunctionPodStream`].
pub const DEFAULT_MAX_CHUNK_ROWS: usize = 16_384;

/// A packet function bound to an executor: applies the function to every packet of a stream.
///
/// Identity is the packet function's (content hash = pipeline hash = hash of the uri); the
/// executor and label are never part of it. `E: Executor<F::Kind>` is checked at compile time
/// by [`with_executor`](Self::with_executor):
///
/// ```compile_fail
/// use orcapod_executor::{AsyncExecutor, FunctionBuilder, FunctionPod};
/// let scale = FunctionBuilder::new("scale").input::<f64>("x").output::<f64>("y").build(|x: f64| 2.0 * x);
/// // A blocking function cannot be given to the async executor: this does not compile.
/// let pod = FunctionPod::new(scale).with_executor(AsyncExecutor::new(4));
/// ```
///
/// ```
/// use orcapod_datagram::{rows, ColumnConfig, Source, SourceOptions};
/// use orcapod_executor::{FunctionBuilder, FunctionPod, ThreadPoolExecutor};
/// let scale = FunctionBuilder::new("scale").input::<i64>("x").output::<i64>("y").build(|x: i64| 2 * x + 1);
/// let pod = FunctionPod::new(scale).with_executor(ThreadPoolExecutor::new(2)?);
/// let src = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}], SourceOptions::new(["id"]))?;
/// let out = pod.process(&[src.stream().clone()])?.materialize()?;
/// assert_eq!(out.keys(&ColumnConfig::default()), (vec!["id".to_string()], vec!["y".to_string()]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FunctionPod<F, E = LocalExecutor> {
    function: Arc<F>,
    executor: E,
    label: Option<String>,
    max_chunk_rows: usize,
}

impl<F, E: Clone> Clone for FunctionPod<F, E> {
    fn clone(&self) -> Self {
        FunctionPod {
            function: self.function.clone(),
            executor: self.executor.clone(),
            label: self.label.clone(),
            max_chunk_rows: self.max_chunk_rows,
        }
    }
}

impl<F: PacketFunction, E: DynExecutor> std::fmt::Debug for FunctionPod<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionPod")
            .field("uri", &self.function.uri().to_string())
            .field("executor", &self.executor.executor_type_id())
            .field("label", &self.label)
            .finish()
    }
}

impl<F: KindedFunction + 'static> FunctionPod<F, LocalExecutor> {
    /// A pod running `function` on the [`LocalExecutor`].
    pub fn new(function: F) -> Self {
        FunctionPod {
            function: Arc::new(function),
            executor: LocalExecutor,
            label: None,
            max_chunk_rows: DEFAULT_MAX_CHUNK_ROWS,
        }
    }
}

impl<F: KindedFunction + 'static, E: DynExecutor + Clone + 'static> FunctionPod<F, E> {
    /// The same pod on another executor, checked at compile time.
    pub fn with_executor<E2: Executor<F::Kind>>(self, executor: E2) -> FunctionPod<F, E2> {
        FunctionPod {
            function: self.function,
            executor,
            label: self.label,
            max_chunk_rows: self.max_chunk_rows,
        }
    }

    /// The same pod on a type-erased executor, checked once here: the executor must
    /// [`support`](DynExecutor::supports) the function's type id.
    pub fn with_dyn_executor(
        self,
        executor: Arc<dyn DynExecutor>,
    ) -> Result<FunctionPod<F, Arc<dyn DynExecutor>>> {
        check_executor(self.function.as_ref(), executor.as_ref())?;
        Ok(FunctionPod {
            function: self.function,
            executor,
            label: self.label,
            max_chunk_rows: self.max_chunk_rows,
        })
    }

    /// Set a label (default: the function's canonical name). Not part of identity.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Bound the rows per memoised chunk (at least 1). Chunks grow 1, 2, 4, … up to this
    /// bound, so the first packets come back quickly and bulk work amortises per-call costs.
    pub fn with_max_chunk_rows(mut self, rows: usize) -> Self {
        self.max_chunk_rows = rows.max(1);
        self
    }

    /// The packet function.
    pub fn function(&self) -> &F {
        &self.function
    }

    /// The executor.
    pub fn executor(&self) -> &E {
        &self.executor
    }

    /// The label.
    pub fn label(&self) -> &str {
        self.label
            .as_deref()
            .unwrap_or_else(|| self.function.canonical_name())
    }

    /// The packet function's uri.
    pub fn uri(&self) -> &FunctionUri {
        self.function.uri()
    }

    /// Content hash (= the packet function's).
    pub fn content_hash(&self) -> &ContentHash {
        self.function.content_hash()
    }

    /// Pipeline hash (= the packet function's, = the content hash).
    pub fn pipeline_hash(&self) -> &ContentHash {
        self.function.pipeline_hash()
    }

    /// Predicted (tag schema, packet schema) of the output, validating the inputs.
    pub fn output_schema(
        &self,
        streams: &[Stream],
        cfg: &ColumnConfig,
    ) -> Result<(Schema, Schema)> {
        let input = combine_inputs(streams)?;
        bind(self.function.as_ref(), &input)?;
        Ok((
            input.output_schema(cfg)?.0,
            self.function.output_schema().clone(),
        ))
    }

    /// Apply the pod: validate the input packet schema against the function's input schema
    /// and return a lazy [`FunctionPodStream`]. Several streams are joined first.
    ///
    /// A function without outputs is rejected here (a stream needs packet columns); run it with
    /// [`AddResult`](crate::AddResult) to keep the input packets.
    pub fn process(&self, streams: &[Stream]) -> Result<FunctionPodStream> {
        if self.function.output_schema().is_empty() {
            return Err(ExecutorError::InvalidFunction {
                function: self.function.canonical_name().to_string(),
                reason: "it has no output columns, so its pod output would have no packet columns \
                         (use AddResult to keep the input packets)"
                    .into(),
            });
        }
        let input = combine_inputs(streams)?;
        let inputs = bind(self.function.as_ref(), &input)?;
        let identity =
            pod_stream_identity(self.content_hash(), self.pipeline_hash(), input.identity())?;
        Ok(FunctionPodStream::new(
            self.stream_config(input, inputs, identity, false),
        ))
    }

    pub(crate) fn stream_config(
        &self,
        input: Stream,
        inputs: InputBatch,
        identity: StreamIdentity,
        append: bool,
    ) -> PodStreamConfig {
        PodStreamConfig {
            function: self.function.clone() as Arc<dyn PacketFunction>,
            executor: Arc::new(self.executor.clone()),
            input,
            inputs,
            identity,
            label: self.label().to_string(),
            max_chunk_rows: self.max_chunk_rows,
            append_inputs: append,
        }
    }
}

/// Check that `executor` supports `function`'s type id.
pub fn check_executor(function: &dyn PacketFunction, executor: &dyn DynExecutor) -> Result<()> {
    if executor.supports(function.type_id()) {
        Ok(())
    } else {
        Err(ExecutorError::UnsupportedExecutor {
            executor: executor.executor_type_id().to_string(),
            function_type: function.type_id().to_string(),
            supported: executor.supported_function_type_ids().join(", "),
        })
    }
}

/// One input stream, or the join of several.
pub(crate) fn combine_inputs(streams: &[Stream]) -> Result<Stream> {
    match streams {
        [] => Err(ExecutorError::NoInputStreams),
        [one] => Ok(one.clone()),
        many => crate::join::join_streams(many),
    }
}

/// Validate a stream's packet columns against the function and bind them.
pub(crate) fn bind(function: &dyn PacketFunction, input: &Stream) -> Result<InputBatch> {
    InputBatch::bind(function.info(), &input.packet_batch()?)
}

/// `(pod, frozenset([input]))` for content and pipeline hashes (orcapod-python §4.5).
/// The identities of a function pod's output stream (orcapod-python §4.5):
/// `content = hash((pod content hash, frozenset([input content hash])))`, and the pipeline hash
/// likewise from the pod's and the input's pipeline hashes.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_executor::{pod_stream_identity, FunctionBuilder, FunctionPod};
/// let f = FunctionBuilder::new("inc").input::<i64>("x").output::<i64>("y").build(|x: i64| x + 1);
/// let pod = FunctionPod::new(f);
/// let src = Source::from_rows(rows![{"id" => 1, "x" => 1}], SourceOptions::new(["id"]))?;
/// let out = pod.process(&[src.stream().clone()])?;
/// let predicted = pod_stream_identity(pod.content_hash(), pod.pipeline_hash(), src.stream().identity())?;
/// assert_eq!(&predicted, out.identity());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pod_stream_identity(
    content: &ContentHash,
    pipeline: &ContentHash,
    input: &StreamIdentity,
) -> Result<StreamIdentity> {
    let hasher = DataContext::default_context().semantic_hasher();
    let structure = |pod: &ContentHash, upstream: &ContentHash| {
        Identity::tuple([
            Identity::Hash(pod.clone()),
            Identity::set([Identity::Hash(upstream.clone())]),
        ])
    };
    Ok(StreamIdentity {
        content_hash: hasher.hash(&structure(content, &input.content_hash))?,
        pipeline_hash: hasher.hash(&structure(pipeline, &input.pipeline_hash))?,
    })
}
