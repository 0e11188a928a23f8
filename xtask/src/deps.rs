//! `cargo xtask deps`: the layering check over `cargo metadata`.
//!
//! The rules live in one table, [`rules::RULES`]. [`check`] is a pure function from a
//! [`DepGraph`] to the list of [`Violation`]s, so it can be unit-tested on synthetic graphs;
//! [`load_graph`] builds the real graph from two `cargo metadata` calls.

mod metadata;
pub mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

pub use metadata::load_graph;
use rules::{Dependents, Layer, rule_for};

use crate::error::{Result, XtaskError};

/// The kind of a dependency edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DepKind {
    /// `[dependencies]`.
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
}

/// A declared dependency of a workspace member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The depending workspace member.
    pub from: String,
    /// The package depended on (its package name, not a rename).
    pub to: String,
    /// Which section declares it.
    pub kind: DepKind,
}

/// What the check looks at.
#[derive(Clone, Debug, Default)]
pub struct DepGraph {
    /// Workspace members, by package name.
    pub members: Vec<String>,
    /// Every dependency declared by a member (including optional and platform-specific ones).
    pub edges: Vec<Edge>,
    /// For each member, every package it reaches through resolved normal dependencies, with one
    /// shortest path from the member (exclusive) to that package (inclusive).
    pub normal_closure: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Violation {
    /// An orcapod crate depends on one of the same or a higher layer.
    NotLower {
        /// The depending crate and its layer.
        from: (String, Layer),
        /// The dependency and its layer.
        to: (String, Layer),
        /// The edge kind.
        kind: DepKind,
    },
    /// A crate depends on one that restricts its dependents (tools, `orcapod-executor-*`).
    RestrictedDependent {
        /// The depending crate.
        from: String,
        /// The restricted dependency.
        to: String,
        /// The edge kind.
        kind: DepKind,
        /// Who may depend on `to`.
        allowed: &'static [&'static str],
    },
    /// A crate reaches a third-party package its row forbids.
    ForbiddenPackage {
        /// The crate.
        krate: String,
        /// The forbidden group's label.
        label: &'static str,
        /// The path from the crate to the forbidden package (the last element).
        path: Vec<String>,
        /// How the first hop is declared.
        kind: DepKind,
    },
    /// A workspace member or `orcapod*` dependency that no row of the table matches.
    UnknownCrate {
        /// The package name.
        name: String,
        /// Where it was seen.
        seen_as: String,
    },
}

fn kind_suffix(kind: DepKind) -> &'static str {
    match kind {
        DepKind::Normal => "",
        DepKind::Build => " (build-dependency)",
        DepKind::Dev => " (dev-dependency)",
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotLower { from, to, kind } => {
                let what = if from.1 == to.1 {
                    "same-layer"
                } else {
                    "upward"
                };
                write!(
                    f,
                    "{} (layer {}) depends on {} (layer {}){}: forbidden {what} edge",
                    from.0,
                    from.1,
                    to.0,
                    to.1,
                    kind_suffix(*kind)
                )
            }
            Violation::RestrictedDependent {
                from,
                to,
                kind,
                allowed,
            } => {
                let allowed = match allowed {
                    [] => "nothing".to_owned(),
                    names => format!("only {} (and tools)", names.join(", ")),
                };
                write!(
                    f,
                    "{from} depends on {to}{}: {allowed} may depend on {to}",
                    kind_suffix(*kind)
                )
            }
            Violation::ForbiddenPackage {
                krate,
                label,
                path,
                kind,
            } => {
                let target = path.last().map(String::as_str).unwrap_or("?");
                write!(f, "{krate} depends on {target}{}", kind_suffix(*kind))?;
                if path.len() > 1 {
                    write!(f, " via {}", path[..path.len() - 1].join(" -> "))?;
                }
                write!(f, ": {krate} must not depend on {label}")
            }
            Violation::UnknownCrate { name, seen_as } => write!(
                f,
                "{name} ({seen_as}) is not in the layering table: add a row to RULES in xtask/src/deps/rules.rs"
            ),
        }
    }
}

