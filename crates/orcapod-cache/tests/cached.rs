//! The packet-level and pod-level caches, proven by the wrapped function's own call log.

mod common;

use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Int64Array, RecordBatch, StringArray};
use common::stores;
use orcapod_cache::cached::{CacheStats, CachedFunctionPod, CachedPacketFunction};
use orcapod_cache::{OnDuplicate, RecordSet, RocksStore, Store, StoreError};
use orcapod_datagram::constants::INPUT_DATA_HASH_COL;
use orcapod_datagram::{Source, SourceOptions, Stream, rows};
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};

/// `y = 10 x`, logging every `x` it is called with; `x == 13` fails, `x == 7` is dropped.
fn logged(log: &Arc<Mutex<Vec<i64>>>) -> RustFunction {
    let log = log.clone();
    FunctionBuilder::new("times_ten")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(move |x: i64| -> Result<Option<i64>, String> {
            log.lock().unwrap().push(x);
            match x {
                13 => Err("unlucky".into()),
                7 => Ok(None),
                _ => Ok(Some(10 * x)),
            }
        })
}

fn source(id: &str, pairs: &[(i64, i64)]) -> Stream {
    let ids: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    let xs: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as _),
        ("x", Arc::new(Int64Array::from(xs)) as _),
    ])
    .unwrap();
    Source::from_batch(batch, SourceOptions::new(["id"]).source_id(id))
        .unwrap()
        .stream()
        .clone()
}

fn ys(stream: &Stream) -> Vec<(i64, i64)> {
    let b = stream.batch();
    let id = b.column_by_name("id").unwrap().as_primitive::<Int64Type>();
    let y = b.column_by_name("y").unwrap().as_primitive::<Int64Type>();
    (0..b.num_rows())
        .map(|i| (id.value(i), y.value(i)))
        .collect()
}

fn drain(log: &Arc<Mutex<Vec<i64>>>) -> Vec<i64> {
    let mut calls = std::mem::take(&mut *log.lock().unwrap());
    calls.sort_unstable();
    calls
}

#[test]
fn packet_cache_computes_each_packet_once_across_pipelines() {
    for (name, store, _dir) in stores() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let first =
            FunctionPod::new(CachedPacketFunction::new(logged(&log), store.clone()).unwrap());
        let a = source("A", &[(1, 1), (2, 2), (3, 2), (4, 7), (5, 13)]);
        let out = first
            .process(std::slice::from_ref(&a))
            .unwrap()
            .materialize_collect()
            .unwrap();
        assert_eq!(ys(&out.stream), vec![(1, 10), (2, 20), (3, 20)], "{name}");
        assert_eq!(out.errors.len(), 1, "{name}");
        // Rows 2 and 3 share a packet but are one batch: both are misses of this call.
        assert_eq!(drain(&log), vec![1, 2, 2, 7, 13], "{name}");
        assert_eq!(
            first.function().stats(),
            CacheStats {
                hits: 0,
                misses: 5,
                stored: 3
            },
            "{name}"
        );

        // Another "pipeline": a new wrapper, other tags, overlapping packets.
        let second =
            FunctionPod::new(CachedPacketFunction::new(logged(&log), store.clone()).unwrap());
        let b = source("B", &[(10, 2), (11, 3), (12, 1), (13, 7), (14, 13)]);
        let out = second.process(&[b]).unwrap().materialize_collect().unwrap();
        assert_eq!(
            ys(&out.stream),
            vec![(10, 20), (11, 30), (12, 10)],
            "{name}"
        );
        // Only the new packet (3) and the ones never stored (dropped 7, failed 13) ran.
        assert_eq!(drain(&log), vec![3, 7, 13], "{name}");
        assert_eq!(
            second.function().stats(),
            CacheStats {
                hits: 2,
                misses: 3,
                stored: 1
            },
            "{name}"
        );

        // Rerun of the first input: all stored packets are hits, results identical.
        let again = first.process(&[a]).unwrap().materialize_collect().unwrap();
        assert_eq!(ys(&again.stream), vec![(1, 10), (2, 20), (3, 20)], "{name}");
        assert_eq!(drain(&log), vec![7, 13], "{name}");
        let stored = first.function().cached_outputs().unwrap().unwrap();
        assert_eq!(
            stored.len(),
            4,
            "{name}: one record per distinct computed packet"
        );
    }
}

