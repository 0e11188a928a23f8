//! Pick and Index (orcapod-python 0.1.4 delta §6): element projection out of struct and list
//! packet columns, provenance, misses and identities.

mod common;

use common::{a, cell, structs};
use orcapod_datagram::Value;
use orcapod_hash::DataContext;
use orcapod_operator::{Batch, Index, Operator, OperatorError, Pick};

fn json(op: &dyn Operator) -> String {
    DataContext::default_context()
        .semantic_hasher()
        .canonical_json(&op.identity())
        .unwrap()
}

#[test]
fn identities() {
    assert_eq!(
        json(&Index::new("x", -1)),
        r#"{"__type__":"tuple","items":["Index","x",-1,null]}"#
    );
    assert_eq!(
        json(&Pick::new("p", "a").out("pa")),
        r#"{"__type__":"tuple","items":["Pick","p","a","pa"]}"#
    );
    assert_eq!(
        Index::new("x", 0).content_hash().unwrap(),
        Index::new("x", 0)
            .fail_on_miss(true)
            .content_hash()
            .unwrap(),
        "fail_on_miss is not part of the identity"
    );
}

#[test]
fn index_positions_and_misses() {
    let s = structs();
    let first = Index::new("x", 0)
        .process(std::slice::from_ref(&s))
        .unwrap();
    assert_eq!(first.num_rows(), 2, "the empty list is a miss");
    assert_eq!(
        (cell(&first, "x", 0), cell(&first, "x", 1)),
        (1.into(), 4.into())
    );
    assert_eq!(cell(&first, "_source_x", 0), Value::from("ST::row_0::x[0]"));
    let last = Index::new("x", -1)
        .out("last")
        .process(std::slice::from_ref(&s))
        .unwrap();
    assert_eq!(cell(&last, "last", 0), 3.into());
    assert_eq!(last.packet_columns(), ["p", "x", "last"]);
    assert_eq!(
        cell(&last, "_source_last", 0),
        Value::from("ST::row_0::x[-1]")
    );
    let err = Index::new("x", 1)
        .fail_on_miss(true)
        .process(std::slice::from_ref(&s))
        .unwrap_err();
    assert!(
        matches!(err, OperatorError::ProjectionMiss { row: 1, .. }),
        "{err}"
    );
    assert_eq!(
        Index::new("x", 7)
            .process(std::slice::from_ref(&s))
            .unwrap()
            .num_rows(),
        0
    );
}

#[test]
fn pick_fields() {
    let s = structs();
    let out = Pick::new("p", "b")
        .process(std::slice::from_ref(&s))
        .unwrap();
    assert_eq!(out.num_rows(), 2, "null struct rows are dropped");
    assert_eq!(cell(&out, "p", 1), Value::from("three"));
    assert_eq!(cell(&out, "_source_p", 0), Value::from("ST::row_0::p['b']"));
    assert!(out.field("p").unwrap().is_nullable());
    let err = Pick::new("p", "zz")
        .process(std::slice::from_ref(&s))
        .unwrap_err();
    assert!(matches!(err, OperatorError::NotProjectable { .. }), "{err}");
    assert!(err.to_string().contains("no field 'zz'"));
    assert!(matches!(
        Pick::new("p", "a")
            .out("x")
            .process(std::slice::from_ref(&s)),
        Err(OperatorError::RenameCollision { .. })
    ));
    assert!(matches!(
        Pick::new("id", "a").process(std::slice::from_ref(&s)),
        Err(OperatorError::MissingColumns { .. })
    ));
    assert!(matches!(
        Index::new("p", 0).process(std::slice::from_ref(&s)),
        Err(OperatorError::NotProjectable { .. })
    ));
}

#[test]
fn index_after_batch_recovers_the_element_provenance() {
    let batched = Batch::new(2, false).process(&[a()]).unwrap();
    let second = Index::new("x", 1).process(&[batched]).unwrap();
    assert_eq!(second.num_rows(), 1);
    assert_eq!(cell(&second, "x", 0), 20.into());
    assert_eq!(cell(&second, "_source_x", 0), Value::from("A::row_1::x"));
}
