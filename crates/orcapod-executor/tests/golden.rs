//! Identities reproduce orcapod-python: the add_one worked example (spec §4.6, §22 case 28)
//! and the 0.1.4 `function_pod.json` fixture.

mod common;

use common::{fixture, source_a};
use orcapod_datagram::{ColumnConfig, RowSet, Source, SourceOptions, Value};
use orcapod_executor::{FunctionBuilder, FunctionPod, PYTHON_FUNCTION_TYPE_ID, PacketFunction};

const ADD_ONE_SCHEMA_HASH: &str =
    "semantic_v0.1:63bb8e773e4d244209530f6397657227fa53dd0625990a55c7f9fe898c15cad3";

fn add_one() -> orcapod_executor::RustFunction {
    FunctionBuilder::new("add_one")
        .type_id(PYTHON_FUNCTION_TYPE_ID)
        .input::<i64>("x")
        .output::<i64>("z")
        .build(|x: i64| x + 1)
}

#[test]
fn add_one_uri_and_hashes_match_python() {
    let f = add_one();
    assert_eq!(
        f.info().output_schema_hash().to_string(),
        ADD_ONE_SCHEMA_HASH
    );
    assert_eq!(
        f.uri().components(),
        ["add_one", ADD_ONE_SCHEMA_HASH, "v0", "python.function.v0"]
    );
    let pod = FunctionPod::new(f);
    assert!(
        pod.content_hash()
            .to_string()
            .starts_with("semantic_v0.1:1f63dc30"),
        "{}",
        pod.content_hash()
    );
    assert_eq!(pod.content_hash(), pod.pipeline_hash());

    let a = source_a();
    let out = pod.process(&[a]).unwrap();
    assert!(
        out.content_hash()
            .to_string()
            .starts_with("semantic_v0.1:c52877a9"),
        "{}",
        out.content_hash()
    );
    assert_eq!(
        out.pipeline_hash().to_string(),
        "semantic_v0.1:54e667b6f72f4e9f983f4b646d1f3a530f2206bb8f1d54b69525f2de0d5a6b20"
    );
    // The materialised stream carries the same identity.
    let table = out.materialize().unwrap();
    assert_eq!(table.content_hash(), out.content_hash());
    assert_eq!(table.pipeline_hash(), out.pipeline_hash());
}

#[test]
fn rust_type_id_changes_identity() {
    let py = add_one();
    let rust = py.clone().with_type_id("rust.function.v0");
    assert_eq!(rust.uri().components()[3], "rust.function.v0");
    assert_ne!(py.content_hash(), rust.content_hash());
}

#[test]
fn fixture_function_identities() {
    let fx = fixture("fixtures/orcapod-python-0.1.4/function_pod.json");
    let dpo = FunctionBuilder::new("double_plus_one")
        .type_id(PYTHON_FUNCTION_TYPE_ID)
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| 2 * x + 1);
    let sum_diff = FunctionBuilder::new("sum_diff")
        .type_id(PYTHON_FUNCTION_TYPE_ID)
        .input::<i64>("x")
        .input::<f64>("w")
        .output::<f64>("s")
        .output::<f64>("d")
        .build(|x: i64, w: f64| (x as f64 + w, x as f64 - w));
    for (f, key) in [(&dpo, "double_plus_one"), (&sum_diff, "sum_diff")] {
        let spec = &fx[key];
        let uri: Vec<String> = spec["uri"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(f.uri().to_vec(), uri, "{key}");
        assert_eq!(
            f.info().output_schema_hash().to_string(),
            spec["output_data_schema_hash"].as_str().unwrap()
        );
        let pod = FunctionPod::new(f.clone());
        assert_eq!(
            pod.content_hash().to_string(),
            spec["hashes"]["content_hash"].as_str().unwrap(),
            "{key}"
        );
        assert_eq!(
            pod.pipeline_hash().to_string(),
            spec["hashes"]["pipeline_hash"].as_str().unwrap(),
            "{key}"
        );
    }
}

