//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use orcapod_datagram::{DataType, Field, RowSet, Source, SourceOptions, Stream, Value, rows};

/// The shared reference directory (`../shared` beside the repo, or `$ORCAPOD_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ORCAPOD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Load a fixture JSON file; panics with a clear message when it is missing.
pub fn fixture(relative: &str) -> serde_json::Value {
    let path = shared_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {} ({e}); set ORCAPOD_SHARED_DIR to the shared/ folder",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// Source A of the spec: rows `{id:1,x:10},{id:2,x:20}`, tag `id`, source id `A`.
pub fn source_a() -> Stream {
    Source::from_rows(
        rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
        SourceOptions::new(["id"]).source_id("A"),
    )
    .unwrap()
    .into_stream()
}

/// A source with `n` rows `{id: i, x: i}` (tag `id`).
pub fn int_source(n: i64) -> Stream {
    let mut set = RowSet::with_schema(vec![
        Field::new("id", DataType::Int),
        Field::new("x", DataType::Int),
    ]);
    for i in 0..n {
        set.push(vec![
            ("id".into(), Value::Int(i)),
            ("x".into(), Value::Int(i)),
        ]);
    }
    Source::from_rows(set, SourceOptions::new(["id"]).source_id("ints"))
        .unwrap()
        .into_stream()
}

/// A source with `n` rows `{id: i, x: i as float}` (tag `id`).
pub fn float_source(n: i64) -> Stream {
    let mut set = RowSet::new();
    for i in 0..n {
        set.push(vec![
            ("id".into(), Value::Int(i)),
            ("x".into(), Value::Float(i as f64)),
        ]);
    }
    Source::from_rows(set, SourceOptions::new(["id"]).source_id("floats"))
        .unwrap()
        .into_stream()
}

/// The values of column `name` of a stream, as `Value`s.
pub fn column_values(stream: &Stream, name: &str) -> Vec<Value> {
    let col = stream
        .column(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    (0..col.len())
        .map(|i| Value::from_array(col.as_ref(), i).unwrap())
        .collect()
}
