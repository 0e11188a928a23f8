//! The CLI commands over pipeline files: `run`, `plan`, `show`, `check`, `export`, and the
//! pipeline-file branch of `graph`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use orcapod_datagram::ColumnConfig;
use orcapod_node::{
    CompositeObserver, ErrorPolicy, NodeKind, NodeStats, Observer, PacketOutcome, Pipeline,
    ProgressObserver, RunConfig, StoreObserver,
};

use super::{Declared, PipelineFile, export};
use crate::cli::CliError;

/// Read a pipeline file; a saved JSON pipeline (`Pipeline::save`) whose functions are all
/// command functions is accepted too.
pub fn load(path: &str) -> Result<PipelineFile, CliError> {
    let p = Path::new(path);
    if p.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(p)
            .map_err(|e| CliError::Usage(format!("cannot read '{path}': {e}")))?;
        let decl = export::decl_from_json(&text)?;
        // Saved JSON paths are as the program gave them (relative to its working directory).
        return Ok(PipelineFile::parse_with_base(
            &decl.to_toml(None),
            p,
            Path::new(""),
        )?);
    }
    Ok(PipelineFile::load(p)?)
}

/// Build on the file's store, or on the RocksDB store in `store_dir` (`--store DIR`).
fn build(pf: &PipelineFile, store_dir: Option<&str>) -> Result<Declared, CliError> {
    match store_dir {
        None => Ok(pf.build()?),
        Some(dir) => {
            let store = orcapod_cache::open_store(&orcapod_cache::StoreConfig::Rocksdb {
                path: dir.into(),
                options: Default::default(),
            })?;
            Ok(pf.build_with_store(Some(store))?)
        }
    }
}

/// `orcapod check FILE`
pub(crate) fn check(file: &str) -> Result<String, CliError> {
    let pf = load(file)?;
    let built = pf.build_with_store(None)?;
    Ok(format!(
        "{file}: ok ({} nodes, pipeline '{}')",
        built.pipeline.node_ids().count(),
        built.pipeline.name()
    ))
}

/// Prints one line per finished node on stderr when no progress bars are drawn (not a
/// terminal), and records per-node counts for the summary (also when a fail-fast run stops).
#[derive(Default)]
struct Tally {
    lines: bool,
    finished: Mutex<BTreeMap<String, NodeStats>>,
    live: Mutex<BTreeMap<String, (usize, usize, usize)>>,
}

impl Observer for Tally {
    fn on_node_end(&self, node: &str, stats: &NodeStats) {
        if self.lines && stats.kind == NodeKind::Function {
            eprintln!(
                "  {node}: {} computed, {} cached, {} failed",
                stats.computed, stats.cached, stats.failed
            );
        }
        if let Ok(mut f) = self.finished.lock() {
            f.insert(node.to_string(), stats.clone());
        }
    }
    fn on_packet_end(&self, node: &str, _row: usize, outcome: PacketOutcome) {
        if let Ok(mut l) = self.live.lock() {
            let e = l.entry(node.to_string()).or_default();
            match outcome {
                PacketOutcome::Computed => e.0 += 1,
                PacketOutcome::Cached => e.1 += 1,
                PacketOutcome::Dropped => {}
            }
        }
    }
    fn on_packet_crash(&self, node: &str, _error: &orcapod_executor::PacketError) {
        if let Ok(mut l) = self.live.lock() {
            l.entry(node.to_string()).or_default().2 += 1;
        }
    }
}