#[test]
fn fixture_dpo_on_seven() {
    let fx = fixture("fixtures/orcapod-python-0.1.4/function_pod.json");
    let spec = &fx["dpo_on_seven"];
    let mut set = RowSet::new();
    for i in 0..7 {
        set.push(vec![
            ("id".into(), Value::Int(i)),
            ("x".into(), Value::Int(10 * i)),
        ]);
    }
    let seven = Source::from_rows(set, SourceOptions::new(["id"]).source_id("seven")).unwrap();
    let dpo = FunctionBuilder::new("double_plus_one")
        .type_id(PYTHON_FUNCTION_TYPE_ID)
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| 2 * x + 1);
    let out = FunctionPod::new(dpo)
        .process(&[seven.stream().clone()])
        .unwrap();
    assert_eq!(
        out.content_hash().to_string(),
        spec["hashes"]["content_hash"].as_str().unwrap()
    );
    assert_eq!(
        out.pipeline_hash().to_string(),
        spec["hashes"]["pipeline_hash"].as_str().unwrap()
    );

    let table = out.as_table(&ColumnConfig::all()).unwrap();
    let schema = table.schema();
    for f in spec["arrow_schema_all_info"].as_array().unwrap() {
        let name = f[0].as_str().unwrap();
        let field = schema
            .field_with_name(name)
            .unwrap_or_else(|_| panic!("missing column {name}"));
        let expected_type = f[1].as_str().unwrap();
        let found = match field.data_type() {
            arrow_schema::DataType::Int64 => "int64",
            arrow_schema::DataType::LargeUtf8 => "large_string",
            arrow_schema::DataType::LargeBinary => "large_binary",
            other => panic!("unexpected type {other} for {name}"),
        };
        assert_eq!(found, expected_type, "type of {name}");
        if name.starts_with("_source_") || !name.starts_with('_') {
            assert_eq!(
                field.is_nullable(),
                f[2].as_bool().unwrap(),
                "nullability of {name}"
            );
        }
    }
    let stream = out.materialize().unwrap();
    let rows = spec["rows_all_info"].as_array().unwrap();
    let hashes = stream.packet_hashes().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let (tag, packet) = stream.row(i).unwrap();
        assert_eq!(
            tag.get("id").unwrap(),
            Some(Value::Int(row["id"].as_i64().unwrap()))
        );
        assert_eq!(
            packet.get("y").unwrap(),
            Some(Value::Int(row["y"].as_i64().unwrap()))
        );
        assert_eq!(
            hashes[i].to_string(),
            row["_content_hash"].as_str().unwrap(),
            "packet hash of row {i}"
        );
        let expected = row["_source_y"].as_str().unwrap();
        let (prefix, suffix) = expected.split_once("<uuid7>").unwrap();
        let found = packet.source_info().unwrap()[0].1.to_string();
        assert!(
            found.starts_with(prefix) && found.ends_with(suffix),
            "{found}"
        );
        assert_eq!(found.len(), prefix.len() + 32 + suffix.len(), "{found}");
        let systags = tag.system_tags().unwrap();
        let expected_source = &row["_tag_source_id::52eb0af767041c72432dda0c9e996a2d35aaf46f9ce5e42beb77b24c7133d4ae"];
        assert_eq!(
            systags[0].1,
            Value::Str(expected_source.as_str().unwrap().into())
        );
    }
}

#[test]
fn case_28_source_info_format() {
    let out = FunctionPod::new(add_one())
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    let info = common::column_values(&out, "_source_z");
    let mut ids = std::collections::HashSet::new();
    for v in info {
        let Value::Str(s) = v else {
            panic!("source info is a string")
        };
        let parts: Vec<&str> = s.split("::").collect();
        assert_eq!(parts.len(), 3, "{s}");
        assert_eq!(
            parts[0],
            format!("add_one:{ADD_ONE_SCHEMA_HASH}:v0:python.function.v0")
        );
        assert_eq!(parts[2], "z");
        let id = uuid::Uuid::parse_str(parts[1]).unwrap();
        assert_eq!(id.get_version_num(), 7);
        assert!(
            parts[1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                && parts[1].len() == 32
        );
        assert!(ids.insert(parts[1].to_string()), "record ids are unique");
    }
}

#[test]
fn fixture_sum_diff_on_join_explicit_and_implicit() {
    use orcapod_operator::{Join, Operator};
    let fx = fixture("fixtures/orcapod-python-0.1.4/function_pod.json");
    let a = Source::from_rows(
        orcapod_datagram::rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}, {"id" => 3, "x" => 30}],
        SourceOptions::new(["id"]).source_id("src_a"),
    )
    .unwrap()
    .into_stream();
    let c = Source::from_rows(
        orcapod_datagram::rows![{"id" => 1, "w" => 1.5}, {"id" => 2, "w" => 2.5}, {"id" => 3, "w" => 3.5}],
        SourceOptions::new(["id"]).source_id("src_c"),
    )
    .unwrap()
    .into_stream();
    let sum_diff = FunctionBuilder::new("sum_diff")
        .type_id(PYTHON_FUNCTION_TYPE_ID)
        .input::<i64>("x")
        .input::<f64>("w")
        .output::<f64>("s")
        .output::<f64>("d")
        .build(|x: i64, w: f64| (x as f64 + w, x as f64 - w));
    let pod = FunctionPod::new(sum_diff);
    let joined = Join::new().process(&[a.clone(), c.clone()]).unwrap();
    let explicit = pod.process(&[joined]).unwrap();
    let implicit = pod.process(&[c, a]).unwrap();
    for (key, out) in [
        ("sum_diff_on_join_a_c", &explicit),
        ("dpo_two_streams_joined_implicitly", &implicit),
    ] {
        let spec = &fx[key];
        assert_eq!(
            out.content_hash().to_string(),
            spec["hashes"]["content_hash"].as_str().unwrap(),
            "{key}"
        );
        assert_eq!(
            out.pipeline_hash().to_string(),
            spec["hashes"]["pipeline_hash"].as_str().unwrap(),
            "{key}"
        );
        let stream = out.materialize().unwrap().sort_by_tags().unwrap();
        let hashes = stream.packet_hashes().unwrap();
        for (i, row) in spec["rows_all_info"].as_array().unwrap().iter().enumerate() {
            let (tag, packet) = stream.row(i).unwrap();
            assert_eq!(
                tag.get("id").unwrap(),
                Some(Value::Int(row["id"].as_i64().unwrap()))
            );
            assert_eq!(
                packet.get("s").unwrap(),
                Some(Value::Float(row["s"].as_f64().unwrap()))
            );
            assert_eq!(
                hashes[i].to_string(),
                row["_content_hash"].as_str().unwrap(),
                "{key} row {i}"
            );
        }
        let names: Vec<String> = spec["columns"]["system_tags+source"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let table = stream
            .as_table(&ColumnConfig::default().with_system_tags().with_source())
            .unwrap();
        let found: Vec<String> = table
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(found, names, "{key}");
    }
}
