//! Shared helpers for the integration tests: fixture loading, sources, row rendering.
#![allow(dead_code)]

use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_schema::DataType;
use orcapod_datagram::{ColumnConfig, RowSet, Source, SourceOptions, Stream, Value, rows};
use serde_json::{Value as Json, json};

/// Directory of the orcapod-python 0.1.4 fixtures. `ORCAPOD_SHARED_DIR` overrides the default
/// `<workspace>/../shared`.
pub fn fixture_dir() -> PathBuf {
    let shared = std::env::var_os("ORCAPOD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("fixtures/orcapod-python-0.1.4")
}

/// Load a fixture file by case name, failing clearly when it is missing.
pub fn fixture(name: &str) -> Json {
    let path = fixture_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {} is missing ({e}); set ORCAPOD_SHARED_DIR to the directory holding fixtures/orcapod-python-0.1.4",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not valid JSON: {e}", path.display()))
}

fn json_to_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(json_to_value).collect()),
        Json::Object(_) => panic!("objects are not supported as source values"),
    }
}

/// Build a DictSource from fixture rows, columns in `order` (JSON objects lose key order).
pub fn rows_source(rows: &Json, order: &[&str], tags: &[&str], source_id: &str) -> Stream {
    let mut set = RowSet::new();
    for row in rows.as_array().expect("rows") {
        set.push(
            order
                .iter()
                .map(|k| (k.to_string(), json_to_value(&row[*k])))
                .collect(),
        );
    }
    Source::from_rows(
        set,
        SourceOptions::new(tags.iter().copied()).source_id(source_id),
    )
    .expect("source")
    .into_stream()
}

/// A source of `sources.json` by name (`a`, `b`, `c`, `a2`, `seven`, `abc`), checked against the
/// fixture's hashes.
pub fn fixture_source(name: &str) -> Stream {
    let all = fixture("sources");
    let spec = &all["sources"][name];
    let tags: Vec<&str> = spec["tag_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let order: Vec<&str> = spec["columns"]["default"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let stream = rows_source(
        &spec["rows"],
        &order,
        &tags,
        spec["source_id"].as_str().unwrap(),
    );
    assert_eq!(
        stream.pipeline_hash().to_string(),
        spec["hashes"]["pipeline_hash"],
        "source {name} pipeline hash"
    );
    assert_eq!(
        stream.content_hash().to_string(),
        spec["hashes"]["content_hash"],
        "source {name} content hash"
    );
    stream
}

/// pyarrow's rendering of an Arrow type.
pub fn pa_type(t: &DataType) -> String {
    match t {
        DataType::Int64 => "int64".into(),
        DataType::Int32 => "int32".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "bool".into(),
        DataType::Utf8 => "string".into(),
        DataType::LargeUtf8 => "large_string".into(),
        DataType::Binary => "binary".into(),
        DataType::LargeBinary => "large_binary".into(),
        DataType::FixedSizeBinary(n) => format!("fixed_size_binary[{n}]"),
        DataType::List(f) => format!("list<{}: {}>", f.name(), pa_type(f.data_type())),
        DataType::LargeList(f) => format!("large_list<{}: {}>", f.name(), pa_type(f.data_type())),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Render a cell like the fixtures do (bytes as `hex:…`).
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(s),
        Value::Bytes(b) => json!(format!("hex:{}", hex(b))),
        Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        other => json!(other.to_string()),
    }
}

/// All rows of a table as JSON objects (column order kept).
pub fn table_rows(table: &RecordBatch) -> Vec<Json> {
    let schema = table.schema();
    (0..table.num_rows())
        .map(|r| {
            let mut obj = serde_json::Map::new();
            for (f, c) in schema.fields().iter().zip(table.columns()) {
                obj.insert(
                    f.name().clone(),
                    value_json(&Value::from_array(c.as_ref(), r).unwrap()),
                );
            }
            Json::Object(obj)
        })
        .collect()
}

/// Rows as a sorted list of canonical strings (order-insensitive comparison).
pub fn row_set(rows: &[Json]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    v.sort();
    v
}

/// `["name", "pyarrow type", nullable]` triples of a table.
pub fn arrow_schema_json(table: &RecordBatch) -> Json {
    Json::Array(
        table
            .schema()
            .fields()
            .iter()
            .map(|f| json!([f.name(), pa_type(f.data_type()), f.is_nullable()]))
            .collect(),
    )
}

/// `{"tag": {...}, "data": {...}}` logical schema with system tags.
pub fn logical_schema_json(stream: &Stream, system_tags: bool) -> Json {
    let cfg = ColumnConfig {
        system_tags,
        ..Default::default()
    };
    let (tags, packets) = stream.output_schema(&cfg).unwrap();
    let render = |s: &orcapod_datagram::Schema| {
        let mut m = serde_json::Map::new();
        for f in s.fields() {
            let t = if f.nullable {
                format!("{} | None", f.dtype)
            } else {
                f.dtype.to_string()
            };
            m.insert(f.name.clone(), json!(t));
        }
        Json::Object(m)
    };
    json!({"tag": render(&tags), "data": render(&packets)})
}

fn names(table: &RecordBatch) -> Json {
    Json::Array(
        table
            .schema()
            .fields()
            .iter()
            .map(|f| json!(f.name()))
            .collect(),
    )
}

