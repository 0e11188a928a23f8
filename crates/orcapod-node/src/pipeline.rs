//! A built pipeline and its synchronous (pull) orchestrator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_cache::{OnDuplicate, RecordSet, Store, StoreTransaction, TablePath};
use orcapod_datagram::constants::NODE_CONTENT_HASH_COL;
use orcapod_datagram::{Stream, StreamIdentity, StreamSchema};
use orcapod_hash::{ContentHash, DataContext};
use orcapod_operator::Operator;

use crate::error::{NodeError, Result};
use crate::function_node::FunctionRun;
use crate::graph::{CacheMode, NodeEntry, NodeId, NodeSpec, PipelineBuilder};
use crate::observer::{NoOpObserver, NodeKind, Observer};
use crate::paths;
use crate::pod::PodLike;
use crate::run::{NodeStats, RunConfig, RunMode, RunReport};

/// A built pipeline: a DAG of source, operator and function nodes with unique labels.
///
/// Build one with [`PipelineBuilder`]; run it with [`Pipeline::run`]. Extending a pipeline
/// ([`Pipeline::extend`]) keeps its nodes, identities and store tables.
#[derive(Clone)]
pub struct Pipeline {
    pub(crate) name: Vec<String>,
    pub(crate) store: Option<Arc<dyn Store>>,
    pub(crate) nodes: Vec<NodeEntry>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name.join("/"))
            .field(
                "nodes",
                &self
                    .nodes
                    .iter()
                    .map(|n| n.label.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Pipeline {
    pub(crate) fn from_builder(b: PipelineBuilder) -> Self {
        Pipeline {
            name: b.name,
            store: b.store,
            nodes: b.nodes,
        }
    }

    /// The pipeline's name.
    pub fn name(&self) -> String {
        self.name.join("/")
    }

    /// The store, if any.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.store.as_ref()
    }

    /// Continue building: the returned builder holds every node of this pipeline (same ids,
    /// identities and therefore the same store tables).
    pub fn extend(&self) -> PipelineBuilder {
        PipelineBuilder {
            name: self.name.clone(),
            store: self.store.clone(),
            nodes: self.nodes.clone(),
        }
    }

    /// Node ids in topological order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len()).map(NodeId)
    }

    /// Look a node up by label.
    pub fn node(&self, label: &str) -> Result<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.label == label)
            .map(NodeId)
            .ok_or_else(|| NodeError::UnknownNode {
                pipeline: self.name(),
                node: label.to_string(),
            })
    }

    fn entry(&self, id: NodeId) -> Result<&NodeEntry> {
        self.nodes.get(id.0).ok_or_else(|| NodeError::UnknownNode {
            pipeline: self.name(),
            node: format!("#{}", id.0),
        })
    }

    /// A node's unique label.
    pub fn label(&self, id: NodeId) -> Result<&str> {
        Ok(&self.entry(id)?.label)
    }

    /// A node's kind.
    pub fn kind(&self, id: NodeId) -> Result<NodeKind> {
        Ok(self.entry(id)?.spec.kind())
    }

    /// A node's inputs.
    pub fn inputs(&self, id: NodeId) -> Result<&[NodeId]> {
        Ok(&self.entry(id)?.inputs)
    }

    /// A node's content hash (data-inclusive).
    pub fn content_hash(&self, id: NodeId) -> Result<&ContentHash> {
        Ok(&self.entry(id)?.identity.content_hash)
    }

    /// A node's pipeline hash (schema and topology only).
    pub fn pipeline_hash(&self, id: NodeId) -> Result<&ContentHash> {
        Ok(&self.entry(id)?.identity.pipeline_hash)
    }

    /// A node's predicted output schema.
    pub fn schema(&self, id: NodeId) -> Result<&StreamSchema> {
        Ok(&self.entry(id)?.schema)
    }

    /// The table paths a node writes to (empty for nodes that store nothing).
    pub fn table_paths(&self, id: NodeId) -> Result<Vec<TablePath>> {
        let e = self.entry(id)?;
        Ok(match &e.spec {
            NodeSpec::Function { pod } => vec![
                paths::function_records(&self.name, pod.uri(), &e.identity.pipeline_hash)?,
                paths::function_results(pod.uri())?,
            ],
            NodeSpec::Operator {
                op,
                cache: CacheMode::Log | CacheMode::Replay,
                ..
            } => {
                vec![paths::operator_records(
                    &self.name,
                    op.identity_name(),
                    &op.content_hash()?,
                    &e.identity.pipeline_hash,
                )?]
            }
            NodeSpec::Source {
                cumulative: true, ..
            } => vec![paths::source_cache(&self.name, &e.identity.content_hash)?],
            _ => Vec::new(),
        })
    }

    /// Run every node. Sync mode pulls node by node in topological order; async mode pushes rows
    /// through bounded channels. Both give the same rows (compare after sorting by tags).
    pub fn run(&self, config: &RunConfig) -> Result<RunReport> {
        let observer: Arc<dyn Observer> = config
            .observer
            .clone()
            .unwrap_or_else(|| Arc::new(NoOpObserver));
        let run_id = uuid::Uuid::new_v4().to_string();
        let start = Instant::now();
        observer.on_run_start(&self.name(), &run_id);
        let pods = self.resolve_pods(config)?;
        // Pipelines loaded read-only may hold unavailable nodes; only the pull path skips them.
        let degraded = self
            .nodes
            .iter()
            .any(|n| matches!(n.spec, NodeSpec::Unavailable { .. }));
        let result = match config.mode {
            RunMode::Async if degraded => self.run_sync(config, &pods, observer.as_ref()),
            RunMode::Sync => self.run_sync(config, &pods, observer.as_ref()),
            RunMode::Async => crate::async_run::run_async(self, config, &pods, observer.clone()),
        };
        observer.on_run_end(&self.name(), &run_id, result.is_ok());
        let (nodes, outputs, errors) = result?;
        Ok(RunReport {
            run_id,
            nodes,
            outputs,
            errors,
            elapsed: start.elapsed(),
        })
    }

    /// Each function node's pod on the run's executor: the pipeline-wide executor (if any)
    /// derived per node with the merged pipeline and node options. Nodes never hold options.
    pub(crate) fn resolve_pods(&self, config: &RunConfig) -> Result<Vec<Option<Arc<dyn PodLike>>>> {
        self.nodes
            .iter()
            .map(|n| match &n.spec {
                NodeSpec::Function { pod } => {
                    let options = config.options_for(&n.label);
                    let resolved = match &config.executor {
                        Some(exec) => pod.with_executor(exec.as_ref(), &options)?,
                        None if options.iter().next().is_some() => pod.with_options(&options)?,
                        None => pod.clone(),
                    };
                    Ok(Some(resolved))
                }
                _ => Ok(None),
            })
            .collect()
    }

    #[allow(clippy::type_complexity)]
    fn run_sync(
        &self,
        config: &RunConfig,
        pods: &[Option<Arc<dyn PodLike>>],
        observer: &dyn Observer,
    ) -> Result<(
        Vec<NodeStats>,
        BTreeMap<String, Stream>,
        Vec<(String, orcapod_executor::PacketError)>,
    )> {
        let mut outputs: Vec<Option<Stream>> = vec![None; self.nodes.len()];
        let mut stats = Vec::with_capacity(self.nodes.len());
        let mut errors = Vec::new();
        let kept = self.kept_outputs(&config.keep_outputs);
        // Consumers still to run per node: an output nobody keeps is freed after its last.
        let mut pending_consumers = vec![0usize; self.nodes.len()];
        for node in &self.nodes {
            for input in &node.inputs {
                pending_consumers[input.0] += 1;
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let available: Option<Vec<Stream>> =
                node.inputs.iter().map(|id| outputs[id.0].clone()).collect();
            for input in &node.inputs {
                pending_consumers[input.0] -= 1;
                if pending_consumers[input.0] == 0 && !kept[input.0] {
                    outputs[input.0] = None;
                }
            }
            let inputs = match (available, &node.spec) {
                (
                    Some(inputs),
                    NodeSpec::Function { .. } | NodeSpec::Operator { .. } | NodeSpec::Source { .. },
                ) => inputs,
                (None, NodeSpec::Function { .. }) => {
                    // Loaded read-only with an unavailable input: serve what the store has.
                    let pod = pods[i].as_ref().ok_or_else(|| NodeError::NoOutput {
                        node: node.label.clone(),
                        reason: "no pod".into(),
                    })?;
                    let started = Instant::now();
                    observer.on_node_start(&node.label, node.spec.kind());
                    let (stream, mut s) = self
                        .function_run(node, pod, config, observer)?
                        .serve_stored()?;
                    s.rows_out = stream.num_rows();
                    s.elapsed = started.elapsed();
                    observer.on_node_end(&node.label, &s);
                    stats.push(s);
                    outputs[i] = Some(stream);
                    continue;
                }
                _ => continue, // unavailable, or downstream of an unavailable node
            };
            let started = Instant::now();
            observer.on_node_start(&node.label, node.spec.kind());
            let (stream, mut s) = match &node.spec {
                NodeSpec::Source { source, cumulative } => {
                    self.run_source(node, source.stream(), *cumulative)?
                }
                NodeSpec::Operator { op, cache, .. } => {
                    self.run_operator(node, op.as_ref(), *cache, &inputs)?
                }
                NodeSpec::Function { .. } => {
                    let pod = pods[i].as_ref().ok_or_else(|| NodeError::NoOutput {
                        node: node.label.clone(),
                        reason: "no pod".into(),
                    })?;
                    let out = self
                        .function_run(node, pod, config, observer)?
                        .run(&inputs[0])?;
                    errors.extend(out.errors.into_iter().map(|e| (node.label.clone(), e)));
                    (out.stream, out.stats)
                }
                NodeSpec::Unavailable { .. } => continue,
            };
            s.rows_out = stream.num_rows();
            s.elapsed = started.elapsed();
            observer.on_node_end(&node.label, &s);
            stats.push(s);
            outputs[i] = Some(stream);
        }
        let named = self
            .nodes
            .iter()
            .zip(outputs)
            .zip(&kept)
            .filter_map(|((n, o), keep)| o.filter(|_| *keep).map(|s| (n.label.clone(), s)))
            .collect();
        Ok((stats, named, errors))
    }

    /// Per node (topological order), whether `keep` keeps its output.
    pub(crate) fn kept_outputs(&self, keep: &crate::run::KeepOutputs) -> Vec<bool> {
        let mut consumed = vec![false; self.nodes.len()];
        for node in &self.nodes {
            for input in &node.inputs {
                consumed[input.0] = true;
            }
        }
        self.nodes
            .iter()
            .zip(consumed)
            .map(|(node, consumed)| keep.keeps(&node.label, !consumed))
            .collect()
    }

    pub(crate) fn function_run<'a>(
        &'a self,
        node: &'a NodeEntry,
        pod: &'a Arc<dyn PodLike>,
        config: &RunConfig,
        observer: &'a dyn Observer,
    ) -> Result<FunctionRun<'a>> {
        let store = match &self.store {
            Some(store) => Some((
                store.as_ref(),
                paths::function_records(&self.name, pod.uri(), &node.identity.pipeline_hash)?,
                paths::function_results(pod.uri())?,
            )),
            None => None,
        };
        Ok(FunctionRun {
            label: &node.label,
            pod,
            store,
            identity: &node.identity,
            policy: config.error_policy,
            observer,
            chunk_rows: config.chunk_rows,
            row_offset: 0,
            whole_input: true,
        })
    }

    pub(crate) fn run_source(
        &self,
        node: &NodeEntry,
        stream: &Stream,
        cumulative: bool,
    ) -> Result<(Stream, NodeStats)> {
        let mut stats = NodeStats::new(&node.label, NodeKind::Source);
        let (Some(store), true) = (&self.store, cumulative) else {
            return Ok((stream.clone(), stats));
        };
        let path = paths::source_cache(&self.name, &node.identity.content_hash)?;
        let batch = stream.batch().clone();
        let ids = row_ids(&batch)?;
        let mut txn = StoreTransaction::new();
        txn.add_records(&path, RecordSet::new(ids, batch)?, OnDuplicate::Skip);
        let written = store.commit(txn)?;
        stats.computed = written.iter().map(|w| w.written).sum();
        let all = store.get_all(&path)?.map(|s| s.data());
        stats.cached = all
            .as_ref()
            .map_or(0, RecordBatch::num_rows)
            .saturating_sub(stats.computed);
        let out = match all {
            Some(b) => Stream::from_batch(b, stream.tag_columns(), node.identity.clone())?,
            None => stream.clone(),
        };
        Ok((out, stats))
    }

    pub(crate) fn run_operator(
        &self,
        node: &NodeEntry,
        op: &dyn Operator,
        cache: CacheMode,
        inputs: &[Stream],
    ) -> Result<(Stream, NodeStats)> {
        let mut stats = NodeStats::new(&node.label, NodeKind::Operator);
        let store = match (&self.store, cache) {
            (Some(store), CacheMode::Log | CacheMode::Replay) => Some(store),
            _ => None,
        };
        let path = match store {
            Some(_) => Some(paths::operator_records(
                &self.name,
                op.identity_name(),
                &op.content_hash()?,
                &node.identity.pipeline_hash,
            )?),
            None => None,
        };
        let node_hash = node.identity.content_hash.to_string();
        if let (Some(store), Some(path), CacheMode::Replay) = (store, &path, cache) {
            let stream = replay(store.as_ref(), path, &node_hash, node)?;
            stats.cached = stream.num_rows();
            return Ok((stream, stats));
        }
        let out = op.process(inputs)?.with_identity(node.identity.clone());
        stats.computed = out.num_rows();
        if let (Some(store), Some(path)) = (store, &path) {
            let batch = with_node_hash(out.batch(), &node_hash)?;
            let ids = row_ids(&batch)?;
            let mut txn = StoreTransaction::new();
            txn.add_records(path, RecordSet::new(ids, batch)?, OnDuplicate::Skip);
            store.commit(txn)?;
            store.create_index(path, NODE_CONTENT_HASH_COL)?;
        }
        Ok((out, stats))
    }
}

