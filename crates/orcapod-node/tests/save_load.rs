//! Save and load: structure, identities, registry, read-only loads and version checks.

use orcapod_cache::{StoreConfig, open_store};
use orcapod_datagram::{ColumnConfig, Source, SourceOptions};
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
use orcapod_node::{
    CacheMode, LoadMode, NodeError, OperatorSpec, Pipeline, PipelineBuilder, PredicateSpec,
    Registry, RunConfig,
};

fn score() -> FunctionPod<RustFunction> {
    FunctionPod::new(
        FunctionBuilder::new("score")
            .input::<i64>("age")
            .input::<f64>("weight")
            .output::<f64>("score")
            .build(|age: i64, weight: f64| weight / age as f64),
    )
}

fn build(dir: &std::path::Path) -> Pipeline {
    std::fs::write(
        dir.join("animals.csv"),
        "id,age,weight\na,10,2.5\nb,20,3.0\nc,30,9.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("groups.csv"), "id,group\na,x\nb,y\nc,x\n").unwrap();
    let store = open_store(&StoreConfig::Rocksdb {
        path: dir.join("store"),
        options: Default::default(),
    })
    .unwrap();
    let mut p = PipelineBuilder::new("saved").store(store);
    let animals = p.source(
        Source::from_file(
            dir.join("animals.csv"),
            SourceOptions::new(["id"]).source_id("animals"),
        )
        .unwrap(),
    );
    let groups = p.source(
        Source::from_file(
            dir.join("groups.csv"),
            SourceOptions::new(["id"]).source_id("groups"),
        )
        .unwrap(),
    );
    let joined = p
        .operator_spec(OperatorSpec::Join, &[animals, groups], CacheMode::Off)
        .unwrap();
    let filter = PredicateSpec::Compare {
        column: "age".into(),
        op: ">=".into(),
        value: orcapod_node::LiteralSpec::Int(20),
    };
    let old = p
        .operator_spec(
            OperatorSpec::Filter { predicate: filter },
            &[joined],
            CacheMode::Off,
        )
        .unwrap();
    let scored = p.function(score(), &[old]).unwrap();
    p.label(scored, "scored").unwrap();
    p.build().unwrap()
}

fn rows(p: &Pipeline, label: &str) -> Vec<String> {
    let report = p.run(&RunConfig::new()).unwrap();
    let table = report
        .output(label)
        .unwrap()
        .as_table(&ColumnConfig::default().sorted())
        .unwrap();
    (0..table.num_rows())
        .map(|i| {
            (0..table.num_columns())
                .map(|c| {
                    orcapod_datagram::Value::from_array(table.column(c).as_ref(), i)
                        .unwrap()
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[test]
fn saved_pipelines_reload_with_the_same_identities_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let original = build(dir.path());
    let expected = rows(&original, "scored");
    assert_eq!(expected.len(), 2);
    let file = dir.path().join("pipeline.json");
    original.save(&file).unwrap();
    let json = std::fs::read_to_string(&file).unwrap();
    assert!(
        json.contains("\"format\": \"orcapod-rs-pipeline\"")
            && json.contains("\"type\": \"filter\""),
        "{json}"
    );
    drop(original);

    let loaded = Pipeline::load(
        &file,
        &Registry::new().function(score()),
        LoadMode::Full,
        None,
    )
    .unwrap();
    let id = loaded.node("scored").unwrap();
    assert_eq!(loaded.kind(id).unwrap(), orcapod_node::NodeKind::Function);
    let report = loaded.run(&RunConfig::new()).unwrap();
    assert_eq!(
        report.stats("scored").unwrap().cached,
        2,
        "a reloaded pipeline reuses its stored results"
    );
    assert_eq!(report.stats("scored").unwrap().computed, 0);
    assert_eq!(rows(&loaded, "scored"), expected);
}

#[test]
fn a_missing_function_fails_clearly_or_serves_stored_results_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let original = build(dir.path());
    let expected = rows(&original, "scored");
    let file = dir.path().join("pipeline.json");
    original.save(&file).unwrap();
    drop(original);

    let err = Pipeline::load(&file, &Registry::new(), LoadMode::Full, None).unwrap_err();
    assert!(
        matches!(&err, NodeError::Load(m) if m.contains("score") && m.contains("not in the registry")),
        "{err}"
    );

    let read_only = Pipeline::load(&file, &Registry::new(), LoadMode::ReadOnly, None).unwrap();
    assert_eq!(rows(&read_only, "scored"), expected);
}

#[test]
fn newer_or_foreign_files_are_refused() {
    let err = Pipeline::from_json(
        r#"{"format":"orcapod-rs-pipeline","version":99,"name":"x","nodes":[]}"#,
        &Registry::new(),
        LoadMode::Full,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
    let err =
        Pipeline::from_json(r#"{"nodes":[]}"#, &Registry::new(), LoadMode::Full, None).unwrap_err();
    assert!(
        err.to_string().contains("not an orcapod-rs pipeline"),
        "{err}"
    );
    let err = Pipeline::from_json("not json", &Registry::new(), LoadMode::Full, None).unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn dot_output_names_every_node_and_edge() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let report = p.run(&RunConfig::new()).unwrap();
    let dot = p.to_dot(Some(&report));
    for label in ["CSVSource_1", "CSVSource_2", "Join", "Filter", "scored"] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    assert_eq!(dot.matches("->").count(), 4);
}

#[test]
fn a_node_becomes_a_derived_source_that_cuts_the_hash_chain() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let scored = p.node("scored").unwrap();
    assert!(
        p.as_source(scored).is_err(),
        "nothing stored before the first run"
    );
    let report = p.run(&RunConfig::new()).unwrap();
    let derived = p.as_source(scored).unwrap();
    assert_eq!(
        derived.stream().num_rows(),
        report.output("scored").unwrap().num_rows()
    );
    assert_eq!(
        derived.source_id(),
        format!("derived:{}", p.content_hash(scored).unwrap())
    );
    assert_ne!(derived.content_hash(), p.content_hash(scored).unwrap());
    // The pipeline hash is the schema pair's: a fresh source with the same schema shares it.
    let (tags, packets) = derived
        .stream()
        .output_schema(&ColumnConfig::default())
        .unwrap();
    assert_eq!(
        derived.pipeline_hash(),
        &orcapod_datagram::schema_pair_hash(&tags, &packets).unwrap()
    );
}
