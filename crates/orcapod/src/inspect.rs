//! Store and pipeline inspection subcommands of the `orcapod` tool.

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use orcapod_cache::{Store, StoreConfig, TablePath, open_store};
use orcapod_node::{LoadMode, Pipeline, Registry, StoreObserver};

use crate::cli::CliError;
use crate::pipeline_file;

fn open(dir: &str) -> Result<Arc<dyn Store>, CliError> {
    if !Path::new(dir).is_dir() {
        return Err(CliError::Usage(format!("'{dir}' is not a store directory")));
    }
    Ok(open_store(&StoreConfig::Rocksdb {
        path: dir.into(),
        options: Default::default(),
    })?)
}

/// Positional arguments: everything that is not a `--flag` or the value after `--limit`/`--run`.
fn positional<'a>(args: &'a [String], n: usize, what: &str) -> Result<Vec<&'a str>, CliError> {
    let mut pos = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if ["--limit", "--run", "--out", "--store"].contains(&a.as_str()) {
            skip = true;
        } else if !a.starts_with("--") {
            pos.push(a.as_str());
        }
    }
    if pos.len() < n {
        return Err(CliError::Usage(format!("missing {what}")));
    }
    Ok(pos)
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Result<Option<&'a str>, CliError> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .map(|v| Some(v.as_str()))
            .ok_or_else(|| CliError::Usage(format!("{flag} needs a value"))),
    }
}

