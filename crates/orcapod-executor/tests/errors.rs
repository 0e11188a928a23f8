//! Per-packet failures: panics, `Err` returns and bad inputs become `PacketError`s with tags.

mod common;

use common::{column_values, int_source};
use orcapod_datagram::Value;
use orcapod_executor::{
    ExecutorError, FailureKind, FunctionBuilder, FunctionPod, RustFunction, ThreadPoolExecutor,
};

fn fragile() -> RustFunction {
    FunctionBuilder::new("fragile")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            if x == 3 {
                panic!("x is three");
            }
            x * 10
        })
}

fn picky() -> RustFunction {
    FunctionBuilder::new("picky")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            if x % 4 == 1 {
                Err(format!("odd value {x}"))
            } else {
                Ok(x)
            }
        })
}

#[test]
fn panic_becomes_packet_error_with_tags() {
    let stream = FunctionPod::new(fragile())
        .process(&[int_source(6)])
        .unwrap();
    // Fail fast: the first failure, with the packet's tag and the panic message.
    match stream.materialize() {
        Err(ExecutorError::Packet(e)) => {
            assert_eq!(e.kind, FailureKind::Panic);
            assert_eq!(e.message, "x is three");
            assert_eq!(e.tags, vec![("id".to_string(), Value::Int(3))]);
            assert_eq!((e.row, e.function.as_str()), (3, "fragile"));
            assert!(e.to_string().contains("{id=3}"), "{e}");
        }
        other => panic!("expected a packet error, got {other:?}"),
    }
    // Collect: every other row still ran.
    let results = stream.materialize_collect().unwrap();
    assert_eq!(results.errors.len(), 1);
    assert_eq!(
        column_values(&results.stream, "id"),
        [0, 1, 2, 4, 5].map(Value::Int)
    );
    assert_eq!(
        column_values(&results.stream, "y"),
        [0, 10, 20, 40, 50].map(Value::Int)
    );
    assert_eq!(results.execution.executor_type, "local");
    // Lazy iteration yields the failure in place and goes on.
    let items: Vec<_> = stream.iter().collect();
    assert_eq!(items.len(), 6);
    assert!(matches!(&items[3], Err(ExecutorError::Packet(e)) if e.row == 3));
    assert!(items.iter().enumerate().all(|(i, r)| (i == 3) != r.is_ok()));
}

#[test]
fn err_results_fail_only_their_packet() {
    for threads in [None, Some(2)] {
        let pod = FunctionPod::new(picky()).with_max_chunk_rows(3);
        let stream = match threads {
            None => pod.process(&[int_source(10)]).unwrap(),
            Some(n) => pod
                .with_executor(ThreadPoolExecutor::new(n).unwrap())
                .process(&[int_source(10)])
                .unwrap(),
        };
        let results = stream.materialize_collect().unwrap();
        let failed: Vec<usize> = results.errors.iter().map(|e| e.row).collect();
        assert_eq!(failed, [1, 5, 9]);
        assert!(results.errors.iter().all(|e| e.kind == FailureKind::Error));
        assert_eq!(results.errors[1].message, "odd value 5");
        assert_eq!(
            results.errors[1].tags,
            vec![("id".to_string(), Value::Int(5))]
        );
        assert_eq!(results.stream.num_rows(), 7);
        match stream.materialize() {
            Err(ExecutorError::Packet(e)) => assert_eq!(e.row, 1),
            other => panic!("expected the first failure, got {other:?}"),
        }
    }
}

#[test]
fn unrepresentable_input_fails_the_packet() {
    let src = orcapod_datagram::Source::from_rows(
        orcapod_datagram::rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 10_000_000_000i64}],
        orcapod_datagram::SourceOptions::new(["id"]),
    )
    .unwrap();
    let f = FunctionBuilder::new("narrow")
        .input::<i32>("x")
        .output::<i32>("y")
        .build(|x: i32| x);
    let results = FunctionPod::new(f)
        .process(&[src.into_stream()])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(results.errors.len(), 1);
    assert_eq!(results.errors[0].kind, FailureKind::Input);
    assert!(
        results.errors[0].message.contains("does not fit in i32"),
        "{}",
        results.errors[0].message
    );
    assert_eq!(results.stream.num_rows(), 1);
}

#[test]
fn every_packet_failing_gives_an_empty_stream() {
    let f = FunctionBuilder::new("never")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|_x: i64| -> Result<i64, String> { Err("no".into()) });
    let results = FunctionPod::new(f)
        .process(&[int_source(5)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(results.errors.len(), 5);
    assert_eq!(results.stream.num_rows(), 0);
    assert_eq!(results.stream.packet_columns(), ["y"]);
}
