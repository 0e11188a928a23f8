//! The asynchronous (push) orchestrator.
//!
//! Every node is a task on a `futures` thread pool; each node's output is a broadcast channel
//! of row chunks (bounded, so a slow consumer applies backpressure to its producer), subscribed
//! by its consumers and by a collector for the run report. Each operator streams as far as its
//! semantics allow:
//!
//! | strategy | operators |
//! |---|---|
//! | per-chunk streaming | select/drop/map of tags and packets, Filter |
//! | accumulate and emit | Batch with `n > 0` |
//! | build-probe | SemiJoin (build the right side, stream the left) |
//! | symmetric hash join | 2-input Join: each arriving chunk is joined with what the other side has sent so far |
//! | barrier | everything else (MergeJoin, Batch(0), Join of 3+ inputs) |
//!
//! Function nodes process up to the configured concurrency of chunks at once; the user
//! function runs on the rayon pool so it never blocks the channel machinery. With concurrency
//! 1 the output order equals the input order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use futures::channel::oneshot;
use futures::executor::ThreadPool;
use futures::task::SpawnExt;
use orcapod_channel::broadcast;
use orcapod_datagram::Stream;
use orcapod_executor::PacketError;
use orcapod_hash::semantic::Identity;
use orcapod_operator::Operator;

use crate::error::{NodeError, Result};
use crate::graph::{CacheMode, NodeEntry, NodeSpec};
use crate::observer::{NodeKind, Observer};
use crate::pipeline::Pipeline;
use crate::pod::PodLike;
use crate::run::{NodeStats, RunConfig};

type Chunk = Stream;
type Errors = Arc<Mutex<Vec<(String, PacketError)>>>;
#[allow(clippy::type_complexity)]
type RunOutput = (
    Vec<NodeStats>,
    BTreeMap<String, Stream>,
    Vec<(String, PacketError)>,
);

/// How an operator node streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    PerChunk,
    Accumulate(usize),
    BuildProbe,
    SymmetricJoin,
    Barrier,
}

fn strategy(op: &dyn Operator, n_inputs: usize) -> Strategy {
    match op.identity_name() {
        "SelectTagColumns" | "SelectDataColumns" | "DropTagColumns" | "DropDataColumns"
        | "MapTags" | "MapData" | "Filter" => Strategy::PerChunk,
        "SemiJoin" => Strategy::BuildProbe,
        "Join" if n_inputs == 2 => Strategy::SymmetricJoin,
        "Batch" => match op.identity() {
            Identity::Tuple(items) => match items.get(1) {
                Some(Identity::Int(n)) if *n > 0 => Strategy::Accumulate(*n as usize),
                _ => Strategy::Barrier,
            },
            _ => Strategy::Barrier,
        },
        _ => Strategy::Barrier,
    }
}

/// Whether an operator's output depends on the *order* of its input rows beyond row order
/// itself (`Batch` groups consecutive rows; unknown operators are assumed to).
fn order_sensitive(op: &dyn Operator) -> bool {
    !matches!(
        op.identity_name(),
        "SelectTagColumns"
            | "SelectDataColumns"
            | "DropTagColumns"
            | "DropDataColumns"
            | "MapTags"
            | "MapData"
            | "Filter"
            | "Join"
            | "SemiJoin"
            | "MergeJoin"
            | "Pick"
            | "Index"
    )
}

/// For each node: must its output rows arrive in the sync order? True when an order-sensitive
/// operator is downstream (through any chain of nodes, which all keep their input order when
/// asked to). Such nodes give up the order-changing strategies (unordered function chunks,
/// symmetric joins), so both modes feed the sensitive operator the same row order.
fn needs_order(pipeline: &Pipeline) -> Vec<bool> {
    let n = pipeline.nodes.len();
    let mut needs = vec![false; n];
    for i in (0..n).rev() {
        let node = &pipeline.nodes[i];
        let sensitive = match &node.spec {
            NodeSpec::Operator { op, .. } => order_sensitive(op.as_ref()),
            _ => false,
        };
        if sensitive || needs[i] {
            for input in &node.inputs {
                needs[input.0] = true;
            }
        }
    }
    needs
}

