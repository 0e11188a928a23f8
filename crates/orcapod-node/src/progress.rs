//! A terminal progress display: one line per node, updated as packets finish.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::observer::{NodeKind, Observer, PacketOutcome};
use crate::run::NodeStats;

/// Shows per-node progress on stderr for long runs. It draws nothing when stderr is not a
/// terminal (CI logs, pipes), so it is safe to leave on.
///
/// ```
/// use orcapod_node::ProgressObserver;
/// let p = ProgressObserver::new();
/// // Under `cargo test` stderr is captured, so nothing is drawn.
/// assert!(!p.is_drawing() || std::io::IsTerminal::is_terminal(&std::io::stderr()));
/// ```
pub struct ProgressObserver {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    drawing: bool,
}

impl Default for ProgressObserver {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressObserver {
    /// A display on stderr, hidden when stderr is not a terminal.
    pub fn new() -> Self {
        let drawing = std::io::stderr().is_terminal();
        let target = if drawing {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        };
        ProgressObserver {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
            drawing,
        }
    }

    /// Whether anything is shown.
    pub fn is_drawing(&self) -> bool {
        self.drawing
    }

    fn with_bar(&self, node: &str, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bars) = self.bars.lock()
            && let Some(bar) = bars.get(node)
        {
            f(bar);
        }
    }
}

impl Observer for ProgressObserver {
    fn on_node_start(&self, node: &str, kind: NodeKind) {
        let bar = self.multi.add(ProgressBar::no_length());
        let style =
            ProgressStyle::with_template("{spinner} {prefix:<24} {msg} {pos} packets [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(node.to_string());
        bar.set_message(kind.to_string());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(node.to_string(), bar);
        }
    }
    fn on_packet_end(&self, node: &str, _row: usize, _outcome: PacketOutcome) {
        self.with_bar(node, |b| b.inc(1));
    }
    fn on_node_end(&self, node: &str, stats: &NodeStats) {
        self.with_bar(node, |b| {
            b.finish_with_message(format!(
                "done: {} rows, computed {}, cached {}, failed {}",
                stats.rows_out, stats.computed, stats.cached, stats.failed
            ))
        });
    }
}
