//! Observers: run, node and packet events agree with the run report.
//!
//! * Every run starts with `RunStart(run_id)` and ends with `RunEnd(run_id, ok)`.
//! * Each node starts and ends exactly once; its `NodeEnd` carries exactly the reported stats.
//!   In sync mode nodes run one after the other in topological order, so the events form
//!   `start, packets…, end` blocks in node order.
//! * Per function node: one `PacketEnd` per computed, cached and dropped packet and one
//!   `PacketCrash` per failed packet, matching the stats, with distinct rows that count from the
//!   start of the node's input (also in async mode, where a node runs chunk by chunk).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use common::{id_x_source, new_log, recording_double, run_watched};
use orcapod_cache::InMemoryStore;
use orcapod_datagram::{Source, SourceOptions, rows};
use orcapod_executor::{FunctionBuilder, FunctionPod};
use orcapod_node::{
    ErrorPolicy, Event, NodeKind, PacketOutcome, Pipeline, PipelineBuilder, RecordingObserver,
    RunConfig, RunMode, RunReport,
};
use orcapod_operator::Join;

/// A → double(x) ⋈ B → picky(y): fails on y = 60, drops y = 20.
fn pipeline() -> Pipeline {
    let log = new_log();
    let a = id_x_source("A", &[0, 10, 20, 30, 40, 10]);
    let b = Source::from_rows(
        rows![{"id" => 0, "z" => 1}, {"id" => 1, "z" => 2}, {"id" => 3, "z" => 3}, {"id" => 5, "z" => 4}],
        SourceOptions::new(["id"]).source_id("B"),
    )
    .expect("B");
    let picky = FunctionBuilder::new("picky")
        .input::<i64>("y")
        .output::<i64>("w")
        .build(|y: i64| match y {
            60 => Err("sixty".to_string()),
            20 => Ok(None),
            y => Ok(Some(y + 1)),
        });
    let mut p = PipelineBuilder::new("observed").store(Arc::new(InMemoryStore::new()));
    let a = p.source(a);
    let b = p.source(b);
    let d = p
        .function(FunctionPod::new(recording_double(&log)), &[a])
        .expect("double");
    let j = p.operator(Join::new(), &[d, b]).expect("join");
    p.function(FunctionPod::new(picky), &[j]).expect("picky");
    p.build().expect("build")
}

fn observed(
    p: &Pipeline,
    cfg: RunConfig,
) -> (Result<RunReport, orcapod_node::NodeError>, Vec<Event>) {
    let rec = Arc::new(RecordingObserver::default());
    let r = run_watched(p, &cfg.observer(rec.clone()));
    (r, rec.events())
}

