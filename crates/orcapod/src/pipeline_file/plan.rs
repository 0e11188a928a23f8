//! `orcapod plan`: what a run would compute and what it would serve from the store, found
//! without running any function and without writing to the store.
//!
//! The pipeline runs once (sync) with two stand-ins: an executor that runs nothing (every
//! packet that reaches it is reported as "would compute") and a store view that reads the
//! real store but drops every write. Sources and operators do run: they are structural and
//! cheap, and they decide which packets reach each function. A function downstream of packets
//! that still have to be computed sees only the part of its input that is known now; the plan
//! marks it.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_schema::SchemaRef;
use orcapod_cache::{
    RecordSet, RecordSetIter, Store, StoreConfig, StoreTransaction, TablePath, WriteSummary,
};
use orcapod_datagram::Value;
use orcapod_executor::{
    BatchOutput, DynExecutor, ExecutorOptions, FailureKind, InputBatch, PacketFunction, RowFailure,
};
use orcapod_node::{ErrorPolicy, NodeKind, Pipeline, PipelineBuilder, RunConfig};

/// The message every planned packet carries (so that real failures can never be confused
/// with planned ones).
const PLANNED: &str = "planned: not run by `orcapod plan`";

/// Runs nothing: every packet is reported as a failure of kind `Executor` with [`PLANNED`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PlanExecutor;

impl DynExecutor for PlanExecutor {
    fn executor_type_id(&self) -> &str {
        "plan"
    }

    fn execute(
        &self,
        function: &dyn PacketFunction,
        input: &InputBatch,
    ) -> orcapod_executor::Result<BatchOutput> {
        let n = input.num_rows();
        let columns = function
            .output_schema()
            .fields()
            .iter()
            .map(|f| arrow_array::new_null_array(&f.dtype.to_arrow(), n))
            .collect();
        let mut out = BatchOutput::new(columns, n);
        for row in 0..n {
            out.push_failure(RowFailure {
                row,
                kind: FailureKind::Executor,
                message: PLANNED.into(),
                captured: None,
            });
        }
        Ok(out)
    }

    fn with_options(&self, _options: &ExecutorOptions) -> orcapod_executor::Result<Self> {
        Ok(PlanExecutor)
    }

    fn with_options_dyn(
        &self,
        _options: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(PlanExecutor))
    }
}

/// Reads the wrapped store; accepts and drops every write.
#[derive(Debug)]
pub(crate) struct ReadOnlyStore(pub Arc<dyn Store>);

type StoreResult<T> = Result<T, orcapod_cache::StoreError>;

impl Store for ReadOnlyStore {
    fn commit(&self, txn: StoreTransaction) -> StoreResult<Vec<WriteSummary>> {
        Ok(vec![WriteSummary::default(); txn.len()])
    }
    fn get_records(&self, path: &TablePath, ids: &[&[u8]]) -> StoreResult<Option<RecordSet>> {
        self.0.get_records(path, ids)
    }
    fn get_records_columns(
        &self,
        path: &TablePath,
        ids: &[&[u8]],
        columns: &[&str],
    ) -> StoreResult<Option<RecordSet>> {
        self.0.get_records_columns(path, ids, columns)
    }
    fn contains_ids(&self, path: &TablePath, ids: &[&[u8]]) -> StoreResult<Vec<bool>> {
        self.0.contains_ids(path, ids)
    }
    fn latest_ids_where(
        &self,
        path: &TablePath,
        column: &str,
        values: &[Value],
    ) -> StoreResult<Vec<Option<Vec<u8>>>> {
        self.0.latest_ids_where(path, column, values)
    }
    fn get_all(&self, path: &TablePath) -> StoreResult<Option<RecordSet>> {
        self.0.get_all(path)
    }
    fn scan<'a>(&'a self, path: &TablePath) -> StoreResult<RecordSetIter<'a>> {
        self.0.scan(path)
    }
    fn get_records_where(
        &self,
        path: &TablePath,
        constraints: &[(&str, Value)],
    ) -> StoreResult<Option<RecordSet>> {
        self.0.get_records_where(path, constraints)
    }
    fn create_index(&self, _path: &TablePath, _column: &str) -> StoreResult<()> {
        Ok(())
    }
    fn indexes(&self, path: &TablePath) -> StoreResult<Vec<String>> {
        self.0.indexes(path)
    }
    fn table_schema(&self, path: &TablePath) -> StoreResult<Option<SchemaRef>> {
        self.0.table_schema(path)
    }
    fn list_paths(&self) -> StoreResult<Vec<TablePath>> {
        self.0.list_paths()
    }
    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }
    fn to_config(&self) -> StoreConfig {
        self.0.to_config()
    }
}

