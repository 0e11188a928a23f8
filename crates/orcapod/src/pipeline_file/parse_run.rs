//! The `[run]` section: mode, concurrency, error policy, the executor and per-node settings.

use std::path::Path;

use orcapod_executor_slurm::{RAY_OPTIONS, SLURM_OPTIONS};
use orcapod_node::{ErrorPolicy, RunMode};

use super::diag::{Diags, suggest};
use super::model::{ExecutorDecl, NodeRunDecl, RunDecl};
use super::parse::resolve;
use super::tree::{self, Val};

const RUN_KEYS: &[&str] = &[
    "mode",
    "max_concurrency",
    "channel_capacity",
    "chunk_rows",
    "error_policy",
    "executor",
    "executor_options",
    "nodes",
];

/// Options each executor type accepts (the same names as its `with_options`).
pub(crate) fn executor_option_names(e: &ExecutorDecl) -> Option<&'static [&'static str]> {
    match e {
        // The local executor accepts and ignores anything (as orcapod-python's does).
        ExecutorDecl::Local => None,
        ExecutorDecl::ThreadPool { .. } => Some(&["threads", "tasks_per_thread"]),
        ExecutorDecl::Slurm { .. } => Some(SLURM_OPTIONS),
        ExecutorDecl::Ray { .. } => Some(RAY_OPTIONS),
    }
}

pub(crate) fn run(v: &Val<'_>, base: &Path, diags: &mut Diags) -> RunDecl {
    let mut out = RunDecl::default();
    let Some(t) = tree::table(v, "'run'", diags) else {
        return out;
    };
    tree::check_keys(t, RUN_KEYS, "[run]", diags);
    if let Some(e) = tree::get(t, "mode") {
        match tree::string(e.value, "'mode' of [run]", diags).as_deref() {
            Some("sync") => out.mode = RunMode::Sync,
            Some("async") => out.mode = RunMode::Async,
            Some(other) => diags.at(
                e.value.span(),
                format!("unknown run mode '{other}' (\"sync\" or \"async\")"),
            ),
            None => {}
        }
    }
    if let Some(e) = tree::get(t, "error_policy") {
        match tree::string(e.value, "'error_policy' of [run]", diags).as_deref() {
            Some("continue") => out.error_policy = ErrorPolicy::Continue,
            Some("fail_fast") => out.error_policy = ErrorPolicy::FailFast,
            Some(other) => diags.at(
                e.value.span(),
                format!(
                    "unknown error policy '{other}' (\"continue\" or \"fail_fast\"){}",
                    suggest(other, ["continue", "fail_fast"])
                ),
            ),
            None => {}
        }
    }
    let count = |key: &str, diags: &mut Diags| {
        tree::get(t, key).and_then(|e| tree::count(e.value, &format!("'{key}' of [run]"), 1, diags))
    };
    out.max_concurrency = count("max_concurrency", diags);
    out.channel_capacity = count("channel_capacity", diags);
    out.chunk_rows = count("chunk_rows", diags);
    if let Some(e) = tree::get(t, "executor") {
        out.executor_span = e.key_span.clone();
        out.executor = executor(e.value, base, diags);
    }
    let known = executor_option_names(&out.executor);
    if let Some(e) = tree::get(t, "executor_options") {
        out.executor_options = options(e.value, "[run.executor_options]", known, diags);
    }
    if let Some(e) = tree::get(t, "nodes")
        && let Some(nodes) = tree::table(e.value, "'nodes' of [run]", diags)
    {
        for n in tree::entries(nodes) {
            let ctx = format!("[run.nodes.{}]", n.key);
            let Some(nt) = tree::table(n.value, &ctx, diags) else {
                continue;
            };
            tree::check_keys(nt, &["concurrency", "executor_options"], &ctx, diags);
            let concurrency = tree::get(nt, "concurrency")
                .and_then(|c| tree::count(c.value, &format!("'concurrency' of {ctx}"), 1, diags));
            let executor_options = tree::get(nt, "executor_options")
                .map(|o| {
                    options(
                        o.value,
                        &format!("'executor_options' of {ctx}"),
                        known,
                        diags,
                    )
                })
                .unwrap_or_default();
            out.nodes.push(NodeRunDecl {
                label: n.key.to_string(),
                span: n.key_span,
                concurrency,
                executor_options,
            });
        }
    }
    out
}

