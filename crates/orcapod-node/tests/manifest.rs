//! Completion manifests: written only by complete sync runs, keyed by the input's data (not
//! only by the node's identity), and serving exactly what the normal path would.

mod common;

use std::sync::Arc;

use common::{canonical, id_x_source, id_y_pairs, logged, new_log, recording_double, run_watched};
use orcapod_cache::{InMemoryStore, Store, TablePath};
use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{PipelineBuilder, RunConfig, RunMode};

fn manifests(store: &Arc<dyn Store>) -> Vec<TablePath> {
    let mut paths = store.list_paths().unwrap();
    paths.retain(|p| p.components().last().map(String::as_str) == Some("_complete"));
    paths
}

fn manifest_rows(store: &Arc<dyn Store>) -> usize {
    manifests(store)
        .iter()
        .map(|p| store.get_all(p).unwrap().map_or(0, |s| s.len()))
        .sum()
}

#[test]
fn complete_sync_runs_write_one_manifest_per_input_and_reruns_match() {
    let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
    let log = new_log();
    let xs: Vec<i64> = (0..12).collect();
    let build = |xs: &[i64]| {
        let mut b = PipelineBuilder::new("m").store(store.clone());
        let s = b.source(id_x_source("readings", xs));
        b.function(FunctionPod::new(recording_double(&log)), &[s])
            .unwrap();
        b.build().unwrap()
    };
    let cfg = RunConfig::new().chunk_rows(5);
    let first = run_watched(&build(&xs), &cfg).unwrap();
    assert_eq!(manifest_rows(&store), 1, "one complete run, one manifest");
    let again = run_watched(&build(&xs), &cfg).unwrap();
    assert_eq!(again.stats("double").unwrap().cached, 12);
    assert_eq!(
        canonical(again.output("double").unwrap(), false),
        canonical(first.output("double").unwrap(), false),
        "the manifest serves exactly the stored rows"
    );
    // Same source id, one value edited: another input table, so another manifest; the
    // edited packet is computed (the node identity alone would not tell them apart).
    let mut edited = xs.clone();
    edited[3] = 300;
    log.lock().unwrap().clear();
    let third = run_watched(&build(&edited), &cfg).unwrap();
    assert_eq!(logged(&log), vec![300]);
    assert_eq!(id_y_pairs(third.output("double").unwrap())[3], (3, 600));
    assert_eq!(manifest_rows(&store), 2);
}

#[test]
fn partial_runs_and_async_chunks_write_no_manifest() {
    for mode in [RunMode::Sync, RunMode::Async] {
        let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
        let drop_odd = FunctionBuilder::new("keep_even")
            .input::<i64>("x")
            .output::<i64>("y")
            .build(|x: i64| (x % 2 == 0).then_some(x));
        let mut b = PipelineBuilder::new("m").store(store.clone());
        let s = b.source(id_x_source("readings", &[1, 2, 3, 4]));
        b.function(FunctionPod::new(drop_odd), &[s]).unwrap();
        let p = b.build().unwrap();
        let r = run_watched(&p, &RunConfig::new().mode(mode)).unwrap();
        assert_eq!(r.stats("keep_even").unwrap().dropped, 2, "{mode:?}");
        assert_eq!(
            manifest_rows(&store),
            0,
            "{mode:?}: dropped packets are retried next time"
        );
    }
    let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
    let log = new_log();
    let mut b = PipelineBuilder::new("m").store(store.clone());
    let s = b.source(id_x_source("readings", &[1, 2, 3]));
    b.function(FunctionPod::new(recording_double(&log)), &[s])
        .unwrap();
    run_watched(&b.build().unwrap(), &RunConfig::new().mode(RunMode::Async)).unwrap();
    assert_eq!(
        manifest_rows(&store),
        0,
        "async runs see chunks, never the whole input"
    );
}
