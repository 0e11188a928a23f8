//! Reading a pipeline file into declarations: the top level, the store, sources and command
//! functions (operators are in `parse_ops.rs`, the run section in `parse_run.rs`).
//!
//! Nothing here stops at the first problem: a node with a mistake is kept with `kind: None`,
//! so references to it are not reported as unknown labels and its dependents are skipped
//! quietly (their root cause is already reported).

use std::ops::Range;
use std::path::{Path, PathBuf};

use orcapod_cache::{StoreConfig, StoreOptions};
use orcapod_executor::CommandPacketFunction;
use toml::de::DeTable;

use super::diag::Diags;
use super::model::{
    ColumnDecl, FORMAT_NAME, FORMAT_VERSION, FunctionDecl, NodeKindDecl, OriginDecl, RunDecl,
    SourceDecl, StoreDecl, parse_column_type,
};
use super::tree::{self, Val};

/// A node as read: its header, and its declaration when that had no mistakes.
#[derive(Clone, Debug)]
pub(crate) struct RawNode {
    pub label: String,
    pub label_span: Range<usize>,
    pub from: Vec<(String, Range<usize>)>,
    pub kind: Option<NodeKindDecl>,
}

/// The file as read.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub name: String,
    pub version: u32,
    pub store: StoreDecl,
    pub store_span: Range<usize>,
    pub run: RunDecl,
    pub nodes: Vec<RawNode>,
}

const TOP_KEYS: &[&str] = &[
    "format",
    "version",
    "name",
    "store",
    "run",
    "sources",
    "operators",
    "functions",
];

/// Read `text` (the file at `path`; relative paths are resolved against `base`).
pub(crate) fn parse(text: &str, base: &Path, diags: &mut Diags) -> Parsed {
    let (root, errors) = DeTable::parse_recoverable(text);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        diags.at(span, format!("TOML syntax: {}", e.message().trim()));
    }
    let root = root.get_ref();
    tree::check_keys(root, TOP_KEYS, "the top level", diags);

    match tree::get(root, "format") {
        None => diags.at(
            0..0,
            format!("missing key 'format' (the first line should be format = \"{FORMAT_NAME}\")"),
        ),
        Some(e) => {
            if let Some(f) = tree::string(e.value, "'format'", diags)
                && f != FORMAT_NAME
            {
                diags.at(
                    e.value.span(),
                    format!("'format' must be \"{FORMAT_NAME}\", found \"{f}\""),
                );
            }
        }
    }
    let version = match tree::get(root, "version") {
        None => {
            diags.at(
                0..0,
                format!("missing key 'version' (this build reads version {FORMAT_VERSION})"),
            );
            FORMAT_VERSION
        }
        Some(e) => match tree::integer(e.value, "'version'", diags) {
            Some(v) if v >= 1 && v <= i64::from(FORMAT_VERSION) => v as u32,
            Some(v) => {
                diags.at(
                    e.value.span(),
                    format!("format version {v} is not supported (this build reads version 1 to {FORMAT_VERSION}; a newer file needs a newer orcapod)"),
                );
                FORMAT_VERSION
            }
            None => FORMAT_VERSION,
        },
    };
    let name = match tree::get(root, "name") {
        None => {
            diags.at(
                0..0,
                "missing key 'name' (the pipeline's name; store tables are scoped by it)",
            );
            String::new()
        }
        Some(e) => match tree::string(e.value, "'name'", diags) {
            Some(n) if valid_name(&n) => n,
            Some(n) => {
                diags.at(e.value.span(), format!("pipeline name '{n}' must be non-empty words separated by '/' (letters, digits, '_', '-', '.')"));
                n
            }
            None => String::new(),
        },
    };
    let (store, store_span) = match tree::get(root, "store") {
        None => (StoreDecl::None, 0..0),
        Some(e) => (store(e.value, base, diags), e.key_span),
    };
    let run = match tree::get(root, "run") {
        None => RunDecl::default(),
        Some(e) => super::parse_run::run(e.value, base, diags),
    };

    let mut nodes = Vec::new();
    for (section, what) in [
        ("sources", "source"),
        ("operators", "operator"),
        ("functions", "function"),
    ] {
        let Some(e) = tree::get(root, section) else {
            continue;
        };
        let Some(t) = tree::table(e.value, &format!("'{section}'"), diags) else {
            continue;
        };
        for entry in tree::entries(t) {
            nodes.push(node(what, entry, base, diags));
        }
    }
    if nodes.is_empty() && diags.is_empty() {
        diags.at(
            0..0,
            "the pipeline has no nodes (add [sources.<label>] tables)",
        );
    }
    Parsed {
        name,
        version,
        store,
        store_span,
        run,
        nodes,
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        })
}

