//! Runs the layering check on the real workspace, so `cargo test --workspace` enforces it.

#[test]
fn workspace_layering_has_no_violations() {
    let root = xtask::project_root();
    let graph = xtask::deps::load_graph(&root).expect("cargo metadata");
    assert!(
        graph.members.iter().any(|name| name == "orcapod-hash"),
        "{:?}",
        graph.members
    );
    let violations = xtask::deps::check(&graph);
    let rendered: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        rendered.is_empty(),
        "layering violations:\n{}",
        rendered.join("\n")
    );
}
