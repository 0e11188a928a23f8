//! Typed parameters and outputs, and binding functions to streams.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array};
use common::{column_values, source_a};
use orcapod_datagram::{ColumnConfig, DataType, Field, Source, SourceOptions, Value, rows};
use orcapod_executor::{ExecutorError, FunctionBuilder, FunctionPod, InputBatch, PacketFunction};

#[test]
fn all_supported_types_round_trip() {
    let f = FunctionBuilder::new("types")
        .input::<i64>("a")
        .input::<i32>("b")
        .input::<f64>("c")
        .input::<bool>("d")
        .input::<String>("e")
        .input::<Option<f32>>("g")
        .output::<i32>("b2")
        .output::<f32>("g2")
        .output::<Vec<u8>>("bytes")
        .output::<PathBuf>("path")
        .output::<Vec<i64>>("list")
        .output::<Option<String>>("text")
        .build(
            |a: i64, b: i32, c: f64, d: bool, e: String, g: Option<f32>| {
                (
                    b * 2,
                    g.unwrap_or(c as f32),
                    e.clone().into_bytes(),
                    PathBuf::from(format!("/tmp/{e}")),
                    vec![a; 2],
                    d.then(|| e.to_uppercase()),
                )
            },
        );
    let schema = f.output_schema();
    assert_eq!(schema.get("path").unwrap().dtype, DataType::Path);
    assert_eq!(
        schema.get("list").unwrap().dtype,
        DataType::List(Box::new(DataType::Int))
    );
    assert!(f.input_schema().get("g").unwrap().nullable);
    let src = Source::from_rows(
        rows![
            {"id" => 1, "a" => 1, "b" => 2, "c" => 0.5, "d" => true, "e" => "x", "g" => Value::Null},
            {"id" => 2, "a" => 3, "b" => 4, "c" => 1.5, "d" => false, "e" => "y", "g" => 2.5},
        ],
        SourceOptions::new(["id"]),
    )
    .unwrap();
    let out = FunctionPod::new(f)
        .process(&[src.into_stream()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "b2"), [Value::Int(4), Value::Int(8)]);
    assert_eq!(
        column_values(&out, "g2"),
        [Value::Float(0.5), Value::Float(2.5)]
    );
    assert_eq!(
        column_values(&out, "bytes"),
        [Value::Bytes(b"x".to_vec()), Value::Bytes(b"y".to_vec())]
    );
    assert_eq!(column_values(&out, "path")[0], Value::Str("/tmp/x".into()));
    assert_eq!(
        column_values(&out, "list")[1],
        Value::List(vec![Value::Int(3), Value::Int(3)])
    );
    assert_eq!(
        column_values(&out, "text"),
        [Value::Str("X".into()), Value::Null]
    );
    let (_, packets) = out.output_schema(&ColumnConfig::default()).unwrap();
    assert_eq!(
        packets.get("path").unwrap().dtype,
        DataType::Path,
        "path columns keep their tag"
    );
}

#[test]
fn binding_errors_name_column_and_types() {
    // Case 29: a function needing x:str applied to A (x:int).
    let wants_str = FunctionBuilder::new("upper")
        .input::<String>("x")
        .output::<String>("y")
        .build(|x: String| x);
    match FunctionPod::new(wants_str).process(&[source_a()]) {
        Err(ExecutorError::InputTypeMismatch {
            column,
            expected,
            found,
            ..
        }) => {
            assert_eq!(
                (column.as_str(), expected.as_str(), found.as_str()),
                ("x", "str", "int")
            );
        }
        other => panic!("expected a type mismatch, got {other:?}"),
    }
    let wants_w = FunctionBuilder::new("f")
        .input::<f64>("w")
        .output::<f64>("y")
        .build(|w: f64| w);
    let err = FunctionPod::new(wants_w)
        .process(&[source_a()])
        .unwrap_err();
    assert!(
        matches!(&err, ExecutorError::MissingInput { column, available, .. } if column == "w" && available == "x"),
        "{err}"
    );
    assert!(err.to_string().contains("'w' of type float"), "{err}");

    // A nullable column cannot feed a non-Option parameter, but can feed an Option one.
    let nullable_src = Source::from_rows(
        rows![{"id" => 1, "x" => Value::Null}, {"id" => 2, "x" => 3}],
        SourceOptions::new(["id"]),
    )
    .unwrap()
    .into_stream();
    let strict = FunctionBuilder::new("f")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x);
    match FunctionPod::new(strict).process(std::slice::from_ref(&nullable_src)) {
        Err(ExecutorError::InputTypeMismatch {
            expected, found, ..
        }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("int", "int | None"));
        }
        other => panic!("expected a nullability mismatch, got {other:?}"),
    }
    let lenient = FunctionBuilder::new("f")
        .input::<Option<i64>>("x")
        .output::<i64>("y")
        .build(|x: Option<i64>| x.unwrap_or(-1));
    let out = FunctionPod::new(lenient)
        .process(&[nullable_src])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "y"), [Value::Int(-1), Value::Int(3)]);
}

#[test]
fn call_batch_directly_on_arrow_columns() {
    let f = FunctionBuilder::new("inc")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x + 1);
    let x: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    let out = f
        .call_batch(&InputBatch::new(vec![Some(x)], 3).unwrap())
        .unwrap();
    assert_eq!(
        out.columns()[0].as_ref(),
        &Int64Array::from(vec![2, 3, 4]) as &dyn arrow_array::Array
    );
    let schema = arrow_schema::Schema::new(vec![Field::new("x", DataType::Int).to_arrow()]);
    let batch = arrow_array::RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int64Array::from(vec![7]))],
    )
    .unwrap();
    let bound = InputBatch::bind(f.info(), &batch).unwrap();
    assert_eq!(f.call_batch(&bound).unwrap().columns()[0].len(), 1);
}
