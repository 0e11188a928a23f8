//! External-command packet functions (`sh -c` scripts).
#![cfg(unix)]

mod common;

use common::{column_values, int_source};
use orcapod_datagram::{DataType, Value};
use orcapod_executor::{
    CommandPacketFunction, ExecutorError, FailureKind, FunctionPod, OUTPUT_DIR_ENV, PacketFunction,
    ThreadPoolExecutor,
};

fn script(name: &str, body: &str) -> orcapod_executor::CommandBuilder {
    CommandPacketFunction::builder(name, "sh")
        .args(["-c", body, "sh", "{x}"])
        .input("x", DataType::Int)
}

#[test]
fn success_parses_the_last_stdout_line() {
    let f = script(
        "triple",
        r#"echo "working on $1"; echo "{\"y\": $(($1 * 3)), \"label\": \"n$1\"}""#,
    )
    .output("y", DataType::Int)
    .output("label", DataType::Str)
    .build()
    .unwrap();
    assert_eq!(f.type_id(), "command.function.v0");
    for pool in [false, true] {
        let pod = FunctionPod::new(f.clone());
        let stream = if pool {
            pod.with_executor(ThreadPoolExecutor::new(2).unwrap())
                .process(&[int_source(5)])
                .unwrap()
        } else {
            pod.process(&[int_source(5)]).unwrap()
        };
        let out = stream.materialize().unwrap();
        assert_eq!(column_values(&out, "y"), [0, 3, 6, 9, 12].map(Value::Int));
        assert_eq!(column_values(&out, "label")[2], Value::Str("n2".into()));
        let logs = stream.captured_logs().unwrap();
        assert_eq!(logs.len(), 5);
        assert!(logs[4].1.stdout.starts_with("working on 4\n"));
        assert_eq!(logs[4].1.exit_status, Some(0));
    }
}

#[test]
fn non_zero_exit_is_a_packet_error_with_stderr() {
    let f = script(
        "picky",
        r#"if [ "$1" -eq 2 ]; then echo "cannot do $1" >&2; exit 3; fi; echo "{\"y\": $1}""#,
    )
    .output("y", DataType::Int)
    .build()
    .unwrap();
    let stream = FunctionPod::new(f).process(&[int_source(4)]).unwrap();
    let results = stream.materialize_collect().unwrap();
    assert_eq!(
        column_values(&results.stream, "y"),
        [0, 1, 3].map(Value::Int)
    );
    let e = &results.errors[0];
    assert_eq!((e.row, e.kind), (2, FailureKind::Command));
    assert_eq!(e.tags, vec![("id".to_string(), Value::Int(2))]);
    let captured = e.captured.as_ref().unwrap();
    assert_eq!(captured.stderr, "cannot do 2\n");
    assert_eq!(captured.exit_status, Some(3));
    assert!(
        e.message.contains("exit status 3") && e.message.contains("cannot do 2"),
        "{}",
        e.message
    );
    assert!(matches!(stream.materialize(), Err(ExecutorError::Packet(p)) if p.row == 2));
}

#[test]
fn malformed_output_and_missing_programs_fail_per_packet() {
    let bad_json = script("bad", "echo not-json")
        .output("y", DataType::Int)
        .build()
        .unwrap();
    let r = FunctionPod::new(bad_json)
        .process(&[int_source(2)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(r.errors.len(), 2);
    assert!(
        r.errors[0].message.contains("not JSON"),
        "{}",
        r.errors[0].message
    );

    let wrong_type = script("wrong", r#"echo '{"y": "text"}'"#)
        .output("y", DataType::Int)
        .build()
        .unwrap();
    let r = FunctionPod::new(wrong_type)
        .process(&[int_source(1)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert!(
        r.errors[0].message.contains("expected int"),
        "{}",
        r.errors[0].message
    );

    let missing = CommandPacketFunction::builder("ghost", "/nonexistent/orcapod-program")
        .arg("{x}")
        .input("x", DataType::Int)
        .output("y", DataType::Int)
        .build()
        .unwrap();
    let r = FunctionPod::new(missing)
        .process(&[int_source(2)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(r.errors.len(), 2);
    assert!(
        r.errors[0].message.contains("cannot start"),
        "{}",
        r.errors[0].message
    );

    // A side-effect-only command (no outputs) keeps the input packets through AddResult.
    let touch = script("noop", "true").build().unwrap();
    assert!(matches!(
        FunctionPod::new(touch.clone()).process(&[int_source(1)]),
        Err(ExecutorError::InvalidFunction { .. })
    ));
    let kept = orcapod_executor::AddResult::new(touch)
        .process(&[int_source(3)])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(kept.packet_columns(), ["x"]);
}

#[test]
fn path_outputs_live_in_the_packet_output_directory() {
    let root = std::env::temp_dir().join(format!("orcapod-exec-test-{}", std::process::id()));
    let f = script(
        "write",
        &format!(r#"echo "$1" > "${OUTPUT_DIR_ENV}/out.txt"; echo '{{"file": "out.txt"}}'"#),
    )
    .output("file", DataType::Path)
    .output_root(&root)
    .build()
    .unwrap();
    let out = FunctionPod::new(f)
        .process(&[int_source(2)])
        .unwrap()
        .materialize()
        .unwrap();
    let Value::Str(path) = &column_values(&out, "file")[1] else {
        panic!()
    };
    assert!(path.starts_with(root.to_str().unwrap()), "{path}");
    assert_eq!(std::fs::read_to_string(path).unwrap(), "1\n");
    let (_, packets) = out
        .output_schema(&orcapod_datagram::ColumnConfig::default())
        .unwrap();
    assert_eq!(packets.get("file").unwrap().dtype, DataType::Path);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn definition_errors_and_identity() {
    let unknown = CommandPacketFunction::builder("f", "echo")
        .arg("{nope}")
        .input("x", DataType::Int)
        .build();
    assert!(
        matches!(unknown, Err(ExecutorError::InvalidFunction { reason, .. }) if reason.contains("{nope}"))
    );
    let bytes_out = CommandPacketFunction::builder("f", "echo")
        .output("b", DataType::Bytes)
        .build();
    assert!(matches!(
        bytes_out,
        Err(ExecutorError::InvalidFunction { .. })
    ));

    let a = CommandPacketFunction::builder("f", "echo")
        .arg("{x}")
        .input("x", DataType::Int)
        .build()
        .unwrap();
    let b = CommandPacketFunction::builder("f", "echo")
        .arg("x={x}")
        .input("x", DataType::Int)
        .build()
        .unwrap();
    assert_ne!(
        a.content_hash(),
        b.content_hash(),
        "the command template is the implementation"
    );
    let pa = CommandPacketFunction::builder("f", "echo")
        .arg("{x}")
        .input("x", DataType::Int)
        .pin_version("v1.0")
        .build()
        .unwrap();
    let pb = CommandPacketFunction::builder("f", "echo")
        .arg("x={x}")
        .input("x", DataType::Int)
        .pin_version("v1.2")
        .build()
        .unwrap();
    assert_eq!(pa.content_hash(), pb.content_hash(), "pinned");
    assert_eq!(pa.uri().components()[0], "f");
}