fn check_events(p: &Pipeline, report: &RunReport, events: &[Event], mode: RunMode) {
    assert_eq!(
        events.first(),
        Some(&Event::RunStart(report.run_id.clone())),
        "{mode:?}"
    );
    assert_eq!(
        events.last(),
        Some(&Event::RunEnd(report.run_id.clone(), true)),
        "{mode:?}"
    );
    let labels: Vec<String> = p
        .node_ids()
        .map(|id| p.label(id).expect("label").to_string())
        .collect();

    // Each node starts and ends once; its end carries the reported stats.
    let starts: Vec<&String> = events
        .iter()
        .filter_map(|e| {
            if let Event::NodeStart(l, _) = e {
                Some(l)
            } else {
                None
            }
        })
        .collect();
    let ends: Vec<(&String, &orcapod_node::NodeStats)> = events
        .iter()
        .filter_map(|e| {
            if let Event::NodeEnd(l, s) = e {
                Some((l, s))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        starts.iter().collect::<BTreeSet<_>>().len(),
        labels.len(),
        "{mode:?}: {starts:?}"
    );
    assert_eq!(starts.len(), labels.len(), "{mode:?}");
    assert_eq!(ends.len(), labels.len(), "{mode:?}");
    for (label, s) in &ends {
        assert_eq!(
            Some(*s),
            report.stats(label),
            "{mode:?}: NodeEnd stats of {label} differ from the report"
        );
    }
    for e in events {
        if let Event::NodeStart(l, kind) = e {
            let id = p.node(l).expect("node");
            assert_eq!(*kind, p.kind(id).expect("kind"), "{mode:?}");
        }
    }
    if mode == RunMode::Sync {
        // Topological order, one node at a time: start, its packet events, end.
        assert_eq!(
            starts,
            labels.iter().collect::<Vec<_>>(),
            "sync: nodes start in topological order"
        );
        let mut current: Option<&String> = None;
        for e in &events[1..events.len() - 1] {
            match e {
                Event::NodeStart(l, _) => {
                    assert!(
                        current.is_none(),
                        "sync: {l} started while {current:?} was running"
                    );
                    current = Some(l);
                }
                Event::NodeEnd(l, _) => {
                    assert_eq!(current, Some(l), "sync: end of a node that was not running");
                    current = None;
                }
                Event::PacketEnd(l, _, _) | Event::PacketCrash(l, _) => {
                    assert_eq!(current, Some(l), "sync: packet event outside its node");
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
        for id in p.node_ids() {
            for input in p.inputs(id).expect("inputs") {
                assert!(input.index() < id.index(), "node order is not topological");
            }
        }
    }

    // Packet events match the stats, with distinct rows of the node's input.
    let mut outcomes: HashMap<(&str, PacketOutcome), usize> = HashMap::new();
    let mut crashes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for e in events {
        match e {
            Event::PacketEnd(l, row, o) => {
                *outcomes.entry((l.as_str(), *o)).or_default() += 1;
                rows.entry(l.as_str()).or_default().push(*row);
            }
            Event::PacketCrash(l, _) => *crashes.entry(l.as_str()).or_default() += 1,
            _ => {}
        }
    }
    for s in &report.nodes {
        let l = s.label.as_str();
        let count = |o| outcomes.get(&(l, o)).copied().unwrap_or(0);
        if s.kind != NodeKind::Function {
            assert!(
                !rows.contains_key(l) && !crashes.contains_key(l),
                "{mode:?}: packet events from {l}"
            );
            continue;
        }
        assert_eq!(
            count(PacketOutcome::Computed),
            s.computed,
            "{mode:?}: {l} computed events"
        );
        assert_eq!(
            count(PacketOutcome::Cached),
            s.cached,
            "{mode:?}: {l} cached events"
        );
        assert_eq!(
            count(PacketOutcome::Dropped),
            s.dropped,
            "{mode:?}: {l} dropped events"
        );
        assert_eq!(
            crashes.get(l).copied().unwrap_or(0),
            s.failed,
            "{mode:?}: {l} crash events"
        );
        if let Some(rs) = rows.get(l) {
            let distinct: BTreeSet<_> = rs.iter().collect();
            assert_eq!(
                distinct.len(),
                rs.len(),
                "{mode:?}: {l}: packet events repeat rows {rs:?}"
            );
        }
    }
    let errors = report.errors.iter().filter(|(l, _)| l == "picky").count();
    assert_eq!(crashes.get("picky").copied(), Some(errors), "{mode:?}");
}

#[test]
fn packet_events_match_stats_and_nodes_run_in_topological_order() {
    for mode in [RunMode::Sync, RunMode::Async] {
        let p = pipeline();
        let cfg = || RunConfig::new().mode(mode).chunk_rows(1).max_concurrency(1);
        let (first, events) = observed(&p, cfg());
        let first = first.expect("first run");
        check_events(&p, &first, &events, mode);
        assert_eq!(
            first.stats("double").map(|s| (s.computed, s.cached)),
            Some((5, 1)),
            "{mode:?}: in-run duplicate"
        );
        let picky = first.stats("picky").expect("picky");
        assert_eq!(
            (picky.computed, picky.dropped, picky.failed),
            (1, 2, 1),
            "{mode:?}"
        );

        // Rerun: cache hits are reported as such.
        let (second, events) = observed(&p, cfg());
        let second = second.expect("second run");
        check_events(&p, &second, &events, mode);
        assert_eq!(
            second.stats("double").map(|s| (s.computed, s.cached)),
            Some((0, 6)),
            "{mode:?}"
        );
        assert!(
            events.iter().any(
                |e| matches!(e, Event::PacketEnd(l, _, PacketOutcome::Cached) if l == "double")
            )
        );
        assert_ne!(first.run_id, second.run_id);
    }
}

#[test]
fn a_failed_run_ends_with_run_end_not_ok() {
    for mode in [RunMode::Sync, RunMode::Async] {
        let p = pipeline();
        let (result, events) = observed(
            &p,
            RunConfig::new()
                .mode(mode)
                .error_policy(ErrorPolicy::FailFast),
        );
        assert!(
            matches!(result, Err(orcapod_node::NodeError::PacketFailed { .. })),
            "{mode:?}: {result:?}"
        );
        let Some(Event::RunStart(id)) = events.first() else {
            panic!("{mode:?}: no RunStart: {events:?}")
        };
        assert_eq!(
            events.last(),
            Some(&Event::RunEnd(id.clone(), false)),
            "{mode:?}"
        );
        assert!(
            events.iter().any(
                |e| matches!(e, Event::PacketCrash(l, m) if l == "picky" && m.contains("sixty"))
            )
        );
    }
}