/// Row ids of stored operator/source rows: the ASCII hex of each row's starfix hash (0.1.4).
/// `hash_rows` gives every row the hash of its 1-row slice in one pass over the batch.
fn row_ids(batch: &RecordBatch) -> Result<Vec<Vec<u8>>> {
    let hashes = DataContext::default_context()
        .arrow_hasher()
        .hash_rows(batch)?;
    Ok(hashes.iter().map(|h| h.to_hex().into_bytes()).collect())
}

fn with_node_hash(batch: &RecordBatch, node_hash: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields: Vec<ArrowField> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    fields.push(ArrowField::new(
        NODE_CONTENT_HASH_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(node_hash, batch.num_rows()),
    )));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

/// Serve an operator node's logged rows (only those written by this very node).
fn replay(
    store: &dyn Store,
    path: &TablePath,
    node_hash: &str,
    node: &NodeEntry,
) -> Result<Stream> {
    let found = store.get_records_with_column_value(
        path,
        NODE_CONTENT_HASH_COL,
        orcapod_datagram::Value::Str(node_hash.into()),
    )?;
    let tags = node.schema.tag_names();
    let batch = match found {
        Some(set) => {
            let data = set.data();
            let keep: Vec<usize> = (0..data.num_columns())
                .filter(|&i| data.schema().field(i).name() != NODE_CONTENT_HASH_COL)
                .collect();
            data.project(&keep)?
        }
        None => RecordBatch::new_empty(Arc::new(ArrowSchema::new(node.schema.all_fields()))),
    };
    Ok(Stream::from_batch(batch, &tags, node.identity.clone())?)
}

