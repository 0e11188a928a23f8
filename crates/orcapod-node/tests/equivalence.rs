//! Sync/async equivalence on random DAGs.
//!
//! A property test builds random pipelines — 1 to 3 sources with random small data (duplicate
//! keys, nulls in nullable columns, empty sources), then joins (2 and 3 inputs), semi-joins,
//! batches (size 0 and > 0, with and without `drop_partial`), tag/packet selects, drops and
//! maps, filters and function pods (one and two inputs; functions that fail or drop some
//! packets) — and checks that the sync and the async orchestrators give identical rows, with
//! every hidden column (system tags, content hash, context, source info).
//!
//! # How rows are compared
//!
//! Every node's output is rendered with `ColumnConfig::all()`, one canonical string per row,
//! and the rows are sorted (row order is not part of the contract: the async symmetric join
//! emits matches in arrival order). Column names, types and nullability are compared too.
//!
//! The source info of a computed value is `{function uri}::{UUIDv7}::{column}`, with a fresh
//! random UUID per computed packet, so two runs that *compute* the same packets can only agree
//! up to those UUIDs. The test therefore checks two things:
//!
//! 1. **Without a store**, sync vs async (several channel capacities, concurrency limits and
//!    chunk sizes): rows are compared with the 32-hex UUID block replaced by a placeholder
//!    (uri and column name still compared; every other column exactly). Node statistics and
//!    packet errors (node, tags, kind, message) must be identical too; an error's row (the
//!    packet's position in the node's input) is compared wherever the input order is defined
//!    (sync with vs without store, and the fixed DAG below), not after an async symmetric join.
//!    Duplicated packets are the interesting case for the store: they are computed once and
//!    served to every row.
//! 2. **With a store**, exactly: one mode computes into a fresh store, the other mode then runs
//!    on that store and must serve the *same* stored UUIDs for every row — a byte-exact
//!    comparison that also proves each row is linked to its own result record. This is done in
//!    both directions (sync computes / async serves, and async computes / sync serves), and
//!    the store runs are also compared (modulo UUIDs) with the store-less runs.
//!
//! Every run's node outputs must also have exactly the schema the builder predicted. Async
//! runs go through a watchdog (`common::run_watched`) so that a deadlock fails the test instead
//! of hanging it. Fixed DAGs below pin down the regressions this test found (diamond deadlocks,
//! empty inputs, identical nodes racing on the store, order-sensitive `Batch` after an async
//! join or concurrent function node).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Canonical, canonical_outputs, counts, error_list, run_watched};
use orcapod_cache::InMemoryStore;
use orcapod_datagram::{DataType, Field, RowSet, Source, SourceOptions, Value};
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
use orcapod_node::{NodeId, Pipeline, PipelineBuilder, RunConfig, RunMode, RunReport};
use orcapod_operator::{
    Batch, DropPacketColumns, DropTagColumns, Filter, Join, MapPackets, MapTags, Predicate,
    SelectPacketColumns, SelectTagColumns, SemiJoin,
};
use proptest::prelude::*;

/// Column pool: every name has one type, so shared columns are type-compatible.
const TAGS: [(&str, DataType); 2] = [("id", DataType::Int), ("k", DataType::Str)];
const PACKETS: [(&str, DataType); 4] = [
    ("a", DataType::Int),
    ("b", DataType::Int),
    ("c", DataType::Float),
    ("d", DataType::Str),
];

#[derive(Debug, Clone)]
struct SourceSpec {
    /// 0: [id], 1: [k], 2: [id, k].
    tags: u8,
    /// Bitmask over `PACKETS` (restricted per source, see `make_source`).
    packets: u8,
    /// One cell seed per column (`u8`): value `seed % 4`, null when `seed >= 12` and the
    /// column is nullable.
    rows: Vec<[u8; 6]>,
}

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Join3(usize, usize, usize),
    SemiJoin(usize, usize),
    Batch(usize, usize, bool),
    SelectTags(usize, usize),
    DropTags(usize, usize),
    SelectPackets(usize, usize),
    DropPackets(usize, usize),
    MapTags(usize, usize),
    MapPackets(usize, usize),
    Filter(usize, usize, u8, u8),
    Function(usize, usize),
    Function2(usize, usize, usize),
}