fn known_flags(args: &[String], known: &[&str]) -> Result<(), CliError> {
    for a in args.iter().filter(|a| a.starts_with("--")) {
        if !known.contains(&a.as_str()) {
            return Err(CliError::Usage(format!(
                "unknown option '{a}' (known: {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// `orcapod tables STORE`
pub(crate) fn tables(args: &[String]) -> Result<String, CliError> {
    known_flags(args, &[])?;
    let pos = positional(args, 1, "STORE directory")?;
    let store = open(pos[0])?;
    let mut out = String::new();
    for path in store.list_paths()? {
        let rows = store.get_all(&path)?.map_or(0, |s| s.len());
        out.push_str(&format!("{path}  ({rows} records)\n"));
    }
    if out.is_empty() {
        out.push_str("(no tables)\n");
    }
    Ok(out.trim_end().to_string())
}

/// `orcapod records STORE TABLE [--limit N]`
pub(crate) fn records(args: &[String]) -> Result<String, CliError> {
    known_flags(args, &["--limit"])?;
    let limit = match flag_value(args, "--limit")? {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| CliError::Usage(format!("--limit takes a number, got '{v}'")))?,
        None => 20,
    };
    let pos = positional(args, 2, "STORE and TABLE")?;
    let store = open(pos[0])?;
    let path = TablePath::new(pos[1].split('/'))?;
    match store.get_all(&path)? {
        None => Err(CliError::Usage(format!(
            "table '{path}' does not exist (see `orcapod tables {}`)",
            pos[0]
        ))),
        Some(set) => Ok(format_table(&set.data(), limit)),
    }
}

/// `orcapod status|logs STORE PIPELINE.json NODE [--run ID]`
pub(crate) fn status_or_logs(args: &[String], logs: bool) -> Result<String, CliError> {
    known_flags(args, &["--run"])?;
    let run = flag_value(args, "--run")?;
    let pos = positional(args, 3, "STORE, PIPELINE.json and NODE")?;
    let store = open(pos[0])?;
    let pipeline = Pipeline::load(
        Path::new(pos[1]),
        &Registry::new(),
        LoadMode::ReadOnly,
        Some(store.clone()),
    )?;
    pipeline.node(pos[2])?;
    let rows = if logs {
        StoreObserver::log_rows(store.as_ref(), &pipeline, pos[2], run)?
    } else {
        StoreObserver::status_rows(store.as_ref(), &pipeline, pos[2], run)?
    };
    Ok(match rows {
        Some(b) => format_table(&b, usize::MAX),
        None => format!(
            "no {} recorded for node '{}'",
            if logs { "logs" } else { "status rows" },
            pos[2]
        ),
    })
}

/// `orcapod run|plan|check FILE`
pub(crate) fn pipeline_command(command: &str, args: &[String]) -> Result<String, CliError> {
    let flags: &[&str] = if command == "check" {
        &[]
    } else {
        &["--store"]
    };
    known_flags(args, flags)?;
    let store = flag_value(args, "--store")?;
    let pos = positional(args, 1, "pipeline FILE")?;
    if pos.len() > 1 {
        return Err(CliError::Usage(format!("unexpected argument '{}'", pos[1])));
    }
    match command {
        "run" => pipeline_file::commands::run(pos[0], store),
        "plan" => pipeline_file::commands::plan(pos[0], store),
        _ => pipeline_file::commands::check(pos[0]),
    }
}

/// `orcapod show FILE NODE [--out PATH] [--limit N] [--all-columns]`
pub(crate) fn show(args: &[String]) -> Result<String, CliError> {
    known_flags(args, &["--out", "--limit", "--all-columns", "--store"])?;
    let store = flag_value(args, "--store")?;
    let limit = match flag_value(args, "--limit")? {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| CliError::Usage(format!("--limit takes a number, got '{v}'")))?,
        None => 50,
    };
    let out = flag_value(args, "--out")?;
    let pos = positional(args, 2, "pipeline FILE and NODE")?;
    let all = args.iter().any(|a| a == "--all-columns");
    pipeline_file::commands::show(pos[0], pos[1], out, limit, all, store)
}

/// `orcapod export PIPELINE.json [--out FILE.toml]`
pub(crate) fn export(args: &[String]) -> Result<String, CliError> {
    known_flags(args, &["--out"])?;
    let out = flag_value(args, "--out")?;
    let pos = positional(args, 1, "PIPELINE.json")?;
    pipeline_file::commands::export_json(pos[0], out)
}

/// Whether `path` names a pipeline file rather than a saved JSON pipeline.
fn is_pipeline_file(path: &str) -> bool {
    Path::new(path).extension().is_none_or(|e| e != "json")
}

/// `orcapod graph FILE [--svg]` (FILE: a pipeline file, or a saved PIPELINE.json)
pub(crate) fn graph(args: &[String]) -> Result<String, CliError> {
    known_flags(args, &["--svg"])?;
    let pos = positional(args, 1, "FILE")?;
    if is_pipeline_file(pos[0]) {
        return pipeline_file::commands::graph(pos[0], args.iter().any(|a| a == "--svg"));
    }
    let text = std::fs::read_to_string(pos[0])
        .map_err(|e| CliError::Usage(format!("cannot read '{}': {e}", pos[0])))?;
    // Render the structure only: no store is opened and no function is needed.
    let mut doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("'{}' is not JSON: {e}", pos[0])))?;
    if let Some(obj) = doc.as_object_mut() {
        obj.remove("store");
    }
    let pipeline =
        Pipeline::from_json(&doc.to_string(), &Registry::new(), LoadMode::ReadOnly, None)?;
    let dot = pipeline.to_dot(None);
    if args.iter().any(|a| a == "--svg") {
        Ok(orcapod_node::render_svg(&dot)?)
    } else {
        Ok(dot)
    }
}

/// A plain-text table of the first `limit` rows.
pub fn format_table(batch: &RecordBatch, limit: usize) -> String {
    let schema = batch.schema();
    let n = batch.num_rows().min(limit);
    let mut cells: Vec<Vec<String>> =
        vec![schema.fields().iter().map(|f| f.name().clone()).collect()];
    for r in 0..n {
        cells.push(
            batch
                .columns()
                .iter()
                .map(|c| {
                    let v = orcapod_datagram::Value::from_array(c.as_ref(), r).map(|v| match v {
                        orcapod_datagram::Value::Bytes(b) => {
                            b.iter().map(|x| format!("{x:02x}")).collect()
                        }
                        other => other.to_string(),
                    });
                    let s = v.unwrap_or_else(|e| format!("<{e}>"));
                    if s.chars().count() > 48 {
                        format!("{}…", s.chars().take(47).collect::<String>())
                    } else {
                        s
                    }
                })
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..schema.fields().len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in cells.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(
                &widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            out.push('\n');
        }
    }
    if batch.num_rows() > n {
        out.push_str(&format!("… {} more rows\n", batch.num_rows() - n));
    }
    out.trim_end().to_string()
}