pub(crate) fn run_async(
    pipeline: &Pipeline,
    config: &RunConfig,
    pods: &[Option<Arc<dyn PodLike>>],
    observer: Arc<dyn Observer>,
) -> Result<RunOutput> {
    let n = pipeline.nodes.len();
    let pool = ThreadPool::builder()
        .pool_size(n.clamp(2, 64))
        .name_prefix("orcapod-node-")
        .create()
        .map_err(|e| NodeError::Async(format!("cannot start the thread pool: {e}")))?;
    let senders: Vec<broadcast::Sender<Chunk>> = (0..n)
        .map(|_| broadcast::channel(config.channel_capacity))
        .collect();
    // Subscribe consumers and collectors before anything is sent.
    let mut inputs: Vec<Vec<orcapod_channel::Receiver<Chunk>>> = Vec::with_capacity(n);
    for node in &pipeline.nodes {
        inputs.push(
            node.inputs
                .iter()
                .map(|id| senders[id.0].subscribe())
                .collect(),
        );
    }
    // Kept outputs are gathered; a sink nobody keeps still needs a reader (a broadcast
    // without readers refuses sends), which drops its chunks as they come.
    let kept = pipeline.kept_outputs(&config.keep_outputs);
    let mut consumed = vec![false; n];
    for node in &pipeline.nodes {
        for input in &node.inputs {
            consumed[input.0] = true;
        }
    }
    let collectors: Vec<Option<(bool, orcapod_channel::Receiver<Chunk>)>> = senders
        .iter()
        .zip(kept.iter().zip(&consumed))
        .map(|(s, (&keep, &consumed))| (keep || !consumed).then(|| (keep, s.subscribe())))
        .collect();
    let errors: Errors = Arc::new(Mutex::new(Vec::new()));
    let ordered = needs_order(pipeline);
    let pipeline = Arc::new(pipeline.clone());
    let config = Arc::new(config.clone());

    let mut tasks = Vec::with_capacity(n);
    for (i, (sender, rx)) in senders.into_iter().zip(inputs).enumerate() {
        let task = node_task(
            pipeline.clone(),
            i,
            rx,
            sender,
            pods[i].clone(),
            config.clone(),
            observer.clone(),
            errors.clone(),
            ordered[i],
        );
        tasks.push(
            pool.spawn_with_handle(task)
                .map_err(|e| NodeError::Async(e.to_string()))?,
        );
    }
    let collect: Vec<_> = collectors
        .into_iter()
        .flatten()
        .map(|(keep, rx)| {
            pool.spawn_with_handle(async move {
                if keep {
                    rx.collect_all().await
                } else {
                    while rx.recv().await.is_ok() {}
                    Vec::new()
                }
            })
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| NodeError::Async(e.to_string()))?;
    let (results, chunks) = futures::executor::block_on(async {
        let results = futures::future::join_all(tasks).await;
        let chunks = futures::future::join_all(collect).await;
        (results, chunks)
    });
    let mut stats = Vec::with_capacity(n);
    let mut first_error = None;
    for r in results {
        match r {
            Ok(s) => stats.push(s),
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut outputs = BTreeMap::new();
    let gathered = (0..n).filter(|&i| kept[i] || !consumed[i]);
    for (i, parts) in gathered.zip(chunks) {
        if kept[i] {
            let node = &pipeline.nodes[i];
            outputs.insert(node.label.clone(), concat(&parts, node)?);
        }
    }
    let errors = std::mem::take(
        &mut *errors
            .lock()
            .map_err(|_| NodeError::Async("error list poisoned".into()))?,
    );
    Ok((stats, outputs, errors))
}

/// Concatenate chunks into one stream with the node's identity (an empty stream with the
/// predicted schema when nothing arrived).
fn concat(parts: &[Chunk], node: &NodeEntry) -> Result<Stream> {
    let tags = node.schema.tag_names();
    match parts.first() {
        None => {
            let schema = Arc::new(arrow_schema::Schema::new(node.schema.all_fields()));
            Ok(Stream::from_batch(
                arrow_array::RecordBatch::new_empty(schema),
                &tags,
                node.identity.clone(),
            )?)
        }
        Some(first) => {
            let batches: Vec<_> = parts.iter().map(|p| p.batch().clone()).collect();
            let batch = arrow_select::concat::concat_batches(&first.arrow_schema(), &batches)?;
            Ok(first
                .with_batch(batch)?
                .with_identity(node.identity.clone()))
        }
    }
}

fn chunks_of(stream: &Stream, rows: usize) -> Result<Vec<Chunk>> {
    let n = stream.num_rows();
    if n == 0 {
        return Ok(vec![stream.clone()]);
    }
    let mut out = Vec::with_capacity(n.div_ceil(rows));
    let mut start = 0;
    while start < n {
        let len = rows.min(n - start);
        out.push(stream.with_batch(stream.batch().slice(start, len))?);
        start += len;
    }
    Ok(out)
}

async fn send_all(out: &broadcast::Sender<Chunk>, chunks: Vec<Chunk>) -> Result<()> {
    for c in chunks {
        if out.send(c).await.is_err() {
            return Err(NodeError::Async(
                "a downstream node stopped receiving".into(),
            ));
        }
    }
    Ok(())
}

async fn drain(rx: orcapod_channel::Receiver<Chunk>, node: &str) -> Result<Vec<Chunk>> {
    rx.try_collect_all().await.map_err(|e| {
        NodeError::Async(format!(
            "node '{node}': an upstream node failed ({})",
            if e.is_disconnected() {
                "disconnected"
            } else {
                "closed"
            }
        ))
    })
}

/// Run a blocking computation on the rayon pool and await it.
async fn offload<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await
        .map_err(|_| NodeError::Async("a worker task panicked".into()))
}

#[allow(clippy::too_many_arguments)]
async fn node_task(
    pipeline: Arc<Pipeline>,
    index: usize,
    inputs: Vec<orcapod_channel::Receiver<Chunk>>,
    out: broadcast::Sender<Chunk>,
    pod: Option<Arc<dyn PodLike>>,
    config: Arc<RunConfig>,
    observer: Arc<dyn Observer>,
    errors: Errors,
    ordered: bool,
) -> Result<NodeStats> {
    let node = &pipeline.nodes[index];
    let started = Instant::now();
    observer.on_node_start(&node.label, node.spec.kind());
    let result = match &node.spec {
        NodeSpec::Source { source, cumulative } => {
            let (stream, stats) = pipeline.run_source(node, source.stream(), *cumulative)?;
            send_all(&out, chunks_of(&stream, config.chunk_rows)?)
                .await
                .map(|_| (stats, stream.num_rows()))
        }
        NodeSpec::Operator { op, cache, .. } => {
            run_operator(
                &pipeline,
                node,
                op.clone(),
                *cache,
                inputs,
                &out,
                &config,
                ordered,
            )
            .await
        }
        NodeSpec::Unavailable { reason, .. } => Err(NodeError::NoOutput {
            node: node.label.clone(),
            reason: reason.clone(),
        }),
        NodeSpec::Function { .. } => {
            let pod = pod.ok_or_else(|| NodeError::NoOutput {
                node: node.label.clone(),
                reason: "no pod".into(),
            })?;
            run_function(
                pipeline.clone(),
                index,
                pod,
                inputs,
                &out,
                config.clone(),
                observer.clone(),
                errors,
                ordered,
            )
            .await
        }
    };
    // Close (a normal end) only on success: on failure the sender is dropped unclosed, so
    // consumers see a disconnection and fail too, instead of taking a truncated input for a
    // complete one (and, e.g., logging partial operator output to the store).
    let (mut stats, rows) = result?;
    out.close();
    stats.rows_out = rows;
    stats.elapsed = started.elapsed();
    observer.on_node_end(&node.label, &stats);
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
async fn run_operator(
    pipeline: &Pipeline,
    node: &NodeEntry,
    op: Arc<dyn Operator>,
    cache: CacheMode,
    mut inputs: Vec<orcapod_channel::Receiver<Chunk>>,
    out: &broadcast::Sender<Chunk>,
    config: &RunConfig,
    ordered: bool,
) -> Result<(NodeStats, usize)> {
    let stamp = |s: Stream| s.with_identity(node.identity.clone());
    // Stores (log/replay) need the whole output; so does every barrier. A symmetric join emits
    // in arrival order, so it is a barrier when an order-sensitive node is downstream.
    let strategy = if cache != CacheMode::Off && pipeline.store.is_some() {
        Strategy::Barrier
    } else {
        match strategy(op.as_ref(), inputs.len()) {
            Strategy::SymmetricJoin if ordered => Strategy::Barrier,
            s => s,
        }
    };
    let mut stats = NodeStats::new(&node.label, NodeKind::Operator);
    let mut rows = 0;
    match strategy {
        Strategy::PerChunk => {
            let rx = inputs.remove(0);
            let mut stream = rx.into_stream_checked();
            while let Some(chunk) = stream.next().await {
                let result = stamp(op.process(&[chunk?])?);
                rows += result.num_rows();
                send_all(out, vec![result]).await?;
            }
        }
        Strategy::Accumulate(size) => {
            let rx = inputs.remove(0);
            let mut stream = rx.into_stream_checked();
            let mut pending: Vec<Stream> = Vec::new();
            let mut pending_rows = 0;
            let mut emitted = false;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                pending_rows += chunk.num_rows();
                pending.push(chunk);
                if pending_rows >= size {
                    let all = concat_chunks(&pending)?;
                    let full = (pending_rows / size) * size;
                    let head = all.with_batch(all.batch().slice(0, full))?;
                    let tail = all.with_batch(all.batch().slice(full, pending_rows - full))?;
                    let result = stamp(op.process(&[head])?);
                    rows += result.num_rows();
                    send_all(out, vec![result]).await?;
                    emitted = true;
                    pending = vec![tail];
                    pending_rows -= full;
                }
            }
            // The rest; or, when nothing was emitted at all (empty input), the operator's
            // output on the empty input, so that consumers always get at least one chunk.
            if pending_rows > 0 || (!emitted && !pending.is_empty()) {
                let result = stamp(op.process(&[concat_chunks(&pending)?])?);
                rows += result.num_rows();
                send_all(out, vec![result]).await?;
            }
        }
        Strategy::BuildProbe => {
            // Read both sides at once: when they share an upstream node, leaving the left side
            // unread while draining the right would fill its buffer and stall that upstream
            // node, and with it the right side (a deadlock). Left chunks that arrive before the
            // right side is complete wait in memory, in order.
            enum Side {
                Left(Result<Chunk>),
                Right(Result<Chunk>),
                RightDone,
            }
            let right = inputs
                .remove(1)
                .into_stream_checked()
                .map(Side::Right)
                .chain(futures::stream::iter([Side::RightDone]));
            let left = inputs.remove(0).into_stream_checked().map(Side::Left);
            let mut merged = futures::stream::select(left, right);
            let mut right_chunks = Vec::new();
            let mut right_all: Option<Stream> = None;
            let mut waiting = Vec::new();
            while let Some(item) = merged.next().await {
                let ready = match item {
                    Side::Right(chunk) => {
                        right_chunks.push(chunk?);
                        continue;
                    }
                    Side::RightDone => {
                        right_all = Some(concat_chunks(&right_chunks)?);
                        std::mem::take(&mut waiting)
                    }
                    Side::Left(chunk) if right_all.is_none() => {
                        waiting.push(chunk?);
                        continue;
                    }
                    Side::Left(chunk) => vec![chunk?],
                };
                let Some(right_all) = &right_all else {
                    continue;
                };
                for chunk in ready {
                    let result = stamp(op.process(&[chunk, right_all.clone()])?);
                    rows += result.num_rows();
                    send_all(out, vec![result]).await?;
                }
            }
        }
        Strategy::SymmetricJoin => {
            rows = symmetric_join(op.as_ref(), node, inputs, out).await?;
        }
        Strategy::Barrier => {
            // Drain every input at once (one after the other deadlocks when inputs share an
            // upstream node and a buffer fills up).
            let drained =
                futures::future::try_join_all(inputs.into_iter().map(|rx| drain(rx, &node.label)))
                    .await?;
            let all = drained
                .iter()
                .map(|chunks| concat_chunks(chunks))
                .collect::<Result<Vec<_>>>()?;
            let (stream, s) = pipeline.run_operator(node, op.as_ref(), cache, &all)?;
            stats = s;
            rows = stream.num_rows();
            send_all(out, chunks_of(&stream, config.chunk_rows)?).await?;
            return Ok((stats, rows));
        }
    }
    stats.computed = rows;
    Ok((stats, rows))
}

/// Symmetric hash join of two inputs: every arriving chunk is joined with each group of chunks
/// the other side has sent so far. Groups merge like a binary counter (two groups of equal
/// chunk count become one), so each side holds O(log n) groups and every pair of rows meets
/// exactly once.
async fn symmetric_join(
    op: &dyn Operator,
    node: &NodeEntry,
    mut inputs: Vec<orcapod_channel::Receiver<Chunk>>,
    out: &broadcast::Sender<Chunk>,
) -> Result<usize> {
    let right = inputs.remove(1).into_stream_checked().map(|c| (1usize, c));
    let left = inputs.remove(0).into_stream_checked().map(|c| (0usize, c));
    let mut merged = futures::stream::select(left, right);
    let mut seen: [Vec<(usize, Stream)>; 2] = [Vec::new(), Vec::new()];
    let mut rows = 0;
    while let Some((side, chunk)) = merged.next().await {
        let chunk = chunk?;
        let other = 1 - side;
        for (_, group) in &seen[other] {
            let pair = if side == 0 {
                [chunk.clone(), group.clone()]
            } else {
                [group.clone(), chunk.clone()]
            };
            let result = op.process(&pair)?.with_identity(node.identity.clone());
            if result.num_rows() > 0 {
                rows += result.num_rows();
                send_all(out, vec![result]).await?;
            }
        }
        push_group(&mut seen[side], chunk)?;
    }
    if rows == 0 {
        // No match at all: still emit an (empty) chunk with the join's real output schema.
        if let (Some((_, l)), Some((_, r))) = (seen[0].first(), seen[1].first()) {
            let empty_l = l.with_batch(l.batch().slice(0, 0))?;
            let empty_r = r.with_batch(r.batch().slice(0, 0))?;
            send_all(
                out,
                vec![
                    op.process(&[empty_l, empty_r])?
                        .with_identity(node.identity.clone()),
                ],
            )
            .await?;
        }
    }
    Ok(rows)
}

fn push_group(groups: &mut Vec<(usize, Stream)>, chunk: Stream) -> Result<()> {
    groups.push((1, chunk));
    while groups.len() >= 2 && groups[groups.len() - 1].0 == groups[groups.len() - 2].0 {
        let (n, b) = groups.pop().unwrap_or((0, Stream::clone(&groups[0].1)));
        let (m, a) = groups.pop().unwrap_or((0, b.clone()));
        groups.push((n + m, concat_chunks(&[a, b])?));
    }
    Ok(())
}

fn concat_chunks(parts: &[Stream]) -> Result<Stream> {
    let first = parts
        .first()
        .ok_or_else(|| NodeError::Async("no chunks to concatenate".into()))?;
    if parts.len() == 1 {
        return Ok(first.clone());
    }
    let batches: Vec<_> = parts.iter().map(|p| p.batch().clone()).collect();
    Ok(first.with_batch(arrow_select::concat::concat_batches(
        &first.arrow_schema(),
        &batches,
    )?)?)
}

#[allow(clippy::too_many_arguments)]
async fn run_function(
    pipeline: Arc<Pipeline>,
    index: usize,
    pod: Arc<dyn PodLike>,
    mut inputs: Vec<orcapod_channel::Receiver<Chunk>>,
    out: &broadcast::Sender<Chunk>,
    config: Arc<RunConfig>,
    observer: Arc<dyn Observer>,
    errors: Errors,
    ordered: bool,
) -> Result<(NodeStats, usize)> {
    let label = pipeline.nodes[index].label.clone();
    let concurrency = config.concurrency_for(&label);
    let input = inputs.remove(0).into_stream_checked();
    // Rows of packet events and errors count from the start of the node's whole input.
    let mut next_row = 0;
    let work = input.map(move |chunk| {
        let (pipeline, pod, config, observer) = (
            pipeline.clone(),
            pod.clone(),
            config.clone(),
            observer.clone(),
        );
        let row_offset = next_row;
        next_row += chunk.as_ref().map_or(0, Stream::num_rows);
        async move {
            let chunk = chunk?;
            offload(move || {
                let node = &pipeline.nodes[index];
                let mut run = pipeline.function_run(node, &pod, &config, observer.as_ref())?;
                run.row_offset = row_offset;
                run.whole_input = false;
                run.run(&chunk)
            })
            .await?
        }
    });
    let mut stats = NodeStats::new(&label, NodeKind::Function);
    let mut rows = 0;
    let mut results: std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<crate::function_node::FunctionOutput>> + Send>,
    > = if concurrency <= 1 || ordered {
        Box::pin(work.buffered(concurrency.max(1)))
    } else {
        Box::pin(work.buffer_unordered(concurrency))
    };
    while let Some(r) = results.next().await {
        let r = r?;
        stats.computed += r.stats.computed;
        stats.cached += r.stats.cached;
        stats.failed += r.stats.failed;
        stats.dropped += r.stats.dropped;
        if !r.errors.is_empty()
            && let Ok(mut list) = errors.lock()
        {
            list.extend(r.errors.into_iter().map(|e| (label.clone(), e)));
        }
        rows += r.stream.num_rows();
        send_all(out, vec![r.stream]).await?;
    }
    Ok((stats, rows))
}

/// Receivers as streams that report an upstream failure instead of ending quietly.
trait CheckedStream {
    fn into_stream_checked(self) -> futures::stream::BoxStream<'static, Result<Chunk>>;
}

impl CheckedStream for orcapod_channel::Receiver<Chunk> {
    fn into_stream_checked(self) -> futures::stream::BoxStream<'static, Result<Chunk>> {
        futures::stream::unfold(Some(self), |rx| async move {
            let rx = rx?;
            match rx.recv().await {
                Ok(item) => Some((Ok(item), Some(rx))),
                Err(e) if e.is_disconnected() => Some((
                    Err(NodeError::Async(
                        "an upstream node failed before closing its output".into(),
                    )),
                    None,
                )),
                Err(_) => None,
            }
        })
        .boxed()
    }
}
