//! `RunConfig::keep_outputs`: which outputs a run report keeps, identical in both modes, with
//! the same statistics and stored results whatever is kept.

mod common;

use std::sync::Arc;

use common::{canonical, counts, id_x_source, id_y_pairs, new_log, recording_double, run_watched};
use orcapod_cache::{InMemoryStore, Store};
use orcapod_executor::FunctionPod;
use orcapod_node::{KeepOutputs, Pipeline, PipelineBuilder, RunConfig, RunMode};
use orcapod_operator::{Join, SelectPacketColumns};

/// Two sources → Join → select → double (the sink), and a second sink: a select over `a`.
fn pipeline(store: Option<Arc<dyn Store>>) -> Pipeline {
    let log = new_log();
    let mut b = PipelineBuilder::new("keep");
    if let Some(store) = store {
        b = b.store(store);
    }
    let a = b.source(id_x_source("A", &[1, 2, 3, 4, 5, 6]));
    let other = b.source(
        orcapod_datagram::Source::from_rows(
            orcapod_datagram::rows![{"id" => 1, "z" => 1}, {"id" => 3, "z" => 3}, {"id" => 5, "z" => 5}],
            orcapod_datagram::SourceOptions::new(["id"]).source_id("B"),
        )
        .unwrap(),
    );
    let joined = b.operator(Join::new(), &[a, other]).unwrap();
    let selected = b
        .operator(SelectPacketColumns::new(["x"]), &[joined])
        .unwrap();
    b.label(selected, "selected").unwrap();
    let doubled = b
        .function(FunctionPod::new(recording_double(&log)), &[selected])
        .unwrap();
    b.label(doubled, "doubled").unwrap();
    let side = b.operator(SelectPacketColumns::new(["x"]), &[a]).unwrap();
    b.label(side, "side").unwrap();
    b.build().unwrap()
}

#[test]
fn sinks_only_and_nothing_keep_what_they_say_in_both_modes() {
    for mode in [RunMode::Sync, RunMode::Async] {
        let cfg = RunConfig::new()
            .mode(mode)
            .chunk_rows(2)
            .channel_capacity(1);
        let all = run_watched(&pipeline(None), &cfg).unwrap();
        assert!(
            all.outputs.len() >= 6,
            "{mode:?}: every node kept by default"
        );

        let sinks = run_watched(
            &pipeline(None),
            &cfg.clone().keep_outputs(KeepOutputs::Sinks),
        )
        .unwrap();
        let kept: Vec<&str> = sinks.outputs.keys().map(String::as_str).collect();
        assert_eq!(kept, vec!["doubled", "side"], "{mode:?}");
        assert_eq!(
            id_y_pairs(&sinks.outputs["doubled"]),
            vec![(1, 4), (3, 8), (5, 12)],
            "{mode:?}"
        );
        for label in ["doubled", "side"] {
            assert_eq!(
                canonical(&sinks.outputs[label], true),
                canonical(&all.outputs[label], true),
                "{mode:?} {label}"
            );
        }
        assert_eq!(
            counts(&sinks),
            counts(&all),
            "{mode:?}: same work whatever is kept"
        );

        let only = run_watched(
            &pipeline(None),
            &cfg.clone().keep_outputs(KeepOutputs::only(["selected"])),
        )
        .unwrap();
        assert_eq!(
            only.outputs.keys().collect::<Vec<_>>(),
            vec!["selected"],
            "{mode:?}"
        );
        assert_eq!(
            canonical(&only.outputs["selected"], true),
            canonical(&all.outputs["selected"], true),
            "{mode:?}"
        );

        let nothing = run_watched(
            &pipeline(None),
            &cfg.clone().keep_outputs(KeepOutputs::Nothing),
        )
        .unwrap();
        assert!(nothing.outputs.is_empty(), "{mode:?}");
        assert_eq!(counts(&nothing), counts(&all), "{mode:?}");
    }
}

#[test]
fn results_reach_the_store_when_no_output_is_kept() {
    for mode in [RunMode::Sync, RunMode::Async] {
        let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
        let cfg = RunConfig::new()
            .mode(mode)
            .keep_outputs(KeepOutputs::Nothing);
        let first = run_watched(&pipeline(Some(store.clone())), &cfg).unwrap();
        assert_eq!(first.stats("doubled").unwrap().computed, 3, "{mode:?}");
        let again = run_watched(&pipeline(Some(store)), &RunConfig::new().mode(mode)).unwrap();
        let s = again.stats("doubled").unwrap();
        assert_eq!(
            (s.computed, s.cached),
            (0, 3),
            "{mode:?}: everything was stored"
        );
        assert_eq!(
            id_y_pairs(&again.outputs["doubled"]),
            vec![(1, 4), (3, 8), (5, 12)],
            "{mode:?}"
        );
    }
}
