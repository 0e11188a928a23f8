//! Schema prediction == actual output for every operator over many input shapes (all column
//! roles, names, types, nullability and metadata), and empty inputs.

mod common;

use common::{src, structs, with_meta};
use orcapod_datagram::{ColumnConfig, DataType, Field, RowSet, Stream, rows};
use orcapod_operator::{
    Batch, DropPacketColumns, DropTagColumns, Filter, Index, Join, MapPackets, MapTags, MergeJoin,
    Operator, Pick, Predicate, SelectPacketColumns, SelectTagColumns, SemiJoin,
};

/// A zoo of input shapes.
fn zoo() -> Vec<(&'static str, Stream)> {
    let a = src(
        rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}, {"id" => 2, "x" => 21}],
        &["id"],
        "A",
    );
    let b = src(
        rows![{"id" => 1, "y" => "one"}, {"id" => 2, "y" => "two"}],
        &["id"],
        "B",
    );
    let two = src(
        rows![{"id" => 1, "k" => "a", "w" => 1.5}, {"id" => 2, "k" => "b", "w" => 2.5}],
        &["id", "k"],
        "T",
    );
    let nullable = src(
        rows![{"id" => Some(1), "z" => Some(1)}, {"id" => None::<i64>, "z" => None::<i64>}, {"id" => Some(2), "z" => Some(3)}],
        &["id"],
        "N",
    );
    let empty = src(
        RowSet::with_schema(vec![
            Field::new("id", DataType::Int),
            Field::new("e", DataType::Str),
        ]),
        &["id"],
        "E",
    );
    let batched = Batch::new(2, false)
        .process(std::slice::from_ref(&a))
        .unwrap();
    let joined = Join::new().process(&[a.clone(), b.clone()]).unwrap();
    let merged = MergeJoin::new()
        .process(&[a.clone(), src(rows![{"id" => 1, "x" => 5}], &["id"], "A2")])
        .unwrap();
    vec![
        ("a", a),
        ("b", b),
        ("two_tags", two),
        ("nullable", nullable),
        ("empty", empty),
        ("batched", batched),
        ("joined", joined),
        ("merged", merged),
        ("meta", with_meta()),
        ("struct", structs()),
    ]
}

fn unary_ops() -> Vec<Box<dyn Operator>> {
    vec![
        Box::new(Batch::new(0, false)),
        Box::new(Batch::new(2, false)),
        Box::new(Batch::new(2, true)),
        Box::new(Batch::new(0, true)),
        Box::new(SelectTagColumns::new(["id"])),
        Box::new(SelectTagColumns::new(["nope"]).strict(false)),
        Box::new(DropTagColumns::new(["id"])),
        Box::new(SelectPacketColumns::new(["x"])),
        Box::new(DropPacketColumns::new(["x"])),
        Box::new(MapTags::new([("id", "key")])),
        Box::new(MapTags::new([("k", "kk")]).drop_unmapped(true)),
        Box::new(MapPackets::new([("x", "xx")])),
        Box::new(MapPackets::new([("y", "yy")]).drop_unmapped(true)),
        Box::new(Filter::new(Predicate::is_not_null("id"))),
        Box::new(Join::new()),
        Box::new(Index::new("x", 0)),
        Box::new(Index::new("x", -1).out("last")),
        Box::new(Index::new("x", 5).fail_on_miss(true)),
        Box::new(Pick::new("p", "a")),
        Box::new(Pick::new("p", "b").out("pb")),
    ]
}

fn check(op: &dyn Operator, inputs: &[Stream], label: &str) -> bool {
    let schemas: Vec<_> = inputs.iter().map(Stream::schema).collect();
    match (op.output_schema(&schemas), op.process(inputs)) {
        (Ok(predicted), Ok(out)) => {
            assert_eq!(predicted, out.schema(), "{label}: {op:?}");
            // The data is consistent with its schema and renders.
            out.as_table(&ColumnConfig::all())
                .unwrap_or_else(|e| panic!("{label}: {op:?}: {e}"));
            true
        }
        (Err(_), Err(_)) => false,
        // Data-dependent failures cannot be predicted from schemas.
        (Ok(_), Err(orcapod_operator::OperatorError::ProjectionMiss { .. })) => false,
        (p, o) => panic!(
            "{label}: {op:?}: prediction {:?} but process {:?}",
            p.err(),
            o.err()
        ),
    }
}

#[test]
fn prediction_equals_output_everywhere() {
    let zoo = zoo();
    let mut ok = 0;
    for (name, s) in &zoo {
        for op in unary_ops() {
            ok += usize::from(check(op.as_ref(), std::slice::from_ref(s), name));
        }
    }
    let binaries: Vec<Box<dyn Operator>> = vec![
        Box::new(Join::new()),
        Box::new(MergeJoin::new()),
        Box::new(SemiJoin),
    ];
    for (ln, l) in &zoo {
        for (rn, r) in &zoo {
            for op in &binaries {
                ok += usize::from(check(
                    op.as_ref(),
                    &[l.clone(), r.clone()],
                    &format!("{ln} x {rn}"),
                ));
            }
        }
    }
    let (a, b, t) = (zoo[0].1.clone(), zoo[1].1.clone(), zoo[2].1.clone());
    assert!(check(
        &Join::new(),
        &[a.clone(), b.clone(), t.clone()],
        "three-way"
    ));
    assert!(check(&Join::new(), &[zoo[6].1.clone(), t], "join of join"));
    assert!(ok >= 150, "only {ok} successful combinations");
    eprintln!("{ok} operator/input combinations predicted exactly");
}

#[test]
fn empty_inputs() {
    let zoo = zoo();
    let empty = &zoo[4].1;
    for op in unary_ops() {
        if let Ok(out) = op.process(std::slice::from_ref(empty)) {
            assert_eq!(out.num_rows(), 0, "{op:?}");
        }
    }
    let out = Join::new()
        .process(&[zoo[0].1.clone(), empty.clone()])
        .unwrap();
    assert_eq!(out.num_rows(), 0);
    let out = SemiJoin
        .process(&[empty.clone(), zoo[0].1.clone()])
        .unwrap();
    assert_eq!(out.num_rows(), 0);
}