#[test]
fn packet_cache_survives_reopening_the_rocksdb_store() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let input = source("A", &[(1, 1), (2, 2), (3, 3)]);
    {
        let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
        let pod = FunctionPod::new(CachedPacketFunction::new(logged(&log), store).unwrap());
        pod.process(std::slice::from_ref(&input))
            .unwrap()
            .materialize_collect()
            .unwrap();
    }
    assert_eq!(drain(&log), vec![1, 2, 3]);
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
    let pod = FunctionPod::new(CachedPacketFunction::new(logged(&log), store).unwrap());
    let out = pod
        .process(&[input])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(ys(&out.stream), vec![(1, 10), (2, 20), (3, 30)]);
    assert!(
        drain(&log).is_empty(),
        "a reopened store serves every packet"
    );
    assert_eq!(pod.function().stats().hits, 3);
}

#[test]
fn lookup_and_insert_can_be_switched_off() {
    for (name, store, _dir) in stores() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let input = source("A", &[(1, 1), (2, 2)]);
        let no_insert = FunctionPod::new(
            CachedPacketFunction::new(logged(&log), store.clone())
                .unwrap()
                .with_insert(false),
        );
        no_insert
            .process(std::slice::from_ref(&input))
            .unwrap()
            .materialize_collect()
            .unwrap();
        assert!(
            no_insert.function().cached_outputs().unwrap().is_none(),
            "{name}"
        );
        let normal =
            FunctionPod::new(CachedPacketFunction::new(logged(&log), store.clone()).unwrap());
        normal
            .process(std::slice::from_ref(&input))
            .unwrap()
            .materialize_collect()
            .unwrap();
        let no_lookup = FunctionPod::new(
            CachedPacketFunction::new(logged(&log), store.clone())
                .unwrap()
                .with_lookup(false),
        );
        no_lookup
            .process(&[input])
            .unwrap()
            .materialize_collect()
            .unwrap();
        // Computed by all three: the first never stored, the last never looked.
        assert_eq!(drain(&log), vec![1, 1, 1, 2, 2, 2], "{name}");
    }
}

#[test]
fn a_stored_result_of_another_type_is_a_typed_error() {
    for (name, store, _dir) in stores() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let cached = CachedPacketFunction::new(logged(&log), store.clone()).unwrap();
        let path = cached.record_path().clone();
        let pod = FunctionPod::new(cached);
        let input = source("A", &[(1, 1)]);
        // Learn the key of x = 1 from a run against a scratch store.
        let scratch: Arc<dyn Store> = Arc::new(orcapod_cache::InMemoryStore::new());
        let probe = FunctionPod::new(CachedPacketFunction::new(logged(&log), scratch).unwrap());
        probe
            .process(std::slice::from_ref(&input))
            .unwrap()
            .materialize_collect()
            .unwrap();
        drain(&log);
        let stored = probe.function().cached_outputs().unwrap().unwrap().data();
        let key = stored
            .column_by_name(INPUT_DATA_HASH_COL)
            .unwrap()
            .as_string::<i64>()
            .value(0)
            .to_string();
        // A record claiming `y` is a string (as if the function changed without a new version).
        let bad = RecordBatch::try_from_iter([
            (
                INPUT_DATA_HASH_COL,
                Arc::new(arrow_array::LargeStringArray::from(vec![key])) as _,
            ),
            ("y", Arc::new(StringArray::from(vec!["ten"])) as _),
        ])
        .unwrap();
        store
            .add_records(
                &path,
                RecordSet::new([b"r".to_vec()], bad).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        let err = pod
            .process(&[input])
            .unwrap()
            .materialize_collect()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("stale cached result") && text.contains("'y'"),
            "{name}: {text}"
        );
        assert!(
            drain(&log).is_empty(),
            "{name}: nothing computed on a stale hit"
        );
    }
}