/// Labels are used on the command line and in store paths: keep them to simple words.
pub(crate) fn valid_label(l: &str) -> bool {
    l.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

fn store(v: &Val<'_>, base: &Path, diags: &mut Diags) -> StoreDecl {
    let Some(t) = tree::table(v, "'store'", diags) else {
        return StoreDecl::None;
    };
    tree::check_keys(t, &["type", "path", "sync_writes"], "[store]", diags);
    let Some(ty) = tree::get(t, "type") else {
        diags.at(
            v.span(),
            "[store] needs 'type' (\"rocksdb\", \"in_memory\" or \"none\")",
        );
        return StoreDecl::None;
    };
    let path = tree::get(t, "path");
    match tree::string(ty.value, "store 'type'", diags).as_deref() {
        Some("rocksdb") => {
            let Some(p) = path else {
                diags.at(
                    ty.key_span,
                    "a rocksdb store needs 'path' (its directory, relative to this file)",
                );
                return StoreDecl::None;
            };
            let Some(dir) = tree::string(p.value, "store 'path'", diags) else {
                return StoreDecl::None;
            };
            let mut options = StoreOptions::default();
            if let Some(s) = tree::get(t, "sync_writes") {
                options.sync_writes =
                    tree::boolean(s.value, "'sync_writes'", diags).unwrap_or(false);
            }
            StoreDecl::Store(StoreConfig::Rocksdb {
                path: resolve(base, &dir),
                options,
            })
        }
        Some(kind @ ("in_memory" | "none")) => {
            if let Some(p) = path {
                diags.at(
                    p.key_span,
                    format!("a store of type '{kind}' has no 'path'"),
                );
            }
            if kind == "none" {
                StoreDecl::None
            } else {
                StoreDecl::Store(StoreConfig::InMemory)
            }
        }
        Some(other) => {
            diags.at(
                ty.value.span(),
                format!(
                    "unknown store type '{other}' (use \"rocksdb\", \"in_memory\" or \"none\")"
                ),
            );
            StoreDecl::None
        }
        None => StoreDecl::None,
    }
}

/// For relative paths, where they were looked for (they are relative to the file, not to the
/// working directory, which surprises people).
fn looked_for(written: &str, resolved: &Path) -> String {
    if Path::new(written).is_absolute() {
        String::new()
    } else {
        format!(" (looked for {})", resolved.display())
    }
}

/// `p` relative to the pipeline file's directory (absolute paths stay as they are).
pub(crate) fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn node(what: &str, e: tree::Entry<'_, '_>, base: &Path, diags: &mut Diags) -> RawNode {
    let label = e.key.to_string();
    let mut raw = RawNode {
        label: label.clone(),
        label_span: e.key_span.clone(),
        from: Vec::new(),
        kind: None,
    };
    if !valid_label(&label) {
        diags.at(e.key_span.clone(), format!("label '{label}' must start with a letter or '_' and hold only letters, digits, '_', '-' and '.'"));
    }
    let Some(t) = tree::table(e.value, &format!("{what} '{label}'"), diags) else {
        return raw;
    };
    let before = diags.len();
    let ctx = format!("{what} '{label}'");
    if what != "source" {
        match tree::get(t, "from") {
            None => diags.at(
                e.key_span.clone(),
                format!("{ctx} needs 'from' (the label(s) of its input node(s))"),
            ),
            Some(f) => {
                if let Some(list) = tree::one_or_many(f.value, &format!("'from' of {ctx}"), diags) {
                    if list.is_empty() {
                        diags.at(f.value.span(), format!("'from' of {ctx} is empty"));
                    }
                    raw.from = list;
                }
            }
        }
    }
    let kind = match what {
        "source" => {
            source(t, &ctx, e.key_span.clone(), &label, base, diags).map(NodeKindDecl::Source)
        }
        "operator" => {
            super::parse_ops::operator(t, &ctx, e.key_span.clone(), raw.from.len(), diags)
                .map(NodeKindDecl::Operator)
        }
        _ => function(t, &ctx, e.key_span.clone(), &label, base, diags).map(NodeKindDecl::Function),
    };
    if diags.len() == before {
        raw.kind = kind;
    }
    raw
}

const SOURCE_KEYS: &[&str] = &[
    "file",
    "directory",
    "pattern",
    "extension",
    "tags",
    "source_id",
    "record_id_column",
    "cumulative",
];

fn source(
    t: &DeTable<'_>,
    ctx: &str,
    span: Range<usize>,
    label: &str,
    base: &Path,
    diags: &mut Diags,
) -> Option<SourceDecl> {
    tree::check_keys(t, SOURCE_KEYS, ctx, diags);
    let file = tree::get(t, "file");
    let dir = tree::get(t, "directory");
    let (pattern, extension) = (tree::get(t, "pattern"), tree::get(t, "extension"));
    let text = |e: Option<tree::Entry<'_, '_>>, what: &str, diags: &mut Diags| {
        e.and_then(|e| tree::string(e.value, &format!("'{what}' of {ctx}"), diags))
    };
    let (origin, path_span) = match (file, dir) {
        (Some(f), None) => {
            for e in [&pattern, &extension].into_iter().flatten() {
                diags.at(
                    e.key_span.clone(),
                    format!("'{}' of {ctx} applies to directory sources only", e.key),
                );
            }
            let p = tree::string(f.value, &format!("'file' of {ctx}"), diags)?;
            let path = resolve(base, &p);
            if orcapod_datagram::FileFormat::from_path(&path).is_err() {
                diags.at(
                    f.value.span(),
                    format!("'{p}': unknown file type (use .csv, .parquet, .arrow/.ipc/.feather)"),
                );
            } else if !path.is_file() {
                diags.at(
                    f.value.span(),
                    format!("file '{p}' does not exist{}", looked_for(&p, &path)),
                );
            }
            (OriginDecl::File(path), f.value.span())
        }
        (None, Some(d)) => {
            let p = tree::string(d.value, &format!("'directory' of {ctx}"), diags)?;
            let path = resolve(base, &p);
            if !path.is_dir() {
                diags.at(
                    d.value.span(),
                    format!("directory '{p}' does not exist{}", looked_for(&p, &path)),
                );
            }
            if let (Some(_), Some(x)) = (&pattern, &extension) {
                diags.at(
                    x.key_span.clone(),
                    format!("{ctx}: give 'pattern' or 'extension', not both"),
                );
            }
            let pattern = text(pattern, "pattern", diags);
            let extension = text(extension, "extension", diags);
            (
                OriginDecl::Directory {
                    path,
                    pattern,
                    extension,
                },
                d.value.span(),
            )
        }
        (Some(_), Some(d)) => {
            diags.at(
                d.key_span,
                format!("{ctx}: give 'file' or 'directory', not both"),
            );
            return None;
        }
        (None, None) => {
            diags.at(
                span,
                format!("{ctx} needs 'file' (CSV, Parquet or Arrow IPC) or 'directory'"),
            );
            return None;
        }
    };
    let tags = match tree::get(t, "tags") {
        Some(e) => tree::strings(e.value, &format!("'tags' of {ctx}"), diags)?
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        None if matches!(origin, OriginDecl::File(_)) => {
            diags.at(
                span,
                format!("{ctx} needs 'tags' (its tag columns, e.g. tags = [\"subject\"])"),
            );
            return None;
        }
        None => Vec::new(),
    };
    let source_id =
        text(tree::get(t, "source_id"), "source_id", diags).unwrap_or_else(|| label.to_string());
    let record_id_column = text(tree::get(t, "record_id_column"), "record_id_column", diags);
    let cumulative = tree::get(t, "cumulative")
        .and_then(|e| tree::boolean(e.value, &format!("'cumulative' of {ctx}"), diags))
        .unwrap_or(false);
    Some(SourceDecl {
        origin,
        path_span,
        tags,
        source_id,
        record_id_column,
        cumulative,
    })
}

const FUNCTION_KEYS: &[&str] = &[
    "from",
    "name",
    "program",
    "args",
    "env",
    "inputs",
    "outputs",
    "version",
    "pin_version",
    "working_dir",
];

fn function(
    t: &DeTable<'_>,
    ctx: &str,
    span: Range<usize>,
    label: &str,
    base: &Path,
    diags: &mut Diags,
) -> Option<FunctionDecl> {
    tree::check_keys(t, FUNCTION_KEYS, ctx, diags);
    let before = diags.len();
    let s = |key: &str, diags: &mut Diags| {
        tree::get(t, key).and_then(|e| tree::string(e.value, &format!("'{key}' of {ctx}"), diags))
    };
    let name = s("name", diags).unwrap_or_else(|| label.to_string());
    let program = s("program", diags);
    if tree::get(t, "program").is_none() {
        diags.at(
            span.clone(),
            format!("{ctx} needs 'program' (the executable to run)"),
        );
    }
    let args: Vec<String> = tree::get(t, "args")
        .and_then(|e| tree::strings(e.value, &format!("'args' of {ctx}"), diags))
        .map(|v| v.into_iter().map(|(a, _)| a).collect())
        .unwrap_or_default();
    let env: Vec<(String, String)> = tree::get(t, "env")
        .and_then(|e| tree::string_map(e.value, &format!("'env' of {ctx}"), diags))
        .map(|v| v.into_iter().map(|(k, _, v, _)| (k, v)).collect())
        .unwrap_or_default();
    let inputs = columns(t, "inputs", ctx, diags);
    let outputs = columns(t, "outputs", ctx, diags);
    if tree::get(t, "outputs").is_none() {
        diags.at(
            span.clone(),
            format!(
                "{ctx} needs 'outputs' (column = \"type\" pairs; the program prints them as JSON)"
            ),
        );
    }
    let version = s("version", diags);
    let pin_version = tree::get(t, "pin_version")
        .and_then(|e| tree::boolean(e.value, &format!("'pin_version' of {ctx}"), diags))
        .unwrap_or(false);
    if pin_version && version.is_none() {
        diags.at(
            span.clone(),
            format!("{ctx}: 'pin_version' needs a 'version'"),
        );
    }
    let working_dir = s("working_dir", diags).map(|d| resolve(base, &d));
    if diags.len() != before {
        return None;
    }
    let decl = FunctionDecl {
        name,
        program: program?,
        args,
        env,
        inputs,
        outputs,
        version,
        pin_version,
        working_dir,
    };
    // Build once now: unknown `{column}` templates and bad versions are found before running.
    if let Err(e) = command(&decl) {
        let at = tree::get(t, "args").map_or(span, |e| e.key_span);
        diags.at(at, format!("{ctx}: {e}"));
        return None;
    }
    Some(decl)
}

fn columns(t: &DeTable<'_>, key: &str, ctx: &str, diags: &mut Diags) -> Vec<ColumnDecl> {
    let Some(e) = tree::get(t, key) else {
        return Vec::new();
    };
    let Some(table) = tree::table(e.value, &format!("'{key}' of {ctx}"), diags) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in tree::entries(table) {
        let what = format!("type of {key}.{} of {ctx}", c.key);
        let Some(text) = tree::string(c.value, &what, diags) else {
            continue;
        };
        match parse_column_type(&text) {
            Some((dtype, nullable)) => out.push(ColumnDecl { name: c.key.to_string(), dtype, nullable, span: c.key_span }),
            None => diags.at(c.value.span(), format!("{what}: unknown type '{text}' (int, float, bool, str, bytes, path, date, datetime, list[T]; '?' for nullable)")),
        }
    }
    out
}

/// The command function a declaration describes.
pub(crate) fn command(f: &FunctionDecl) -> orcapod_executor::Result<CommandPacketFunction> {
    let mut b = CommandPacketFunction::builder(f.name.clone(), f.program.clone())
        .args(f.args.iter().cloned());
    for (k, v) in &f.env {
        b = b.env(k.clone(), v.clone());
    }
    for c in &f.inputs {
        b = if c.nullable {
            b.nullable_input(c.name.clone(), c.dtype.clone())
        } else {
            b.input(c.name.clone(), c.dtype.clone())
        };
    }
    for c in &f.outputs {
        b = if c.nullable {
            b.nullable_output(c.name.clone(), c.dtype.clone())
        } else {
            b.output(c.name.clone(), c.dtype.clone())
        };
    }
    if let Some(v) = &f.version {
        b = if f.pin_version {
            b.pin_version(v.clone())
        } else {
            b.version(v.clone())
        };
    }
    if let Some(d) = &f.working_dir {
        b = b.working_dir(d.clone());
    }
    b.build()
}
