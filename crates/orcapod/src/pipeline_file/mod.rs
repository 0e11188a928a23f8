//! Declarative pipelines: a TOML file describing sources, operators, command functions, their
//! wiring by label, the store and the run configuration; `orcapod run pipeline.toml` runs it.
//! The format is specified in `docs/pipeline-format.md`.
//!
//! Reading is two-phase and never stops at the first mistake: [`PipelineFile::parse`] checks
//! syntax, keys, values, labels, wiring (cycles, unknown and duplicate labels) and that input
//! files exist; [`PipelineFile::build`] reads the sources and predicts every schema, so type
//! mismatches between a source and an operator or function are found before anything runs.
//! Both report **every** problem with its `file:line:column`.
//!
//! ```
//! use orcapod::pipeline_file::PipelineFile;
//! # let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("people.csv"), "id,age\n1,31\n2,17\n")?;
//! let text = r#"
//! format = "orcapod-pipeline"
//! version = 1
//! name = "people"
//!
//! [sources.people]
//! file = "people.csv"
//! tags = ["id"]
//!
//! [operators.adults]
//! type = "filter"
//! from = "people"
//! predicate = { column = "age", op = ">=", value = 18 }
//! "#;
//! let file = PipelineFile::parse(text, &dir.path().join("pipeline.toml"))?;
//! let built = file.build()?;
//! let report = built.pipeline.run(&built.config)?;
//! assert_eq!(report.output("adults").unwrap().num_rows(), 1);
//!
//! // Mistakes are reported together, each with its position.
//! let bad = text.replace("from = \"people\"", "from = \"peeple\"").replace("op = \">=\"", "op = \"=>\"");
//! let err = PipelineFile::parse(&bad, &dir.path().join("pipeline.toml")).unwrap_err();
//! let msg = err.to_string();
//! assert!(msg.contains("pipeline.toml:12:8: unknown label 'peeple'"), "{msg}");
//! assert!(msg.contains("pipeline.toml:13:36: the predicate of operator 'adults': unknown comparison '=>'"), "{msg}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build;
pub mod commands;
mod diag;
pub mod export;
mod model;
mod parse;
mod parse_nodes;
mod parse_ops;
mod parse_run;
mod plan;
mod tree;
mod validate;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use orcapod_cache::{Store, open_store};
use orcapod_node::{Pipeline, RunConfig};

pub use diag::Diagnostic;
pub use model::{
    ColumnDecl, ExecutorDecl, FORMAT_NAME, FORMAT_VERSION, FunctionDecl, NodeDecl, NodeKindDecl,
    NodeRunDecl, OperatorDecl, OriginDecl, PipelineDecl, RunDecl, SourceDecl, StoreDecl,
    parse_column_type,
};

use diag::Diags;
use parse::Parsed;

/// Why a pipeline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PipelineFileError {
    /// The file cannot be read.
    #[error("cannot read pipeline file '{}': {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A pipeline that cannot be written as a pipeline file (a Rust function, an in-memory
    /// source); the message names the node.
    #[error("not a declarative pipeline: {0}")]
    NotDeclarative(String),
    /// The file has problems; every one is listed with its position.
    #[error("{}", render(.diagnostics))]
    Invalid {
        /// The problems, in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

fn render(diags: &[Diagnostic]) -> String {
    let mut out = format!(
        "{} problem{} in the pipeline file:",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    );
    for d in diags {
        out.push_str(&format!("\n  {d}"));
    }
    out
}

/// A pipeline file that passed the checks of [`PipelineFile::parse`].
#[derive(Clone)]
pub struct PipelineFile {
    path: PathBuf,
    text: String,
    parsed: Parsed,
    order: Vec<usize>,
}

impl fmt::Debug for PipelineFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineFile")
            .field("path", &self.path)
            .field("name", &self.parsed.name)
            .finish()
    }
}

