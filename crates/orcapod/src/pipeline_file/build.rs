//! Building a checked declaration: sources are read, operators and functions added to a
//! `PipelineBuilder` (which predicts every schema), and the run configuration assembled.
//! Problems found here (unreadable sources, type mismatches, operator schema errors, bad
//! executor settings) are reported at the line that declared the node, and building goes on
//! with the nodes that do not depend on the failed one.

use std::collections::BTreeMap;
use std::sync::Arc;

use orcapod_cache::Store;
use orcapod_datagram::{DataType, Field, Source, SourceOptions};
use orcapod_executor::{
    DynExecutor, ExecutorOptions, FunctionPod, LocalExecutor, ThreadPoolExecutor,
};
use orcapod_executor_slurm::{RayExecutor, SlurmExecutor};
use orcapod_node::{CacheMode, NodeId, OperatorSpec, Pipeline, PipelineBuilder, RunConfig};

use super::diag::Diags;
use super::model::{ExecutorDecl, FunctionDecl, NodeKindDecl, OriginDecl, SourceDecl};
use super::parse::Parsed;
use super::parse_nodes::command;

/// Build the nodes listed in `order` (see `validate::wiring`).
pub(crate) fn pipeline(
    parsed: &Parsed,
    order: &[usize],
    store: Option<Arc<dyn Store>>,
    diags: &mut Diags,
) -> Option<Pipeline> {
    let mut b = PipelineBuilder::new(if parsed.name.is_empty() {
        "pipeline"
    } else {
        &parsed.name
    });
    if let Some(s) = store {
        b.set_store(s);
    }
    let mut ids: BTreeMap<&str, NodeId> = BTreeMap::new();
    for &i in order {
        let n = &parsed.nodes[i];
        let Some(kind) = &n.kind else { continue };
        let Some(inputs) = n
            .from
            .iter()
            .map(|(l, _)| ids.get(l.as_str()).copied())
            .collect::<Option<Vec<NodeId>>>()
        else {
            continue; // an input failed to build; its problem is already reported
        };
        let added = match kind {
            NodeKindDecl::Source(s) => match source(s, &n.label) {
                Ok(src) => {
                    // Adding an identical source twice returns the first node, which would
                    // then lose its label; keep one node per declaration.
                    let id = if s.cumulative {
                        b.cumulative_source(src)
                    } else {
                        b.source(src)
                    };
                    if ids.values().any(|&v| v == id) {
                        diags.at(
                            n.label_span.clone(),
                            format!("source '{}' is identical (same data and source id) to an earlier source; give it another source_id", n.label),
                        );
                        None
                    } else {
                        Some(id)
                    }
                }
                Err(e) => {
                    diags.at(s.path_span.clone(), format!("source '{}': {e}", n.label));
                    None
                }
            },
            NodeKindDecl::Operator(op) => {
                match b.operator_spec(op.spec.clone(), &inputs, op.cache) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        let what = match &op.spec {
                            OperatorSpec::Filter { .. } => {
                                "filter predicate does not fit its input"
                            }
                            _ => "does not fit its input",
                        };
                        diags.at(
                            op.error_span.clone(),
                            format!("operator '{}' {what}: {}", n.label, reason(&e)),
                        );
                        None
                    }
                }
            }
            NodeKindDecl::Function(f) => {
                function(&mut b, f, &n.label, &inputs, diags, n.label_span.clone())
            }
        };
        if let Some(id) = added
            && b.label(id, n.label.clone()).is_ok()
        {
            ids.insert(&n.label, id);
        }
    }
    b.build().ok()
}

