//! Source behaviour: typed errors for bad input, file formats, folders, identities.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, LargeStringArray, RecordBatch, StringArray};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_datagram::{
    ColumnConfig, DataType, DatagramError, RowSet, Source, SourceOptions, Value, rows,
};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<ArrowField> = columns
        .iter()
        .map(|(n, a)| ArrowField::new(*n, a.data_type().clone(), a.null_count() > 0))
        .collect();
    RecordBatch::try_new(
        Arc::new(ArrowSchema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn ints(v: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

#[test]
fn missing_tag_column_is_named() {
    let err =
        Source::from_rows(rows![{"id" => 1, "x" => 2}], SourceOptions::new(["nope"])).unwrap_err();
    match &err {
        DatagramError::MissingTagColumn {
            column, available, ..
        } => {
            assert_eq!(column, "nope");
            assert_eq!(available, "id, x");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn reserved_prefix_is_an_error_not_a_silent_drop() {
    let b = batch(vec![
        ("id", ints(&[1])),
        ("_hidden", ints(&[2])),
        ("x", ints(&[3])),
    ]);
    let err = Source::from_batch(b, SourceOptions::new(["id"])).unwrap_err();
    assert!(
        matches!(&err, DatagramError::ReservedColumnName { column, .. } if column == "_hidden"),
        "{err}"
    );
    let b = batch(vec![("__meta", ints(&[1])), ("x", ints(&[3]))]);
    let err = Source::from_batch(b, SourceOptions::new(Vec::<String>::new())).unwrap_err();
    assert!(
        matches!(&err, DatagramError::ReservedColumnName { prefix, .. } if prefix == "__"),
        "{err}"
    );
}

#[test]
fn duplicate_columns_are_rejected() {
    let fields = vec![
        ArrowField::new("a", ArrowType::Int64, false),
        ArrowField::new("a", ArrowType::Int64, false),
    ];
    let b = RecordBatch::try_new(
        Arc::new(ArrowSchema::new(fields)),
        vec![ints(&[1]), ints(&[2])],
    )
    .unwrap();
    let err = Source::from_batch(b, SourceOptions::default()).unwrap_err();
    assert!(
        matches!(&err, DatagramError::DuplicateColumn { column, .. } if column == "a"),
        "{err}"
    );
}

#[test]
fn unsupported_type_names_the_column() {
    let b = batch(vec![
        ("id", ints(&[1])),
        ("n", Arc::new(arrow_array::NullArray::new(1)) as ArrayRef),
    ]);
    let err = Source::from_batch(b, SourceOptions::new(["id"])).unwrap_err();
    assert!(
        matches!(&err, DatagramError::UnsupportedType { column, .. } if column == "n"),
        "{err}"
    );
}

#[test]
fn no_packet_columns_is_an_error() {
    let err = Source::from_rows(rows![{"id" => 1}], SourceOptions::new(["id"])).unwrap_err();
    assert!(
        matches!(err, DatagramError::NoPacketColumns { .. }),
        "{err}"
    );
}

#[test]
fn record_id_column_must_exist_and_shapes_tokens() {
    let err = Source::from_rows(
        rows![{"id" => 1, "x" => 2}],
        SourceOptions::new(["id"]).record_id_column("name"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, DatagramError::MissingColumn { column, .. } if column == "name"),
        "{err}"
    );
    let src = Source::from_rows(
        rows![{"name" => "n1", "age" => 30}],
        SourceOptions::new(["name"])
            .source_id("src")
            .record_id_column("name"),
    )
    .unwrap();
    let (_, packet) = src.stream().row(0).unwrap();
    assert_eq!(
        packet.source_info().unwrap()[0].1,
        Value::Str("src::name=n1::age".into())
    );
}

#[test]
fn ragged_rows_are_rejected_with_row_number() {
    let mut set = RowSet::new();
    set.push(vec![("a".into(), 1.into()), ("b".into(), 2.into())]);
    set.push(vec![("a".into(), 1.into())]);
    let err = Source::from_rows(set, SourceOptions::default()).unwrap_err();
    assert!(
        matches!(err, DatagramError::RaggedRows { row: 1, .. }),
        "{err}"
    );
}

#[test]
fn zero_row_typed_batch_is_a_valid_empty_source() {
    let b = batch(vec![("id", ints(&[])), ("x", ints(&[]))]);
    let src = Source::from_batch(b, SourceOptions::new(["id"]).source_id("empty")).unwrap();
    assert!(src.stream().is_empty());
    assert_eq!(
        src.stream()
            .as_table(&ColumnConfig::all())
            .unwrap()
            .num_rows(),
        0
    );
}

#[test]
fn same_schema_different_data_share_pipeline_hash_only() {
    let a = Source::from_rows(rows![{"id" => 1, "x" => 10}], SourceOptions::new(["id"])).unwrap();
    let b = Source::from_rows(rows![{"id" => 1, "x" => 11}], SourceOptions::new(["id"])).unwrap();
    assert_eq!(a.pipeline_hash(), b.pipeline_hash());
    assert_ne!(a.content_hash(), b.content_hash());
    assert_ne!(a.source_id(), b.source_id());
    assert_eq!(a.source_id().len(), 70);
    assert!(a.source_id().starts_with("000001"));
}

#[test]
fn nullable_inference_changes_schema_identity() {
    let a = Source::from_rows(rows![{"id" => 1, "v" => 1}], SourceOptions::new(["id"])).unwrap();
    let b = Source::from_rows(
        rows![{"id" => 1, "v" => Value::Null}, {"id" => 2, "v" => 3}],
        SourceOptions::new(["id"]),
    )
    .unwrap();
    let (_, pb) = b.stream().output_schema(&ColumnConfig::default()).unwrap();
    assert!(pb.get("v").unwrap().nullable);
    assert_ne!(a.pipeline_hash(), b.pipeline_hash());
}

#[test]
fn files_round_trip_through_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let b = batch(vec![
        ("id", ints(&[2, 1, 3])),
        (
            "name",
            Arc::new(StringArray::from(vec!["b", "a", "c"])) as ArrayRef,
        ),
    ]);
    // CSV
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "id,name\n2,b\n1,a\n3,c\n").unwrap();
    // Parquet
    let pq = dir.path().join("t.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), b.schema(), None)
            .unwrap();
    w.write(&b).unwrap();
    w.close().unwrap();
    // Arrow IPC file and stream
    let ipc = dir.path().join("t.arrow");
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(&ipc).unwrap(), &b.schema())
            .unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();
    let ipcs = dir.path().join("t.arrows");
    let mut w = arrow_ipc::writer::StreamWriter::try_new(
        std::fs::File::create(&ipcs).unwrap(),
        &b.schema(),
    )
    .unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();

    let mut table_hashes = Vec::new();
    for path in [&csv, &pq, &ipc, &ipcs] {
        let src = Source::from_file(path, SourceOptions::new(["id"])).unwrap();
        assert_eq!(
            src.source_id(),
            path.to_string_lossy(),
            "default source id is the path"
        );
        assert_eq!(src.stream().num_rows(), 3);
        let sorted = src.stream().sort_by_tags().unwrap();
        let (tag, packet) = sorted.row(0).unwrap();
        assert_eq!(tag.get("id").unwrap(), Some(Value::Int(1)));
        assert_eq!(packet.get("name").unwrap(), Some(Value::Str("a".into())));
        table_hashes.push((
            path.clone(),
            src.table_hash().clone(),
            src.pipeline_hash().clone(),
        ));
    }
    // Utf8 vs LargeUtf8 and nullability are normalised away only where they should be: the
    // Parquet and IPC files keep the batch's declared (non-null) schema, like the CSV inference.
    let first = &table_hashes[0];
    for (path, table, pipeline) in &table_hashes[1..] {
        assert_eq!(
            table,
            &first.1,
            "table hash of {} differs from CSV",
            path.display()
        );
        assert_eq!(
            pipeline,
            &first.2,
            "pipeline hash of {} differs from CSV",
            path.display()
        );
    }
}

#[test]
fn malformed_and_unknown_files_get_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"not parquet at all").unwrap();
    let err = Source::from_file(&bad, SourceOptions::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            DatagramError::MalformedFile {
                format: "Parquet",
                ..
            }
        ),
        "{err}"
    );
    let unknown = dir.path().join("x.txt");
    std::fs::write(&unknown, b"hi").unwrap();
    assert!(matches!(
        Source::from_file(&unknown, SourceOptions::default()),
        Err(DatagramError::UnknownFormat { .. })
    ));
    let missing = dir.path().join("missing.csv");
    assert!(matches!(
        Source::from_file(&missing, SourceOptions::default()),
        Err(DatagramError::Io { .. })
    ));
}

#[test]
fn directory_source_hashes_files_by_content_not_path() {
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    std::fs::write(d1.path().join("a.txt"), "same").unwrap();
    std::fs::write(d2.path().join("a.txt"), "same").unwrap();
    std::fs::write(d1.path().join("b.txt"), "one").unwrap();
    std::fs::write(d2.path().join("b.txt"), "two").unwrap();
    let s1 = Source::from_directory(d1.path(), Some("txt"), SourceOptions::default()).unwrap();
    let s2 = Source::from_directory(d2.path(), Some("txt"), SourceOptions::default()).unwrap();
    let (_, packets) = s1.stream().output_schema(&ColumnConfig::default()).unwrap();
    assert_eq!(packets.get("path").unwrap().dtype, DataType::Path);
    let h1 = s1.stream().packet_hashes().unwrap().to_vec();
    let h2 = s2.stream().packet_hashes().unwrap().to_vec();
    assert_eq!(
        h1[0], h2[0],
        "same content at different paths → same packet hash"
    );
    assert_ne!(h1[1], h2[1], "different content → different packet hash");
}

#[test]
fn large_string_and_string_inputs_hash_alike() {
    let a = batch(vec![
        ("id", ints(&[1])),
        ("s", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
    ]);
    let b = batch(vec![
        ("id", ints(&[1])),
        ("s", Arc::new(LargeStringArray::from(vec!["x"])) as ArrayRef),
    ]);
    let sa = Source::from_batch(a, SourceOptions::new(["id"])).unwrap();
    let sb = Source::from_batch(b, SourceOptions::new(["id"])).unwrap();
    assert_eq!(sa.table_hash(), sb.table_hash());
    assert_eq!(sa.content_hash(), sb.content_hash());
}

#[test]
fn sort_by_tags_is_stable_and_handles_list_tags() {
    let src = Source::from_rows(
        rows![
            {"k" => Value::List(vec![2.into()]), "x" => 1},
            {"k" => Value::List(vec![1.into(), 5.into()]), "x" => 2},
            {"k" => Value::List(vec![1.into()]), "x" => 3},
        ],
        SourceOptions::new(["k"]),
    )
    .unwrap();
    let sorted = src.stream().sort_by_tags().unwrap();
    let xs: Vec<Value> = (0..3)
        .map(|i| sorted.row(i).unwrap().1.get("x").unwrap().unwrap())
        .collect();
    assert_eq!(xs, vec![Value::Int(3), Value::Int(2), Value::Int(1)]);
}