#[derive(Debug, Clone)]
struct Case {
    /// Nullability of each column name (case-wide, so that shared columns agree).
    nullable: [bool; 6],
    sources: Vec<SourceSpec>,
    ops: Vec<Op>,
    /// Async configurations: (channel capacity, max concurrency, chunk rows).
    configs: Vec<(usize, usize, usize)>,
}

fn source_spec() -> impl Strategy<Value = SourceSpec> {
    (
        0u8..3,
        0u8..16,
        prop::collection::vec(prop::array::uniform6(0u8..16), 0..6),
    )
        .prop_map(|(tags, packets, rows)| SourceSpec {
            tags,
            packets,
            rows,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0usize..64;
    prop_oneof![
        3 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::Join(a, b)),
        1 => (n.clone(), n.clone(), n.clone()).prop_map(|(a, b, c)| Op::Join3(a, b, c)),
        2 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::SemiJoin(a, b)),
        2 => (n.clone(), 0usize..4, any::<bool>()).prop_map(|(a, s, d)| Op::Batch(a, s, d)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::SelectTags(a, c)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::DropTags(a, c)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::SelectPackets(a, c)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::DropPackets(a, c)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::MapTags(a, c)),
        1 => (n.clone(), n.clone()).prop_map(|(a, c)| Op::MapPackets(a, c)),
        2 => (n.clone(), n.clone(), any::<u8>(), any::<u8>()).prop_map(|(a, c, k, l)| Op::Filter(a, c, k, l)),
        4 => (n.clone(), 0usize..6).prop_map(|(a, f)| Op::Function(a, f)),
        1 => (n.clone(), n, 0usize..6).prop_map(|(a, b, f)| Op::Function2(a, b, f)),
    ]
}

fn config() -> impl Strategy<Value = (usize, usize, usize)> {
    (
        prop::sample::select(vec![1usize, 2, 64]),
        prop::sample::select(vec![1usize, 2, 4]),
        prop::sample::select(vec![1usize, 2, 3, 1024]),
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::array::uniform6(any::<bool>()),
        prop::collection::vec(source_spec(), 1..4),
        prop::collection::vec(op(), 1..8),
        prop::collection::vec(config(), 2..3),
    )
        .prop_map(|(mut nullable, sources, ops, configs)| {
            nullable[0] = false; // `id` never null
            Case {
                nullable,
                sources,
                ops,
                configs,
            }
        })
}

fn value(dtype: &DataType, seed: u8, nullable: bool) -> Value {
    if nullable && seed >= 12 {
        return Value::Null;
    }
    let v = i64::from(seed % 4);
    match dtype {
        DataType::Int => Value::Int(v),
        DataType::Float => Value::Float(v as f64 * 0.75),
        _ => Value::Str(format!("s{v}")),
    }
}

fn make_source(i: usize, spec: &SourceSpec, nullable: &[bool; 6]) -> Source {
    let tag_idx: Vec<usize> = match spec.tags {
        0 => vec![0],
        1 => vec![1],
        _ => vec![0, 1],
    };
    // Sources 0 and 1 draw from disjoint packet columns (so that they can be joined), the
    // third from all of them.
    let allowed: u8 = match i {
        0 => 0b0011,
        1 => 0b1100,
        _ => 0b1111,
    };
    let mut packet_idx: Vec<usize> = (0..4)
        .filter(|b| spec.packets & allowed & (1 << b) != 0)
        .collect();
    if packet_idx.is_empty() {
        packet_idx.push(allowed.trailing_zeros() as usize);
    }
    let mut fields = Vec::new();
    let mut cols = Vec::new(); // (name, dtype, nullable, slot)
    for &t in &tag_idx {
        cols.push((TAGS[t].0, TAGS[t].1.clone(), nullable[t], t));
    }
    for &p in &packet_idx {
        cols.push((PACKETS[p].0, PACKETS[p].1.clone(), nullable[2 + p], 2 + p));
    }
    for (name, dtype, null, _) in &cols {
        fields.push(Field {
            name: name.to_string(),
            dtype: dtype.clone(),
            nullable: *null,
        });
    }
    let mut set = RowSet::with_schema(fields);
    for row in &spec.rows {
        set.push(
            cols.iter()
                .map(|(name, dtype, null, slot)| {
                    (name.to_string(), value(dtype, row[*slot], *null))
                })
                .collect(),
        );
    }
    let tags: Vec<&str> = tag_idx.iter().map(|&t| TAGS[t].0).collect();
    Source::from_rows(set, SourceOptions::new(tags).source_id(format!("S{i}"))).expect("source")
}

