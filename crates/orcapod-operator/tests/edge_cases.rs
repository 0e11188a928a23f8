//! Edge cases: nulls in tags, list-typed tags, joins of joins, physical type differences, meta
//! columns, same-pipeline-hash provenance sorting, filter semantics, large inputs.

mod common;

use common::{cell, src, with_meta};
use std::sync::Arc;

use arrow_array::{Array, Int32Array, Int64Array, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_datagram::{ColumnConfig, Source, SourceOptions, Stream, StreamIdentity, Value, rows};
use orcapod_operator::{
    Batch, Filter, Join, MapPackets, Operator, OperatorError, Predicate, SemiJoin, workload,
};

#[test]
fn null_tags_never_match() {
    let n1 = src(
        rows![{"id" => Some(1), "p" => 1}, {"id" => None::<i64>, "p" => 2}],
        &["id"],
        "N1",
    );
    let n2 = src(
        rows![{"id" => None::<i64>, "q" => 1}, {"id" => Some(1), "q" => 2}],
        &["id"],
        "N2",
    );
    let out = Join::new().process(&[n1.clone(), n2.clone()]).unwrap();
    assert_eq!(out.num_rows(), 1);
    assert!(
        out.field("id").unwrap().is_nullable(),
        "nullability restored from inputs"
    );
    assert_eq!(SemiJoin.process(&[n1, n2]).unwrap().num_rows(), 1);
}

#[test]
fn list_typed_tags_join_on_list_equality() {
    let a = src(
        rows![{"id" => 1, "x" => 1}, {"id" => 2, "x" => 2}, {"id" => 3, "x" => 3}],
        &["id"],
        "A",
    );
    let b = src(
        rows![{"id" => 1, "y" => 1}, {"id" => 2, "y" => 2}, {"id" => 4, "y" => 4}],
        &["id"],
        "B",
    );
    let ba = Batch::new(2, false).process(&[a]).unwrap();
    let bb = Batch::new(2, false).process(&[b]).unwrap();
    let out = Join::new().process(&[ba.clone(), bb.clone()]).unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(cell(&out, "id", 0), Value::List(vec![1.into(), 2.into()]));
    assert_eq!(SemiJoin.process(&[ba.clone(), bb]).unwrap().num_rows(), 1);
    // Sorting and filtering list-typed streams works too.
    ba.sort_by_tags().unwrap();
    assert_eq!(
        Filter::new(Predicate::is_not_null("id"))
            .process(&[ba])
            .unwrap()
            .num_rows(),
        2
    );
}

#[test]
fn joins_of_joins_extend_names() {
    let a = src(rows![{"id" => 1, "x" => 1}], &["id"], "A");
    let b = src(rows![{"id" => 1, "y" => 1}], &["id"], "B");
    let c = src(rows![{"id" => 1, "z" => 1}], &["id"], "C");
    let ab = Join::new().process(&[a, b]).unwrap();
    let abc = Join::new().process(&[ab.clone(), c]).unwrap();
    assert_eq!(abc.system_tag_columns().len(), 6);
    let inner = abc
        .system_tag_columns()
        .iter()
        .filter(|n| n.matches("::").count() == 3)
        .count();
    assert_eq!(inner, 4, "{:?}", abc.system_tag_columns());
    assert!(abc.system_tag_columns().iter().all(|n| {
        ab.system_tag_columns()
            .iter()
            .any(|m| n.starts_with(m.as_str()))
            || n.matches("::").count() == 2
    }));
}

#[test]
fn physical_int_widths_join() {
    let narrow = RecordBatch::try_new(
        Arc::new(ArrowSchema::new(vec![
            ArrowField::new("id", ArrowType::Int32, false),
            ArrowField::new("n", ArrowType::Int64, false),
        ])),
        vec![
            Arc::new(Int32Array::from(vec![1, 2])),
            Arc::new(Int64Array::from(vec![5, 6])),
        ],
    )
    .unwrap();
    let narrow = Source::from_batch(narrow, SourceOptions::new(["id"]).source_id("I32"))
        .unwrap()
        .into_stream();
    let wide = src(rows![{"id" => 2, "w" => 1}], &["id"], "W");
    assert_eq!(
        Join::new()
            .process(&[narrow.clone(), wide.clone()])
            .unwrap()
            .num_rows(),
        1
    );
    assert_eq!(SemiJoin.process(&[wide, narrow]).unwrap().num_rows(), 1);
}

#[test]
fn meta_columns_are_carried_and_deduplicated() {
    let m1 = with_meta();
    let m2 = MapPackets::new([("m", "m2")])
        .process(&[with_meta()])
        .unwrap();
    let out = Join::new().process(&[m1, m2]).unwrap();
    let mut meta = out.meta_columns().to_vec();
    meta.sort();
    assert_eq!(meta, ["__note", "__note_1"]);
}

#[test]
fn same_pipeline_hash_join_sorts_provenance_per_row() {
    // Two streams with equal pipeline hashes and disjoint packets (only constructible directly).
    let mk = |packet: &str, sid: &str, ids: Vec<i64>| {
        let n = ids.len();
        let batch = RecordBatch::try_new(
            Arc::new(ArrowSchema::new(vec![
                ArrowField::new("id", ArrowType::Int64, false),
                ArrowField::new(packet, ArrowType::Int64, false),
                ArrowField::new("_tag_source_id::h", ArrowType::LargeUtf8, false),
                ArrowField::new("_tag_record_id::h", ArrowType::LargeUtf8, false),
            ])),
            vec![
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(LargeStringArray::from(vec![sid; n])),
                Arc::new(LargeStringArray::from(
                    ids.iter().map(|i| format!("r{i}")).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        let h = orcapod_hash::ContentHash::new("semantic_v0.1", vec![7u8; 32]);
        let identity = StreamIdentity {
            content_hash: orcapod_hash::ContentHash::new("semantic_v0.1", sid.as_bytes().to_vec()),
            pipeline_hash: h,
        };
        Stream::from_batch(batch, &["id"], identity).unwrap()
    };
    let p = mk("p", "S2", vec![1, 2]);
    let q = mk("q", "S1", vec![1, 2]);
    let pq = Join::new().process(&[p.clone(), q.clone()]).unwrap();
    let qp = Join::new().process(&[q, p]).unwrap();
    let names = pq.system_tag_columns().to_vec();
    assert_eq!(names, qp.system_tag_columns());
    let sid0 = names
        .iter()
        .find(|n| n.starts_with("_tag_source_id") && n.ends_with(":0"))
        .unwrap();
    for r in 0..pq.num_rows() {
        assert_eq!(cell(&pq, sid0, r), Value::from("S1"));
        assert_eq!(cell(&qp, sid0, r), Value::from("S1"));
    }
    let cfg = ColumnConfig::default()
        .with_system_tags()
        .with_source()
        .sorted();
    // Packets keep their own columns; only provenance columns are reordered per row.
    let t1 = pq.as_table(&cfg).unwrap();
    let t2 = qp.as_table(&cfg).unwrap();
    for name in &names {
        assert_eq!(t1.column_by_name(name), t2.column_by_name(name), "{name}");
    }
}

#[test]
fn filter_semantics() {
    let s = src(
        rows![
            {"id" => 1, "x" => Some(1.5), "name" => Some("a")},
            {"id" => 2, "x" => None::<f64>, "name" => Some("b")},
            {"id" => 3, "x" => Some(7.0), "name" => None::<&str>}
        ],
        &["id"],
        "S",
    );
    let count = |p: Predicate| {
        Filter::new(p)
            .process(std::slice::from_ref(&s))
            .unwrap()
            .num_rows()
    };
    assert_eq!(
        count(Predicate::gt("x", 1)),
        2,
        "int literal on a float column"
    );
    assert_eq!(count(!Predicate::gt("x", 5.0)), 1, "NOT unknown is unknown");
    assert_eq!(count(Predicate::is_null("x")), 1);
    assert_eq!(count(Predicate::is_null("x") | Predicate::gt("x", 5.0)), 2);
    assert_eq!(count(Predicate::is_in("id", [1, 3])), 2);
    assert_eq!(count(Predicate::is_in("id", Vec::<i64>::new())), 0);
    assert_eq!(count(Predicate::ge("name", "b")), 1);
    assert_eq!(count(Predicate::Or(vec![])), 0);
    let sid = s.system_tag_columns()[0].clone();
    assert_eq!(
        count(Predicate::eq(sid.as_str(), "S")),
        3,
        "system tags can be filtered"
    );
    let rid = s.system_tag_columns()[1].clone();
    let first = cell(&s, &rid, 0);
    assert_eq!(
        count(Predicate::eq(rid.as_str(), first)),
        1,
        "bytes literal on fixed_size_binary"
    );
    let schema = s.schema();
    assert!(matches!(
        Filter::new(Predicate::eq("nope", 1)).validate(&schema),
        Err(OperatorError::UnknownColumn { .. })
    ));
    assert!(matches!(
        Filter::new(Predicate::eq("id", 1.5)).validate(&schema),
        Err(OperatorError::FilterTypeMismatch { .. })
    ));
    assert!(matches!(
        Filter::new(Predicate::eq("id", Value::Null)).validate(&schema),
        Err(OperatorError::FilterTypeMismatch { .. })
    ));
    let err = Filter::new(Predicate::lt("id", "3"))
        .process(std::slice::from_ref(&s))
        .unwrap_err();
    assert!(err.to_string().contains("'id'"), "{err}");
    let batched = Batch::default().process(&[s]).unwrap();
    assert!(
        Filter::new(Predicate::eq("id", 1))
            .validate(&batched.schema())
            .is_err(),
        "list columns: no comparisons"
    );
}

#[test]
fn large_inputs() {
    let n = 50_000;
    let (l, r) = workload::join_inputs(n).unwrap();
    let out = Join::new().process(&[l.clone(), r.clone()]).unwrap();
    assert_eq!(out.num_rows(), n);
    // every output row pairs x and y rows with the same id
    let ids = out
        .column("id")
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .clone();
    let xs = out
        .column("x")
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .clone();
    for i in (0..n).step_by(997) {
        assert_eq!(ids.value(i), xs.value(i), "left ids are 0..n in order");
    }
    assert_eq!(
        SemiJoin
            .process(&[l.clone(), r.clone()])
            .unwrap()
            .num_rows(),
        n
    );
    assert_eq!(
        Batch::new(1000, false).process(&[l]).unwrap().num_rows(),
        n / 1000
    );
}
