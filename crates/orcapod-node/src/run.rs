//! Run configuration and results.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use orcapod_datagram::Stream;
use orcapod_executor::{DynExecutor, ExecutorOptions, PacketError};

use crate::observer::{NodeKind, Observer};

/// Pull (sync) or push (async, over bounded channels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Topological, pull-based: each node materialises its output.
    #[default]
    Sync,
    /// Every node is a task; rows flow through bounded channels with backpressure.
    Async,
}

/// What to do when a packet fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorPolicy {
    /// Stop the run at the first failed packet (finished work stays stored).
    FailFast,
    /// Record the failure, skip the packet and continue.
    #[default]
    Continue,
}

/// How to run a pipeline.
///
/// ```
/// use orcapod_node::{ErrorPolicy, RunConfig, RunMode};
/// let cfg = RunConfig::new()
///     .mode(RunMode::Async)
///     .channel_capacity(16)
///     .max_concurrency(4)
///     .node_concurrency("slow_fn", 1)
///     .error_policy(ErrorPolicy::FailFast);
/// assert_eq!(cfg.concurrency_for("slow_fn"), 1);
/// assert_eq!(cfg.concurrency_for("other"), 4);
/// ```
#[derive(Clone)]
pub struct RunConfig {
    pub(crate) mode: RunMode,
    pub(crate) channel_capacity: usize,
    pub(crate) max_concurrency: usize,
    pub(crate) node_concurrency: BTreeMap<String, usize>,
    pub(crate) executor: Option<Arc<dyn DynExecutor>>,
    pub(crate) executor_options: ExecutorOptions,
    pub(crate) node_executor_options: BTreeMap<String, ExecutorOptions>,
    pub(crate) error_policy: ErrorPolicy,
    pub(crate) observer: Option<Arc<dyn Observer>>,
    pub(crate) chunk_rows: usize,
    pub(crate) keep_outputs: KeepOutputs,
}

/// Which node outputs a run keeps in [`RunReport::outputs`].
///
/// Keeping every output (the default) is convenient for inspection but holds every node's
/// full table until the run ends. With [`Sinks`](Self::Sinks) or [`Nothing`](Self::Nothing),
/// a sync run frees each intermediate output as soon as its last consumer has run, and an
/// async run never gathers intermediate chunks at all, so its memory stays bounded by the
/// channel buffers plus what is kept (results still reach the store as usual).
///
/// ```
/// use orcapod_node::{KeepOutputs, RunConfig};
/// let cfg = RunConfig::new().keep_outputs(KeepOutputs::only(["summary"]));
/// assert!(matches!(cfg.kept_outputs(), KeepOutputs::Only(labels) if labels.contains("summary")));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeepOutputs {
    /// Every node's output.
    #[default]
    All,
    /// Only the outputs of nodes nothing else consumes.
    Sinks,
    /// Only the outputs of these labels.
    Only(std::collections::BTreeSet<String>),
    /// No output (statistics, errors and the store only).
    Nothing,
}

impl KeepOutputs {
    /// Keep only the outputs of `labels`.
    pub fn only<I, S>(labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        KeepOutputs::Only(labels.into_iter().map(Into::into).collect())
    }

    /// Whether the output of node `label` is kept; `is_sink`: nothing consumes it.
    pub(crate) fn keeps(&self, label: &str, is_sink: bool) -> bool {
        match self {
            KeepOutputs::All => true,
            KeepOutputs::Sinks => is_sink,
            KeepOutputs::Only(labels) => labels.contains(label),
            KeepOutputs::Nothing => false,
        }
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            mode: RunMode::Sync,
            channel_capacity: orcapod_channel::DEFAULT_CAPACITY,
            max_concurrency: 2,
            node_concurrency: BTreeMap::new(),
            executor: None,
            executor_options: ExecutorOptions::new(),
            node_executor_options: BTreeMap::new(),
            error_policy: ErrorPolicy::Continue,
            observer: None,
            chunk_rows: 1024,
            keep_outputs: KeepOutputs::All,
        }
    }
}