/// The function catalog: nullable inputs (so they bind to nullable and non-nullable columns),
/// some failing (`Err`) and some dropping packets.
fn function(i: usize) -> RustFunction {
    match i {
        0 => FunctionBuilder::new("inc")
            .input::<Option<i64>>("a")
            .output::<Option<i64>>("a1")
            .build(|a: Option<i64>| a.map(|v| v + 1)),
        1 => FunctionBuilder::new("checked")
            .input::<Option<i64>>("b")
            .output::<i64>("b1")
            .build(|b: Option<i64>| {
                if b == Some(2) {
                    Err("b is 2".to_string())
                } else {
                    Ok(b.unwrap_or(-1) * 10)
                }
            }),
        2 => FunctionBuilder::new("halve")
            .input::<Option<f64>>("c")
            .output::<f64>("c1")
            .build(|c: Option<f64>| match c {
                Some(c) if c <= 1.0 => Some(c / 2.0),
                _ => None,
            }),
        3 => FunctionBuilder::new("strlen")
            .input::<Option<String>>("d")
            .output::<i64>("dl")
            .build(|d: Option<String>| d.map_or(-1, |s| s.len() as i64)),
        4 => FunctionBuilder::new("pair")
            .input::<Option<i64>>("a")
            .input::<Option<i64>>("b")
            .output::<Option<i64>>("ab")
            .build(|a: Option<i64>, b: Option<i64>| Some(a? * 10 + b?)),
        _ => FunctionBuilder::new("twice")
            .input::<Option<i64>>("a1")
            .output::<Option<i64>>("a2")
            .build(|a: Option<i64>| a.map(|v| 2 * v)),
    }
}

fn pick(nodes: &[NodeId], i: usize) -> NodeId {
    // Prefer recent nodes, so that DAGs grow deep.
    nodes[nodes.len() - 1 - (i % nodes.len())]
}

fn any_node(nodes: &[NodeId], i: usize) -> NodeId {
    // Any node, sources included (joins need inputs with disjoint packet columns).
    nodes[i % nodes.len()]
}

fn filter_for(field: &arrow_schema::Field, kind: u8, lit: u8) -> Predicate {
    use arrow_schema::DataType as T;
    let name = field.name().clone();
    let l = i64::from(lit % 4);
    match (field.data_type(), kind % 4) {
        (T::Int64, 0) => Predicate::eq(name, l),
        (T::Int64, 1) => Predicate::gt(name, l),
        (T::Int64, 2) => Predicate::is_null(name),
        (T::Int64, _) => Predicate::is_in(name, [l, l + 1]),
        (T::Float64, 0) => Predicate::eq(name, l as f64 * 0.75),
        (T::Float64, 1) => Predicate::le(name, l as f64 * 0.75),
        (T::Float64, 2) => Predicate::is_not_null(name),
        (T::Float64, _) => Predicate::gt(name, l as f64 * 0.75),
        (T::LargeUtf8, 0) => Predicate::eq(name, format!("s{l}")),
        (T::LargeUtf8, 1) => Predicate::ne(name, format!("s{l}")),
        (T::LargeUtf8, 2) => Predicate::is_null(name),
        (T::LargeUtf8, _) => Predicate::is_in(name, [format!("s{l}"), format!("s{}", l + 1)]),
        (_, 0) => Predicate::is_null(name),
        _ => Predicate::is_not_null(name),
    }
}

