//! Golden tests against the orcapod-python 0.1.4 fixtures (rows, types, column names,
//! system-tag names and values, hashes).

mod common;

use common::{check_case, fixture, fixture_source};
use orcapod_datagram::Stream;
use orcapod_operator::{
    Batch, DropPacketColumns, Join, MapPackets, MapTags, Operator, SelectPacketColumns, SemiJoin,
};

fn run(op: &dyn Operator, inputs: &[Stream]) -> Stream {
    let out = op.process(inputs).unwrap_or_else(|e| panic!("{op:?}: {e}"));
    let schemas: Vec<_> = inputs.iter().map(Stream::schema).collect();
    assert_eq!(
        op.output_schema(&schemas).unwrap(),
        out.schema(),
        "{op:?}: prediction == output"
    );
    out
}

fn pod_hash(op: &dyn Operator, case: &serde_json::Value) {
    let h = op.content_hash().unwrap().to_string();
    assert_eq!(h, case["content_hash"], "{op:?} content hash");
    assert_eq!(h, case["pipeline_hash"], "{op:?} pipeline hash");
}

#[test]
fn join_fixture() {
    let fx = fixture("join");
    let (a, b) = (fixture_source("a"), fixture_source("b"));
    let ab = run(&Join::new(), &[a.clone(), b.clone()]);
    check_case(&ab, &fx["join_ab"], "join_ab");
    let ba = run(&Join::new(), &[b.clone(), a.clone()]);
    check_case(&ba, &fx["join_ba"], "join_ba");
    pod_hash(&Join::new(), &fx["join_pod_hashes"]);
    // Join(A, B) and Join(B, A): identical everything, row for row after sorting by tags.
    let cfg = orcapod_datagram::ColumnConfig::all().sorted();
    assert_eq!(ab.as_table(&cfg).unwrap(), ba.as_table(&cfg).unwrap());
}

#[test]
fn join_cartesian_fixture() {
    let fx = fixture("join");
    let (a, b) = (fixture_source("a"), fixture_source("b"));
    let mapped = run(&MapTags::new([("id", "other_id")]), &[b]);
    let out = run(&Join::new(), &[a, mapped]);
    check_case(
        &out,
        &fx["join_ab_disjoint_tags_cartesian"],
        "join cartesian",
    );
}

#[test]
fn join_overlapping_packets_fixture() {
    let fx = fixture("join");
    let err = Join::new()
        .process(&[fixture_source("a"), fixture_source("a2")])
        .unwrap_err();
    assert!(
        fx["join_overlapping_packet_columns"]["error"]
            .as_str()
            .unwrap()
            .contains("overlapping keys")
    );
    let msg = err.to_string();
    assert!(
        msg.contains("must not overlap") && msg.contains('x'),
        "{msg}"
    );
}

#[test]
fn semijoin_fixture() {
    let fx = fixture("semijoin");
    let (a, b, a2) = (
        fixture_source("a"),
        fixture_source("b"),
        fixture_source("a2"),
    );
    check_case(
        &run(&SemiJoin, &[a.clone(), b.clone()]),
        &fx["semijoin_a_b"],
        "semijoin a b",
    );
    check_case(
        &run(&SemiJoin, &[b, a.clone()]),
        &fx["semijoin_b_a"],
        "semijoin b a",
    );
    check_case(
        &run(&SemiJoin, &[a, a2]),
        &fx["semijoin_a_a2_common_id_and_x"],
        "semijoin a a2",
    );
    pod_hash(&SemiJoin, &fx["semijoin_pod_hashes"]);
}

#[test]
fn batch_fixture() {
    let fx = fixture("batch");
    let seven = fixture_source("seven");
    check_case(
        &run(&Batch::new(3, false), std::slice::from_ref(&seven)),
        &fx["batch3"],
        "batch3",
    );
    check_case(
        &run(&Batch::new(3, true), std::slice::from_ref(&seven)),
        &fx["batch3_drop_partial"],
        "batch3 drop",
    );
    check_case(
        &run(&Batch::new(0, false), &[seven]),
        &fx["batch0_all"],
        "batch0",
    );
    pod_hash(&Batch::new(3, false), &fx["batch_pod_hashes"]["batch3"]);
    pod_hash(&Batch::new(3, true), &fx["batch_pod_hashes"]["batch3_drop"]);
}

#[test]
fn map_select_drop_fixture() {
    let fx = fixture("map_select_drop");
    let (seven, abc) = (fixture_source("seven"), fixture_source("abc"));
    let map_data = MapPackets::new([("x", "z")]);
    check_case(
        &run(&map_data, std::slice::from_ref(&seven)),
        &fx["map_data_x_to_z"],
        "MapData x->z",
    );
    check_case(
        &run(&MapTags::new([("id", "key")]), &[seven]),
        &fx["map_tags_id_to_key"],
        "MapTags id->key",
    );
    let select = SelectPacketColumns::new(["a"]);
    check_case(
        &run(&select, std::slice::from_ref(&abc)),
        &fx["select_data_a"],
        "SelectDataColumns a",
    );
    let drop = DropPacketColumns::new(["b"]);
    check_case(&run(&drop, &[abc]), &fx["drop_data_b"], "DropDataColumns b");
    pod_hash(&map_data, &fx["pod_hashes"]["map_data"]);
    pod_hash(&select, &fx["pod_hashes"]["select_a"]);
    pod_hash(&drop, &fx["pod_hashes"]["drop_b"]);
}
