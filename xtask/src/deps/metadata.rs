//! Builds a [`DepGraph`] from `cargo metadata`.
//!
//! Direct edges come from `cargo metadata --no-deps` (every declared dependency, including
//! optional and platform-specific ones); the normal-dependency closure used for the
//! forbidden-package rules comes from the resolved graph of a full `cargo metadata`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use serde_json::Value;

use super::{DepGraph, DepKind, Edge};
use crate::error::{Result, XtaskError};

/// Runs `cargo metadata` twice in `root` and builds the graph.
pub fn load_graph(root: &Path) -> Result<DepGraph> {
    let declared = cargo_metadata(root, true)?;
    let resolved = cargo_metadata(root, false)?;
    graph_from_metadata(&declared, &resolved)
}

fn cargo_metadata(root: &Path, no_deps: bool) -> Result<Value> {
    let mut args = vec!["metadata", "--format-version", "1"];
    if no_deps {
        args.push("--no-deps");
    }
    let stdout = crate::run_capture(crate::cargo_command().args(&args).current_dir(root))?;
    serde_json::from_str(&stdout).map_err(|err| XtaskError::BadOutput {
        command: format!("cargo {}", args.join(" ")),
        detail: err.to_string(),
    })
}

fn bad(detail: &str) -> XtaskError {
    XtaskError::BadOutput {
        command: "cargo metadata".to_owned(),
        detail: detail.to_owned(),
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&format!("missing string `{key}`")))
}

fn array_field<'a>(value: &'a Value, key: &str) -> Result<&'a [Value]> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| bad(&format!("missing array `{key}`")))
}

fn dep_kind(kind: &Value) -> DepKind {
    match kind.as_str() {
        Some("dev") => DepKind::Dev,
        Some("build") => DepKind::Build,
        _ => DepKind::Normal,
    }
}

/// Builds the graph from parsed `--no-deps` and full metadata documents.
pub fn graph_from_metadata(declared: &Value, resolved: &Value) -> Result<DepGraph> {
    let member_ids: Vec<&str> = array_field(declared, "workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut graph = DepGraph::default();
    for package in array_field(declared, "packages")? {
        if !member_ids.contains(&str_field(package, "id")?) {
            continue;
        }
        let name = str_field(package, "name")?.to_owned();
        for dependency in array_field(package, "dependencies")? {
            graph.edges.push(Edge {
                from: name.clone(),
                to: str_field(dependency, "name")?.to_owned(),
                kind: dep_kind(dependency.get("kind").unwrap_or(&Value::Null)),
            });
        }
        graph.members.push(name);
    }
    graph.members.sort();
    graph.edges.sort();
    graph.edges.dedup();

    let names: HashMap<&str, &str> = array_field(resolved, "packages")?
        .iter()
        .map(|package| Ok((str_field(package, "id")?, str_field(package, "name")?)))
        .collect::<Result<_>>()?;
    let resolve = resolved
        .get("resolve")
        .ok_or_else(|| bad("missing `resolve`"))?;
    let mut normal_deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in array_field(resolve, "nodes")? {
        let id = str_field(node, "id")?;
        let mut deps = Vec::new();
        for dep in array_field(node, "deps")? {
            let is_normal = array_field(dep, "dep_kinds")?
                .iter()
                .any(|kind| dep_kind(kind.get("kind").unwrap_or(&Value::Null)) == DepKind::Normal);
            if is_normal {
                deps.push(str_field(dep, "pkg")?);
            }
        }
        normal_deps.insert(id, deps);
    }
    let resolved_members: Vec<&str> = array_field(resolved, "workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for member_id in resolved_members {
        let Some(member_name) = names.get(member_id) else {
            continue;
        };
        let closure = closure_with_paths(member_id, &normal_deps, &names);
        graph
            .normal_closure
            .insert((*member_name).to_owned(), closure);
    }
    Ok(graph)
}

/// Breadth-first search from `start`: each reachable package name with one shortest path.
fn closure_with_paths(
    start: &str,
    deps: &HashMap<&str, Vec<&str>>,
    names: &HashMap<&str, &str>,
) -> BTreeMap<String, Vec<String>> {
    let mut paths: HashMap<&str, Vec<String>> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    paths.insert(start, Vec::new());
    while let Some(id) = queue.pop_front() {
        let prefix = paths[id].clone();
        for &next in deps.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            if paths.contains_key(next) {
                continue;
            }
            let mut path = prefix.clone();
            path.push(names.get(next).copied().unwrap_or(next).to_owned());
            paths.insert(next, path);
            queue.push_back(next);
        }
    }
    paths.remove(start);
    paths
        .into_values()
        .map(|path| (path.last().cloned().unwrap_or_default(), path))
        .collect()
}
