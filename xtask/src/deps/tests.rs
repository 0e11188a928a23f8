//! Unit tests of the rule function on synthetic graphs.

use std::collections::BTreeMap;

use super::{DepGraph, DepKind, Edge, Violation, check, render_table};

fn edge(from: &str, to: &str, kind: DepKind) -> Edge {
    Edge {
        from: from.to_owned(),
        to: to.to_owned(),
        kind,
    }
}

fn graph(members: &[&str], edges: &[(&str, &str, DepKind)]) -> DepGraph {
    DepGraph {
        members: members.iter().map(|name| (*name).to_owned()).collect(),
        edges: edges
            .iter()
            .map(|(from, to, kind)| edge(from, to, *kind))
            .collect(),
        normal_closure: BTreeMap::new(),
    }
}

fn messages(graph: &DepGraph) -> Vec<String> {
    check(graph).iter().map(ToString::to_string).collect()
}

const LAYERED: &[&str] = &[
    "orcapod-hash",
    "orcapod-datagram",
    "orcapod-channel",
    "orcapod-operator",
    "orcapod-executor",
    "orcapod",
    "xtask",
    "orcapod-bench",
];

#[test]
fn the_intended_layering_passes() {
    use DepKind::*;
    let g = graph(
        LAYERED,
        &[
            ("orcapod-datagram", "orcapod-hash", Normal),
            ("orcapod-datagram", "arrow-array", Normal),
            ("orcapod-operator", "orcapod-datagram", Normal),
            ("orcapod-operator", "orcapod-hash", Dev),
            ("orcapod-executor", "orcapod-operator", Normal),
            ("orcapod-executor", "orcapod-channel", Normal),
            ("orcapod", "orcapod-executor", Normal),
            ("orcapod-bench", "orcapod", Normal),
            ("xtask", "serde_json", Normal),
        ],
    );
    assert_eq!(messages(&g), Vec::<String>::new());
}

#[test]
fn upward_and_same_layer_edges_are_reported() {
    use DepKind::*;
    let g = graph(
        LAYERED,
        &[
            ("orcapod-datagram", "orcapod-operator", Normal),
            ("orcapod-hash", "orcapod-datagram", Dev),
            ("orcapod-executor", "orcapod-executor", Build),
        ],
    );
    assert_eq!(
        messages(&g),
        [
            "orcapod-datagram (layer 1) depends on orcapod-operator (layer 3): forbidden upward edge",
            "orcapod-executor (layer 4) depends on orcapod-executor (layer 4) (build-dependency): forbidden same-layer edge",
            "orcapod-hash (layer 0) depends on orcapod-datagram (layer 1) (dev-dependency): forbidden upward edge",
        ]
    );
}

#[test]
fn nothing_may_depend_on_tools() {
    let g = graph(
        LAYERED,
        &[
            ("orcapod", "orcapod-bench", DepKind::Dev),
            ("orcapod-bench", "xtask", DepKind::Normal),
        ],
    );
    let found = check(&g);
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|v| matches!(v, Violation::RestrictedDependent { .. }))
    );
    assert!(
        found[0]
            .to_string()
            .contains("nothing may depend on orcapod-bench"),
        "{}",
        found[0]
    );
}

#[test]
fn third_party_executors_sit_at_four_and_a_half() {
    use DepKind::*;
    let mut members = LAYERED.to_vec();
    members.extend([
        "orcapod-executor-slurm",
        "orcapod-executor-ray",
        "orcapod-cache",
        "orcapod-node",
    ]);
    let g = graph(
        &members,
        &[
            ("orcapod-executor-slurm", "orcapod-executor", Normal),
            ("orcapod-executor-slurm", "orcapod-channel", Normal),
            ("orcapod-node", "orcapod-executor-slurm", Normal),
            ("orcapod", "orcapod-executor-ray", Normal),
            ("orcapod-bench", "orcapod-executor-ray", Normal),
            // Violations: a sibling executor, the cache layer, and an upward edge.
            ("orcapod-executor-ray", "orcapod-executor-slurm", Normal),
            ("orcapod-cache", "orcapod-executor-slurm", Normal),
            ("orcapod-executor-ray", "orcapod-cache", Normal),
        ],
    );
    assert_eq!(
        messages(&g),
        [
            "orcapod-executor-ray (layer 4.5) depends on orcapod-cache (layer 5): forbidden upward edge",
            "orcapod-cache depends on orcapod-executor-slurm: only orcapod-node, orcapod (and tools) may depend on orcapod-executor-slurm",
            "orcapod-executor-ray depends on orcapod-executor-slurm: only orcapod-node, orcapod (and tools) may depend on orcapod-executor-slurm",
        ]
    );
}

#[test]
fn channel_must_not_reach_arrow_even_transitively() {
    let mut g = graph(
        LAYERED,
        &[("orcapod-channel", "arrow-buffer", DepKind::Dev)],
    );
    let closure = BTreeMap::from([
        ("futures".to_owned(), vec!["futures".to_owned()]),
        (
            "arrow-schema".to_owned(),
            vec!["some-helper".to_owned(), "arrow-schema".to_owned()],
        ),
    ]);
    g.normal_closure
        .insert("orcapod-channel".to_owned(), closure.clone());
    // The same closure is fine for a crate without the rule.
    g.normal_closure
        .insert("orcapod-operator".to_owned(), closure);
    assert_eq!(
        messages(&g),
        [
            "orcapod-channel depends on arrow-buffer (dev-dependency): orcapod-channel must not depend on Arrow/Parquet",
            "orcapod-channel depends on arrow-schema via some-helper: orcapod-channel must not depend on Arrow/Parquet",
        ]
    );
}

#[test]
fn rocksdb_only_from_the_cache_layer_up() {
    let mut g = graph(
        &[LAYERED, &["orcapod-cache"]].concat(),
        &[
            ("orcapod-cache", "rocksdb", DepKind::Normal),
            ("orcapod-hash", "rocksdb", DepKind::Normal),
        ],
    );
    for member in ["orcapod-cache", "orcapod-hash"] {
        let path = vec!["rocksdb".to_owned()];
        g.normal_closure.insert(
            member.to_owned(),
            BTreeMap::from([("rocksdb".to_owned(), path)]),
        );
    }
    assert_eq!(
        messages(&g),
        ["orcapod-hash depends on rocksdb: orcapod-hash must not depend on RocksDB"]
    );
}

#[test]
fn unknown_orcapod_crates_are_errors() {
    let g = graph(
        &[LAYERED, &["orcapod-frobnicate"]].concat(),
        &[
            ("orcapod", "orcapod-frobnicate", DepKind::Normal),
            ("orcapod", "orcapod-elsewhere", DepKind::Normal),
        ],
    );
    let found = messages(&g);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|m| m.contains("is not in the layering table"))
    );
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("orcapod-elsewhere (dependency of orcapod)"))
    );
}

#[test]
fn the_table_lists_every_member_with_its_layer() {
    let g = graph(
        LAYERED,
        &[("orcapod-datagram", "orcapod-hash", DepKind::Normal)],
    );
    let table = render_table(&g);
    let datagram = table
        .lines()
        .find(|line| line.starts_with("orcapod-datagram"))
        .unwrap();
    assert!(
        datagram.contains(" 1 ") && datagram.ends_with("orcapod-hash"),
        "{datagram}"
    );
    assert!(table.lines().last().unwrap().contains("tool"));
}
