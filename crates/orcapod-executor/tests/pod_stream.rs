//! Function pod streams: laziness and memoisation, tag pass-through, schemas, AddResult.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{column_values, int_source, source_a};
use orcapod_datagram::{ColumnConfig, DataType, Field, Schema, Value};
use orcapod_executor::{
    AddResult, ExecutorError, FunctionBuilder, FunctionPod, RustFunction, ThreadPoolExecutor,
};
use orcapod_hash::DataContext;
use orcapod_hash::semantic::Identity;

fn counting(calls: Arc<AtomicUsize>) -> RustFunction {
    FunctionBuilder::new("count")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(move |x: i64| {
            calls.fetch_add(1, Ordering::SeqCst);
            x + 100
        })
}

#[test]
fn lazy_and_memoised_by_row() {
    let calls = Arc::new(AtomicUsize::new(0));
    let stream = FunctionPod::new(counting(calls.clone()))
        .with_max_chunk_rows(8)
        .process(&[int_source(50)])
        .unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "process() computes nothing"
    );
    assert_eq!(stream.computed_rows(), 0);

    let first = stream.iter().next().unwrap().unwrap();
    assert_eq!(first.1.get("y").unwrap(), Some(Value::Int(100)));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "pulling one row computes one row"
    );

    let rows: Vec<_> = stream.iter().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 50);
    assert_eq!(calls.load(Ordering::SeqCst), 50);
    let again: Vec<_> = stream.iter().map(Result::unwrap).collect();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        50,
        "iterating twice calls the function once per row"
    );
    assert_eq!(rows, again, "same rows, same record ids");

    let table = stream.materialize().unwrap();
    let clone = stream.clone();
    let table_again = clone.materialize().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 50);
    assert_eq!(table.batch(), table_again.batch());
    // Rows seen by iteration and by materialisation agree, source info included.
    assert_eq!(
        rows[49].1.source_info().unwrap(),
        table.row(49).unwrap().1.source_info().unwrap()
    );
}

#[test]
fn tags_and_system_tags_pass_through() {
    let input = source_a();
    let out = FunctionPod::new(counting(Arc::default()))
        .with_executor(ThreadPoolExecutor::new(2).unwrap())
        .process(std::slice::from_ref(&input))
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(out.tag_columns(), input.tag_columns());
    assert_eq!(out.system_tag_columns(), input.system_tag_columns());
    for i in 0..2 {
        let (tag_in, _) = input.row(i).unwrap();
        let (tag_out, _) = out.row(i).unwrap();
        assert_eq!(tag_in.get("id").unwrap(), tag_out.get("id").unwrap());
        assert_eq!(
            tag_in.system_tags().unwrap(),
            tag_out.system_tags().unwrap()
        );
    }
    assert_eq!(out.packet_columns(), ["y"]);
    assert_eq!(out.label(), Some("count"));
}

#[test]
fn predicted_schema_matches_output() {
    let stream = FunctionPod::new(counting(Arc::default()))
        .process(&[source_a()])
        .unwrap();
    let cfg = ColumnConfig::default().with_system_tags();
    let predicted = stream.output_schema(&cfg).unwrap();
    assert_eq!(stream.computed_rows(), 0);
    let actual = stream.materialize().unwrap().output_schema(&cfg).unwrap();
    assert_eq!(predicted.0.names(), actual.0.names());
    assert_eq!(predicted.1, actual.1);
    assert_eq!(
        predicted.1,
        Schema::new(vec![Field::new("y", DataType::Int)])
    );
}

#[test]
fn input_count_errors() {
    let pod = FunctionPod::new(counting(Arc::default()));
    assert!(matches!(
        pod.process(&[]),
        Err(ExecutorError::NoInputStreams)
    ));
    // Several inputs are joined first; a join that fails (both have packet column x) is typed.
    let err = pod.process(&[source_a(), int_source(2)]).unwrap_err();
    assert!(matches!(err, ExecutorError::Join(_)), "{err}");
    assert!(err.to_string().contains('x'), "{err}");
}

#[test]
fn empty_input_gives_empty_output() {
    let out = FunctionPod::new(counting(Arc::default()))
        .process(&[int_source(0)])
        .unwrap();
    assert_eq!(out.iter().count(), 0);
    let table = out.materialize().unwrap();
    assert_eq!(
        (table.num_rows(), table.packet_columns()),
        (0, ["y".to_string()].as_slice())
    );
}

#[test]
fn add_result_appends_outputs_and_keeps_provenance() {
    let input = source_a();
    let fused = AddResult::new(counting(Arc::default()));
    let stream = fused.process(std::slice::from_ref(&input)).unwrap();
    let out = stream.materialize().unwrap();
    assert_eq!(out.packet_columns(), ["x", "y"]);
    assert_eq!(column_values(&out, "x"), [10, 20].map(Value::Int));
    assert_eq!(column_values(&out, "y"), [110, 120].map(Value::Int));
    assert_eq!(
        column_values(&out, "_source_x"),
        column_values(&input, "_source_x"),
        "preserved columns keep provenance"
    );
    let Value::Str(info) = &column_values(&out, "_source_y")[0] else {
        panic!()
    };
    assert!(
        info.starts_with("count:semantic_v0.1:") && info.ends_with("::y"),
        "{info}"
    );
    let (_, predicted) = stream.output_schema(&ColumnConfig::default()).unwrap();
    assert_eq!(predicted.names(), ["x", "y"]);

    // Identity: as if FunctionPod then Join with the input.
    let pod_stream = FunctionPod::new(counting(Arc::default()))
        .process(std::slice::from_ref(&input))
        .unwrap();
    let hasher = DataContext::default_context().semantic_hasher();
    let expected = hasher
        .hash(&Identity::tuple([
            Identity::Hash(hasher.hash_str("Join")),
            Identity::set([
                Identity::Hash(pod_stream.content_hash().clone()),
                Identity::Hash(input.content_hash().clone()),
            ]),
        ]))
        .unwrap();
    assert_eq!(stream.content_hash(), &expected);
    assert_ne!(stream.pipeline_hash(), pod_stream.pipeline_hash());
}

#[test]
fn add_result_rejects_collisions() {
    let clash = FunctionBuilder::new("clash")
        .input::<i64>("x")
        .output::<i64>("x")
        .output::<i64>("id")
        .output::<i64>("fresh")
        .build(|x: i64| (x, x, x));
    match AddResult::new(clash).process(&[source_a()]) {
        Err(ExecutorError::OutputCollision { function, columns }) => {
            assert_eq!((function.as_str(), columns.as_str()), ("clash", "x, id"));
        }
        other => panic!("expected a collision error, got {other:?}"),
    }
}

#[test]
fn pods_streams_and_errors_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FunctionPod<RustFunction, ThreadPoolExecutor>>();
    send_sync::<orcapod_executor::FunctionPodStream>();
    send_sync::<ExecutorError>();
    send_sync::<orcapod_executor::PacketError>();
    send_sync::<Arc<dyn orcapod_executor::DynExecutor>>();
    // A stream shared across threads computes each row once.
    let calls = Arc::new(AtomicUsize::new(0));
    let stream = FunctionPod::new(counting(calls.clone()))
        .process(&[int_source(1000)])
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(stream.materialize().unwrap().num_rows(), 1000));
        }
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1000);
}
