//! Failures, retries and cancellation on a real Slurm cluster.
//!
//! Runs only when `SLURM_CONF` is set (see `tests/common/mod.rs`).

mod common;
#[path = "../src/bin/orcapod-slurm-test-worker/functions.rs"]
mod functions;

use std::sync::Arc;
use std::time::Duration;

use common::{
    cluster, input_batch, int_source, int_source_with, ints, squeue_states, squeue_states_by_name,
    wait_until,
};
use orcapod_executor::{DynExecutor, ExecutorError, FailureKind, FunctionPod};
use orcapod_executor_slurm::{CancelToken, RetryPolicy, SlurmError};

fn slurm_error(e: &ExecutorError) -> &SlurmError {
    match e {
        ExecutorError::Backend { executor, source } => {
            assert_eq!(executor, "slurm");
            source.downcast_ref::<SlurmError>().expect("a SlurmError")
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[test]
fn a_crashed_task_fails_its_packets_with_the_task_stderr() {
    let Some(c) = cluster("a_crashed_task_fails_its_packets_with_the_task_stderr") else {
        return;
    };
    let f = functions::crashy();
    let input = input_batch(&f, &int_source(30));
    let slurm = c
        .slurm
        .with_chunk_size(10)
        .with_retry_policy(RetryPolicy::never());
    let out = slurm.execute(&f, &input).unwrap();
    // The whole chunk holding packet 13 (rows 10..20) failed; the others are fine.
    let rows: Vec<usize> = out.failures().iter().map(|f| f.row).collect();
    assert_eq!(rows, (10..20).collect::<Vec<_>>());
    let failure = &out.failures()[3];
    assert_eq!(failure.kind, FailureKind::Executor);
    assert!(
        failure.message.contains("ended in state FAILED"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("exit code 42"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("attempt 1 of 1"),
        "{}",
        failure.message
    );
    let captured = failure.captured.as_ref().unwrap();
    assert!(
        captured.stderr.contains("crashy: fatal error on packet 13"),
        "{captured:?}"
    );
    assert_eq!(captured.exit_status, Some(42));

    // Through a pod: per-packet errors with the packets' tags; the other 20 rows come out.
    let pod = FunctionPod::new(f)
        .with_dyn_executor(Arc::new(slurm))
        .unwrap();
    let results = pod
        .process(&[int_source(30)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!((results.stream.num_rows(), results.errors.len()), (20, 10));
    assert!(results.errors[3].to_string().contains("{id=13}"));
}

#[test]
fn crashes_are_retried_up_to_max_attempts() {
    let Some(c) = cluster("crashes_are_retried_up_to_max_attempts") else {
        return;
    };
    let f = functions::crashy();
    let input = input_batch(&f, &int_source(20));
    let run = c.slurm.with_chunk_size(10).submit(&f, &input).unwrap();
    let (out, stats) = run.wait_with_stats().unwrap();
    assert_eq!(out.failures().len(), 10);
    assert!(
        out.failures()[0].message.contains("attempt 3 of 3"),
        "{}",
        out.failures()[0].message
    );
    assert_eq!((stats.tasks, stats.retried_tasks, stats.jobs), (4, 2, 3));
}

#[test]
fn a_task_that_crashes_once_succeeds_on_retry() {
    let Some(c) = cluster("a_task_that_crashes_once_succeeds_on_retry") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let marker_dir = markers.path().to_str().unwrap();
    let f = functions::flaky();
    let input = input_batch(&f, &int_source_with(12, &[("marker_dir", marker_dir)]));
    let (out, stats) = c
        .slurm
        .with_chunk_size(4)
        .submit(&f, &input)
        .unwrap()
        .wait_with_stats()
        .unwrap();
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    let y = out.columns()[0]
        .as_any()
        .downcast_ref::<arrow_array::Int64Array>()
        .unwrap();
    assert_eq!(
        y.values().to_vec(),
        (0..12).map(|x| x * 10).collect::<Vec<i64>>()
    );
    assert!(stats.retried_tasks >= 1, "{stats:?}");
    assert!(markers.path().join("crashed").exists());
}

#[test]
fn packet_failures_are_retried_only_when_asked() {
    let Some(c) = cluster("packet_failures_are_retried_only_when_asked") else {
        return;
    };
    let f = functions::flaky_packet();
    for retry in [false, true] {
        let markers = tempfile::tempdir().unwrap();
        let source = int_source_with(6, &[("marker_dir", markers.path().to_str().unwrap())]);
        let policy = RetryPolicy {
            retry_packet_failures: retry,
            ..RetryPolicy::attempts(2)
        };
        let out = c
            .slurm
            .with_retry_policy(policy)
            .execute(&f, &input_batch(&f, &source))
            .unwrap();
        if retry {
            assert!(out.failures().is_empty(), "{:?}", out.failures());
        } else {
            assert_eq!(out.failures().len(), 6);
            assert_eq!(out.failures()[2].message, "transient failure of packet 2");
            assert_eq!(out.failures()[2].kind, FailureKind::Error);
        }
    }
}

#[test]
fn configuration_errors_are_typed_and_name_the_cause() {
    let Some(c) = cluster("configuration_errors_are_typed_and_name_the_cause") else {
        return;
    };
    let f = functions::unregistered();
    let e = c.slurm.execute(&f, &ints(vec![1, 2, 3])).unwrap_err();
    match slurm_error(&e) {
        SlurmError::TaskFailed { task, message, .. } => {
            assert!(
                task.starts_with("slurm task ") && task.ends_with("_0"),
                "{task}"
            );
            assert!(
                message.contains("unregistered") && message.contains("not registered"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = c
        .slurm
        .with_partition("no-such-partition")
        .execute(&functions::square(), &ints(vec![1]))
        .unwrap_err();
    match slurm_error(&e) {
        SlurmError::CommandFailed {
            command, stderr, ..
        } => {
            assert!(
                command.starts_with("sbatch") && command.contains("--partition=no-such-partition")
            );
            assert!(stderr.contains("partition"), "{stderr}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn dropping_a_run_cancels_its_jobs() {
    let Some(c) = cluster("dropping_a_run_cancels_its_jobs") else {
        return;
    };
    let run = c
        .slurm
        .with_chunk_size(1)
        .submit(&functions::sleepy(), &ints(vec![600, 600]))
        .unwrap();
    let job = run.job_ids()[0].clone();
    wait_until(30, "the sleeping tasks to run", || {
        squeue_states(&job).iter().any(|s| s == "RUNNING")
    });
    let dir = run.dir().to_path_buf();
    drop(run);
    wait_until(15, "the job to leave the queue", || {
        squeue_states(&job).is_empty()
    });
    assert!(!dir.exists());
}

#[test]
fn a_cancel_token_stops_a_blocking_execute() {
    let Some(c) = cluster("a_cancel_token_stops_a_blocking_execute") else {
        return;
    };
    let token = CancelToken::new();
    let slurm = c.slurm.with_cancel_token(token.clone());
    let worker = std::thread::spawn(move || slurm.execute(&functions::sleepy(), &ints(vec![600])));
    std::thread::sleep(Duration::from_secs(2));
    token.cancel();
    let e = worker.join().unwrap().unwrap_err();
    let SlurmError::Cancelled { jobs } = slurm_error(&e) else {
        panic!("{e:?}")
    };
    assert_eq!(jobs.len(), 1);
    wait_until(15, "the job to leave the queue", || {
        squeue_states(&jobs[0]).is_empty()
    });
}

#[test]
fn tasks_cancelled_by_someone_else_fail_their_packets() {
    let Some(c) = cluster("tasks_cancelled_by_someone_else_fail_their_packets") else {
        return;
    };
    let run = c
        .slurm
        .with_chunk_size(2)
        .submit(&functions::sleepy(), &ints(vec![0, 0, 600, 600]))
        .unwrap();
    let job = run.job_ids()[0].clone();
    wait_until(30, "the sleeping task to run", || {
        squeue_states(&job)
            .iter()
            .filter(|s| *s == "RUNNING")
            .count()
            == 1
            && squeue_states(&job).len() == 1
    });
    let status = std::process::Command::new("scancel")
        .arg(format!("{job}_1"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = run.wait().unwrap();
    let rows: Vec<usize> = out.failures().iter().map(|f| f.row).collect();
    assert_eq!(rows, [2, 3]);
    assert_eq!(out.failures()[0].kind, FailureKind::Executor);
    assert!(
        out.failures()[0].message.contains("CANCELLED"),
        "{}",
        out.failures()[0].message
    );
}

#[test]
fn async_execution_waits_without_blocking_and_a_dropped_future_cancels() {
    let Some(c) = cluster("async_execution_waits_without_blocking_and_a_dropped_future_cancels")
    else {
        return;
    };
    let f = functions::square();
    let input = ints((0..10).collect());
    let out = futures::executor::block_on(c.slurm.execute_async(&f, &input)).unwrap();
    let local = orcapod_executor::LocalExecutor.execute(&f, &input).unwrap();
    assert_eq!(out.columns()[0].to_data(), local.columns()[0].to_data());

    let name = format!("orcapod-async-drop-{}", std::process::id());
    let slurm = c.slurm.with_job_name(&name);
    let sleepy = functions::sleepy();
    let input = ints(vec![600]);
    let mut pending = slurm.execute_async(&sleepy, &input);
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(pending.as_mut().poll(&mut cx).is_pending());
    wait_until(30, "the task to run", || {
        squeue_states_by_name(&name).iter().any(|s| s == "RUNNING")
    });
    drop(pending);
    wait_until(15, "the job to leave the queue", || {
        squeue_states_by_name(&name).is_empty()
    });
}
