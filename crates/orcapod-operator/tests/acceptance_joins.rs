//! Spec §22 acceptance cases 9–20 (Join, MergeJoin, SemiJoin) and the identity goldens of
//! §4.5–4.6.

mod common;

use common::{a, b, cell, record_id, sorted_all, src};
use orcapod_datagram::{ColumnConfig, Value, rows};
use orcapod_hash::DataContext;
use orcapod_operator::{Join, JoinOptions, MergeJoin, Operator, OperatorError, SemiJoin};

#[test]
fn case_09_join_rows_and_system_tags() {
    let out = Join::with_options(JoinOptions::spec_v0())
        .process(&[a(), b()])
        .unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(
        (cell(&out, "id", 0), cell(&out, "x", 0), cell(&out, "y", 0)),
        (1.into(), 10.into(), 100.into())
    );
    let names = out.system_tag_columns();
    assert_eq!(names.len(), 4);
    let b_hash = b().pipeline_hash().to_hex();
    let a_hash = a().pipeline_hash().to_hex();
    assert!(b_hash.starts_with("1560128ecd1d") && a_hash.starts_with("52eb0af76704"));
    let expect = [
        (
            format!("_tag_source_id::{b_hash}::1560128ecd1d:0"),
            Value::from("B"),
        ),
        (
            format!("_tag_record_id::{b_hash}::1560128ecd1d:0"),
            record_id("B", "row_0"),
        ),
        (
            format!("_tag_source_id::{a_hash}::52eb0af76704:1"),
            Value::from("A"),
        ),
        (
            format!("_tag_record_id::{a_hash}::52eb0af76704:1"),
            record_id("A", "row_0"),
        ),
    ];
    for (name, value) in expect {
        assert!(names.contains(&name), "{name} not in {names:?}");
        assert_eq!(cell(&out, &name, 0), value, "{name}");
    }
    // 0.1.4 default: the full hash in the suffix.
    let full = Join::new().process(&[a(), b()]).unwrap();
    assert!(full.system_tag_columns()[0].ends_with(&format!("::{b_hash}:0")));
}

#[test]
fn case_10_join_is_commutative() {
    let ab = Join::new().process(&[a(), b()]).unwrap();
    let ba = Join::new().process(&[b(), a()]).unwrap();
    assert_eq!(ab.identity(), ba.identity());
    assert_eq!(ab.system_tag_columns(), ba.system_tag_columns());
    assert_eq!(sorted_all(&ab), sorted_all(&ba));
    assert_eq!(
        ab.content_hash().to_hex(),
        DataContext::default_context()
            .semantic_hasher()
            .hash(&orcapod_hash::semantic::Identity::tuple([
                orcapod_hash::semantic::Identity::Hash(Join::new().content_hash().unwrap()),
                orcapod_hash::semantic::Identity::set([
                    orcapod_hash::semantic::Identity::Hash(a().content_hash().clone()),
                    orcapod_hash::semantic::Identity::Hash(b().content_hash().clone()),
                ]),
            ]))
            .unwrap()
            .to_hex()
    );
    assert!(
        ab.content_hash().to_hex().starts_with("87554cd6"),
        "spec §4.6 Join(A,B) content hash"
    );
}

#[test]
fn case_11_overlapping_packets() {
    let a2 = src(rows![{"id" => 1, "x" => 5}], &["id"], "A2");
    let err = Join::new().process(&[a(), a2.clone()]).unwrap_err();
    assert!(
        matches!(&err, OperatorError::OverlappingPacketColumns { columns, .. } if columns == &["x"]),
        "{err}"
    );
    assert!(
        Join::new()
            .output_schema(&[a().schema(), a2.schema()])
            .is_err()
    );
}

#[test]
fn case_12_incompatible_tag_types() {
    let s = src(rows![{"id" => "1", "z" => 5}], &["id"], "S");
    let err = Join::new().process(&[a(), s]).unwrap_err();
    assert!(
        matches!(&err, OperatorError::IncompatibleTagTypes { column, .. } if column == "id"),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("int") && msg.contains("str"), "{msg}");
    let n = src(
        rows![{"id" => Some(1), "z" => 5}, {"id" => None::<i64>, "z" => 6}],
        &["id"],
        "N",
    );
    assert!(matches!(
        Join::new().process(&[a(), n]),
        Err(OperatorError::IncompatibleTagTypes { .. })
    ));
}

#[test]
fn case_13_same_pipeline_hash_sorted_per_row() {
    let a2 = src(
        rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 30}],
        &["id"],
        "A2",
    );
    assert_eq!(a().pipeline_hash(), a2.pipeline_hash());
    let one = MergeJoin::new().process(&[a(), a2.clone()]).unwrap();
    let two = MergeJoin::new().process(&[a2, a()]).unwrap();
    let names = one.system_tag_columns().to_vec();
    assert_eq!(names.len(), 4);
    let path = |n: &str| {
        n.rsplit_once(':')
            .unwrap()
            .0
            .split_once("::")
            .unwrap()
            .1
            .to_string()
    };
    assert_eq!(path(&names[0]), path(&names[2]), "same provenance path");
    assert!(names[0].ends_with(":0") && names[2].ends_with(":1"));
    assert_eq!(sorted_all(&one), sorted_all(&two));
    // per row the (source_id, record_id) pairs are sorted: "A" < "A2"
    for r in 0..one.num_rows() {
        assert_eq!(cell(&one, &names[0], r), Value::from("A"));
        assert_eq!(cell(&one, &names[2], r), Value::from("A2"));
    }
}

