//! The fused pod: append a function's outputs to the input packets.

use std::sync::Arc;

use orcapod_datagram::{Stream, StreamIdentity};
use orcapod_hash::semantic::Identity;
use orcapod_hash::{ContentHash, DataContext};

use crate::error::{ExecutorError, Result};
use crate::executor::{DynExecutor, Executor, LocalExecutor};
use crate::function::{KindedFunction, PacketFunction};
use crate::pod::{FunctionPod, bind, combine_inputs, pod_stream_identity};
use crate::pod_stream::FunctionPodStream;

/// Runs a packet function and appends its outputs to each input packet in one pass
/// (orcapod-python's planned "AddResult" fused pod).
///
/// * Output: input tags (system tags included), input packet columns with their source info
///   unchanged, then the computed columns, whose source info points to the function.
/// * An output column that collides with an input packet or tag column is an
///   [`ExecutorError::OutputCollision`] naming the columns.
/// * Identity: as if `FunctionPod` then `Join` with the input, i.e. content hash =
///   `hash(("Join" token, {pod stream, input}))` and likewise for the pipeline hash.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_executor::{AddResult, FunctionBuilder};
/// let double = FunctionBuilder::new("double").input::<i64>("x").output::<i64>("x2").build(|x: i64| 2 * x);
/// let src = Source::from_rows(rows![{"id" => 1, "x" => 10}], SourceOptions::new(["id"]).source_id("A"))?;
/// let out = AddResult::new(double).process(&[src.stream().clone()])?.materialize()?;
/// assert_eq!(out.packet_columns(), ["x", "x2"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AddResult<F, E = LocalExecutor> {
    pod: FunctionPod<F, E>,
}

impl<F, E: Clone> Clone for AddResult<F, E> {
    fn clone(&self) -> Self {
        AddResult {
            pod: self.pod.clone(),
        }
    }
}

impl<F: PacketFunction, E: DynExecutor> std::fmt::Debug for AddResult<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AddResult").field(&self.pod).finish()
    }
}

impl<F: KindedFunction + 'static> AddResult<F, LocalExecutor> {
    /// A fused pod running `function` on the [`LocalExecutor`].
    pub fn new(function: F) -> Self {
        AddResult {
            pod: FunctionPod::new(function),
        }
    }
}

impl<F: KindedFunction + 'static, E: DynExecutor + Clone + 'static> AddResult<F, E> {
    /// The same fused pod on another executor (checked at compile time).
    pub fn with_executor<E2: Executor<F::Kind>>(self, executor: E2) -> AddResult<F, E2> {
        AddResult {
            pod: self.pod.with_executor(executor),
        }
    }

    /// The same fused pod on a type-erased executor (checked here).
    pub fn with_dyn_executor(
        self,
        executor: Arc<dyn DynExecutor>,
    ) -> Result<AddResult<F, Arc<dyn DynExecutor>>> {
        Ok(AddResult {
            pod: self.pod.with_dyn_executor(executor)?,
        })
    }

    /// Set a label (not part of identity).
    pub fn with_label(self, label: impl Into<String>) -> Self {
        AddResult {
            pod: self.pod.with_label(label),
        }
    }

    /// The underlying function pod.
    pub fn pod(&self) -> &FunctionPod<F, E> {
        &self.pod
    }

    /// Content hash (= the packet function's).
    pub fn content_hash(&self) -> &ContentHash {
        self.pod.content_hash()
    }

    /// Apply: check for collisions, bind, and return a lazy stream of input ⊕ output packets.
    pub fn process(&self, streams: &[Stream]) -> Result<FunctionPodStream> {
        let input = combine_inputs(streams)?;
        let function = self.pod.function();
        let collisions: Vec<&str> = function
            .output_schema()
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| {
                input
                    .packet_columns()
                    .iter()
                    .chain(input.tag_columns())
                    .any(|c| c == n)
            })
            .collect();
        if !collisions.is_empty() {
            return Err(ExecutorError::OutputCollision {
                function: function.canonical_name().to_string(),
                columns: collisions.join(", "),
            });
        }
        let inputs = bind(function, &input)?;
        let pod_stream = pod_stream_identity(
            self.pod.content_hash(),
            self.pod.pipeline_hash(),
            input.identity(),
        )?;
        let hasher = DataContext::default_context().semantic_hasher();
        let join_token = hasher.hash_str("Join");
        let joined = |a: &ContentHash, b: &ContentHash| {
            Identity::tuple([
                Identity::Hash(join_token.clone()),
                Identity::set([Identity::Hash(a.clone()), Identity::Hash(b.clone())]),
            ])
        };
        let identity = StreamIdentity {
            content_hash: hasher.hash(&joined(&pod_stream.content_hash, input.content_hash()))?,
            pipeline_hash: hasher
                .hash(&joined(&pod_stream.pipeline_hash, input.pipeline_hash()))?,
        };
        Ok(FunctionPodStream::new(
            self.pod.stream_config(input, inputs, identity, true),
        ))
    }
}
