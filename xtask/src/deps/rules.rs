//! The layering rules, as one table. ARCHITECTURE.md quotes [`RULES`]; keep them in sync.

use std::fmt;

/// Where a crate sits in the layering. Lower layers know nothing about higher ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// A layer, in tenths so that `orcapod-executor-*` can sit at 4.5 (stored as 45).
    Level(u8),
    /// Workspace tools (xtask, the bench runner): may depend on anything, nothing may depend on them.
    Tool,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Level(tenths) if tenths % 10 == 0 => write!(f, "{}", tenths / 10),
            Layer::Level(tenths) => write!(f, "{}.{}", tenths / 10, tenths % 10),
            Layer::Tool => f.write_str("tool"),
        }
    }
}

/// A package-name pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// Exactly this package name.
    Exact(&'static str),
    /// Any package name starting with this prefix.
    Prefix(&'static str),
}

impl Name {
    /// Whether `package` matches this pattern.
    pub fn matches(self, package: &str) -> bool {
        match self {
            Name::Exact(name) => package == name,
            Name::Prefix(prefix) => package.starts_with(prefix),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Exact(name) => f.write_str(name),
            Name::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// A group of third-party packages a crate must not reach.
#[derive(Clone, Copy, Debug)]
pub struct Forbid {
    /// Short label for messages, e.g. "Arrow/Parquet".
    pub label: &'static str,
    /// The packages in the group.
    pub names: &'static [Name],
}

/// Who may depend on a crate (besides tools, which may depend on anything).
#[derive(Clone, Copy, Debug)]
pub enum Dependents {
    /// Any crate of a strictly higher layer.
    AnyHigher,
    /// Only these crates (each must also be of a strictly higher layer).
    Only(&'static [&'static str]),
}

/// One row of the layering table.
#[derive(Clone, Copy, Debug)]
pub struct CrateRule {
    /// Which package(s) the row is about.
    pub name: Name,
    /// Its layer.
    pub layer: Layer,
    /// One-line role, printed by `cargo xtask deps`.
    pub role: &'static str,
    /// Third-party packages it must not depend on, directly (any kind) or through normal deps.
    pub forbid: &'static [Forbid],
    /// Who may depend on it.
    pub dependents: Dependents,
}

use Dependents::{AnyHigher, Only};
use Layer::{Level, Tool};
use Name::{Exact, Prefix};

/// Arrow and Parquet, which `orcapod-channel` must never reach.
pub const ARROW: Forbid = Forbid {
    label: "Arrow/Parquet",
    names: &[Exact("arrow"), Prefix("arrow-"), Exact("parquet")],
};

/// RocksDB, which only `orcapod-cache` and higher may reach.
pub const ROCKSDB: Forbid = Forbid {
    label: "RocksDB",
    names: &[Exact("rocksdb"), Exact("librocksdb-sys")],
};

/// The layering table. A crate may depend (normal, build or dev) only on orcapod crates of a
/// strictly lower layer; `dependents` narrows who may depend on a crate; `forbid` lists
/// third-party packages it must not reach. Every workspace member and every `orcapod*`
/// dependency must match a row (exact names win over prefixes).
#[rustfmt::skip]
pub const RULES: &[CrateRule] = &[
    CrateRule { name: Exact("orcapod-hash"),      layer: Level(0),  role: "context, identity, hashing",   forbid: &[ROCKSDB],        dependents: AnyHigher },
    CrateRule { name: Exact("orcapod-datagram"),  layer: Level(10), role: "data model over Arrow",        forbid: &[ROCKSDB],        dependents: AnyHigher },
    CrateRule { name: Exact("orcapod-channel"),   layer: Level(20), role: "channels (no Arrow)",          forbid: &[ARROW, ROCKSDB], dependents: AnyHigher },
    CrateRule { name: Exact("orcapod-operator"),  layer: Level(30), role: "structural operators",         forbid: &[ROCKSDB],        dependents: AnyHigher },
    CrateRule { name: Exact("orcapod-executor"),  layer: Level(40), role: "function pods, executors",     forbid: &[ROCKSDB],        dependents: AnyHigher },
    CrateRule { name: Prefix("orcapod-executor-"), layer: Level(45), role: "third-party-style executors", forbid: &[ROCKSDB],        dependents: Only(&["orcapod-node", "orcapod"]) },
    CrateRule { name: Exact("orcapod-cache"),     layer: Level(50), role: "result caches, stores",        forbid: &[],               dependents: AnyHigher },
    CrateRule { name: Exact("orcapod-node"),      layer: Level(60), role: "nodes, pipelines",             forbid: &[],               dependents: AnyHigher },
    CrateRule { name: Exact("orcapod"),           layer: Level(70), role: "facade and CLI",               forbid: &[],               dependents: AnyHigher },
    CrateRule { name: Exact("xtask"),             layer: Tool,      role: "workspace automation",         forbid: &[],               dependents: Only(&[]) },
    CrateRule { name: Exact("orcapod-bench"),     layer: Tool,      role: "release scenario runner",      forbid: &[],               dependents: Only(&[]) },
];

/// The row for `package`, if any. Exact names win over prefixes.
pub fn rule_for(package: &str) -> Option<&'static CrateRule> {
    let exact = RULES
        .iter()
        .find(|rule| matches!(rule.name, Exact(name) if name == package));
    exact.or_else(|| RULES.iter().find(|rule| rule.name.matches(package)))
}

/// Whether `package` looks like one of ours (and so must be in [`RULES`]).
pub fn is_orcapod_name(package: &str) -> bool {
    package == "orcapod" || package.starts_with("orcapod-") || package.starts_with("orcapod_")
}
