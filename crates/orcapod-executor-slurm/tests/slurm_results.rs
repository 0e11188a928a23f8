//! Results through a real Slurm cluster are identical to local execution.
//!
//! Runs only when `SLURM_CONF` is set (see `tests/common/mod.rs`).

mod common;
#[path = "../src/bin/orcapod-slurm-test-worker/functions.rs"]
mod functions;

use std::sync::Arc;

use common::{cluster, input_batch, int_source};
use orcapod_datagram::{ColumnConfig, DataType};
use orcapod_executor::{
    BatchOutput, CommandPacketFunction, DynExecutor, ExecutorOptions, FunctionPod, KindedFunction,
    LocalExecutor, PacketFunction, PodResults,
};

fn assert_same_output(local: &BatchOutput, remote: &BatchOutput) {
    assert_eq!(local.num_rows(), remote.num_rows());
    assert_eq!(local.columns().len(), remote.columns().len());
    for (i, (l, r)) in local.columns().iter().zip(remote.columns()).enumerate() {
        // Values of dropped and failed rows are unspecified: compare the kept rows.
        for row in 0..local.num_rows() {
            let skip =
                local.dropped().contains(&row) || local.failures().iter().any(|f| f.row == row);
            if !skip {
                assert_eq!(
                    l.slice(row, 1).to_data(),
                    r.slice(row, 1).to_data(),
                    "column {i} row {row}"
                );
            }
        }
    }
    assert_eq!(local.dropped(), remote.dropped());
    assert_eq!(local.failures(), remote.failures());
    assert_eq!(local.logs(), remote.logs());
}

fn pod_results<F: KindedFunction + Clone + 'static>(
    f: &F,
    executor: Arc<dyn DynExecutor>,
    n: i64,
) -> PodResults {
    FunctionPod::new(f.clone())
        .with_dyn_executor(executor)
        .unwrap()
        .process(&[int_source(n)])
        .unwrap()
        .materialize_collect()
        .unwrap()
}

fn assert_same_pod_results(local: &PodResults, remote: &PodResults) {
    let cfg = ColumnConfig::default().with_system_tags();
    assert_eq!(
        local.stream.as_table(&cfg).unwrap(),
        remote.stream.as_table(&cfg).unwrap()
    );
    assert_eq!(local.input_rows, remote.input_rows);
    assert_eq!(local.errors, remote.errors);
}

#[test]
fn pod_results_match_local_execution() {
    let Some(c) = cluster("pod_results_match_local_execution") else {
        return;
    };
    let slurm = c.slurm.with_chunk_size(40);
    for f in [
        functions::square(),
        functions::describe(),
        functions::picky(),
    ] {
        let local = pod_results(&f, Arc::new(LocalExecutor), 150);
        let remote = pod_results(&f, Arc::new(slurm.clone()), 150);
        assert_same_pod_results(&local, &remote);
        assert_eq!(remote.execution.executor_type, "slurm");
    }
    // The failing packet carries its error, as locally.
    let remote = pod_results(&functions::picky(), Arc::new(slurm), 150);
    assert_eq!(remote.errors.len(), 1);
    assert_eq!(remote.errors[0].row, 13);
    assert!(remote.errors[0].message.contains("unlucky packet 13"));
}

#[test]
fn batch_output_is_identical_for_chunk_sizes_1_and_100() {
    let Some(c) = cluster("batch_output_is_identical_for_chunk_sizes_1_and_100") else {
        return;
    };
    let f = functions::describe();
    let input = input_batch(&f, &int_source(230));
    let local = LocalExecutor.execute(&f, &input).unwrap();
    // 230 packets in chunks of 100: 3 tasks in one array.
    let (out, stats) = c
        .slurm
        .with_chunk_size(100)
        .submit(&f, &input)
        .unwrap()
        .wait_with_stats()
        .unwrap();
    assert_same_output(&local, &out);
    assert_eq!((stats.jobs, stats.tasks, stats.retried_tasks), (1, 3, 0));
    // 24 packets in chunks of 1, at most 10 tasks per array: 24 tasks in 3 arrays.
    let small = input.slice(0, 24);
    let local_small = LocalExecutor.execute(&f, &small).unwrap();
    let run = c
        .slurm
        .with_chunk_size(1)
        .with_max_array_size(10)
        .submit(&f, &small)
        .unwrap();
    assert_eq!(run.job_ids().len(), 3);
    let (out, stats) = run.wait_with_stats().unwrap();
    assert_same_output(&local_small, &out);
    assert_eq!((stats.jobs, stats.tasks), (3, 24));
    // Options given as strings (as pipelines pass them) work the same way.
    let opts = ExecutorOptions::new().set("chunk_size", 7).set("cpus", 2);
    let out = c
        .slurm
        .with_options(&opts)
        .unwrap()
        .execute(&f, &small)
        .unwrap();
    assert_same_output(&local_small, &out);
    // The run directories are cleaned up.
    assert_eq!(std::fs::read_dir(c.dir.path()).unwrap().count(), 0);
}

#[test]
fn command_functions_need_no_registry_and_keep_captured_output() {
    let Some(c) = cluster("command_functions_need_no_registry_and_keep_captured_output") else {
        return;
    };
    let script = r#"if [ "$1" = 13 ]; then echo "cannot handle $1" >&2; exit 4; fi; echo "working on $1"; echo "{\"y\": $(($1 * 3))}""#;
    let f = CommandPacketFunction::builder("triple", "sh")
        .args(["-c", script, "sh", "{x}"])
        .input("x", DataType::Int)
        .output("y", DataType::Int)
        .build()
        .unwrap();
    assert!(!functions::registry().contains(&f.uri().to_string()));
    let input = input_batch(&f, &int_source(30));
    let local = LocalExecutor.execute(&f, &input).unwrap();
    let remote = c.slurm.with_chunk_size(8).execute(&f, &input).unwrap();
    assert_same_output(&local, &remote);
    let failure = &remote.failures()[0];
    assert_eq!(failure.row, 13);
    let captured = failure.captured.as_ref().unwrap();
    assert_eq!(
        (captured.stderr.as_str(), captured.exit_status),
        ("cannot handle 13\n", Some(4))
    );
    assert_eq!(remote.logs().len(), 30);
}

#[test]
fn empty_input_submits_nothing() {
    let Some(c) = cluster("empty_input_submits_nothing") else {
        return;
    };
    let f = functions::square();
    let input = common::ints(Vec::new());
    let run = c.slurm.submit(&f, &input).unwrap();
    assert!(run.job_ids().is_empty());
    let out = run.wait().unwrap();
    assert_eq!((out.num_rows(), out.columns()[0].len()), (0, 0));
}