/// Checks `graph` against [`rules::RULES`]; returns every violation, sorted and deduplicated.
pub fn check(graph: &DepGraph) -> Vec<Violation> {
    let mut violations = Vec::new();
    for member in &graph.members {
        if rule_for(member).is_none() {
            violations.push(Violation::UnknownCrate {
                name: member.clone(),
                seen_as: "workspace member".to_owned(),
            });
        }
    }
    for edge in &graph.edges {
        let Some(from_rule) = rule_for(&edge.from) else {
            continue;
        };
        let to_rule = match rule_for(&edge.to) {
            Some(rule) => rule,
            None if rules::is_orcapod_name(&edge.to) => {
                violations.push(Violation::UnknownCrate {
                    name: edge.to.clone(),
                    seen_as: format!("dependency of {}", edge.from),
                });
                continue;
            }
            None => {
                check_forbidden_direct(edge, from_rule, &mut violations);
                continue;
            }
        };
        let from_is_tool = from_rule.layer == Layer::Tool;
        if let Dependents::Only(allowed) = to_rule.dependents
            && !(from_is_tool && to_rule.layer != Layer::Tool)
            && !allowed.contains(&edge.from.as_str())
        {
            violations.push(Violation::RestrictedDependent {
                from: edge.from.clone(),
                to: edge.to.clone(),
                kind: edge.kind,
                allowed,
            });
            continue;
        }
        if !from_is_tool && to_rule.layer >= from_rule.layer {
            violations.push(Violation::NotLower {
                from: (edge.from.clone(), from_rule.layer),
                to: (edge.to.clone(), to_rule.layer),
                kind: edge.kind,
            });
        }
    }
    for (member, closure) in &graph.normal_closure {
        let Some(rule) = rule_for(member) else {
            continue;
        };
        for forbid in rule.forbid {
            for (package, path) in closure {
                if forbid.names.iter().any(|name| name.matches(package)) {
                    violations.push(Violation::ForbiddenPackage {
                        krate: member.clone(),
                        label: forbid.label,
                        path: path.clone(),
                        kind: DepKind::Normal,
                    });
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// Direct dev/build edges to forbidden packages (normal edges are covered by the closure).
fn check_forbidden_direct(edge: &Edge, rule: &rules::CrateRule, out: &mut Vec<Violation>) {
    if edge.kind == DepKind::Normal {
        return;
    }
    for forbid in rule.forbid {
        if forbid.names.iter().any(|name| name.matches(&edge.to)) {
            out.push(Violation::ForbiddenPackage {
                krate: edge.from.clone(),
                label: forbid.label,
                path: vec![edge.to.clone()],
                kind: edge.kind,
            });
        }
    }
}

/// Renders the crates/layers/edges table printed by `cargo xtask deps`.
pub fn render_table(graph: &DepGraph) -> String {
    let mut members: Vec<&String> = graph.members.iter().collect();
    members.sort_by_key(|name| (rule_for(name).map(|rule| rule.layer), name.as_str()));
    let mut out = format!(
        "{:<26} {:>5}  {:<30} orcapod dependencies\n",
        "crate", "layer", "role"
    );
    for member in members {
        let (layer, role) = match rule_for(member) {
            Some(rule) => (rule.layer.to_string(), rule.role),
            None => ("?".to_owned(), "NOT IN TABLE"),
        };
        let mut deps: Vec<String> = graph
            .edges
            .iter()
            .filter(|edge| &edge.from == member && rules::is_orcapod_name(&edge.to))
            .map(|edge| match edge.kind {
                DepKind::Normal => edge.to.clone(),
                DepKind::Build => format!("{} (build)", edge.to),
                DepKind::Dev => format!("{} (dev)", edge.to),
            })
            .collect();
        deps.sort();
        deps.dedup();
        let deps = if deps.is_empty() {
            "-".to_owned()
        } else {
            deps.join(", ")
        };
        out.push_str(&format!("{member:<26} {layer:>5}  {role:<30} {deps}\n"));
    }
    out
}

/// `cargo xtask deps`: prints the table, then every violation; errors if there are any.
pub fn run(root: &Path) -> Result<()> {
    let graph = load_graph(root)?;
    print!("{}", render_table(&graph));
    let violations = check(&graph);
    if violations.is_empty() {
        let n_edges = graph
            .edges
            .iter()
            .filter(|edge| rules::is_orcapod_name(&edge.to))
            .count();
        let n_reached: usize = graph.normal_closure.values().map(BTreeMap::len).sum();
        println!(
            "\nlayering OK: {} crates, {n_edges} internal edges; forbidden-package rules hold over \
             {n_reached} (crate, resolved normal dependency) pairs",
            graph.members.len()
        );
        return Ok(());
    }
    eprintln!("\n{} layering violation(s):", violations.len());
    for violation in &violations {
        eprintln!("  {violation}");
    }
    Err(XtaskError::LayeringViolations(violations.len()))
}