#[test]
fn case_14_three_way_join_any_permutation() {
    let c = src(
        rows![{"id" => 1, "w" => 1.5}, {"id" => 2, "w" => 2.5}],
        &["id"],
        "C",
    );
    let inputs = [a(), b(), c];
    let reference = Join::new().process(&inputs).unwrap();
    assert_eq!(reference.system_tag_columns().len(), 6);
    let mut hashes: Vec<String> = inputs
        .iter()
        .map(|s| s.pipeline_hash().to_string())
        .collect();
    hashes.sort();
    for (k, h) in hashes.iter().enumerate() {
        let hex = h.split_once(':').unwrap().1;
        assert!(
            reference
                .system_tag_columns()
                .iter()
                .any(|n| n.ends_with(&format!("::{hex}:{k}")))
        );
    }
    for perm in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let out = Join::new()
            .process(&perm.map(|i| inputs[i].clone()))
            .unwrap();
        assert_eq!(out.identity(), reference.identity());
        assert_eq!(sorted_all(&out), sorted_all(&reference));
    }
}

#[test]
fn case_15_cartesian_product() {
    let k = src(
        rows![{"k" => 1, "z" => 1}, {"k" => 2, "z" => 2}, {"k" => 3, "z" => 3}],
        &["k"],
        "K",
    );
    let out = Join::new().process(&[a(), k]).unwrap();
    assert_eq!(out.num_rows(), 6);
    assert_eq!(out.tag_columns().len(), 2);
}

#[test]
fn case_16_prediction_matches_output() {
    let out = Join::new().process(&[a(), b()]).unwrap();
    let predicted = Join::new()
        .output_schema(&[a().schema(), b().schema()])
        .unwrap();
    assert_eq!(predicted.system_tag_names(), out.system_tag_columns());
    assert_eq!(predicted, out.schema());
}

#[test]
fn case_17_merge_join() {
    let bx = src(
        rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 30}],
        &["id"],
        "B",
    );
    let out = MergeJoin::new()
        .process(&[a(), bx])
        .unwrap()
        .sort_by_tags()
        .unwrap();
    let list = |vals: &[Value]| Value::List(vals.to_vec());
    assert_eq!(cell(&out, "x", 0), list(&[5.into(), 10.into()]));
    assert_eq!(
        cell(&out, "_source_x", 0),
        list(&["B::row_0::x".into(), "A::row_0::x".into()])
    );
    assert_eq!(cell(&out, "x", 1), list(&[20.into(), 30.into()]));
    assert_eq!(
        cell(&out, "_source_x", 1),
        list(&["A::row_1::x".into(), "B::row_1::x".into()])
    );
    assert_eq!(
        common::pa_type(out.field("x").unwrap().data_type()),
        "list<item: int64>"
    );
    assert_eq!(
        common::pa_type(out.field("_source_x").unwrap().data_type()),
        "large_list<item: large_string>"
    );
    let (_, packets) = out.output_schema(&ColumnConfig::default()).unwrap();
    assert_eq!(packets.get("x").unwrap().dtype.to_string(), "list[int]");
}

#[test]
fn case_18_merge_join_type_mismatch() {
    let bf = src(rows![{"id" => 1, "x" => 0.5}], &["id"], "B");
    let err = MergeJoin::new().process(&[a(), bf]).unwrap_err();
    assert!(
        matches!(&err, OperatorError::CollidingTypeMismatch { column, .. } if column == "x"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("colliding packet column 'x' has incompatible types")
    );
}

#[test]
fn case_19_semijoin() {
    let r = src(
        rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 99}],
        &["id"],
        "R",
    );
    let out = SemiJoin.process(&[a(), r.clone()]).unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(
        (cell(&out, "id", 0), cell(&out, "x", 0)),
        (1.into(), 10.into())
    );
    let mut expected = a().schema();
    expected.pipeline_hash = out.pipeline_hash().clone();
    assert_eq!(out.schema(), expected);
    let rev = SemiJoin.process(&[r, a()]).unwrap();
    assert_ne!(out.content_hash(), rev.content_hash());
    assert_eq!(
        out.pipeline_hash(),
        rev.pipeline_hash(),
        "equal schemas: same ordered pair of pipeline hashes"
    );
    let rev_b = SemiJoin.process(&[b(), a()]).unwrap();
    let ab = SemiJoin.process(&[a(), b()]).unwrap();
    assert_ne!(ab.pipeline_hash(), rev_b.pipeline_hash());
}

#[test]
fn case_20_semijoin_without_overlap() {
    let k = src(rows![{"k" => 7, "z" => 1}], &["k"], "K");
    let out = SemiJoin.process(&[a(), k.clone()]).unwrap();
    assert_eq!(out.batch(), a().batch());
    let empty = src(
        orcapod_datagram::RowSet::with_schema(vec![
            orcapod_datagram::Field::new("id", orcapod_datagram::DataType::Int),
            orcapod_datagram::Field::new("q", orcapod_datagram::DataType::Int),
        ]),
        &["id"],
        "E",
    );
    assert_eq!(SemiJoin.process(&[a(), empty]).unwrap().num_rows(), 0);
}
