//! Error behaviour of `orcapod_hash::arrow`: unsupported types are reported with their column
//! path (never a panic), and the digester rejects batches whose schema does not match (§8.7).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::types::{Int32Type, IntervalDayTimeType};
use arrow_array::{
    ArrayRef, BinaryViewArray, FixedSizeListArray, Int32Array, Int64Array, IntervalDayTimeArray,
    LargeStringArray, NullArray, RecordBatch, RunArray, StringArray, StringViewArray, UnionArray,
};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, Field, Fields, Schema, UnionFields};
use orcapod_hash::HashError;
use orcapod_hash::arrow::{
    ArrowDigester, hash_array, hash_record_batch, hash_schema, metadata_json, schema_json,
};

fn unsupported_path<T: std::fmt::Debug>(result: Result<T, HashError>) -> String {
    match result {
        Err(HashError::UnsupportedType { path, data_type }) => {
            assert!(!data_type.is_empty());
            path
        }
        other => panic!("expected UnsupportedType, got {other:?}"),
    }
}

#[test]
fn unsupported_arrays_are_errors() {
    let fsl = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
        vec![Some(vec![Some(1), Some(2)])],
        2,
    );
    let union = UnionArray::try_new(
        UnionFields::try_new(vec![0], vec![Field::new("a", DataType::Int32, false)]).unwrap(),
        ScalarBuffer::from(vec![0i8]),
        None,
        vec![Arc::new(Int32Array::from(vec![1])) as ArrayRef],
    )
    .unwrap();
    let ree =
        RunArray::<Int32Type>::try_new(&Int32Array::from(vec![2]), &Int32Array::from(vec![7]))
            .unwrap();
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(NullArray::new(3)),
        Arc::new(IntervalDayTimeArray::from(vec![
            IntervalDayTimeType::make_value(1, 2),
        ])),
        Arc::new(StringViewArray::from(vec!["a"])),
        Arc::new(BinaryViewArray::from(vec![b"a".as_slice()])),
        Arc::new(fsl),
        Arc::new(union),
        Arc::new(ree),
    ];
    for array in arrays {
        assert_eq!(unsupported_path(hash_array(array.as_ref())), "");
    }
}

#[test]
fn unsupported_nested_types_name_their_path() {
    let schema = Schema::new(vec![
        Field::new("ok", DataType::Int32, false),
        Field::new(
            "s",
            DataType::Struct(Fields::from(vec![Field::new(
                "v",
                DataType::Utf8View,
                true,
            )])),
            true,
        ),
    ]);
    assert_eq!(unsupported_path(hash_schema(&schema, false)), "s/v");
    assert_eq!(unsupported_path(schema_json(&schema)), "s/v");
    assert_eq!(unsupported_path(ArrowDigester::new(&schema, false)), "s/v");

    let list_of_interval = Schema::new(vec![Field::new_list(
        "l",
        Field::new_list_field(
            DataType::Interval(arrow_schema::IntervalUnit::DayTime),
            true,
        ),
        true,
    )]);
    assert_eq!(
        unsupported_path(ArrowDigester::new(&list_of_interval, false)),
        "l/"
    );

    let dict_of_view = Schema::new(vec![Field::new_dictionary(
        "d",
        DataType::Int8,
        DataType::BinaryView,
        true,
    )]);
    assert_eq!(unsupported_path(hash_schema(&dict_of_view, false)), "d");
}

#[test]
fn fixed_size_list_schemas_hash_but_their_data_does_not() {
    let schema = Schema::new(vec![Field::new(
        "f",
        DataType::FixedSizeList(Arc::new(Field::new_list_field(DataType::Utf8, true)), 3),
        false,
    )]);
    assert_eq!(
        schema_json(&schema).unwrap(),
        r#"{"f":{"data_type":{"FixedSizeList":[{"data_type":"LargeUtf8","nullable":true},3]},"nullable":false}}"#
    );
    hash_schema(&schema, true).unwrap();
    assert_eq!(unsupported_path(ArrowDigester::new(&schema, false)), "f");
}

fn int_batch(name: &str, nullable: bool, metadata: HashMap<String, String>) -> RecordBatch {
    let schema =
        Schema::new(vec![Field::new(name, DataType::Int32, nullable)]).with_metadata(metadata);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int32Array::from(vec![1, 2]))],
    )
    .unwrap()
}

#[test]
fn mismatching_batches_are_rejected() {
    let base = int_batch("a", false, HashMap::new());
    let mut d = ArrowDigester::new(base.schema_ref(), false).unwrap();
    d.update(&base).unwrap();

    let renamed = int_batch("b", false, HashMap::new());
    let nullable = int_batch("a", true, HashMap::new());
    let wider =
        RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])
            .unwrap();
    for bad in [&renamed, &nullable, &wider] {
        match d.update(bad) {
            Err(HashError::SchemaMismatch { expected, found }) => {
                assert_eq!(expected, r#"{"a":{"data_type":"Int32","nullable":false}}"#);
                assert_ne!(expected, found);
            }
            other => panic!("expected SchemaMismatch, got {other:?}"),
        }
    }
    // A failed check feeds nothing.
    assert_eq!(d.finalize(), hash_record_batch(&base, false).unwrap());
}

#[test]
fn metadata_is_checked_only_when_included() {
    let plain = int_batch("a", false, HashMap::new());
    let tagged = int_batch(
        "a",
        false,
        HashMap::from([("k".to_owned(), "v".to_owned())]),
    );
    assert_eq!(
        metadata_json(tagged.schema_ref()).as_deref(),
        Some(r#"{"schema":{"k":"v"}}"#)
    );

    let mut d = ArrowDigester::new(plain.schema_ref(), false).unwrap();
    d.update(&tagged).unwrap();
    assert_eq!(d.finalize(), hash_record_batch(&plain, false).unwrap());

    let mut d = ArrowDigester::new(plain.schema_ref(), true).unwrap();
    assert!(matches!(
        d.update(&tagged),
        Err(HashError::SchemaMismatch { .. })
    ));
    // Empty-metadata invariant: no metadata hashes alike with either option.
    assert_eq!(
        hash_record_batch(&plain, true).unwrap(),
        hash_record_batch(&plain, false).unwrap()
    );
    assert_ne!(
        hash_record_batch(&tagged, true).unwrap(),
        hash_record_batch(&tagged, false).unwrap()
    );
}

#[test]
fn equivalent_batches_are_accepted() {
    let a = RecordBatch::try_from_iter([
        ("x", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
        ("s", Arc::new(StringArray::from(vec!["p", "q"]))),
    ])
    .unwrap();
    let b = RecordBatch::try_from_iter([
        ("s", Arc::new(LargeStringArray::from(vec!["r"])) as ArrayRef),
        ("x", Arc::new(Int32Array::from(vec![3]))),
    ])
    .unwrap();
    let mut d = ArrowDigester::new(a.schema_ref(), false).unwrap();
    d.update(&a).unwrap();
    d.update(&b).unwrap();
    let joined = RecordBatch::try_from_iter([
        ("x", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef),
        ("s", Arc::new(StringArray::from(vec!["p", "q", "r"]))),
    ])
    .unwrap();
    assert_eq!(d.finalize(), hash_record_batch(&joined, false).unwrap());
}
