//! Pipelines built in code as pipeline files: `Pipeline::save` (JSON) carries command specs,
//! `orcapod export` / `export::save_toml` write the TOML, and `orcapod run` accepts both with
//! the same identities (so the cache is shared).

use std::path::Path;
use std::process::Command;

use orcapod::pipeline_file::{PipelineFile, PipelineFileError, export};
use orcapod::prelude::*;

fn orcapod(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orcapod"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A pipeline with a CSV source, a filter, a join and a command function.
fn build(dir: &Path) -> Pipeline {
    std::fs::write(dir.join("x.csv"), "id,x\n1,2\n2,5\n3,-1\n").unwrap();
    std::fs::write(dir.join("y.csv"), "id,w\n1,10\n2,20\n3,30\n").unwrap();
    let xs = Source::from_file(
        dir.join("x.csv"),
        SourceOptions::new(["id"]).source_id("xs"),
    )
    .unwrap();
    let ys = Source::from_file(
        dir.join("y.csv"),
        SourceOptions::new(["id"]).source_id("ys"),
    )
    .unwrap();
    let double = CommandPacketFunction::builder("double", "sh")
        .args([
            "-c",
            r#"echo "{\"y\": $(($1 * 2 + $2))}""#,
            "double",
            "{x}",
            "{w}",
        ])
        .input("x", DataType::Int)
        .input("w", DataType::Int)
        .output("y", DataType::Int)
        .version("v2.1")
        .build()
        .unwrap();
    let mut p = PipelineBuilder::new("saved");
    let (xs, ys) = (p.source(xs), p.source(ys));
    let positive = p
        .operator_spec(
            orcapod::node::OperatorSpec::Filter {
                predicate: orcapod::node::PredicateSpec::Compare {
                    column: "x".into(),
                    op: ">".into(),
                    value: orcapod::node::LiteralSpec::Int(0),
                },
            },
            &[xs],
            CacheMode::Off,
        )
        .unwrap();
    p.label(positive, "positive").unwrap();
    p.function(FunctionPod::new(double), &[positive, ys])
        .unwrap();
    p.build().unwrap()
}

#[test]
fn saved_json_runs_and_exports_with_the_same_identities() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = build(dir.path());
    let json = dir.path().join("saved.json");
    pipeline.save(&json).unwrap();
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();

    // The JSON pipeline runs from the CLI: the command rebuilt from its saved spec.
    let (ok, out, err) = orcapod(&["run", json.to_str().unwrap(), "--store", store]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("function packets: 2 computed, 0 cached"),
        "{out}"
    );

    // Exported as TOML, it is the same pipeline: every packet is a cache hit.
    let toml = dir.path().join("saved.toml");
    let (ok, out, err) = orcapod(&[
        "export",
        json.to_str().unwrap(),
        "--out",
        toml.to_str().unwrap(),
    ]);
    assert!(ok, "{out}\n{err}");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(
        text.contains("file = \"x.csv\""),
        "paths relative to the file:\n{text}"
    );
    assert!(text.contains("type = \"filter\""), "{text}");
    let (ok, out, err) = orcapod(&["run", toml.to_str().unwrap(), "--store", store]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("function packets: 0 computed, 2 cached"),
        "{out}"
    );

    // Same node identities (labels of file sources become their file stems).
    let reread = PipelineFile::load(&toml)
        .unwrap()
        .build_with_store(None)
        .unwrap();
    let identities = |p: &Pipeline| {
        let mut ids: Vec<(String, String)> = p
            .node_ids()
            .map(|id| {
                (
                    p.content_hash(id).unwrap().to_string(),
                    p.pipeline_hash(id).unwrap().to_string(),
                )
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(identities(&reread.pipeline), identities(&pipeline));
    for label in ["xs", "ys", "positive", "double"] {
        assert!(
            reread.pipeline.node(label).is_ok(),
            "{label} missing:\n{text}"
        );
    }

    // save_toml from code gives the same file.
    let from_code = dir.path().join("from_code.toml");
    export::save_toml(&pipeline, &from_code).unwrap();
    assert_eq!(std::fs::read_to_string(&from_code).unwrap(), text);
}

#[test]
fn saved_json_loads_without_a_registry_for_command_functions() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = build(dir.path());
    let json = dir.path().join("saved.json");
    pipeline.save(&json).unwrap();
    let loaded = Pipeline::load(
        &json,
        &orcapod::node::Registry::new(),
        orcapod::node::LoadMode::Full,
        None,
    )
    .unwrap();
    let report = loaded.run(&RunConfig::new()).unwrap();
    let out = report.output("double").unwrap().sort_by_tags().unwrap();
    let ys: Vec<String> = out
        .iter_rows()
        .map(|r| r.unwrap().1.get("y").unwrap().unwrap().to_string())
        .collect();
    assert_eq!(ys, ["14", "30"]);
}

#[test]
fn pipelines_with_rust_functions_or_in_memory_sources_are_not_declarative() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), "id,x\n1,2\n").unwrap();
    let file = Source::from_file(dir.path().join("s.csv"), SourceOptions::new(["id"])).unwrap();
    let f = FunctionBuilder::new("inc")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x + 1);
    let mut p = PipelineBuilder::new("rust");
    let s = p.source(file);
    p.function(FunctionPod::new(f), &[s]).unwrap();
    let err = export::decl_from_pipeline(&p.build().unwrap()).unwrap_err();
    assert!(matches!(err, PipelineFileError::NotDeclarative(_)));
    assert!(
        err.to_string().contains("function 'inc' is Rust code"),
        "{err}"
    );

    let rows = Source::from_rows(
        rows![{"id" => 1, "x" => 2}],
        SourceOptions::new(["id"]).source_id("mem"),
    )
    .unwrap();
    let mut p = PipelineBuilder::new("rows");
    p.source(rows);
    let err = export::decl_from_pipeline(&p.build().unwrap()).unwrap_err();
    assert!(err.to_string().contains("holds in-memory rows"), "{err}");
}