/// The message of a node error without the generic "node 'X': invalid input:" prefix, which
/// the positioned message already says.
fn reason(e: &orcapod_node::NodeError) -> String {
    match e {
        orcapod_node::NodeError::InvalidInput { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn source(s: &SourceDecl, label: &str) -> Result<Source, orcapod_datagram::DatagramError> {
    let mut options = SourceOptions::new(s.tags.clone())
        .source_id(s.source_id.clone())
        .label(label.to_string());
    if let Some(r) = &s.record_id_column {
        options = options.record_id_column(r.clone());
    }
    match &s.origin {
        OriginDecl::File(path) => Source::from_file(path, options),
        OriginDecl::Directory {
            path,
            pattern: Some(p),
            ..
        } => Source::from_directory_pattern(path, p, options),
        OriginDecl::Directory {
            path, extension, ..
        } => Source::from_directory(path, extension.as_deref(), options),
    }
}

fn function(
    b: &mut PipelineBuilder,
    f: &FunctionDecl,
    label: &str,
    inputs: &[NodeId],
    diags: &mut Diags,
    span: std::ops::Range<usize>,
) -> Option<NodeId> {
    let input = match inputs {
        [one] => *one,
        many => match b.operator_spec(OperatorSpec::Join, many, CacheMode::Off) {
            Ok(id) => {
                let _ = b.label(id, format!("{label}_inputs"));
                id
            }
            Err(e) => {
                diags.at(
                    span,
                    format!(
                        "function '{label}': its inputs cannot be joined: {}",
                        reason(&e)
                    ),
                );
                return None;
            }
        },
    };
    // Check each declared input column against what the upstream node predicts, so that a
    // mismatch points at the column's own line.
    let upstream = b.clone().build().ok().and_then(|p| {
        let label = p.label(input).ok()?.to_string();
        let schema = p.schema(input).ok()?;
        let packets: Vec<Field> = schema
            .packets
            .iter()
            .filter_map(|f| Field::from_arrow(f).ok())
            .collect();
        let tags: Vec<String> = schema.tags.iter().map(|f| f.name().clone()).collect();
        Some((label, packets, tags))
    });
    let before = diags.len();
    if let Some((up, packets, tags)) = &upstream {
        let listing = || {
            packets
                .iter()
                .map(|p| format!("{}: {}", p.name, p.dtype))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for c in &f.inputs {
            match packets.iter().find(|p| p.name == c.name) {
                None if tags.contains(&c.name) => diags.at(c.span.clone(), format!(
                    "function '{label}': input '{}' is a tag column of '{up}'; functions read packet columns ({})", c.name, listing())),
                None => diags.at(c.span.clone(), format!(
                    "function '{label}': input '{}' is not a packet column of '{up}' (it has: {})", c.name, listing())),
                Some(p) if !compatible(&c.dtype, &p.dtype) => diags.at(c.span.clone(), format!(
                    "function '{label}': type mismatch: input '{}' is declared {} but '{up}' provides {}", c.name, c.dtype, p.dtype)),
                Some(p) if p.nullable && !c.nullable => diags.at(c.span.clone(), format!(
                    "function '{label}': input '{}' may be null in '{up}'; declare it \"{}?\"", c.name, c.dtype)),
                Some(_) => {}
            }
        }
    }
    if diags.len() != before {
        return None;
    }
    let pod = match command(f) {
        Ok(c) => FunctionPod::new(c),
        Err(e) => {
            diags.at(span, format!("function '{label}': {e}"));
            return None;
        }
    };
    match b.function(pod, &[input]) {
        Ok(id) => Some(id),
        Err(e) => {
            diags.at(span, format!("function '{label}': {}", reason(&e)));
            None
        }
    }
}

/// Declared input type `want` accepts upstream type `have`: function inputs are bound without
/// conversion, so the logical types must be equal.
fn compatible(want: &DataType, have: &DataType) -> bool {
    want == have
}

/// The run configuration of the `[run]` section (observers are added by the caller).
pub(crate) fn run_config(parsed: &Parsed, labels: &[String], diags: &mut Diags) -> RunConfig {
    let run = &parsed.run;
    let mut cfg = RunConfig::new()
        .mode(run.mode)
        .error_policy(run.error_policy);
    if let Some(n) = run.max_concurrency {
        cfg = cfg.max_concurrency(n);
    }
    if let Some(n) = run.channel_capacity {
        cfg = cfg.channel_capacity(n);
    }
    if let Some(n) = run.chunk_rows {
        cfg = cfg.chunk_rows(n);
    }
    let options = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .fold(ExecutorOptions::new(), |o, (k, v)| o.set(k, v))
    };
    match executor(&run.executor) {
        Ok(e) => cfg = cfg.executor(e),
        Err(msg) => diags.at(run.executor_span.clone(), format!("[run.executor]: {msg}")),
    }
    cfg = cfg.executor_options(options(&run.executor_options));
    for n in &run.nodes {
        if !labels.contains(&n.label) {
            diags.at(
                n.span.clone(),
                format!(
                    "[run.nodes.{}]: unknown label '{}'{}",
                    n.label,
                    n.label,
                    super::diag::suggest(&n.label, labels.iter().map(String::as_str))
                ),
            );
            continue;
        }
        if let Some(c) = n.concurrency {
            cfg = cfg.node_concurrency(n.label.clone(), c);
        }
        if !n.executor_options.is_empty() {
            cfg = cfg.node_executor_options(n.label.clone(), options(&n.executor_options));
        }
    }
    cfg
}

fn executor(e: &ExecutorDecl) -> Result<Arc<dyn DynExecutor>, String> {
    let with = |base: Arc<dyn DynExecutor>, pairs: &[(String, String)]| {
        let opts = pairs
            .iter()
            .fold(ExecutorOptions::new(), |o, (k, v)| o.set(k, v));
        base.with_options_dyn(&opts).map_err(|e| e.to_string())
    };
    match e {
        ExecutorDecl::Local => Ok(Arc::new(LocalExecutor)),
        ExecutorDecl::ThreadPool { threads } => ThreadPoolExecutor::new(*threads)
            .map(|p| Arc::new(p) as Arc<dyn DynExecutor>)
            .map_err(|e| e.to_string()),
        ExecutorDecl::Slurm { work_dir, options } => {
            let slurm = SlurmExecutor::new(work_dir).map_err(|e| e.to_string())?;
            with(Arc::new(slurm), options)
        }
        ExecutorDecl::Ray {
            address,
            work_dir,
            options,
        } => {
            let ray = RayExecutor::new(address.clone(), work_dir).map_err(|e| e.to_string())?;
            with(Arc::new(ray), options)
        }
    }
}
