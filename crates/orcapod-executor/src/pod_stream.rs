//! The lazy, memoised output stream of a function pod.

use std::fmt;
use std::sync::{Arc, OnceLock};

use arrow_array::RecordBatch;
use orcapod_datagram::{ColumnConfig, Packet, Schema, Stream, StreamIdentity, Tag};
use orcapod_hash::ContentHash;

use crate::assemble::{kept_rows, record_id};
use crate::batch::{BatchOutput, InputBatch};
use crate::error::{CapturedOutput, ExecutorError, PacketError, Result};
use crate::executor::{DynExecutor, ExecutionData};
use crate::function::PacketFunction;

/// Everything a [`FunctionPodStream`] is built from.
pub(crate) struct PodStreamConfig {
    pub function: Arc<dyn PacketFunction>,
    pub executor: Arc<dyn DynExecutor>,
    pub input: Stream,
    pub inputs: InputBatch,
    pub identity: StreamIdentity,
    pub label: String,
    pub max_chunk_rows: usize,
    pub append_inputs: bool,
}

/// One memoised run of rows.
pub(crate) struct Chunk {
    pub start: usize,
    pub output: BatchOutput,
    pub id_base: u128,
    view: OnceLock<Result<Stream>>,
}

pub(crate) struct Inner {
    pub config: PodStreamConfig,
    pub source_prefix: String,
    bounds: Vec<(usize, usize)>,
    chunks: Vec<OnceLock<Result<Arc<Chunk>>>>,
    assembled: OnceLock<Result<(Stream, Vec<PacketError>)>>,
}

/// The output of a function pod: lazy, pull-based and memoised by row.
///
/// Nothing runs until rows are pulled. Rows are computed in chunks (1, 2, 4, … rows, up to
/// the pod's maximum chunk size) and every chunk is computed at most once, so iterating twice
/// calls the function once per row. Tags (system tags included) pass through unchanged;
/// each output value gets the source info `{uri joined by ':'}::{uuid7 as 32 hex}::{key}`,
/// one UUIDv7 per output packet.
///
/// Identity (orcapod-python §4.5): content hash = hash of `(pod content hash,
/// frozenset([input content hash]))`, pipeline hash likewise with pipeline hashes.
///
/// Failures of the user function are per packet ([`PacketError`]). Two policies are exposed:
/// [`materialize`](Self::materialize) stops at the first failure, while
/// [`materialize_collect`](Self::materialize_collect) returns the successful rows and every
/// error. [`iter`](Self::iter) yields failures in place as `Err` items and continues.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions, Value};
/// use orcapod_executor::{FunctionBuilder, FunctionPod};
/// let half = FunctionBuilder::new("half")
///     .input::<i64>("x")
///     .output::<i64>("y")
///     .build(|x: i64| if x % 2 == 0 { Ok(x / 2) } else { Err(format!("{x} is odd")) });
/// let src = Source::from_rows(
///     rows![{"id" => 1, "x" => 4}, {"id" => 2, "x" => 5}, {"id" => 3, "x" => 6}],
///     SourceOptions::new(["id"]),
/// )?;
/// let out = FunctionPod::new(half).process(&[src.into_stream()])?;
/// assert_eq!(out.computed_rows(), 0); // lazy
/// let first = out.iter().next().unwrap()?;
/// assert_eq!(first.1.get("y")?, Some(Value::Int(2)));
/// assert!(out.materialize().is_err()); // fail fast: packet id=2 failed
/// let all = out.materialize_collect()?; // collect: the good rows and every error
/// assert_eq!((all.stream.num_rows(), all.errors.len()), (2, 1));
/// assert_eq!(all.errors[0].tags, [("id".to_string(), Value::Int(2))]);
/// assert_eq!(all.input_rows, [0, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FunctionPodStream {
    pub(crate) inner: Arc<Inner>,
}

/// The successful rows and all per-packet errors of a pod stream.
#[derive(Clone, Debug)]
pub struct PodResults {
    /// Rows that produced an output packet.
    pub stream: Stream,
    /// One error per failed packet, in input order.
    pub errors: Vec<PacketError>,
    /// For each row of `stream`, the index of the input packet it came from.
    pub input_rows: Vec<usize>,
    /// For each row of `stream`, the output packet's record id (the UUIDv7 in its source info).
    pub record_ids: Vec<uuid::Uuid>,
    /// The executor's metadata (recorded with results, never hashed).
    pub execution: ExecutionData,
}

