//! Reading a pipeline file into declarations: the top level, the store and node headers
//! (sources and functions are in `parse_nodes.rs`, operators in `parse_ops.rs`, the run
//! section in `parse_run.rs`).
//!
//! Nothing here stops at the first problem: a node with a mistake is kept with `kind: None`,
//! so references to it are not reported as unknown labels and its dependents are skipped
//! quietly (their root cause is already reported).

use std::ops::Range;
use std::path::{Path, PathBuf};

use orcapod_cache::{StoreConfig, StoreOptions};
use toml::de::DeTable;

use super::diag::Diags;
use super::model::{FORMAT_NAME, FORMAT_VERSION, NodeKindDecl, RunDecl, StoreDecl};
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
        "source" => super::parse_nodes::source(t, &ctx, e.key_span.clone(), &label, base, diags)
            .map(NodeKindDecl::Source),
        "operator" => {
            super::parse_ops::operator(t, &ctx, e.key_span.clone(), raw.from.len(), diags)
                .map(NodeKindDecl::Operator)
        }
        _ => super::parse_nodes::function(t, &ctx, e.key_span.clone(), &label, base, diags)
            .map(NodeKindDecl::Function),
    };
    if diags.len() == before {
        raw.kind = kind;
    }
    raw
}