/// Build the case's pipeline; ops the builder rejects (schema mismatch, ...) are skipped.
fn build(case: &Case) -> Pipeline {
    let mut b = PipelineBuilder::new("equivalence");
    let mut nodes = Vec::new();
    for (i, s) in case.sources.iter().enumerate() {
        nodes.push(b.source(make_source(i, s, &case.nullable)));
    }
    for (step, op) in case.ops.iter().enumerate() {
        let schema = |b: &PipelineBuilder, id: NodeId| {
            b.clone()
                .build()
                .expect("build")
                .schema(id)
                .expect("schema")
                .clone()
        };
        let added = match op {
            Op::Join(x, y) => {
                let (l, r) = (pick(&nodes, *x), any_node(&nodes, *y));
                // Rename the right side's clashing packet columns first, so that most joins are valid.
                let left = schema(&b, l).packet_names();
                let clash: Vec<(String, String)> = schema(&b, r)
                    .packet_names()
                    .into_iter()
                    .filter(|p| left.contains(p))
                    .map(|p| (p.clone(), format!("{p}_{step}")))
                    .collect();
                let r = if clash.is_empty() || l == r {
                    Ok(r)
                } else {
                    b.operator(MapPackets::new(clash), &[r])
                };
                r.and_then(|r| b.operator(Join::new(), &[l, r]))
            }
            Op::Join3(x, y, z) => b.operator(
                Join::new(),
                &[pick(&nodes, *x), any_node(&nodes, *y), any_node(&nodes, *z)],
            ),
            Op::SemiJoin(x, y) => {
                b.operator(SemiJoin::new(), &[pick(&nodes, *x), any_node(&nodes, *y)])
            }
            Op::Batch(x, size, drop) => b.operator(Batch::new(*size, *drop), &[pick(&nodes, *x)]),
            Op::SelectTags(x, c) | Op::DropTags(x, c) | Op::MapTags(x, c) => {
                let input = pick(&nodes, *x);
                let tags = schema(&b, input).tag_names();
                if tags.is_empty() {
                    continue;
                }
                let col = tags[c % tags.len()].clone();
                match op {
                    Op::SelectTags(..) => b.operator(SelectTagColumns::new([col]), &[input]),
                    Op::DropTags(..) => b.operator(DropTagColumns::new([col]), &[input]),
                    _ => b.operator(MapTags::new([(col, format!("t{step}"))]), &[input]),
                }
            }
            Op::SelectPackets(x, c) | Op::DropPackets(x, c) | Op::MapPackets(x, c) => {
                let input = pick(&nodes, *x);
                let packets = schema(&b, input).packet_names();
                let col = packets[c % packets.len()].clone();
                match op {
                    Op::SelectPackets(..) => b.operator(SelectPacketColumns::new([col]), &[input]),
                    Op::DropPackets(..) => b.operator(DropPacketColumns::new([col]), &[input]),
                    _ => b.operator(MapPackets::new([(col, format!("p{step}"))]), &[input]),
                }
            }
            Op::Filter(x, c, kind, lit) => {
                let input = pick(&nodes, *x);
                let s = schema(&b, input);
                let fields: Vec<_> = s.tags.iter().chain(&s.packets).cloned().collect();
                let field = &fields[c % fields.len()];
                b.operator(Filter::new(filter_for(field, *kind, *lit)), &[input])
            }
            Op::Function(x, f) => b.function(FunctionPod::new(function(*f)), &[pick(&nodes, *x)]),
            Op::Function2(x, y, f) => b.function(
                FunctionPod::new(function(*f)),
                &[pick(&nodes, *x), any_node(&nodes, *y)],
            ),
        };
        if let Ok(id) = added {
            nodes.push(id);
        }
    }
    b.build().expect("build")
}

fn async_config((capacity, concurrency, chunk): (usize, usize, usize)) -> RunConfig {
    RunConfig::new()
        .mode(RunMode::Async)
        .channel_capacity(capacity)
        .max_concurrency(concurrency)
        .chunk_rows(chunk)
}

/// Every node's output has exactly the predicted schema.
fn check_schemas(pipeline: &Pipeline, report: &RunReport, what: &str) -> Result<(), TestCaseError> {
    for id in pipeline.node_ids() {
        let label = pipeline.label(id).expect("label");
        let out = report
            .output(label)
            .ok_or_else(|| TestCaseError::fail(format!("{what}: no output for {label}")))?;
        let predicted = pipeline.schema(id).expect("schema");
        prop_assert_eq!(
            &out.schema(),
            predicted,
            "{}: node {} output schema differs from the prediction",
            what,
            label
        );
    }
    Ok(())
}

fn function_labels(pipeline: &Pipeline) -> Vec<String> {
    pipeline
        .node_ids()
        .filter(|&id| pipeline.kind(id).expect("kind") == orcapod_node::NodeKind::Function)
        .map(|id| pipeline.label(id).expect("label").to_string())
        .collect()
}

fn assert_same(
    a: &BTreeMap<String, Canonical>,
    b: &BTreeMap<String, Canonical>,
    what: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{}: node sets differ",
        what
    );
    for (label, x) in a {
        let y = &b[label];
        prop_assert_eq!(
            &x.columns,
            &y.columns,
            "{}: columns of {} differ",
            what,
            label
        );
        prop_assert_eq!(&x.rows, &y.rows, "{}: rows of {} differ", what, label);
    }
    Ok(())
}