fn chunk_bounds(n: usize, max: usize, first: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let (mut start, mut len) = (0, first.max(1));
    while start < n {
        let l = len.min(max).min(n - start);
        bounds.push((start, l));
        start += l;
        len = len.saturating_mul(2);
    }
    bounds
}

impl FunctionPodStream {
    pub(crate) fn new(config: PodStreamConfig) -> Self {
        let bounds = chunk_bounds(
            config.inputs.num_rows(),
            config.max_chunk_rows,
            config.executor.preferred_min_batch_rows(),
        );
        let source_prefix = config.function.uri().to_string();
        FunctionPodStream {
            inner: Arc::new(Inner {
                chunks: bounds.iter().map(|_| OnceLock::new()).collect(),
                bounds,
                source_prefix,
                config,
                assembled: OnceLock::new(),
            }),
        }
    }

    /// Content and pipeline hashes.
    pub fn identity(&self) -> &StreamIdentity {
        &self.inner.config.identity
    }

    /// Content hash.
    pub fn content_hash(&self) -> &ContentHash {
        &self.inner.config.identity.content_hash
    }

    /// Pipeline hash.
    pub fn pipeline_hash(&self) -> &ContentHash {
        &self.inner.config.identity.pipeline_hash
    }

    /// The producing pod's label.
    pub fn label(&self) -> &str {
        &self.inner.config.label
    }

    /// The input stream (the join of the inputs for multi-input pods).
    pub fn input(&self) -> &Stream {
        &self.inner.config.input
    }

    /// The packet function.
    pub fn function(&self) -> &Arc<dyn PacketFunction> {
        &self.inner.config.function
    }

    /// The executor.
    pub fn executor(&self) -> &Arc<dyn DynExecutor> {
        &self.inner.config.executor
    }

    /// The executor's metadata (recorded with results, never hashed).
    pub fn execution_data(&self) -> ExecutionData {
        self.inner.config.executor.execution_data()
    }

    /// User tag columns (the input's).
    pub fn tag_columns(&self) -> &[String] {
        self.inner.config.input.tag_columns()
    }

    /// Number of input packets.
    pub fn num_input_rows(&self) -> usize {
        self.inner.config.inputs.num_rows()
    }

    /// Number of input packets whose output has been computed so far.
    pub fn computed_rows(&self) -> usize {
        self.inner
            .chunks
            .iter()
            .zip(&self.inner.bounds)
            .filter(|(c, _)| c.get().is_some())
            .map(|(_, b)| b.1)
            .sum()
    }

    /// Predicted (tag schema, packet schema), without computing anything.
    pub fn output_schema(&self, cfg: &ColumnConfig) -> Result<(Schema, Schema)> {
        let (tags, input_packets) = self.inner.config.input.output_schema(cfg)?;
        let mut packets = if self.inner.config.append_inputs {
            input_packets
        } else {
            Schema::empty()
        };
        for f in self.inner.config.function.output_schema().fields() {
            packets.push(f.clone());
        }
        Ok((tags, packets))
    }

    pub(crate) fn chunk(&self, k: usize) -> Result<Arc<Chunk>> {
        let slot = &self.inner.chunks[k];
        slot.get_or_init(|| self.compute_chunk(k).map(Arc::new))
            .clone()
    }

    fn compute_chunk(&self, k: usize) -> Result<Chunk> {
        let (start, len) = self.inner.bounds[k];
        let cfg = &self.inner.config;
        let input = cfg.inputs.slice(start, len);
        let output = cfg.executor.execute(cfg.function.as_ref(), &input)?;
        if output.num_rows() != len {
            return Err(ExecutorError::MalformedOutput {
                function: cfg.function.canonical_name().to_string(),
                reason: format!("{} rows returned for {len} input rows", output.num_rows()),
            });
        }
        let output = output.validated(cfg.function.info())?;
        Ok(Chunk {
            start,
            output,
            id_base: uuid::Uuid::now_v7().as_u128(),
            view: OnceLock::new(),
        })
    }

    fn all_chunks(&self, fail_fast: bool) -> Result<Vec<Arc<Chunk>>> {
        let mut chunks = Vec::with_capacity(self.inner.bounds.len());
        for k in 0..self.inner.bounds.len() {
            let c = self.chunk(k)?;
            if fail_fast && let Some(f) = c.output.failures().first() {
                return Err(self.packet_error(&c, f)?.into());
            }
            chunks.push(c);
        }
        Ok(chunks)
    }

