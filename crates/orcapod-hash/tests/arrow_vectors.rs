//! Conformance of `orcapod_hash::arrow` with the shared starfix 0.4 vectors
//! (`shared/fixtures/arrow-hash-vectors.json`, `shared/fixtures/starfix-golden-v0.3.json`) and the
//! worked examples of `shared/spec/arrow-hashing.md` §15.2 and §16.
//!
//! The shared directory is `../../../shared` relative to this crate, or `$ORCAPOD_SHARED_DIR`.
//! A missing directory fails the tests: conformance must never pass vacuously.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Int32Array, ListArray, RecordBatch, RecordBatchOptions, StringArray, StructArray,
    TimestampSecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_ipc::reader::StreamReader;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use base64::Engine;
use orcapod_hash::HashError;
use orcapod_hash::arrow::{
    ArrowDigest, ArrowDigester, HASH_FORMAT_VERSION, hash_array, hash_batches, hash_record_batch,
    hash_schema, metadata_json, schema_json,
};
use serde_json::Value;

fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("ORCAPOD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.join("fixtures").is_dir(),
        "shared fixtures not found at {} (set ORCAPOD_SHARED_DIR to the directory holding \
         fixtures/arrow-hash-vectors.json)",
        dir.display()
    );
    dir
}

fn load_json(name: &str) -> Value {
    let path = shared_dir().join("fixtures").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn hex(d: &ArrowDigest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_ipc(b64: &str) -> (SchemaRef, Vec<RecordBatch>) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("valid base64");
    let reader = StreamReader::try_new(Cursor::new(bytes), None).expect("valid IPC stream");
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .expect("valid IPC batches");
    (schema, batches)
}

/// Everything computed for one vector, kept for the relation checks.
struct Computed {
    table: String,
    arrays: Option<Vec<String>>,
}

/// Checks one vector; returns its computed hashes and appends failures (prefixed by the id).
fn check_vector(v: &Value, failures: &mut Vec<String>) -> Option<Computed> {
    let id = v["id"].as_str().unwrap_or("<no id>").to_owned();
    let mut fail = |what: String| failures.push(format!("[{id}] {what}"));
    let include_metadata = v["include_metadata"].as_bool().unwrap_or(false);
    let expected = &v["expected"];
    let (schema, mut batches) = decode_ipc(v["ipc_b64"].as_str()?);
    if let Some(n) = v["num_batches"].as_u64()
        && batches.len() as u64 != n
    {
        fail(format!("IPC has {} batches, expected {n}", batches.len()));
    }
    if let Some(slice) = v["slice"].as_object() {
        let offset = slice["offset"].as_u64()? as usize;
        let length = slice["length"].as_u64()? as usize;
        if batches.len() != 1 {
            fail("sliced vector without exactly one batch".into());
            return None;
        }
        batches = vec![batches[0].slice(offset, length)];
    }

    let check =
        |fail: &mut dyn FnMut(String), what: &str, got: Result<String, HashError>, want: &Value| {
            match (got, want.as_str()) {
                (Ok(got), Some(want)) if got == want => {}
                (Ok(got), Some(want)) => fail(format!("{what}: got {got}, expected {want}")),
                (Err(e), _) => fail(format!("{what}: error {e}")),
                (Ok(_), None) => fail(format!("{what}: no expected value")),
            }
        };

    check(
        &mut fail,
        "hash_schema",
        hash_schema(&schema, include_metadata).map(|d| hex(&d)),
        &expected["hash_schema"],
    );

    // Phase-1 / Phase-2 texts, byte for byte.
    match schema_json(&schema) {
        Ok(text) if Some(text.as_str()) == v["debug"]["schema_json"].as_str() => {}
        Ok(text) => fail(format!(
            "schema_json: got {text}, expected {}",
            v["debug"]["schema_json"]
        )),
        Err(e) => fail(format!("schema_json: error {e}")),
    }
    if let Some(want) = v["debug"].get("metadata_json") {
        let got = metadata_json(&schema);
        if got.as_deref() != want.as_str() {
            fail(format!("metadata_json: got {got:?}, expected {want}"));
        }
    }

    // Streaming table hash over all batches, plus the convenience wrapper.
    let table = ArrowDigester::new(&schema, include_metadata).and_then(|mut d| {
        for batch in &batches {
            d.update(batch)?;
        }
        Ok(hex(&d.finalize()))
    });
    let table_hex = table.as_ref().ok().cloned().unwrap_or_default();
    check(&mut fail, "hash_table", table, &expected["hash_table"]);
    check(
        &mut fail,
        "hash_batches",
        hash_batches(&schema, &batches, include_metadata).map(|d| hex(&d)),
        &expected["hash_table"],
    );

    if !expected["hash_record_batch"].is_null() {
        check(
            &mut fail,
            "hash_record_batch",
            hash_record_batch(&batches[0], include_metadata).map(|d| hex(&d)),
            &expected["hash_record_batch"],
        );
    }
    let mut arrays = None;
    if let Some(want) = expected["hash_array"].as_array() {
        let batch = &batches[0];
        if want.len() != batch.num_columns() {
            fail(format!(
                "hash_array: {} expected values for {} columns",
                want.len(),
                batch.num_columns()
            ));
        }
        let mut got_all = Vec::new();
        for (i, want) in want.iter().enumerate() {
            let got = hash_array(batch.column(i).as_ref()).map(|d| hex(&d));
            got_all.push(got.as_ref().ok().cloned().unwrap_or_default());
            check(&mut fail, &format!("hash_array[{i}]"), got, want);
        }
        arrays = Some(got_all);
    }
    Some(Computed {
        table: table_hex,
        arrays,
    })
}

#[test]
fn all_shared_vectors_match() {
    let doc = load_json("arrow-hash-vectors.json");
    assert_eq!(doc["format"], "starfix-arrow-hash-vectors");
    let vectors = doc["vectors"].as_array().expect("vectors list");
    assert_eq!(Some(vectors.len() as u64), doc["count"].as_u64());
    assert!(!vectors.is_empty());

    let mut failures = Vec::new();
    let mut computed = BTreeMap::new();
    for v in vectors {
        let id = v["id"].as_str().expect("vector id").to_owned();
        match check_vector(v, &mut failures) {
            Some(c) => {
                computed.insert(id, c);
            }
            None => failures.push(format!("[{id}] malformed vector")),
        }
    }

    let relations = doc["relations"].as_array().expect("relations list");
    assert!(!relations.is_empty());
    for rel in relations {
        let kind = rel["kind"].as_str().unwrap_or_default();
        let method = rel["method"].as_str().unwrap_or_default();
        let ids: Vec<&str> = rel["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let values: Vec<String> = ids
            .iter()
            .map(|id| {
                let c = &computed[*id];
                match method {
                    "hash_table" => c.table.clone(),
                    _ => c.arrays.as_ref().map(|a| a.join(",")).unwrap_or_default(),
                }
            })
            .collect();
        let all_equal = values.windows(2).all(|w| w[0] == w[1]);
        let all_distinct = values
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == values.len();
        let ok = match kind {
            "equal" => all_equal,
            "different" => all_distinct,
            _ => false,
        };
        if !ok {
            failures.push(format!("[relation {kind} {method} {ids:?}] does not hold"));
        }
    }

    assert!(
        failures.is_empty(),
        "{} failure(s) over {} vectors:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn upstream_golden_vectors_match() {
    let doc = load_json("starfix-golden-v0.3.json");
    let vectors = doc["vectors"].as_array().expect("vectors list");
    assert!(!vectors.is_empty());
    let mut failures = Vec::new();
    for v in vectors {
        let id = v["id"].as_str().unwrap_or("<no id>");
        let include_metadata = v["include_metadata"].as_bool().unwrap_or(false);
        let (schema, batches) = decode_ipc(v["ipc_b64"].as_str().expect("ipc"));
        let got = match v["method"].as_str() {
            Some("hash_schema") => hash_schema(&schema, include_metadata),
            Some("hash_record_batch") => match batches.as_slice() {
                [batch] => hash_record_batch(batch, include_metadata),
                _ => {
                    failures.push(format!("[{id}] expected exactly one batch"));
                    continue;
                }
            },
            other => {
                failures.push(format!("[{id}] unknown method {other:?}"));
                continue;
            }
        };
        match got {
            Ok(d) if Some(hex(&d).as_str()) == v["expected_hash"].as_str() => {}
            Ok(d) => failures.push(format!(
                "[{id}] got {}, expected {}",
                hex(&d),
                v["expected_hash"]
            )),
            Err(e) => failures.push(format!("[{id}] error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn version_prefix() {
    assert_eq!(HASH_FORMAT_VERSION, [0, 0, 1]);
    let d = hash_schema(&Schema::empty(), false).unwrap();
    assert_eq!(d[..3], HASH_FORMAT_VERSION);
}

/// §16.3 and §12: the zero-column schema, with no batch and with a batch of rows.
#[test]
fn worked_example_zero_columns() {
    let schema = Schema::empty();
    assert_eq!(schema_json(&schema).unwrap(), "{}");
    assert_eq!(metadata_json(&schema), None);
    assert_eq!(
        hex(&hash_schema(&schema, false).unwrap()),
        "00000144136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_eq!(
        hash_schema(&schema, true).unwrap(),
        hash_schema(&schema, false).unwrap()
    );
    let expected_table = "000001c74f3008fdd2f7c5ae5446ab2e522629f63346f68a4026b4f72b91b393475ff6";
    let empty = ArrowDigester::new(&schema, false).unwrap().finalize();
    assert_eq!(hex(&empty), expected_table);
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(3)),
    )
    .unwrap();
    assert_eq!(
        hex(&hash_record_batch(&batch, false).unwrap()),
        expected_table
    );
}

/// §16.2: `hash_array(Int32 [42, null, -7, 0])`.
#[test]
fn worked_example_int32_array() {
    let a = Int32Array::from(vec![Some(42), None, Some(-7), Some(0)]);
    assert_eq!(
        hex(&hash_array(&a).unwrap()),
        "0000018330f9b8796b9434cbf7bc028c18c58a2a739b980acf9995ce1e5d60b43b0138"
    );
}

/// §16.1, built in memory rather than read from IPC.
#[test]
fn worked_example_list_of_struct() {
    let struct_fields = Fields::from(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("label", DataType::Utf8, true),
    ]);
    // Elements: {1,"a"}, {2,null}, null, {3,"c"}.
    let structs = StructArray::new(
        struct_fields.clone(),
        vec![
            Arc::new(Int32Array::from(vec![1, 2, 0, 3])) as ArrayRef,
            Arc::new(StringArray::from(vec![
                Some("a"),
                None,
                Some("zz"),
                Some("c"),
            ])),
        ],
        Some(NullBuffer::from(vec![true, true, false, true])),
    );
    let item = Arc::new(Field::new("item", DataType::Struct(struct_fields), true));
    let list = ListArray::new(
        item,
        OffsetBuffer::from_lengths([2, 0, 0, 2]),
        Arc::new(structs),
        Some(NullBuffer::from(vec![true, false, true, true])),
    );
    let batch =
        RecordBatch::try_from_iter_with_nullable([("items", Arc::new(list) as ArrayRef, true)])
            .unwrap();
    let p1 = schema_json(batch.schema_ref()).unwrap();
    assert_eq!(p1.len(), 204);
    assert_eq!(
        p1,
        r#"{"items":{"data_type":{"LargeList":{"data_type":{"Struct":[{"data_type":"Int32","name":"id","nullable":false},{"data_type":"LargeUtf8","name":"label","nullable":true}]},"nullable":true}},"nullable":true}}"#
    );
    assert_eq!(
        hex(&hash_schema(batch.schema_ref(), false).unwrap()),
        "0000015ad777f1c78685241485fdc5c3c689e54f2ca584a4929639badc8ea29e8d7576"
    );
    assert_eq!(
        hex(&hash_record_batch(&batch, false).unwrap()),
        "000001a0fcad50b36fbe6bff6ebb7e0738a94ada7f813c6ac393e559acfdf6f0c88df2"
    );
}

/// §15.2 item 1: raw UTF-8 (Rust starfix) in `hash_array`'s type JSON.
#[test]
fn rust_starfix_non_ascii_type_json() {
    let ts = TimestampSecondArray::from(vec![1]).with_timezone("Europe/Zürich");
    assert_eq!(
        hex(&hash_array(&ts).unwrap()),
        "000001bc30113da2500a990edb34788c8eba4c308c0d6dcb9cb058b7d4e68b622ddc7f"
    );
    let st = StructArray::new(
        Fields::from(vec![
            Field::new("café", DataType::Int32, false),
            Field::new("b", DataType::Utf8, true),
        ]),
        vec![
            Arc::new(Int32Array::from(vec![1])) as ArrayRef,
            Arc::new(StringArray::from(vec!["x"])),
        ],
        None,
    );
    assert_eq!(
        hex(&hash_array(&st).unwrap()),
        "000001e075ed0acab08e5cc1157114ec4223aac27c335d76725be63068810921951b30"
    );
}

/// §15.2 item 2: Map schemas hash as in Rust starfix; Map data is unsupported.
#[test]
fn map_schema_follows_rust_starfix() {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Int32, true),
        ])),
        false,
    );
    let schema = Schema::new(vec![Field::new(
        "m",
        DataType::Map(Arc::new(entries), false),
        true,
    )]);
    assert_eq!(
        schema_json(&schema).unwrap(),
        r#"{"m":{"data_type":{"Map":[{"data_type":{"Struct":[{"data_type":"LargeUtf8","name":"key","nullable":false},{"data_type":"Int32","name":"value","nullable":true}]},"name":"entries","nullable":false},false]},"nullable":true}}"#
    );
    assert_eq!(
        hex(&hash_schema(&schema, false).unwrap()),
        "0000010fdc209a363ad60d53847dd5f443b724eae06f3ce365372c3ac3cc6e021d91ef"
    );
    match ArrowDigester::new(&schema, false) {
        Err(HashError::UnsupportedType { path, .. }) => assert_eq!(path, "m"),
        other => panic!("expected UnsupportedType, got {other:?}"),
    }
}