/// A built pipeline and the run configuration its file declares (without observers).
#[derive(Clone)]
pub struct Declared {
    /// The pipeline (with its store, if the file declares one).
    pub pipeline: Pipeline,
    /// The `[run]` section.
    pub config: RunConfig,
}

impl PipelineFile {
    /// Read and check the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<PipelineFile, PipelineFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PipelineFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Check `text` as the contents of the file at `path` (relative paths inside it are
    /// resolved against `path`'s directory). When the file has problems, the nodes without
    /// any are still built (without a store) so that type mismatches are reported together
    /// with everything else.
    pub fn parse(text: &str, path: &Path) -> Result<PipelineFile, PipelineFileError> {
        Self::parse_with_base(text, path, path.parent().unwrap_or(Path::new("")))
    }

    /// [`parse`](Self::parse), resolving relative paths against `base` instead.
    pub fn parse_with_base(
        text: &str,
        path: &Path,
        base: &Path,
    ) -> Result<PipelineFile, PipelineFileError> {
        let mut diags = Diags::default();
        let parsed = parse::parse(text, base, &mut diags);
        let order = validate::wiring(&parsed, text, &mut diags);
        if !diags.is_empty() {
            let _ = build::pipeline(&parsed, &order, None, &mut diags);
            let _ = build::run_config(&parsed, &all_labels(&parsed), &mut diags);
            return Err(PipelineFileError::Invalid {
                diagnostics: diags.finish(path, text),
            });
        }
        Ok(PipelineFile {
            path: path.to_path_buf(),
            text: text.to_string(),
            parsed,
            order,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The declarations (paths resolved, values typed).
    pub fn decl(&self) -> PipelineDecl {
        PipelineDecl {
            name: self.parsed.name.clone(),
            version: self.parsed.version,
            store: self.parsed.store.clone(),
            run: self.parsed.run.clone(),
            nodes: self
                .order
                .iter()
                .filter_map(|&i| {
                    let n = &self.parsed.nodes[i];
                    Some(NodeDecl {
                        label: n.label.clone(),
                        label_span: n.label_span.clone(),
                        from: n.from.clone(),
                        kind: n.kind.clone()?,
                    })
                })
                .collect(),
        }
    }

    /// Build the pipeline on the store the file declares (opened, and created if missing).
    pub fn build(&self) -> Result<Declared, PipelineFileError> {
        let mut diags = Diags::default();
        let store = match &self.parsed.store {
            StoreDecl::None => None,
            StoreDecl::Store(cfg) => match open_store(cfg) {
                Ok(s) => Some(s),
                Err(e) => {
                    diags.at(self.parsed.store_span.clone(), format!("[store]: {e}"));
                    None
                }
            },
        };
        self.finish_build(store, diags)
    }

    /// Build the pipeline on `store` instead of the declared one (`None`: no store).
    pub fn build_with_store(
        &self,
        store: Option<Arc<dyn Store>>,
    ) -> Result<Declared, PipelineFileError> {
        self.finish_build(store, Diags::default())
    }

    fn finish_build(
        &self,
        store: Option<Arc<dyn Store>>,
        mut diags: Diags,
    ) -> Result<Declared, PipelineFileError> {
        let pipeline = build::pipeline(&self.parsed, &self.order, store, &mut diags);
        let config = build::run_config(&self.parsed, &all_labels(&self.parsed), &mut diags);
        match pipeline {
            Some(pipeline) if diags.is_empty() => Ok(Declared { pipeline, config }),
            _ => Err(PipelineFileError::Invalid {
                diagnostics: diags.finish(&self.path, &self.text),
            }),
        }
    }
}

/// Every label a node can have: declared ones and the implicit joins of multi-input functions.
fn all_labels(parsed: &Parsed) -> Vec<String> {
    let mut labels: Vec<String> = parsed.nodes.iter().map(|n| n.label.clone()).collect();
    for n in &parsed.nodes {
        if n.from.len() > 1 && matches!(n.kind, Some(NodeKindDecl::Function(_))) {
            labels.push(format!("{}_inputs", n.label));
        }
    }
    labels
}