    fn assembled(&self, fail_fast: bool) -> Result<&(Stream, Vec<PacketError>)> {
        if let Some(done) = self.inner.assembled.get() {
            let done = done.as_ref().map_err(Clone::clone)?;
            if fail_fast && let Some(e) = done.1.first() {
                return Err(e.clone().into());
            }
            return Ok(done);
        }
        let chunks = self.all_chunks(fail_fast)?;
        let result = self.assemble_stream(&chunks, 0, self.num_input_rows());
        self.inner
            .assembled
            .get_or_init(|| result)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Compute every packet and return the output as a [`Stream`] carrying this stream's
    /// identity, stopping at the first failing packet (`Err(ExecutorError::Packet)`).
    pub fn materialize(&self) -> Result<Stream> {
        Ok(self.assembled(true)?.0.clone())
    }

    /// Compute every packet and return the successful rows plus every per-packet error.
    pub fn materialize_collect(&self) -> Result<PodResults> {
        let (stream, errors) = self.assembled(false)?.clone();
        let chunks = self.all_chunks(false)?;
        let mut input_rows = Vec::with_capacity(stream.num_rows());
        let mut record_ids = Vec::with_capacity(stream.num_rows());
        for c in &chunks {
            for r in kept_rows(&c.output) {
                input_rows.push(c.start + r);
                record_ids.push(record_id(c.id_base, r));
            }
        }
        Ok(PodResults {
            stream,
            errors,
            input_rows,
            record_ids,
            execution: self.execution_data(),
        })
    }

    /// [`materialize`](Self::materialize) then [`Stream::as_table`].
    pub fn as_table(&self, cfg: &ColumnConfig) -> Result<RecordBatch> {
        Ok(self.materialize()?.as_table(cfg)?)
    }

    /// Captured output per input row (external commands), computing every packet.
    pub fn captured_logs(&self) -> Result<Vec<(usize, CapturedOutput)>> {
        let chunks = self.all_chunks(false)?;
        Ok(chunks
            .iter()
            .flat_map(|c| {
                c.output
                    .logs()
                    .iter()
                    .map(|(r, l)| (c.start + r, l.clone()))
            })
            .collect())
    }

    /// Iterate output rows lazily, in input order: `Ok((tag, packet))` per output packet,
    /// `Err(ExecutorError::Packet)` in place of each failed packet; dropped packets are skipped.
    pub fn iter(&self) -> PodRows {
        PodRows {
            stream: self.clone(),
            chunk: 0,
            row: 0,
            view_row: 0,
        }
    }

    fn chunk_view(&self, c: &Arc<Chunk>) -> Result<Stream> {
        c.view
            .get_or_init(|| {
                self.assemble_stream(std::slice::from_ref(c), c.start, c.output.num_rows())
                    .map(|(s, _)| s)
            })
            .clone()
    }
}

impl fmt::Debug for FunctionPodStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionPodStream")
            .field("function", &self.inner.source_prefix)
            .field("executor", &self.inner.config.executor.executor_type_id())
            .field("input_rows", &self.num_input_rows())
            .field("computed_rows", &self.computed_rows())
            .field("content_hash", &self.content_hash().to_string())
            .finish()
    }
}

/// Lazy row iterator of a [`FunctionPodStream`] (see [`FunctionPodStream::iter`]).
pub struct PodRows {
    stream: FunctionPodStream,
    chunk: usize,
    row: usize,
    view_row: usize,
}

impl Iterator for PodRows {
    type Item = Result<(Tag, Packet)>;

    fn next(&mut self) -> Option<Self::Item> {
        let n_chunks = self.stream.inner.bounds.len();
        while self.chunk < n_chunks {
            let c = match self.stream.chunk(self.chunk) {
                Ok(c) => c,
                Err(e) => {
                    self.chunk = n_chunks;
                    return Some(Err(e));
                }
            };
            while self.row < c.start + c.output.num_rows() {
                let local = self.row - c.start;
                self.row += 1;
                if let Ok(i) = c.output.failures().binary_search_by_key(&local, |f| f.row) {
                    return Some(
                        self.stream
                            .packet_error(&c, &c.output.failures()[i])
                            .and_then(|e| Err(e.into())),
                    );
                }
                if c.output.dropped().binary_search(&local).is_ok() {
                    continue;
                }
                let view = match self.stream.chunk_view(&c) {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                self.view_row += 1;
                return Some(view.row(self.view_row - 1).map_err(Into::into));
            }
            self.chunk += 1;
            self.view_row = 0;
        }
        None
    }
}

impl IntoIterator for &FunctionPodStream {
    type Item = Result<(Tag, Packet)>;
    type IntoIter = PodRows;

    fn into_iter(self) -> PodRows {
        self.iter()
    }
}