/// What a run would do at one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedNode {
    /// The node's label.
    pub label: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Packets the store already has (function nodes).
    pub cached: usize,
    /// Packets that would be computed now (function nodes).
    pub to_compute: usize,
    /// Whether more packets will reach this node once upstream packets are computed.
    pub waits_on_upstream: bool,
}

/// Plan `pipeline` (built on the real store): a sync run with [`PlanExecutor`] on a
/// [`ReadOnlyStore`] view.
pub fn plan(pipeline: &Pipeline) -> orcapod_node::Result<Vec<PlannedNode>> {
    // Rebuild the same nodes over the read-only view: `extend` keeps every node, identity and
    // label; only the store handle changes.
    let mut b: PipelineBuilder = pipeline.extend();
    if let Some(store) = pipeline.store() {
        b.set_store(Arc::new(ReadOnlyStore(store.clone())));
    }
    let view = b.build()?;
    let config = RunConfig::new()
        .executor(Arc::new(PlanExecutor))
        .error_policy(ErrorPolicy::Continue);
    let report = view.run(&config)?;
    let mut out: Vec<PlannedNode> = Vec::new();
    let mut pending: Vec<bool> = Vec::new();
    for id in view.node_ids() {
        let label = view.label(id)?.to_string();
        let kind = view.kind(id)?;
        let stats = report.stats(&label);
        let planned = report
            .errors
            .iter()
            .filter(|(node, e)| *node == label && e.message == PLANNED)
            .count();
        let upstream = view
            .inputs(id)?
            .iter()
            .any(|i| pending.get(i.index()).copied().unwrap_or(false));
        let node = PlannedNode {
            label,
            kind,
            cached: stats.map_or(0, |s| s.cached),
            to_compute: planned,
            waits_on_upstream: upstream,
        };
        pending.push(upstream || node.to_compute > 0);
        out.push(node);
    }
    Ok(out)
}

/// The plan as a table.
pub fn render(pipeline: &Pipeline, nodes: &[PlannedNode]) -> String {
    let mut out = String::new();
    let store = match pipeline.store().map(|s| s.to_config()) {
        Some(StoreConfig::Rocksdb { path, .. }) => path.display().to_string(),
        Some(StoreConfig::InMemory) => "in memory (nothing is cached between runs)".into(),
        None => "none (nothing is cached between runs)".into(),
    };
    let _ = writeln!(
        out,
        "plan for pipeline '{}' (store: {store})",
        pipeline.name()
    );
    let _ = writeln!(
        out,
        "{:<28} {:<9} {:>8} {:>11}  note",
        "node", "kind", "cached", "to compute"
    );
    for n in nodes {
        let (cached, todo) = if n.kind == NodeKind::Function {
            (n.cached.to_string(), n.to_compute.to_string())
        } else {
            ("-".into(), "-".into())
        };
        let note = if n.kind == NodeKind::Function && n.waits_on_upstream {
            "more packets once upstream is computed"
        } else {
            ""
        };
        let line = format!(
            "{:<28} {:<9} {:>8} {:>11}  {note}",
            n.label,
            n.kind.to_string(),
            cached,
            todo
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let (todo, cached): (usize, usize) = nodes
        .iter()
        .fold((0, 0), |(t, c), n| (t + n.to_compute, c + n.cached));
    let more = nodes
        .iter()
        .any(|n| n.kind == NodeKind::Function && n.waits_on_upstream);
    let _ = write!(
        out,
        "=> {todo}{} packet(s) to compute, {cached} served from the store",
        if more { "+" } else { "" }
    );
    out
}
