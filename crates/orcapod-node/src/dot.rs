//! Graphviz rendering of a pipeline: node kinds, labels and cache states.

use std::fmt::Write as _;

use crate::error::Result;
use crate::graph::{CacheMode, NodeSpec};
use crate::pipeline::Pipeline;
use crate::run::RunReport;

impl Pipeline {
    /// The pipeline as a Graphviz DOT graph. Sources are ellipses, operators boxes and function
    /// nodes rounded boxes; each node shows its label, kind and short pipeline hash. With a run
    /// report, function and operator nodes also show their cache state (`computed / cached /
    /// failed`), colored green when everything came from the store, orange when some packets
    /// were computed and red when some failed.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_node::PipelineBuilder;
    /// let mut p = PipelineBuilder::new("demo");
    /// p.source(Source::from_rows(rows![{"id" => 1, "x" => 2}], SourceOptions::new(["id"]).source_id("s"))?);
    /// let dot = p.build()?.to_dot(None);
    /// assert!(dot.starts_with("digraph \"demo\""));
    /// assert!(dot.contains("DictSource"));
    /// # Ok::<(), orcapod_node::NodeError>(())
    /// ```
    pub fn to_dot(&self, report: Option<&RunReport>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", escape(&self.name()));
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(out, "  node [fontname=\"Helvetica\", fontsize=10];");
        for (i, node) in self.nodes.iter().enumerate() {
            let (shape, style, kind_text) = match &node.spec {
                NodeSpec::Source { source, cumulative } => (
                    "ellipse",
                    "filled",
                    format!(
                        "{}{}",
                        source.kind(),
                        if *cumulative { " (cumulative)" } else { "" }
                    ),
                ),
                NodeSpec::Operator { op, cache, .. } => (
                    "box",
                    "filled",
                    match cache {
                        CacheMode::Off => op.identity_name().to_string(),
                        CacheMode::Log => format!("{} [log]", op.identity_name()),
                        CacheMode::Replay => format!("{} [replay]", op.identity_name()),
                    },
                ),
                NodeSpec::Unavailable { kind, .. } => {
                    ("box", "dashed", format!("{kind} (unavailable)"))
                }
                NodeSpec::Function { pod } => (
                    "box",
                    "rounded,filled",
                    format!("fn {}", pod.uri().components()[0]),
                ),
            };
            let mut label = format!(
                "{}\\n{}\\n{}",
                escape(&node.label),
                escape(&kind_text),
                &node.identity.pipeline_hash.to_hex()[..8]
            );
            let mut fill = match node.spec {
                NodeSpec::Source { .. } => "#dbe9f6",
                NodeSpec::Operator { .. } => "#eeeeee",
                NodeSpec::Function { .. } => "#fff4d6",
                NodeSpec::Unavailable { .. } => "#ffffff",
            };
            if let Some(stats) = report.and_then(|r| r.stats(&node.label)) {
                let _ = write!(label, "\\n{} rows", stats.rows_out);
                if !matches!(node.spec, NodeSpec::Source { .. }) {
                    let _ = write!(
                        label,
                        "\\ncomputed {} / cached {} / failed {}",
                        stats.computed, stats.cached, stats.failed
                    );
                }
                if matches!(node.spec, NodeSpec::Function { .. }) {
                    fill = if stats.failed > 0 {
                        "#f4b6b6"
                    } else if stats.computed == 0 {
                        "#c9ecc9"
                    } else {
                        "#fbd9a8"
                    };
                }
            }
            let _ = writeln!(
                out,
                "  n{i} [label=\"{label}\", shape={shape}, style=\"{style}\", fillcolor=\"{fill}\"];"
            );
        }
        for (i, node) in self.nodes.iter().enumerate() {
            for input in &node.inputs {
                let _ = writeln!(out, "  n{} -> n{i};", input.index());
            }
        }
        out.push_str("}\n");
        out
    }

    /// Render to SVG with Graphviz `dot`, when it is installed.
    pub fn to_svg(&self, report: Option<&RunReport>) -> Result<String> {
        render_svg(&self.to_dot(report))
    }
}

/// Render DOT text to SVG with the `dot` program.
pub fn render_svg(dot: &str) -> Result<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let io = |source| crate::NodeError::Io {
        path: "dot (Graphviz)".into(),
        source,
    };
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(dot.as_bytes()).map_err(io)?;
    }
    let out = child.wait_with_output().map_err(io)?;
    if !out.status.success() {
        return Err(crate::NodeError::Io {
            path: "dot (Graphviz)".into(),
            source: std::io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned()),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
