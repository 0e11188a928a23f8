//! Sources reproduce orcapod-python 0.1.4's `sources.json` fixture: rows, column names, types,
//! provenance tokens, record ids and hashes.

mod common;

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{Field as ArrowField, Schema as ArrowSchema};
use common::{fixture, pyarrow_name};
use orcapod_datagram::{ColumnConfig, RowSet, Source, SourceOptions, Value};
use serde_json::Value as Json;

/// Rebuild a fixture source from its rows, the way the Python side built it.
fn build(name: &str, spec: &Json) -> Source {
    let rows = spec["rows"].as_array().unwrap();
    let tags: Vec<String> = spec["tag_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let source_id = spec["source_id"].as_str().unwrap();
    let keys: Vec<String> = spec["arrow_schema_all_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap().to_string())
        .filter(|n| !n.starts_with('_'))
        .collect();
    if name.starts_with("arrow") {
        // ArrowTableSource: an Arrow batch with the fixture's nullability, int64 columns.
        let nullable: Vec<bool> = spec["arrow_schema_all_info"].as_array().unwrap()[..keys.len()]
            .iter()
            .map(|f| f[2].as_bool().unwrap())
            .collect();
        let fields: Vec<ArrowField> = keys
            .iter()
            .zip(&nullable)
            .map(|(k, n)| ArrowField::new(k, arrow_schema::DataType::Int64, *n))
            .collect();
        let columns: Vec<ArrayRef> = keys
            .iter()
            .map(|k| {
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|r| r[k].as_i64().unwrap()),
                )) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns).unwrap();
        let mut opts = SourceOptions::new(tags);
        if name != "arrow_default" {
            opts = opts.source_id(source_id);
        }
        if name == "arrow_recid" {
            opts = opts.record_id_column("id");
        }
        return Source::from_batch(batch, opts).unwrap();
    }
    let mut set = RowSet::new();
    for r in rows {
        set.push(
            keys.iter()
                .map(|k| {
                    let v = &r[k];
                    let value = if let Some(i) = v.as_i64() {
                        Value::Int(i)
                    } else if let Some(f) = v.as_f64() {
                        Value::Float(f)
                    } else {
                        Value::Str(v.as_str().unwrap().to_string())
                    };
                    (k.clone(), value)
                })
                .collect(),
        );
    }
    Source::from_rows(set, SourceOptions::new(tags).source_id(source_id)).unwrap()
}

#[test]
fn sources_match_python_fixture() {
    let fx = fixture("fixtures/orcapod-python-0.1.4/sources.json");
    let sources = fx["sources"].as_object().unwrap();
    assert!(sources.len() >= 8, "fixture has {} sources", sources.len());
    for (name, spec) in sources {
        let src = build(name, spec);
        let stream = src.stream();
        assert_eq!(
            src.source_id(),
            spec["source_id"].as_str().unwrap(),
            "{name}: source_id"
        );
        assert_eq!(
            stream.num_rows() as u64,
            spec["num_rows"].as_u64().unwrap(),
            "{name}: rows"
        );

        // Column names per view.
        for (view, cfg) in [
            ("default", ColumnConfig::default()),
            (
                "system_tags+source",
                ColumnConfig::default().with_system_tags().with_source(),
            ),
            ("all_info", ColumnConfig::all()),
        ] {
            let table = stream.as_table(&cfg).unwrap();
            let names: Vec<String> = table
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let expected: Vec<String> = spec["columns"][view]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            assert_eq!(names, expected, "{name}: columns of view {view}");
        }

        // Arrow types and nullability of the all-info table.
        let table = stream.as_table(&ColumnConfig::all()).unwrap();
        for f in spec["arrow_schema_all_info"].as_array().unwrap() {
            let field = table
                .schema()
                .field_with_name(f[0].as_str().unwrap())
                .unwrap()
                .clone();
            assert_eq!(
                pyarrow_name(field.data_type()),
                f[1].as_str().unwrap(),
                "{name}: type of {}",
                field.name()
            );
            assert_eq!(
                field.is_nullable(),
                f[2].as_bool().unwrap(),
                "{name}: nullability of {}",
                field.name()
            );
        }

        // Every value of every row, hidden columns included.
        for (i, row) in spec["rows_all_info"].as_array().unwrap().iter().enumerate() {
            for (col, expected) in row.as_object().unwrap() {
                let array = table
                    .column_by_name(col)
                    .unwrap_or_else(|| panic!("{name}: missing column {col}"));
                let got = Value::from_array(array.as_ref(), i).unwrap();
                let got_json = match got {
                    Value::Int(v) => Json::from(v),
                    Value::Float(v) => Json::from(v),
                    Value::Str(s) => Json::from(s),
                    Value::Bytes(b) => Json::from(format!(
                        "hex:{}",
                        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                    )),
                    other => panic!("unexpected value {other:?}"),
                };
                assert_eq!(&got_json, expected, "{name}: row {i}, column {col}");
            }
        }

        // Identities: content = (kind, (tag schema, packet schema), source_id).
        assert_eq!(
            src.content_hash().to_string(),
            spec["hashes"]["content_hash"].as_str().unwrap(),
            "{name}: content hash"
        );
        assert_eq!(
            src.pipeline_hash().to_string(),
            spec["hashes"]["pipeline_hash"].as_str().unwrap(),
            "{name}: pipeline hash"
        );
        if let Some(th) = spec.get("table_hash") {
            assert_eq!(
                src.table_hash().to_string(),
                th.as_str().unwrap(),
                "{name}: table hash"
            );
        }
    }
}
