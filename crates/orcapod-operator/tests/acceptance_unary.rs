//! Spec §22 acceptance cases 21–27 (Batch, column selection, renames, Filter) and operator URIs.

mod common;

use common::{a, b, cell, record_id, src};
use orcapod_datagram::{ColumnConfig, Value, rows};
use orcapod_hash::DataContext;
use orcapod_operator::{
    Batch, ColumnKind, DropPacketColumns, Filter, Join, MapPackets, MapTags, Operator,
    OperatorError, Predicate, SelectTagColumns, SemiJoin,
};

#[test]
fn case_21_batch_everything() {
    let out = Batch::default().process(&[a()]).unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(cell(&out, "id", 0), Value::List(vec![1.into(), 2.into()]));
    assert_eq!(cell(&out, "x", 0), Value::List(vec![10.into(), 20.into()]));
    let sid = out.system_tag_columns()[0].clone();
    let rid = out.system_tag_columns()[1].clone();
    assert_eq!(
        cell(&out, &sid, 0),
        Value::List(vec!["A".into(), "A".into()])
    );
    assert_eq!(
        cell(&out, &rid, 0),
        Value::List(vec![record_id("A", "row_0"), record_id("A", "row_1")])
    );
    assert!(matches!(cell(&out, "_source_x", 0), Value::List(v) if v.len() == 2));
    let (tags, packets) = out
        .output_schema(&ColumnConfig::default().with_system_tags())
        .unwrap();
    assert_eq!(tags.get("id").unwrap().dtype.to_string(), "list[int]");
    assert_eq!(tags.get(&sid).unwrap().dtype.to_string(), "list[str]");
    assert_eq!(packets.get("x").unwrap().dtype.to_string(), "list[int]");
    assert_eq!(
        DataContext::default_context()
            .semantic_hasher()
            .canonical_json(&Batch::default().identity())
            .unwrap(),
        r#"{"__type__":"tuple","items":["Batch",0,false]}"#
    );
}

#[test]
fn case_22_batch_sizes() {
    let s = src(
        rows![{"id" => 0, "x" => 0}, {"id" => 1, "x" => 1}, {"id" => 2, "x" => 2}],
        &["id"],
        "S",
    );
    let out = Batch::new(2, true)
        .process(std::slice::from_ref(&s))
        .unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(cell(&out, "id", 0), Value::List(vec![0.into(), 1.into()]));
    assert_eq!(
        Batch::new(1, false)
            .process(std::slice::from_ref(&s))
            .unwrap()
            .num_rows(),
        3
    );
    assert!(matches!(
        Batch::try_new(-1, false),
        Err(OperatorError::InvalidBatchSize(-1))
    ));
    // quirk 16, reproduced
    assert_eq!(Batch::new(0, true).process(&[s]).unwrap().num_rows(), 0);
}

#[test]
fn case_23_select_tag_columns() {
    let err = SelectTagColumns::new(["nope"]).process(&[a()]).unwrap_err();
    assert!(
        matches!(&err, OperatorError::MissingColumns { kind: ColumnKind::Tag, columns, .. } if columns == &["nope"])
    );
    assert!(err.to_string().contains("missing tag columns"));
    let s = src(rows![{"id" => 1, "k" => 2, "x" => 3}], &["id", "k"], "S");
    let out = SelectTagColumns::new(["nope"])
        .strict(false)
        .process(&[s])
        .unwrap();
    assert!(out.tag_columns().is_empty());
    assert_eq!(out.packet_columns(), ["x"]);
    assert_eq!(
        DataContext::default_context()
            .semantic_hasher()
            .canonical_json(&SelectTagColumns::new(["id"]).identity())
            .unwrap(),
        r#"{"__type__":"tuple","items":["SelectTagColumns",["id"],true]}"#
    );
}

