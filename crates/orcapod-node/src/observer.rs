//! Observers: pluggable receivers of run, node and packet events.
//!
//! The orchestrators call an [`Observer`] at every step. Implement the methods you need (all
//! have empty defaults). [`RecordingObserver`] keeps every event in memory (handy for tests and
//! for log-based proofs that a cache was hit), [`CompositeObserver`] fans out to several, and
//! `tracing` spans are emitted by the orchestrators themselves.

use std::sync::Mutex;

use orcapod_executor::PacketError;

/// How a packet ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketOutcome {
    /// Computed in this run.
    Computed,
    /// Served from a store (this node's records, or another pipeline's results).
    Cached,
    /// The function dropped the packet (returned no output).
    Dropped,
}

/// Receives run, node and packet events. Must be cheap: it is called once per packet.
pub trait Observer: Send + Sync {
    /// A run starts.
    fn on_run_start(&self, _pipeline: &str, _run_id: &str) {}
    /// A run ends.
    fn on_run_end(&self, _pipeline: &str, _run_id: &str, _ok: bool) {}
    /// A node starts.
    fn on_node_start(&self, _node: &str, _kind: NodeKind) {}
    /// A node ends.
    fn on_node_end(&self, _node: &str, _stats: &crate::NodeStats) {}
    /// A packet of a function node ended.
    fn on_packet_end(&self, _node: &str, _row: usize, _outcome: PacketOutcome) {}
    /// A packet of a function node failed.
    fn on_packet_crash(&self, _node: &str, _error: &PacketError) {}
}

/// The kinds of pipeline node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A source node.
    Source,
    /// A function node.
    Function,
    /// An operator node.
    Operator,
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeKind::Source => "source",
            NodeKind::Function => "function",
            NodeKind::Operator => "operator",
        })
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOpObserver;

impl Observer for NoOpObserver {}

/// One recorded event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// See [`Observer::on_run_start`].
    RunStart(String),
    /// See [`Observer::on_run_end`].
    RunEnd(String, bool),
    /// See [`Observer::on_node_start`].
    NodeStart(String, NodeKind),
    /// See [`Observer::on_node_end`].
    NodeEnd(String, crate::NodeStats),
    /// See [`Observer::on_packet_end`].
    PacketEnd(String, usize, PacketOutcome),
    /// See [`Observer::on_packet_crash`]: node and message.
    PacketCrash(String, String),
}

/// Keeps every event in memory.
///
/// ```
/// use orcapod_node::{Observer, PacketOutcome, RecordingObserver};
/// let rec = RecordingObserver::default();
/// rec.on_packet_end("f", 0, PacketOutcome::Cached);
/// assert_eq!(rec.count(|e| matches!(e, orcapod_node::Event::PacketEnd(_, _, PacketOutcome::Cached))), 1);
/// ```
#[derive(Debug, Default)]
pub struct RecordingObserver {
    events: Mutex<Vec<Event>>,
}

impl RecordingObserver {
    fn push(&self, e: Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(e);
        }
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// How many events match `pred`.
    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events
            .lock()
            .map(|e| e.iter().filter(|x| pred(x)).count())
            .unwrap_or(0)
    }
}

impl Observer for RecordingObserver {
    fn on_run_start(&self, _pipeline: &str, run_id: &str) {
        self.push(Event::RunStart(run_id.into()));
    }
    fn on_run_end(&self, _pipeline: &str, run_id: &str, ok: bool) {
        self.push(Event::RunEnd(run_id.into(), ok));
    }
    fn on_node_start(&self, node: &str, kind: NodeKind) {
        self.push(Event::NodeStart(node.into(), kind));
    }
    fn on_node_end(&self, node: &str, stats: &crate::NodeStats) {
        self.push(Event::NodeEnd(node.into(), stats.clone()));
    }
    fn on_packet_end(&self, node: &str, row: usize, outcome: PacketOutcome) {
        self.push(Event::PacketEnd(node.into(), row, outcome));
    }
    fn on_packet_crash(&self, node: &str, error: &PacketError) {
        self.push(Event::PacketCrash(node.into(), error.message.clone()));
    }
}

/// Forwards every event to several observers.
#[derive(Default)]
pub struct CompositeObserver {
    observers: Vec<std::sync::Arc<dyn Observer>>,
}

impl CompositeObserver {
    /// A composite of these observers.
    pub fn new(observers: Vec<std::sync::Arc<dyn Observer>>) -> Self {
        CompositeObserver { observers }
    }
}

impl Observer for CompositeObserver {
    fn on_run_start(&self, p: &str, r: &str) {
        self.observers.iter().for_each(|o| o.on_run_start(p, r));
    }
    fn on_run_end(&self, p: &str, r: &str, ok: bool) {
        self.observers.iter().for_each(|o| o.on_run_end(p, r, ok));
    }
    fn on_node_start(&self, n: &str, k: NodeKind) {
        self.observers.iter().for_each(|o| o.on_node_start(n, k));
    }
    fn on_node_end(&self, n: &str, s: &crate::NodeStats) {
        self.observers.iter().for_each(|o| o.on_node_end(n, s));
    }
    fn on_packet_end(&self, n: &str, row: usize, outcome: PacketOutcome) {
        self.observers
            .iter()
            .for_each(|o| o.on_packet_end(n, row, outcome));
    }
    fn on_packet_crash(&self, n: &str, e: &PacketError) {
        self.observers.iter().for_each(|o| o.on_packet_crash(n, e));
    }
}