impl Tally {
    /// Summary table: every node, finished or not.
    fn table(&self, pipeline: &Pipeline) -> String {
        let finished = self.finished.lock().map(|f| f.clone()).unwrap_or_default();
        let live = self.live.lock().map(|l| l.clone()).unwrap_or_default();
        let mut out = format!(
            "{:<28} {:<9} {:>9} {:>7} {:>7} {:>9}\n",
            "node", "kind", "computed", "cached", "failed", "rows out"
        );
        for id in pipeline.node_ids() {
            let label = pipeline.label(id).unwrap_or("?");
            let kind = pipeline.kind(id).map(|k| k.to_string()).unwrap_or_default();
            let is_function = pipeline.kind(id).is_ok_and(|k| k == NodeKind::Function);
            // Sources and operators have no packets of their own to compute or serve (unless
            // an operator replays its logged output): show only their rows.
            let counts = |c: usize, k: usize, f: usize| {
                if is_function || k > 0 {
                    (c.to_string(), k.to_string(), f.to_string())
                } else {
                    ("-".into(), "-".into(), "-".into())
                }
            };
            let line = match (finished.get(label), live.get(label)) {
                (Some(s), _) => {
                    let (c, k, f) = counts(s.computed, s.cached, s.failed);
                    format!(
                        "{label:<28} {kind:<9} {c:>9} {k:>7} {f:>7} {:>9}",
                        s.rows_out
                    )
                }
                (None, Some((c, k, f))) => {
                    format!(
                        "{label:<28} {kind:<9} {c:>9} {k:>7} {f:>7} {:>9}",
                        "stopped"
                    )
                }
                (None, None) => format!(
                    "{label:<28} {kind:<9} {:>9} {:>7} {:>7} {:>9}",
                    "-", "-", "-", "not run"
                ),
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.trim_end().to_string()
    }
}

fn observed(built: &Declared, tally: Arc<Tally>, progress: bool) -> RunConfig {
    let mut observers: Vec<Arc<dyn Observer>> = vec![tally];
    if progress {
        observers.push(Arc::new(ProgressObserver::new()));
    }
    if let Some(store) = built.pipeline.store() {
        // Status rows and failure logs, for `orcapod status` / `orcapod logs`.
        observers.push(Arc::new(StoreObserver::new(&built.pipeline, store.clone())));
    }
    built
        .config
        .clone()
        .observer(Arc::new(CompositeObserver::new(observers)))
}

/// `orcapod run FILE`
pub(crate) fn run(file: &str, store: Option<&str>) -> Result<String, CliError> {
    let pf = load(file)?;
    let built = build(&pf, store)?;
    let tally = Arc::new(Tally {
        lines: !std::io::stderr().is_terminal(),
        ..Tally::default()
    });
    eprintln!("running pipeline '{}' from {file}", built.pipeline.name());
    let result = built.pipeline.run(&observed(&built, tally.clone(), true));
    if let Some(store) = built.pipeline.store() {
        store.flush()?;
    }
    let table = tally.table(&built.pipeline);
    match result {
        Ok(report) => {
            let mut out = table;
            let functions = report.nodes.iter().filter(|s| s.kind == NodeKind::Function);
            let (computed, cached, failed) = functions.fold((0, 0, 0), |(c, k, f), s| {
                (c + s.computed, k + s.cached, f + s.failed)
            });
            let _ = write!(
                out,
                "\n=> function packets: {computed} computed, {cached} cached, {failed} failed ({:.1?})",
                report.elapsed
            );
            for (node, e) in report.errors.iter().take(10) {
                let _ = write!(out, "\n   failed in {node}: {e}");
            }
            if report.errors.len() > 10 {
                let _ = write!(out, "\n   … {} more failures", report.errors.len() - 10);
            }
            if failed > 0 && pf.decl().run.error_policy == ErrorPolicy::FailFast {
                return Err(CliError::RunFailed(out));
            }
            Ok(out)
        }
        Err(e) => Err(CliError::RunFailed(format!("{table}\n=> run stopped: {e}"))),
    }
}

/// `orcapod plan FILE`
pub(crate) fn plan(file: &str, store: Option<&str>) -> Result<String, CliError> {
    let pf = load(file)?;
    let built = build(&pf, store)?;
    let nodes = super::plan::plan(&built.pipeline)?;
    Ok(super::plan::render(&built.pipeline, &nodes))
}

/// `orcapod show FILE NODE [--out PATH] [--limit N] [--all-columns]`: runs the pipeline
/// (served from the store where possible) and prints or writes one node's rows.
pub(crate) fn show(
    file: &str,
    node: &str,
    out: Option<&str>,
    limit: usize,
    all: bool,
    store: Option<&str>,
) -> Result<String, CliError> {
    let pf = load(file)?;
    let built = build(&pf, store)?;
    let id = built.pipeline.node(node)?;
    let report = built
        .pipeline
        .run(&observed(&built, Arc::new(Tally::default()), false))?;
    if let Some(store) = built.pipeline.store() {
        store.flush()?;
    }
    let label = built.pipeline.label(id)?;
    let stream = report
        .output(label)
        .ok_or_else(|| CliError::Usage(format!("node '{label}' produced no output")))?
        .sort_by_tags()?;
    let cfg = if all {
        ColumnConfig::all()
    } else {
        ColumnConfig::default()
    };
    let table = stream.as_table(&cfg)?;
    match out {
        None => Ok(crate::inspect::format_table(&table, limit)),
        Some(path) => {
            write_table(&table, Path::new(path))?;
            Ok(format!(
                "wrote {} rows of '{label}' to {path}",
                table.num_rows()
            ))
        }
    }
}

/// Write a table as CSV, Parquet or Arrow IPC (file format), by extension.
pub fn write_table(table: &RecordBatch, path: &Path) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Usage(format!("cannot write '{}': {e}", path.display()));
    let fail = |e: String| CliError::Usage(format!("cannot write '{}': {e}", path.display()));
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let file = || std::fs::File::create(path).map_err(io);
    match ext.as_deref() {
        Some("csv") => {
            let mut w = arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(file()?);
            w.write(table).map_err(|e| fail(e.to_string()))
        }
        Some("parquet" | "pq") => {
            let mut w = parquet::arrow::ArrowWriter::try_new(file()?, table.schema(), None)
                .map_err(|e| fail(e.to_string()))?;
            w.write(table).map_err(|e| fail(e.to_string()))?;
            w.close().map(|_| ()).map_err(|e| fail(e.to_string()))
        }
        Some("arrow" | "ipc" | "feather") => {
            let mut w = arrow_ipc::writer::FileWriter::try_new(file()?, &table.schema())
                .map_err(|e| fail(e.to_string()))?;
            w.write(table).map_err(|e| fail(e.to_string()))?;
            w.finish().map_err(|e| fail(e.to_string()))
        }
        _ => Err(CliError::Usage(format!(
            "--out '{}': use a .csv, .parquet or .arrow file name",
            path.display()
        ))),
    }
}

/// `orcapod graph FILE.toml [--svg]`
pub(crate) fn graph(file: &str, svg: bool) -> Result<String, CliError> {
    let pf = load(file)?;
    // Structure only: no store is opened.
    let built = pf.build_with_store(None)?;
    let dot = built.pipeline.to_dot(None);
    if svg {
        Ok(orcapod_node::render_svg(&dot)?)
    } else {
        Ok(dot)
    }
}

/// `orcapod export PIPELINE.json [--out FILE.toml]`
pub(crate) fn export_json(file: &str, out: Option<&str>) -> Result<String, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read '{file}': {e}")))?;
    let decl = export::decl_from_json(&text)?;
    match out {
        None => Ok(decl.to_toml(None).trim_end().to_string()),
        Some(path) => {
            let base = Path::new(path)
                .parent()
                .map(|b| std::path::absolute(b).unwrap_or_else(|_| PathBuf::from(b)));
            std::fs::write(path, decl.to_toml(base.as_deref()))
                .map_err(|e| CliError::Usage(format!("cannot write '{path}': {e}")))?;
            Ok(format!("wrote {path}"))
        }
    }
}