impl RunConfig {
    /// The defaults: sync, capacity 64, concurrency 2, continue on errors.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sync or async.
    pub fn mode(mut self, mode: RunMode) -> Self {
        self.mode = mode;
        self
    }
    /// Capacity of every channel in async mode (at least 1).
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity.max(1);
        self
    }
    /// Default number of packet chunks a function node processes at once (at least 1; 1 keeps
    /// order in async mode).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }
    /// Concurrency for one node, by label.
    pub fn node_concurrency(mut self, label: impl Into<String>, n: usize) -> Self {
        self.node_concurrency.insert(label.into(), n.max(1));
        self
    }
    /// The concurrency a node runs with.
    pub fn concurrency_for(&self, label: &str) -> usize {
        self.node_concurrency
            .get(label)
            .copied()
            .unwrap_or(self.max_concurrency)
    }
    /// A default executor for every function node, derived per node with `with_options`.
    pub fn executor(mut self, executor: Arc<dyn DynExecutor>) -> Self {
        self.executor = Some(executor);
        self
    }
    /// Options applied to every function node's executor.
    pub fn executor_options(mut self, options: ExecutorOptions) -> Self {
        self.executor_options = options;
        self
    }
    /// Options for one node's executor (merged over the pipeline-wide options).
    pub fn node_executor_options(
        mut self,
        label: impl Into<String>,
        options: ExecutorOptions,
    ) -> Self {
        self.node_executor_options.insert(label.into(), options);
        self
    }
    /// Fail fast or continue.
    pub fn error_policy(mut self, policy: ErrorPolicy) -> Self {
        self.error_policy = policy;
        self
    }
    /// An observer for this run.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }
    /// Packets per committed chunk in function nodes (at least 1): the most work a crash loses.
    pub fn chunk_rows(mut self, rows: usize) -> Self {
        self.chunk_rows = rows.max(1);
        self
    }
    /// Which node outputs the run report keeps (default: all).
    pub fn keep_outputs(mut self, keep: KeepOutputs) -> Self {
        self.keep_outputs = keep;
        self
    }
    /// The output-retention setting.
    pub fn kept_outputs(&self) -> &KeepOutputs {
        &self.keep_outputs
    }
    /// Pipeline options merged with a node's own (the node's win).
    pub(crate) fn options_for(&self, label: &str) -> ExecutorOptions {
        let mut merged = self.executor_options.clone();
        if let Some(node) = self.node_executor_options.get(label) {
            for (k, v) in node.iter() {
                merged = merged.set(k, v);
            }
        }
        merged
    }
}

/// What happened at one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStats {
    /// The node's label.
    pub label: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Packets computed in this run.
    pub computed: usize,
    /// Packets served from a store.
    pub cached: usize,
    /// Packets that failed.
    pub failed: usize,
    /// Packets not processed because the run stopped (fail fast).
    pub skipped: usize,
    /// Packets the function dropped (no output).
    pub dropped: usize,
    /// Rows in the node's output.
    pub rows_out: usize,
    /// Wall time spent in the node.
    pub elapsed: Duration,
}

impl NodeStats {
    pub(crate) fn new(label: &str, kind: NodeKind) -> Self {
        NodeStats {
            label: label.into(),
            kind,
            computed: 0,
            cached: 0,
            failed: 0,
            skipped: 0,
            dropped: 0,
            rows_out: 0,
            elapsed: Duration::ZERO,
        }
    }
}

/// The result of a run: per-node statistics, outputs and packet errors.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Identifier of this run (UUIDv4).
    pub run_id: String,
    /// Per node, in topological order.
    pub nodes: Vec<NodeStats>,
    /// Output stream of every node, by label (only those kept: see [`KeepOutputs`]).
    pub outputs: BTreeMap<String, Stream>,
    /// Every packet failure (error policy `Continue`).
    pub errors: Vec<(String, PacketError)>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl RunReport {
    /// A node's statistics by label.
    pub fn stats(&self, label: &str) -> Option<&NodeStats> {
        self.nodes.iter().find(|s| s.label == label)
    }
    /// A node's output by label.
    pub fn output(&self, label: &str) -> Option<&Stream> {
        self.outputs.get(label)
    }
    /// Total packets computed across function nodes.
    pub fn total_computed(&self) -> usize {
        self.nodes.iter().map(|s| s.computed).sum()
    }
    /// Total packets served from stores across function nodes.
    pub fn total_cached(&self) -> usize {
        self.nodes.iter().map(|s| s.cached).sum()
    }
    /// A plain-text summary table.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{:<24} {:<9} {:>9} {:>9} {:>7} {:>8} {:>9} {:>10}\n",
            "node", "kind", "computed", "cached", "failed", "skipped", "rows out", "time"
        );
        for s in &self.nodes {
            out.push_str(&format!(
                "{:<24} {:<9} {:>9} {:>9} {:>7} {:>8} {:>9} {:>9.1?}\n",
                s.label, s.kind, s.computed, s.cached, s.failed, s.skipped, s.rows_out, s.elapsed
            ));
        }
        out
    }
}
