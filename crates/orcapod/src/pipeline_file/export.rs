//! Pipelines built in code (or saved as JSON) as pipeline files: possible when every function
//! is declarative (a command function, whose spec the JSON save carries) and every source is
//! a file or directory.
//!
//! ```
//! use orcapod::prelude::*;
//! use orcapod::pipeline_file::{PipelineFile, export};
//! # let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("x.csv"), "id,x\n1,2\n2,5\n")?;
//! let src = Source::from_file(dir.path().join("x.csv"), SourceOptions::new(["id"]).source_id("x"))?;
//! let double = CommandPacketFunction::builder("double", "sh")
//!     .args(["-c", r#"echo "{\"y\": $(($1 * 2))}""#, "sh", "{x}"])
//!     .input("x", DataType::Int)
//!     .output("y", DataType::Int)
//!     .build()?;
//! let mut p = PipelineBuilder::new("demo");
//! let s = p.source(src);
//! p.function(FunctionPod::new(double), &[s])?;
//! let pipeline = p.build()?;
//!
//! let path = dir.path().join("demo.toml");
//! export::save_toml(&pipeline, &path)?;
//! let reread = PipelineFile::load(&path)?.build()?;
//! let id = reread.pipeline.node("double")?;
//! assert_eq!(reread.pipeline.content_hash(id)?, pipeline.content_hash(pipeline.node("double")?)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use orcapod_cache::StoreConfig;
use orcapod_datagram::DataType;
use orcapod_node::{CacheMode, OperatorSpec, Pipeline};
use serde_json::Value as J;

use super::PipelineFileError;
use super::model::{
    ColumnDecl, FunctionDecl, NodeDecl, NodeKindDecl, OperatorDecl, OriginDecl, PipelineDecl,
    RunDecl, SourceDecl, StoreDecl,
};

fn not_declarative(reason: String) -> PipelineFileError {
    PipelineFileError::NotDeclarative(reason)
}

/// The declarations of a built pipeline (run settings: the defaults).
pub fn decl_from_pipeline(pipeline: &Pipeline) -> Result<PipelineDecl, PipelineFileError> {
    let json = pipeline
        .to_json()
        .map_err(|e| not_declarative(e.to_string()))?;
    decl_from_json(&json)
}

