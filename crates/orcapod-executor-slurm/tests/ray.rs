//! The Ray executor against a real Ray cluster.
//!
//! Opt-in: runs only with `ORCAPOD_TEST_RAY=1`, against the dashboard at `$RAY_ADDRESS`
//! (default `http://127.0.0.1:8265`), with the driver run by `$ORCAPOD_RAY_PYTHON` (default
//! `python`; it must import `ray`). Start a local head with
//! `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 ray start --head --node-ip-address=127.0.0.1
//! --dashboard-host=127.0.0.1 --num-cpus=4` (the variable keeps Ray on loopback).

mod common;
#[path = "../src/bin/orcapod-slurm-test-worker/functions.rs"]
mod functions;

use std::time::Duration;

use common::{input_batch, int_source, ints, wait_until};
use orcapod_executor::{DynExecutor, FailureKind, LocalExecutor};
use orcapod_executor_slurm::{RayExecutor, RetryPolicy};

fn ray(test: &str) -> Option<(tempfile::TempDir, RayExecutor)> {
    if std::env::var("ORCAPOD_TEST_RAY").as_deref() != Ok("1") {
        eprintln!("\n=== {test}: SKIPPED: Ray tests are opt-in (set ORCAPOD_TEST_RAY=1) ===\n");
        return None;
    }
    let address =
        std::env::var("RAY_ADDRESS").unwrap_or_else(|_| "http://127.0.0.1:8265".to_string());
    let python = std::env::var("ORCAPOD_RAY_PYTHON").unwrap_or_else(|_| "python".to_string());
    let dir = tempfile::Builder::new()
        .prefix("orcapod-ray-test-")
        .tempdir()
        .unwrap();
    let ray = RayExecutor::new(address, dir.path())
        .unwrap()
        .with_python(python)
        .with_worker(env!("CARGO_BIN_EXE_orcapod-slurm-test-worker"))
        .with_poll_interval(Duration::from_millis(200))
        .with_lost_grace(Duration::from_secs(3));
    Some((dir, ray))
}

#[test]
fn ray_results_match_local_execution_and_crashes_fail_their_packets() {
    let Some((_dir, ray)) = ray("ray_results_match_local_execution_and_crashes_fail_their_packets")
    else {
        return;
    };
    let f = functions::describe();
    let input = input_batch(&f, &int_source(120));
    let local = LocalExecutor.execute(&f, &input).unwrap();
    let (out, stats) = ray
        .with_chunk_size(40)
        .submit(&f, &input)
        .unwrap()
        .wait_with_stats()
        .unwrap();
    assert_eq!((stats.jobs, stats.tasks), (1, 3));
    for (l, r) in local.columns().iter().zip(out.columns()) {
        for row in 0..120 {
            if !local.dropped().contains(&row) {
                assert_eq!(l.slice(row, 1).to_data(), r.slice(row, 1).to_data());
            }
        }
    }
    assert_eq!(local.dropped(), out.dropped());

    let f = functions::crashy();
    let out = ray
        .with_chunk_size(10)
        .with_retry_policy(RetryPolicy::never())
        .execute(&f, &input_batch(&f, &int_source(20)))
        .unwrap();
    let rows: Vec<usize> = out.failures().iter().map(|f| f.row).collect();
    assert_eq!(rows, (10..20).collect::<Vec<_>>());
    let failure = &out.failures()[0];
    assert_eq!(failure.kind, FailureKind::Executor);
    assert!(
        failure.message.contains("exited with status 42"),
        "{}",
        failure.message
    );
    let captured = failure.captured.as_ref().unwrap();
    assert!(captured.stderr.contains("crashy: fatal error on packet 13"));
}

#[test]
fn dropping_a_ray_run_stops_its_job() {
    let Some((_dir, ray)) = ray("dropping_a_ray_run_stops_its_job") else {
        return;
    };
    let run = ray.submit(&functions::sleepy(), &ints(vec![600])).unwrap();
    let job = run.job_ids()[0].clone();
    let log = run.dir().join("job_0/task_0/stdout.log");
    wait_until(120, "the Ray task to start", || log.exists());
    drop(run);
    wait_until(60, "the Ray job to stop", || {
        ray.job_status(&job).is_ok_and(|s| s == "STOPPED")
    });
}
