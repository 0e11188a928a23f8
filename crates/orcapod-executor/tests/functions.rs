//! Defining packet functions: versions, the macro, the builder, identity rules, binding.

mod common;

use common::{column_values, source_a};
use orcapod_datagram::{ColumnConfig, Source, SourceOptions, Value, rows};
use orcapod_executor::{
    ExecutorError, FunctionBuilder, FunctionPod, PacketFunction, Version, packet_function,
};

#[test]
fn version_parsing() {
    for (s, major, minor) in [
        ("v0.0", 0, "0"),
        ("v1.3", 1, "3"),
        ("1.5.2", 1, "5.2"),
        ("v2.0rc", 2, "0rc"),
        ("0.1", 0, "1"),
    ] {
        let v = Version::parse(s).unwrap();
        assert_eq!((v.major(), v.minor()), (major, minor), "{s}");
    }
    for bad in ["v1", "no_dots", "", "v.1"] {
        assert!(
            matches!(
                Version::parse(bad),
                Err(ExecutorError::InvalidVersion { .. })
            ),
            "{bad}"
        );
    }
    // Case 33: a bad version is rejected when the function is defined.
    let err = FunctionBuilder::new("f")
        .version("v1")
        .input::<i64>("x")
        .output::<i64>("y")
        .try_build(|x: i64| x);
    assert!(matches!(err, Err(ExecutorError::InvalidVersion { .. })));
    let f = FunctionBuilder::new("f")
        .version("1.5.2")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x);
    assert_eq!((f.major_version(), f.minor_version()), (1, "5.2"));
    assert_eq!(f.uri().components()[2], "v1");
}

#[test]
#[should_panic(expected = "invalid packet function definition")]
fn build_panics_on_invalid_definition() {
    FunctionBuilder::new("f")
        .input::<i64>("x")
        .output::<i64>("y")
        .output::<i64>("y")
        .build(|x: i64| (x, x));
}

#[test]
fn reserved_and_duplicate_names_are_rejected() {
    let dup = FunctionBuilder::new("f")
        .input::<i64>("x")
        .input::<i64>("x")
        .output::<i64>("y")
        .try_build(|a: i64, b: i64| a + b);
    assert!(matches!(dup, Err(ExecutorError::InvalidFunction { .. })));
    let reserved = FunctionBuilder::new("f")
        .input::<i64>("_x")
        .output::<i64>("y")
        .try_build(|a: i64| a);
    assert!(matches!(
        reserved,
        Err(ExecutorError::InvalidFunction { .. })
    ));
    let colon = FunctionBuilder::new("a:b")
        .input::<i64>("x")
        .output::<i64>("y")
        .try_build(|a: i64| a);
    assert!(matches!(colon, Err(ExecutorError::InvalidFunction { .. })));
}