#[test]
fn pod_cache_keys_on_tags_and_composes_with_the_packet_cache() {
    for (name, store, _dir) in stores() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let pod = |log: &Arc<Mutex<Vec<i64>>>| {
            let function =
                CachedPacketFunction::with_path_prefix(logged(log), store.clone(), &["_packets"])
                    .unwrap();
            CachedFunctionPod::new(FunctionPod::new(function), store.clone(), &["_pods"]).unwrap()
        };
        let cached = pod(&log);
        let a = source("A", &[(1, 1), (2, 2), (3, 13)]);
        let first = cached.process(&a).unwrap();
        assert_eq!(ys(&first.stream), vec![(1, 10), (2, 20)], "{name}");
        assert_eq!(
            (first.cached_rows.clone(), first.computed_rows.clone()),
            (vec![], vec![0, 1, 2]),
            "{name}"
        );
        assert_eq!(first.errors.len(), 1, "{name}");
        assert_eq!(first.errors[0].row, 2, "{name}");
        assert_eq!(drain(&log), vec![1, 2, 13], "{name}");

        // Same rows: pod-level hits (the failed row is retried), identical output.
        let again = pod(&log).process(&a).unwrap();
        assert_eq!(again.cached_rows, vec![0, 1], "{name}");
        assert_eq!(again.stream.batch(), first.stream.batch(), "{name}");
        assert_eq!(drain(&log), vec![13], "{name}");

        // Same packets under new tags: pod-level misses, packet-level hits; one new packet.
        let b = source("B", &[(7, 2), (8, 1), (9, 4)]);
        let other = pod(&log);
        let out = other.process(&b).unwrap();
        assert_eq!(
            out.computed_rows,
            vec![0, 1, 2],
            "{name}: new tags miss the pod cache"
        );
        assert_eq!(ys(&out.stream), vec![(7, 20), (8, 10), (9, 40)], "{name}");
        assert_eq!(
            drain(&log),
            vec![4],
            "{name}: known packets came from the packet cache"
        );
        assert_eq!(other.pod().function().stats().hits, 2, "{name}");
        assert_eq!(
            other.stats(),
            CacheStats {
                hits: 0,
                misses: 3,
                stored: 3
            },
            "{name}"
        );
    }
}

#[test]
fn pod_cache_output_matches_the_plain_pod() {
    for (name, store, _dir) in stores() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let input = Source::from_rows(
            rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 6}, {"id" => 3, "x" => 5}],
            SourceOptions::new(["id"]).source_id("R"),
        )
        .unwrap()
        .stream()
        .clone();
        let plain = FunctionPod::new(logged(&log))
            .process(std::slice::from_ref(&input))
            .unwrap()
            .materialize_collect()
            .unwrap();
        let cached =
            CachedFunctionPod::new(FunctionPod::new(logged(&log)), store.clone(), &["p"]).unwrap();
        let cold = cached.process(&input).unwrap();
        let warm = cached.process(&input).unwrap();
        for (what, got) in [("cold", &cold.stream), ("warm", &warm.stream)] {
            assert_eq!(got.identity(), plain.stream.identity(), "{name} {what}");
            assert_eq!(ys(got), ys(&plain.stream), "{name} {what}");
            // Tags, system tags and source info are carried over as computed.
            for column in ["_tag_source_id::R", "_tag_record_id::R"] {
                assert_eq!(
                    got.batch().column_by_name(column).is_some(),
                    plain.stream.batch().column_by_name(column).is_some(),
                    "{name} {what} {column}"
                );
            }
            assert_eq!(
                got.batch().column_by_name("_source_y").map(|c| c.len()),
                Some(3),
                "{name} {what}"
            );
        }
        assert_eq!(warm.cached_rows, vec![0, 1, 2], "{name}");
    }
}

#[test]
fn an_invalid_prefix_is_rejected_up_front() {
    let (_, store, _dir) = stores().remove(0);
    let log = Arc::new(Mutex::new(Vec::new()));
    let err = CachedFunctionPod::new(FunctionPod::new(logged(&log)), store.clone(), &["a/b"])
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidPath { .. }), "{err}");
    let err = CachedPacketFunction::with_path_prefix(logged(&log), store, &[""]).unwrap_err();
    assert!(matches!(err, StoreError::InvalidPath { .. }), "{err}");
}

#[test]
fn packet_keys_equal_stream_packet_hashes_when_the_packet_is_the_input() {
    let (_, store, _dir) = stores().remove(0);
    let log = Arc::new(Mutex::new(Vec::new()));
    let input = source("A", &[(1, 4), (2, 5)]);
    let pod = FunctionPod::new(CachedPacketFunction::new(logged(&log), store).unwrap());
    pod.process(std::slice::from_ref(&input))
        .unwrap()
        .materialize_collect()
        .unwrap();
    let stored = pod.function().cached_outputs().unwrap().unwrap().data();
    let keys = stored
        .column_by_name(INPUT_DATA_HASH_COL)
        .unwrap()
        .as_string::<i64>();
    let expected: Vec<String> = input
        .packet_hashes()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        keys.iter()
            .map(|k| k.unwrap().to_string())
            .collect::<Vec<_>>(),
        expected
    );
}