#[test]
fn case_24_drop_packet_columns() {
    let s = src(rows![{"id" => 1, "x" => 2, "w" => 3}], &["id"], "S");
    let out = DropPacketColumns::new(["x"])
        .process(std::slice::from_ref(&s))
        .unwrap();
    assert_eq!(out.packet_columns(), ["w"]);
    assert!(out.column("x").is_none() && out.column("_source_x").is_none());
    let err = DropPacketColumns::new(["nope"]).process(&[s]).unwrap_err();
    assert!(matches!(
        err,
        OperatorError::MissingColumns {
            kind: ColumnKind::Packet,
            ..
        }
    ));
    // Dropping the only packet column would leave an invalid stream.
    assert!(matches!(
        DropPacketColumns::new(["x"]).process(&[a()]),
        Err(OperatorError::NoPacketColumns { .. })
    ));
}

#[test]
fn case_25_rename_collisions() {
    let s = src(rows![{"id" => 1, "k" => 2, "x" => 3}], &["id", "k"], "S");
    let err = MapTags::new([("id", "k")]).process(&[s]).unwrap_err();
    assert!(matches!(&err, OperatorError::RenameCollision { columns, .. } if columns == &["k"]));
    assert!(err.to_string().contains("overlapping tag columns"), "{err}");
    let err = MapPackets::new([("x", "id")]).process(&[a()]).unwrap_err();
    assert!(err.to_string().contains("overlapping tag columns"), "{err}");
}

#[test]
fn case_26_map_packets_keeps_provenance_value() {
    let out = MapPackets::new([("x", "xx")]).process(&[a()]).unwrap();
    assert_eq!(out.packet_columns(), ["xx"]);
    assert_eq!(cell(&out, "_source_xx", 0), Value::from("A::row_0::x"));
    assert!(out.column("_source_x").is_none());
}

#[test]
fn case_27_filter() {
    let out = Filter::new(Predicate::eq("id", 2)).process(&[a()]).unwrap();
    assert_eq!(out.num_rows(), 1);
    assert_eq!(
        (cell(&out, "id", 0), cell(&out, "x", 0)),
        (2.into(), 20.into())
    );
    let all = Filter::new(Predicate::And(vec![])).process(&[a()]).unwrap();
    assert_eq!(all.batch(), a().batch());
    // Unlike Polars expressions, every predicate hashes.
    let h1 = Filter::new(Predicate::gt("x", 10)).content_hash().unwrap();
    let h2 = Filter::new(Predicate::gt("x", 11)).content_hash().unwrap();
    assert_ne!(h1, h2);
    // And/Or/In are order-insensitive in the identity.
    let p = Filter::new(Predicate::gt("x", 1) & Predicate::is_in("id", [1, 2]));
    let q = Filter::new(Predicate::is_in("id", [2, 1]) & Predicate::gt("x", 1));
    assert_eq!(p.content_hash().unwrap(), q.content_hash().unwrap());
}

#[test]
fn operator_uris() {
    let (name, hex) = Join::new().uri().unwrap();
    assert_eq!(
        (name.as_str(), hex.as_str()),
        (
            "Join",
            "295ca9336dc1935b209d140b0b4cdda1d61024372adfee6f4b746781972e4e83"
        )
    );
    // 0.1.4 class names in identities (delta §1.2).
    assert_eq!(MapPackets::new([("x", "z")]).identity_name(), "MapData");
    assert_eq!(
        MapPackets::new([("x", "z")])
            .content_hash()
            .unwrap()
            .to_hex(),
        "5aa2f9f21acd9cd9e1272e5081e45cff764e71a935f8cc1f9d38d7132eb31d9d"
    );
    assert!(matches!(
        Join::new().process(&[]),
        Err(OperatorError::WrongInputCount {
            operator: "Join",
            got: 0,
            ..
        })
    ));
    assert!(matches!(
        SemiJoin.process(&[a()]),
        Err(OperatorError::WrongInputCount { got: 1, .. })
    ));
    assert!(matches!(
        Batch::default().process(&[a(), b()]),
        Err(OperatorError::WrongInputCount { got: 2, .. })
    ));
}