#[test]
fn macro_identity_follows_the_body_unless_pinned() {
    let a = packet_function! { fn f(x: i64) -> (y: i64) { x + 1 } };
    let a_again = packet_function! { fn f(x: i64) -> (y: i64) { x + 1 } };
    let a_reformatted = packet_function! {
        fn f(x: i64) -> (y: i64) {
            // comments and layout are not tokens
            x   +   1
        }
    };
    let b = packet_function! { fn f(x: i64) -> (y: i64) { x + 2 } };
    assert_eq!(a.content_hash(), a_again.content_hash(), "deterministic");
    assert_eq!(a.content_hash(), a_reformatted.content_hash());
    assert_ne!(
        a.content_hash(),
        b.content_hash(),
        "editing the body changes identity"
    );
    let name = &a.uri().components()[0];
    assert!(name.starts_with("f@") && name.len() == 2 + 16, "{name}");
    assert_eq!(a.canonical_name(), "f");
    assert!(a.implementation_hash().is_some());

    let pa = packet_function! { #[version = "v0.0"] fn f(x: i64) -> (y: i64) { x + 1 } };
    let pb = packet_function! { #[version = "v0.3"] fn f(x: i64) -> (y: i64) { x + 2 } };
    assert_eq!(
        pa.content_hash(),
        pb.content_hash(),
        "pinned: same name, outputs, major version"
    );
    assert_eq!(pa.uri().components()[0], "f");
    assert_ne!(
        pa.implementation_hash(),
        pb.implementation_hash(),
        "still recorded"
    );
    let plain = FunctionBuilder::new("f")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x + 1);
    assert_eq!(
        pa.content_hash(),
        plain.content_hash(),
        "a builder closure has no implementation hash"
    );
    let bumped = packet_function! { #[version = "v1.0"] fn f(x: i64) -> (y: i64) { x + 2 } };
    assert_ne!(bumped.content_hash(), pa.content_hash());

    let py = packet_function! {
        #[version = "v0.0"]
        #[type_id = "python.function.v0"]
        fn add_one(x: i64) -> (z: i64) { x + 1 }
    };
    assert!(
        FunctionPod::new(py)
            .content_hash()
            .to_string()
            .starts_with("semantic_v0.1:1f63dc30")
    );
}

#[test]
fn macro_outputs_and_optional_parameter() {
    // Case 30: f(x:int, y:int=5) on A → 15, 25; y is optional.
    let f = packet_function! { fn f(x: i64, y: i64 = 5) -> (z: i64) { x + y } };
    assert_eq!(f.info().optional_inputs(), ["y"]);
    let out = FunctionPod::new(f)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "z"), [Value::Int(15), Value::Int(25)]);

    let ratio = packet_function! {
        fn pressure_ratio(temperature: f64, pressure: f64) -> (ratio: f64, ok: bool) {
            let r = pressure / temperature;
            (r, r > 1.0)
        }
    };
    let src = Source::from_rows(
        rows![{"id" => 1, "temperature" => 2.0, "pressure" => 3.0}, {"id" => 2, "temperature" => 4.0, "pressure" => 2.0}],
        SourceOptions::new(["id"]),
    )
    .unwrap();
    let out = FunctionPod::new(ratio)
        .process(&[src.into_stream()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(
        column_values(&out, "ratio"),
        [Value::Float(1.5), Value::Float(0.5)]
    );
    assert_eq!(
        column_values(&out, "ok"),
        [Value::Bool(true), Value::Bool(false)]
    );
}

#[test]
fn option_outputs_keep_nulls_and_top_level_none_drops() {
    // Quirk 8: a None *value* is a null in a nullable column and keeps the packet.
    let nullable = FunctionBuilder::new("maybe")
        .input::<i64>("x")
        .output::<Option<i64>>("y")
        .build(|x: i64| (x > 10).then_some(x));
    let out = FunctionPod::new(nullable)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(out.num_rows(), 2);
    assert_eq!(column_values(&out, "y"), [Value::Null, Value::Int(20)]);
    assert!(
        out.output_schema(&ColumnConfig::default())
            .unwrap()
            .1
            .get("y")
            .unwrap()
            .nullable
    );

    // A top-level None drops the packet.
    let filtering = FunctionBuilder::new("filter")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| (x > 10).then_some(x));
    let out = FunctionPod::new(filtering)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "id"), [Value::Int(2)]);
    assert_eq!(column_values(&out, "y"), [Value::Int(20)]);

    // Nested: Option<Option<T>> for a nullable output that can also drop.
    let both = FunctionBuilder::new("both")
        .input::<i64>("x")
        .output::<Option<i64>>("y")
        .build(|x: i64| if x > 10 { None } else { Some(None::<i64>) });
    let out = FunctionPod::new(both)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "y"), [Value::Null]);
}

#[test]
fn arity_zero_and_six() {
    let zero = FunctionBuilder::new("const")
        .output::<i64>("c")
        .build(|| 42);
    let out = FunctionPod::new(zero)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "c"), [Value::Int(42), Value::Int(42)]);
    let six = FunctionBuilder::new("six")
        .input_or::<i64>("p1", 1)
        .input_or::<i64>("p2", 2)
        .input_or::<i64>("p3", 3)
        .input_or::<i64>("p4", 4)
        .input_or::<i64>("p5", 5)
        .input::<i64>("x")
        .output::<i64>("o1")
        .output::<i64>("o2")
        .output::<i64>("o3")
        .output::<i64>("o4")
        .output::<i64>("o5")
        .output::<i64>("o6")
        .build(|a: i64, b: i64, c: i64, d: i64, e: i64, x: i64| (a, b, c, d, e, x));
    let out = FunctionPod::new(six)
        .process(&[source_a()])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "o5"), [Value::Int(5), Value::Int(5)]);
    assert_eq!(column_values(&out, "o6"), [Value::Int(10), Value::Int(20)]);
}
