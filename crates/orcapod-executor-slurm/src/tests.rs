//! Worker-protocol tests that need no cluster: task directories run in-process.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array};
use orcapod_datagram::DataType;
use orcapod_executor::{
    BatchOutput, CapturedOutput, CommandPacketFunction, DynExecutor, FailureKind, FunctionBuilder,
    LocalExecutor, PacketFunction, RowFailure,
};

use crate::ipc::{read_output, write_output};
use crate::registry::FunctionRegistry;
use crate::submit::write_task;
use crate::task::{OUTPUT_FILE, TaskSpec, TaskStatus};
use crate::worker::run_task;

fn ints(values: Vec<i64>) -> orcapod_executor::InputBatch {
    let n = values.len();
    let c: ArrayRef = Arc::new(Int64Array::from(values));
    orcapod_executor::InputBatch::new(vec![Some(c)], n).unwrap()
}

fn prepare(f: &dyn PacketFunction, input: &orcapod_executor::InputBatch) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = TaskSpec::new(
        f.uri().to_string(),
        f.canonical_name(),
        f.portable_spec(),
        input.num_rows(),
        1,
    );
    write_task(dir.path(), f.info(), &spec, input).unwrap();
    dir
}

fn same(a: &BatchOutput, b: &BatchOutput) {
    assert_eq!(a.num_rows(), b.num_rows());
    for (x, y) in a.columns().iter().zip(b.columns()) {
        assert_eq!(x.to_data(), y.to_data());
    }
    assert_eq!(
        (a.dropped(), a.failures(), a.logs()),
        (b.dropped(), b.failures(), b.logs())
    );
}

#[test]
fn a_registered_function_runs_like_locally() {
    let f = FunctionBuilder::new("half")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            if x == 3 {
                Err("three".to_string())
            } else {
                Ok((x % 2 == 0).then_some(x / 2))
            }
        });
    let input = ints((0..8).collect());
    let dir = prepare(&f, &input);
    let registry = FunctionRegistry::new().with(f.clone());
    let status = run_task(&registry, dir.path()).unwrap();
    assert!(status.ok && status.rows == 8);
    assert_eq!(TaskStatus::read(dir.path()).unwrap(), Some(status));
    let out = read_output(&dir.path().join(OUTPUT_FILE), f.info(), 8).unwrap();
    same(&LocalExecutor.execute(&f, &input).unwrap(), &out);
    assert_eq!(out.failures()[0].kind, FailureKind::Error);
}

#[test]
fn a_command_function_is_rebuilt_from_its_spec() {
    let f = CommandPacketFunction::builder("echo_double", "sh")
        .args([
            "-c",
            r#"[ "$1" = 2 ] && { echo oops >&2; exit 3; }; echo "{\"y\": $(($1 * 2))}""#,
            "sh",
            "{x}",
        ])
        .input("x", DataType::Int)
        .output("y", DataType::Int)
        .build()
        .unwrap();
    let input = ints(vec![1, 2, 3]);
    let dir = prepare(&f, &input);
    assert!(run_task(&FunctionRegistry::new(), dir.path()).unwrap().ok);
    let out = read_output(&dir.path().join(OUTPUT_FILE), f.info(), 3).unwrap();
    same(&LocalExecutor.execute(&f, &input).unwrap(), &out);
    assert_eq!(
        out.failures()[0].captured.as_ref().unwrap().stderr,
        "oops\n"
    );
}

#[test]
fn task_level_errors_are_recorded_in_the_status() {
    let f = FunctionBuilder::new("lonely")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x);
    let dir = prepare(&f, &ints(vec![1]));
    let status = run_task(&FunctionRegistry::new(), dir.path()).unwrap();
    assert!(!status.ok);
    assert!(status.error.unwrap().contains("is not registered"));
    assert_eq!(
        crate::worker::run_worker(&FunctionRegistry::new(), dir.path()),
        1
    );
    // A command spec that rebuilds into another function is refused.
    let g = CommandPacketFunction::builder("c", "true")
        .input("x", DataType::Int)
        .output("y", DataType::Int)
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = TaskSpec::new(
        "c:other:v0:command.function.v0",
        "c",
        g.portable_spec(),
        1,
        1,
    );
    write_task(dir.path(), g.info(), &spec, &ints(vec![1])).unwrap();
    let status = run_task(&FunctionRegistry::new(), dir.path()).unwrap();
    assert!(status.error.unwrap().contains("asks for function 'c:other"));
    // A missing task directory cannot even get a status.
    assert!(run_task(&FunctionRegistry::new(), &dir.path().join("nope")).is_err());
}

#[test]
fn outputs_round_trip_with_status_and_captured_output() {
    let f = FunctionBuilder::new("id")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x);
    let mut out = BatchOutput::new(
        vec![Arc::new(Int64Array::from(vec![
            Some(1),
            None,
            None,
            Some(4),
        ]))],
        4,
    );
    let log = CapturedOutput {
        stdout: "out".into(),
        stderr: "err".into(),
        exit_status: Some(0),
    };
    out.push_log(0, log.clone());
    out.push_dropped(1);
    out.push_log(2, log.clone());
    out.push_failure(RowFailure {
        row: 2,
        kind: FailureKind::Command,
        message: "m".into(),
        captured: Some(log.clone()),
    });
    out.push_failure(RowFailure {
        row: 3,
        kind: FailureKind::Panic,
        message: "p".into(),
        captured: Some(CapturedOutput::default()),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.arrow");
    write_output(&path, f.info(), &out).unwrap();
    let back = read_output(&path, f.info(), 4).unwrap();
    assert_eq!(back.dropped(), [1]);
    assert_eq!(back.failures(), out.failures());
    assert_eq!(back.logs(), out.logs());
    assert!(read_output(&path, f.info(), 5).is_err());
}

#[test]
fn inputs_without_columns_keep_their_row_count() {
    let f = FunctionBuilder::new("constant")
        .output::<i64>("y")
        .build(|| 7_i64);
    let input = orcapod_executor::InputBatch::new(Vec::new(), 3).unwrap();
    let dir = prepare(&f, &input);
    let status = run_task(&FunctionRegistry::new().with(f.clone()), dir.path()).unwrap();
    assert!(status.ok, "{status:?}");
    let out = read_output(&dir.path().join(OUTPUT_FILE), f.info(), 3).unwrap();
    same(&LocalExecutor.execute(&f, &input).unwrap(), &out);
}