fn check_case(case: &Case) -> Result<(), TestCaseError> {
    let pipeline = build(case);

    // 1. No store: sync vs async under several configurations, modulo computed-value UUIDs.
    let sync = pipeline
        .run(&RunConfig::new())
        .map_err(|e| TestCaseError::fail(format!("sync run failed: {e}")))?;
    check_schemas(&pipeline, &sync, "sync")?;
    let reference = canonical_outputs(&sync, true);
    for &cfg in &case.configs {
        let run = run_watched(&pipeline, &async_config(cfg))
            .map_err(|e| TestCaseError::fail(format!("async run {cfg:?} failed: {e}")))?;
        let what = format!("async {cfg:?} vs sync");
        check_schemas(&pipeline, &run, &what)?;
        assert_same(&reference, &canonical_outputs(&run, true), &what)?;
        prop_assert_eq!(
            counts(&sync),
            counts(&run),
            "{}: node statistics differ",
            what
        );
        prop_assert_eq!(
            error_list(&sync, false),
            error_list(&run, false),
            "{}: packet errors differ",
            what
        );
    }

    // 2. With a store, exactly: one mode computes, the other serves the same stored records.
    let functions = function_labels(&pipeline);
    let all_cached = |report: &RunReport, what: &str| -> Result<(), TestCaseError> {
        for f in &functions {
            let s = report.stats(f).expect("stats");
            prop_assert_eq!(
                s.computed,
                0,
                "{}: {} computed packets on a populated store",
                what,
                f
            );
        }
        Ok(())
    };
    let cfg = case.configs[0];

    let stored = pipeline
        .extend()
        .store(Arc::new(InMemoryStore::new()))
        .build()
        .expect("build");
    let a = stored
        .run(&RunConfig::new().chunk_rows(cfg.2))
        .map_err(|e| TestCaseError::fail(format!("sync store run: {e}")))?;
    check_schemas(&stored, &a, "sync with store")?;
    assert_same(
        &reference,
        &canonical_outputs(&a, true),
        "sync with store vs sync without",
    )?;
    prop_assert_eq!(
        error_list(&sync, true),
        error_list(&a, true),
        "sync with store vs without: packet errors differ"
    );
    let b = run_watched(&stored, &async_config(cfg))
        .map_err(|e| TestCaseError::fail(format!("async store rerun: {e}")))?;
    check_schemas(&stored, &b, "async rerun with store")?;
    assert_same(
        &canonical_outputs(&a, false),
        &canonical_outputs(&b, false),
        "async serving sync's store",
    )?;
    all_cached(&b, "async rerun")?;
    prop_assert_eq!(
        error_list(&a, false),
        error_list(&b, false),
        "async serving sync's store: packet errors differ"
    );

    let stored = pipeline
        .extend()
        .store(Arc::new(InMemoryStore::new()))
        .build()
        .expect("build");
    let c = run_watched(&stored, &async_config(cfg))
        .map_err(|e| TestCaseError::fail(format!("async store run: {e}")))?;
    check_schemas(&stored, &c, "async with store")?;
    assert_same(
        &reference,
        &canonical_outputs(&c, true),
        "async with store vs sync without",
    )?;
    prop_assert_eq!(
        error_list(&sync, false),
        error_list(&c, false),
        "async with store vs sync without: packet errors differ"
    );
    let d = stored
        .run(&RunConfig::new())
        .map_err(|e| TestCaseError::fail(format!("sync store rerun: {e}")))?;
    assert_same(
        &canonical_outputs(&c, false),
        &canonical_outputs(&d, false),
        "sync serving async's store",
    )?;
    all_cached(&d, "sync rerun")?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, max_shrink_iters: 400, max_shrink_time: 120_000, ..ProptestConfig::default() })]
    #[test]
    fn sync_and_async_give_identical_rows(case in case()) {
        check_case(&case)?;
    }
}