fn options(
    v: &Val<'_>,
    what: &str,
    known: Option<&[&str]>,
    diags: &mut Diags,
) -> Vec<(String, String)> {
    let Some(t) = tree::table(v, what, diags) else {
        return Vec::new();
    };
    if let Some(known) = known {
        tree::check_keys(t, known, what, diags);
    }
    tree::entries(t)
        .into_iter()
        .filter_map(|e| {
            tree::option_text(e.value, &format!("option '{}' of {what}", e.key), diags)
                .map(|s| (e.key.to_string(), s))
        })
        .collect()
}

fn executor(v: &Val<'_>, base: &Path, diags: &mut Diags) -> ExecutorDecl {
    let Some(t) = tree::table(v, "[run.executor]", diags) else {
        return ExecutorDecl::Local;
    };
    let Some(ty) = tree::get(t, "type") else {
        diags.at(
            v.span(),
            "[run.executor] needs 'type' (\"local\", \"thread_pool\", \"slurm\" or \"ray\")",
        );
        return ExecutorDecl::Local;
    };
    let s = |key: &str, diags: &mut Diags| {
        let e = tree::get(t, key);
        if e.is_none() {
            diags.at(
                ty.key_span.clone(),
                format!("[run.executor] of this type needs '{key}'"),
            );
        }
        e.and_then(|e| tree::string(e.value, &format!("'{key}' of [run.executor]"), diags))
    };
    // Everything besides the constructor's own keys is an executor option.
    let rest = |own: &[&str], known: &[&str], diags: &mut Diags| -> Vec<(String, String)> {
        let mut allowed: Vec<&str> = own.to_vec();
        allowed.extend(known.iter().filter(|k| !own.contains(k)));
        tree::check_keys(t, &allowed, "[run.executor]", diags);
        tree::entries(t)
            .into_iter()
            .filter(|e| !own.contains(&e.key))
            .filter_map(|e| {
                tree::option_text(e.value, &format!("'{}' of [run.executor]", e.key), diags)
                    .map(|s| (e.key.to_string(), s))
            })
            .collect()
    };
    match tree::string(ty.value, "'type' of [run.executor]", diags).as_deref() {
        Some("local") => {
            tree::check_keys(t, &["type"], "[run.executor] (type 'local')", diags);
            ExecutorDecl::Local
        }
        Some("thread_pool") => {
            tree::check_keys(
                t,
                &["type", "threads"],
                "[run.executor] (type 'thread_pool')",
                diags,
            );
            let threads = tree::get(t, "threads")
                .and_then(|e| tree::count(e.value, "'threads' of [run.executor]", 1, diags))
                .unwrap_or(2);
            ExecutorDecl::ThreadPool { threads }
        }
        // With a required key missing, fall back to the local executor so that the missing key
        // is the only message (not also a failed construction).
        Some("slurm") => {
            let options = rest(&["type", "work_dir"], SLURM_OPTIONS, diags);
            match s("work_dir", diags) {
                Some(d) => ExecutorDecl::Slurm {
                    work_dir: resolve(base, &d),
                    options,
                },
                None => ExecutorDecl::Local,
            }
        }
        Some("ray") => {
            let options = rest(&["type", "work_dir", "address"], RAY_OPTIONS, diags);
            match (s("address", diags), s("work_dir", diags)) {
                (Some(address), Some(d)) => ExecutorDecl::Ray {
                    address,
                    work_dir: resolve(base, &d),
                    options,
                },
                _ => ExecutorDecl::Local,
            }
        }
        Some(other) => {
            diags.at(
                ty.value.span(),
                format!(
                    "unknown executor type '{other}' (\"local\", \"thread_pool\", \"slurm\" or \"ray\"){}",
                    suggest(other, ["local", "thread_pool", "slurm", "ray"])
                ),
            );
            ExecutorDecl::Local
        }
        None => ExecutorDecl::Local,
    }
}