impl NodeEntry {
    /// This node's identity.
    #[allow(dead_code)]
    pub(crate) fn identity(&self) -> &StreamIdentity {
        &self.identity
    }
}

impl Pipeline {
    /// The stored output of a node as a new root source (orcapod-python's `as_source`): a
    /// function node's stored results, a logged operator node's records, or a source's data.
    /// The derived source's content hash is tied to the node; its pipeline hash depends on the
    /// schema only, so pipelines built on it start a new hash chain.
    pub fn as_source(&self, id: NodeId) -> Result<orcapod_datagram::Source> {
        let node = self.entry(id)?;
        let no_store = || NodeError::NoOutput {
            node: node.label.clone(),
            reason:
                "derived sources read stored results: attach a store and run the pipeline first"
                    .into(),
        };
        let stream = match &node.spec {
            NodeSpec::Source { source, .. } => source.stream().clone(),
            NodeSpec::Function { pod } => {
                self.store.as_ref().ok_or_else(no_store)?;
                let config = RunConfig::new();
                self.function_run(node, pod, &config, &NoOpObserver)?
                    .serve_stored()?
                    .0
            }
            NodeSpec::Operator {
                op,
                cache: CacheMode::Log | CacheMode::Replay,
                ..
            } => {
                let store = self.store.as_ref().ok_or_else(no_store)?;
                let path = paths::operator_records(
                    &self.name,
                    op.identity_name(),
                    &op.content_hash()?,
                    &node.identity.pipeline_hash,
                )?;
                replay(
                    store.as_ref(),
                    &path,
                    &node.identity.content_hash.to_string(),
                    node,
                )?
            }
            _ => {
                return Err(NodeError::NoOutput {
                    node: node.label.clone(),
                    reason:
                        "only sources, function nodes and logged operator nodes have stored output"
                            .into(),
                });
            }
        };
        Ok(orcapod_datagram::Source::derived(
            &stream,
            &node.identity.content_hash,
        )?)
    }
}