/// Identical output across every channel capacity and concurrency limit, on a fixed DAG that
/// uses every streaming strategy (per-chunk, accumulate, build-probe, symmetric join, barrier
/// and concurrent function chunks), with one-row chunks so that every channel is exercised.
#[test]
fn identical_output_across_capacities_and_concurrency() {
    let case = Case {
        nullable: [false, true, false, true, false, true],
        sources: vec![
            SourceSpec {
                tags: 0,
                packets: 0b0011,
                rows: (0..6u8)
                    .map(|i| [i % 3, i, i, i + 1, 3 - (i % 4), 12 + i])
                    .collect(),
            },
            SourceSpec {
                tags: 0,
                packets: 0b0100,
                rows: (0..5u8).map(|i| [i % 4, 0, 0, 0, i, 0]).collect(),
            },
            SourceSpec {
                tags: 2,
                packets: 0b1000,
                rows: (0..4u8).map(|i| [i, i, 0, 0, 0, i]).collect(),
            },
        ],
        ops: vec![
            Op::Function(2, 0),     // inc(a) on S0
            Op::Join(0, 1),         // inc ⋈ S1 (symmetric join)
            Op::Function(0, 5),     // twice(a1)
            Op::Batch(0, 2, false), // accumulate
            Op::SemiJoin(3, 2),     // inc ⋉ S2 (build-probe)
            Op::Filter(0, 0, 1, 0), // per-chunk
            Op::Batch(0, 0, false), // barrier
            Op::Join3(8, 7, 2),     // S1 ⋈ semi-join ⋈ S2 (3 inputs: barrier)
            Op::Function(10, 1),    // checked(b) on S0: fails on b == 2
        ],
        configs: vec![],
    };
    let pipeline = build(&case);
    assert_eq!(
        pipeline.node_ids().count(),
        12,
        "the fixed DAG lost nodes: {pipeline:?}"
    );
    let sync = pipeline.run(&RunConfig::new()).expect("sync");
    let reference = canonical_outputs(&sync, true);
    for capacity in [1, 2, 64] {
        for concurrency in [1, 2, 4] {
            for chunk in [1, 2] {
                let cfg = (capacity, concurrency, chunk);
                let run = run_watched(&pipeline, &async_config(cfg))
                    .unwrap_or_else(|e| panic!("async {cfg:?}: {e}"));
                let got = canonical_outputs(&run, true);
                for (label, want) in &reference {
                    assert_eq!(
                        want, &got[label],
                        "async {cfg:?}: node {label} differs from sync"
                    );
                }
                assert_eq!(
                    counts(&sync),
                    counts(&run),
                    "async {cfg:?}: statistics differ"
                );
                assert_eq!(
                    error_list(&sync, true),
                    error_list(&run, true),
                    "async {cfg:?}: packet errors differ"
                );
            }
        }
    }
}

/// The UUID placeholder only hides the 32-hex block of computed source info.
#[test]
fn uuid_normalisation_is_narrow() {
    let s = "double:abc:v0:rust.function.v0::0123456789abcdef0123456789abcdef::y";
    assert_eq!(
        common::strip_uuids(s),
        "double:abc:v0:rust.function.v0::<uuid>::y"
    );
    assert_eq!(common::strip_uuids("S0::row_1::a"), "S0::row_1::a");
    assert_ne!(
        common::strip_uuids(s),
        common::strip_uuids(&s.replace("::y", "::z"))
    );
}

fn rows_source(id: &str, n: i64) -> Source {
    let xs: Vec<i64> = (0..n).map(|i| i % 7).collect();
    common::id_x_source(id, &xs)
}

/// Nodes that read several inputs sharing an upstream node (diamonds) must read them all at
/// once: with one-row chunks and capacity-1 channels, draining one input before the other
/// fills the other's buffer, stalls the shared upstream node and deadlocks the run.
#[test]
fn diamonds_do_not_deadlock_with_small_buffers() {
    let build = |shape: usize| {
        let mut b = PipelineBuilder::new("diamond");
        let s = b.source(rows_source("S", 12));
        let t = b.source(
            Source::from_rows(
                orcapod_datagram::rows![{"id" => 1, "z" => 5}, {"id" => 3, "z" => 6}],
                SourceOptions::new(["id"]).source_id("T"),
            )
            .expect("T"),
        );
        match shape {
            // build-probe on the same node
            0 => b.operator(SemiJoin::new(), &[s, s]).expect("semijoin"),
            // build-probe through a per-chunk node
            1 => {
                let f = b
                    .operator(Filter::new(Predicate::gt("x", 2)), &[s])
                    .expect("filter");
                b.operator(SemiJoin::new(), &[s, f]).expect("semijoin")
            }
            // barrier (3-input join) with two inputs from the same source
            2 => {
                let m = b
                    .operator(MapPackets::new([("x", "x2")]), &[s])
                    .expect("map");
                b.operator(Join::new(), &[s, m, t]).expect("join")
            }
            // barrier (batch of everything) fed by a symmetric join of a diamond
            _ => {
                let m = b
                    .operator(MapPackets::new([("x", "x2")]), &[s])
                    .expect("map");
                let j = b.operator(Join::new(), &[s, m]).expect("join");
                b.operator(Batch::new(0, false), &[j]).expect("batch")
            }
        };
        b.build().expect("build")
    };
    for shape in 0..4 {
        let p = build(shape);
        let sync = p.run(&RunConfig::new()).expect("sync");
        for concurrency in [1, 4] {
            let run = run_watched(&p, &async_config((1, concurrency, 1)))
                .unwrap_or_else(|e| panic!("shape {shape}: {e}"));
            assert_same(
                &canonical_outputs(&sync, true),
                &canonical_outputs(&run, true),
                &format!("shape {shape}"),
            )
            .expect("same rows");
        }
    }
}