/// Compare an operator output with one fixture case: keys, logical schemas (names and types,
/// order-insensitive as Python dicts), column lists, Arrow schema, rows (as sets) and hashes.
pub fn check_case(stream: &Stream, case: &Json, label: &str) {
    let (tags, packets) = stream.keys(&ColumnConfig::default());
    let mut tags_sorted = tags.clone();
    tags_sorted.sort();
    let mut want_tags: Vec<String> = case["tag_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    want_tags.sort();
    assert_eq!(tags_sorted, want_tags, "{label}: tag keys");
    let mut packets = packets;
    packets.sort();
    let mut want_packets: Vec<String> = case["data_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    want_packets.sort();
    assert_eq!(packets, want_packets, "{label}: packet keys");
    assert_eq!(
        logical_schema_json(stream, false),
        case["output_schema"],
        "{label}: output schema"
    );
    assert_eq!(
        logical_schema_json(stream, true),
        case["output_schema_all_info"],
        "{label}: schema with system tags"
    );
    let default = stream.as_table(&ColumnConfig::default()).unwrap();
    assert_eq!(
        names(&default),
        case["columns"]["default"],
        "{label}: default columns"
    );
    let st_src = stream
        .as_table(&ColumnConfig::default().with_system_tags().with_source())
        .unwrap();
    assert_eq!(
        names(&st_src),
        case["columns"]["system_tags+source"],
        "{label}: system tags + source columns"
    );
    let all = stream.as_table(&ColumnConfig::all()).unwrap();
    assert_eq!(
        names(&all),
        case["columns"]["all_info"],
        "{label}: all-info columns"
    );
    assert_eq!(
        arrow_schema_json(&all),
        case["arrow_schema_all_info"],
        "{label}: arrow schema"
    );
    assert_eq!(
        json!(stream.num_rows()),
        case["num_rows"],
        "{label}: row count"
    );
    let want: Vec<Json> = case["rows_all_info"].as_array().unwrap().clone();
    assert_eq!(
        row_set(&table_rows(&all)),
        row_set(&want),
        "{label}: rows (all info)"
    );
    assert_eq!(
        row_set(&table_rows(&default)),
        row_set(case["rows"].as_array().unwrap()),
        "{label}: rows"
    );
    assert_eq!(
        stream.content_hash().to_string(),
        case["hashes"]["content_hash"],
        "{label}: content hash"
    );
    assert_eq!(
        stream.pipeline_hash().to_string(),
        case["hashes"]["pipeline_hash"],
        "{label}: pipeline hash"
    );
}

// ---- spec §22 notation: A, B and friends ----

pub fn src(rows: orcapod_datagram::RowSet, tags: &[&str], id: &str) -> Stream {
    Source::from_rows(rows, SourceOptions::new(tags.iter().copied()).source_id(id))
        .unwrap()
        .into_stream()
}

pub fn a() -> Stream {
    src(
        rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
        &["id"],
        "A",
    )
}

pub fn b() -> Stream {
    src(
        rows![{"id" => 1, "y" => 100}, {"id" => 3, "y" => 300}],
        &["id"],
        "B",
    )
}

pub fn cell(s: &Stream, col: &str, row: usize) -> Value {
    Value::from_array(
        s.column(col)
            .unwrap_or_else(|| panic!("no column {col}"))
            .as_ref(),
        row,
    )
    .unwrap()
}

pub fn record_id(source_id: &str, token: &str) -> Value {
    let ns = orcapod_datagram::constants::SOURCE_RECORD_NAMESPACE;
    Value::Bytes(
        uuid::Uuid::new_v5(&ns, format!("{source_id}::{token}").as_bytes())
            .as_bytes()
            .to_vec(),
    )
}

pub fn sorted_all(s: &Stream) -> arrow_array::RecordBatch {
    s.as_table(&ColumnConfig::all().sorted()).unwrap()
}

/// A stream with a meta column, built directly.
pub fn with_meta() -> Stream {
    let batch = arrow_array::RecordBatch::try_new(
        std::sync::Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("id", arrow_schema::DataType::Int64, false),
            arrow_schema::Field::new("m", arrow_schema::DataType::Int64, false),
            arrow_schema::Field::new("__note", arrow_schema::DataType::LargeUtf8, true),
        ])),
        vec![
            std::sync::Arc::new(arrow_array::Int64Array::from(vec![1, 2])),
            std::sync::Arc::new(arrow_array::Int64Array::from(vec![7, 8])),
            std::sync::Arc::new(arrow_array::LargeStringArray::from(vec![Some("n1"), None])),
        ],
    )
    .unwrap();
    Stream::from_table(batch, &["id"]).unwrap()
}

/// A stream with a struct packet column `p` (fields `a`, `b`), one null struct, and a list
/// packet column `x`.
pub fn structs() -> Stream {
    let st = |a: i64, b: &str| Value::Struct(vec![("a".into(), a.into()), ("b".into(), b.into())]);
    let mut set = RowSet::with_schema(vec![
        orcapod_datagram::Field::new("id", orcapod_datagram::DataType::Int),
        orcapod_datagram::Field::nullable(
            "p",
            orcapod_datagram::DataType::Struct(vec![
                orcapod_datagram::Field::new("a", orcapod_datagram::DataType::Int),
                orcapod_datagram::Field::nullable("b", orcapod_datagram::DataType::Str),
            ]),
        ),
        orcapod_datagram::Field::new(
            "x",
            orcapod_datagram::DataType::List(Box::new(orcapod_datagram::DataType::Int)),
        ),
    ]);
    for (id, p, x) in [
        (1, st(1, "one"), vec![1, 2, 3]),
        (2, Value::Null, vec![4]),
        (3, st(3, "three"), vec![]),
    ] {
        set.push(vec![
            ("id".into(), id.into()),
            ("p".into(), p),
            (
                "x".into(),
                Value::List(x.into_iter().map(Value::from).collect()),
            ),
        ]);
    }
    src(set, &["id"], "ST")
}