/// Write `pipeline` as a pipeline file at `path` (paths under its directory are written
/// relative to it).
pub fn save_toml(pipeline: &Pipeline, path: &Path) -> Result<(), PipelineFileError> {
    let decl = decl_from_pipeline(pipeline)?;
    let base = path.parent().map(absolute);
    let text = decl.to_toml(base.as_deref());
    std::fs::write(path, text).map_err(|source| PipelineFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The declarations of a pipeline saved as JSON (`Pipeline::save`).
pub fn decl_from_json(text: &str) -> Result<PipelineDecl, PipelineFileError> {
    let doc: J =
        serde_json::from_str(text).map_err(|e| not_declarative(format!("not JSON: {e}")))?;
    let name = doc
        .get("name")
        .and_then(J::as_str)
        .unwrap_or("pipeline")
        .to_string();
    let store = match doc.get("store") {
        None | Some(J::Null) => StoreDecl::None,
        Some(cfg) => StoreDecl::Store(
            serde_json::from_value::<StoreConfig>(cfg.clone())
                .map_err(|e| not_declarative(format!("store: {e}")))?,
        ),
    };
    let nodes_json = doc
        .get("nodes")
        .and_then(J::as_array)
        .ok_or_else(|| not_declarative("no 'nodes' list (not a saved orcapod pipeline)".into()))?;
    let mut labels: Vec<String> = Vec::new();
    for n in nodes_json {
        let mut raw = n.get("label").and_then(J::as_str).unwrap_or("");
        // An unlabelled source is labelled by its kind (`CSVSource_1`); its source id says more.
        if let Some(s) = n.get("source") {
            let kind = s.get("kind").and_then(J::as_str).unwrap_or("");
            if !kind.is_empty() && raw.starts_with(kind) {
                raw = s.get("source_id").and_then(J::as_str).unwrap_or(raw);
            }
        }
        let label = declarable_label(raw, &labels);
        labels.push(label);
    }
    let mut nodes = Vec::new();
    for (n, label) in nodes_json.iter().zip(&labels) {
        let label = label.clone();
        let from = n
            .get("inputs")
            .and_then(J::as_array)
            .map(|ins| {
                ins.iter()
                    .filter_map(J::as_u64)
                    .filter_map(|i| labels.get(i as usize).cloned())
                    .map(|l| (l, 0..0))
                    .collect()
            })
            .unwrap_or_default();
        let kind = if let Some(s) = n.get("source") {
            NodeKindDecl::Source(source(&label, s)?)
        } else if let Some(op) = n.get("operator") {
            let spec: OperatorSpec = serde_json::from_value(op.clone())
                .map_err(|e| not_declarative(format!("operator '{label}': {e}")))?;
            let cache: CacheMode = n
                .get("cache_mode")
                .map(|c| serde_json::from_value(c.clone()).unwrap_or_default())
                .unwrap_or_default();
            NodeKindDecl::Operator(OperatorDecl {
                spec,
                cache,
                error_span: 0..0,
            })
        } else if let Some(f) = n.get("function") {
            NodeKindDecl::Function(function(&label, f)?)
        } else {
            return Err(not_declarative(format!(
                "node '{label}' has no source, operator or function"
            )));
        };
        nodes.push(NodeDecl {
            label,
            label_span: 0..0,
            from,
            kind,
        });
    }
    Ok(PipelineDecl {
        name,
        version: super::FORMAT_VERSION,
        store,
        run: RunDecl::default(),
        nodes,
    })
}

/// A pipeline-file label for a saved label: file sources are labelled with their path by
/// default, which becomes the file stem; other characters outside letters, digits, '_', '-'
/// and '.' become '_'; repeats get a numeric suffix. Labels are not part of any identity.
fn declarable_label(raw: &str, taken: &[String]) -> String {
    let base = if raw.contains('/') {
        Path::new(raw)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        raw.to_string()
    };
    let mut label: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label.insert_str(0, "node_");
    }
    let mut candidate = label.clone();
    let mut k = 2;
    while taken.contains(&candidate) {
        candidate = format!("{label}_{k}");
        k += 1;
    }
    candidate
}

fn source(label: &str, s: &J) -> Result<SourceDecl, PipelineFileError> {
    let text = |k: &str| s.get(k).and_then(J::as_str).map(str::to_string);
    let origin = s.get("origin").cloned().unwrap_or(J::Null);
    let path = |o: &J| o.get("path").and_then(J::as_str).map(PathBuf::from);
    let origin = match origin.get("type").and_then(J::as_str) {
        Some("file") => OriginDecl::File(path(&origin).unwrap_or_default()),
        Some("directory") => OriginDecl::Directory {
            path: path(&origin).unwrap_or_default(),
            pattern: origin
                .get("pattern")
                .and_then(J::as_str)
                .map(str::to_string),
            extension: origin
                .get("extension")
                .and_then(J::as_str)
                .map(str::to_string),
        },
        _ => {
            return Err(not_declarative(format!(
                "source '{label}' holds in-memory rows; only file and directory sources can be declared"
            )));
        }
    };
    Ok(SourceDecl {
        origin,
        path_span: 0..0,
        tags: s
            .get("tag_columns")
            .and_then(J::as_array)
            .map(|t| t.iter().filter_map(J::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        source_id: text("source_id").unwrap_or_else(|| label.to_string()),
        record_id_column: text("record_id_column"),
        cumulative: s.get("cumulative").and_then(J::as_bool).unwrap_or(false),
    })
}

fn function(label: &str, f: &J) -> Result<FunctionDecl, PipelineFileError> {
    let Some(spec) = f.get("command").filter(|c| !c.is_null()) else {
        return Err(not_declarative(format!(
            "function '{label}' is Rust code, not a command function; only pipelines whose functions are all command functions can be written as pipeline files"
        )));
    };
    let text = |k: &str| spec.get(k).and_then(J::as_str).map(str::to_string);
    let bad = |what: &str| {
        not_declarative(format!(
            "function '{label}': its command spec has no valid '{what}'"
        ))
    };
    let columns = |key: &str| -> Result<Vec<ColumnDecl>, PipelineFileError> {
        spec.get(key)
            .and_then(J::as_array)
            .ok_or_else(|| bad(key))?
            .iter()
            .map(|c| {
                let name = c.get("name").and_then(J::as_str).ok_or_else(|| bad(key))?;
                let dtype = dtype(c.get("type").unwrap_or(&J::Null)).ok_or_else(|| bad(key))?;
                Ok(ColumnDecl {
                    name: name.to_string(),
                    dtype,
                    nullable: c.get("nullable").and_then(J::as_bool).unwrap_or(false),
                    span: 0..0,
                })
            })
            .collect()
    };
    let env = spec
        .get("env")
        .and_then(J::as_array)
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([J::String(k), J::String(v)]) => Some((k.clone(), v.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(FunctionDecl {
        name: text("name").ok_or_else(|| bad("name"))?,
        program: text("program").ok_or_else(|| bad("program"))?,
        args: spec
            .get("args")
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        env,
        inputs: columns("inputs")?,
        outputs: columns("outputs")?,
        version: text("version"),
        pin_version: spec.get("pinned").and_then(J::as_bool).unwrap_or(false),
        working_dir: text("working_dir").map(PathBuf::from),
    })
}

/// A type as the command spec writes it (`"int"`, `{"list": …}`); structs have no
/// pipeline-file spelling.
fn dtype(v: &J) -> Option<DataType> {
    if let Some(inner) = v.get("list") {
        return Some(DataType::List(Box::new(dtype(inner)?)));
    }
    super::parse_column_type(v.as_str()?).and_then(|(t, nullable)| (!nullable).then_some(t))
}