/// An operator whose input is empty (or filtered to nothing) still produces its output
/// schema downstream, and barriers after it do not fail for lack of input chunks.
#[test]
fn empty_streams_flow_through_every_strategy() {
    let empty = Source::from_rows(
        RowSet::with_schema(vec![
            Field::new("id", DataType::Int),
            Field::new("x", DataType::Int),
        ]),
        SourceOptions::new(["id"]).source_id("E"),
    )
    .expect("empty source");
    let mut b = PipelineBuilder::new("empty");
    let e = b.source(empty);
    let s = b.source(rows_source("S", 5));
    let none = b
        .operator(Filter::new(Predicate::gt("x", 100)), &[s])
        .expect("filter");
    let t = b.source(
        Source::from_rows(
            orcapod_datagram::rows![{"id" => 1, "z" => 5}],
            SourceOptions::new(["id"]).source_id("T"),
        )
        .expect("T"),
    );
    let m = b
        .operator(MapPackets::new([("x", "x3")]), &[s])
        .expect("map");
    for input in [e, none] {
        let acc = b.operator(Batch::new(2, false), &[input]).expect("batch 2");
        b.operator(Batch::new(0, false), &[acc]).expect("batch 0");
        b.operator(SemiJoin::new(), &[s, input]).expect("semijoin");
        b.operator(Join::new(), &[input, t]).expect("join");
        b.operator(Join::new(), &[input, t, m]).expect("3-way join");
    }
    let p = b.build().expect("build");
    let sync = p.run(&RunConfig::new()).expect("sync");
    check_schemas(&p, &sync, "sync").expect("schemas");
    for cfg in [(1, 1, 1), (2, 4, 2)] {
        let run = run_watched(&p, &async_config(cfg)).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
        check_schemas(&p, &run, "async").expect("schemas");
        assert_same(
            &canonical_outputs(&sync, true),
            &canonical_outputs(&run, true),
            &format!("{cfg:?}"),
        )
        .expect("same rows");
    }
}

/// Two nodes with the same identity (the same function on the same input) share their store
/// records. Running concurrently (async), both may compute a packet; the store keeps the first
/// writer's record and both nodes must serve that one — as every later run will.
#[test]
fn identical_nodes_serve_the_records_the_store_kept() {
    let mut b = PipelineBuilder::new("twins").store(Arc::new(InMemoryStore::new()));
    let s = b.source(rows_source("S", 40));
    // A slow function, so that both nodes compute the same packets at the same time.
    let double = || {
        FunctionPod::new(
            FunctionBuilder::new("double")
                .input::<i64>("x")
                .output::<i64>("y")
                .build(|x: i64| {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    2 * x
                }),
        )
    };
    let f1 = b.function(double(), &[s]).expect("f1");
    let f2 = b.function(double(), &[s]).expect("f2");
    let p = b.build().expect("build");
    assert_eq!(
        p.content_hash(f1).expect("hash"),
        p.content_hash(f2).expect("hash")
    );
    let run = run_watched(&p, &async_config((1, 4, 1))).expect("async");
    let (l1, l2) = (p.label(f1).expect("label"), p.label(f2).expect("label"));
    let out = canonical_outputs(&run, false);
    assert_eq!(
        out[l1], out[l2],
        "identical nodes serve different result records"
    );
    let rerun = p.run(&RunConfig::new()).expect("sync rerun");
    assert_eq!(
        canonical_outputs(&rerun, false)[l1],
        out[l1],
        "the rerun serves other records than the run returned"
    );
}
