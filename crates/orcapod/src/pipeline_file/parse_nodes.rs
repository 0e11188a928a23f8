//! Source and command-function tables (the rest of the file is read in `parse.rs`).

use std::ops::Range;
use std::path::Path;

use orcapod_executor::CommandPacketFunction;
use toml::de::DeTable;

use super::diag::Diags;
use super::model::{ColumnDecl, FunctionDecl, OriginDecl, SourceDecl, parse_column_type};
use super::parse::resolve;
use super::tree;

/// For relative paths, where they were looked for (they are relative to the file, not to the
/// working directory, which surprises people).
fn looked_for(written: &str, resolved: &Path) -> String {
    if Path::new(written).is_absolute() {
        String::new()
    } else {
        format!(" (looked for {})", resolved.display())
    }
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

pub(crate) fn source(
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

pub(crate) fn function(
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
