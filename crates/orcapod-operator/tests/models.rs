//! Property tests against naive reference models (nested loops over rows) with random small
//! schemas, key distributions, duplicates and nulls.

use std::collections::BTreeMap;

use orcapod_datagram::{
    ColumnConfig, DataType, Field, RowSet, Source, SourceOptions, Stream, Value,
};
use orcapod_operator::{Batch, Join, MergeJoin, Operator, SemiJoin};
use proptest::prelude::*;

type Row = BTreeMap<String, Value>;

/// One generated row: tag values, then packet values.
type GenRow = (Vec<Option<i64>>, Vec<Option<i64>>);

const TAGS: [&str; 2] = ["k1", "k2"];

/// One random input: its tag subset and rows of (tag values, packet values).
#[derive(Clone, Debug)]
struct Input {
    tags: Vec<&'static str>,
    packets: Vec<String>,
    rows: Vec<GenRow>,
}

/// Random inputs; `nullable[name]` is shared by all inputs so shared columns stay compatible.
fn input(
    packets: Vec<String>,
    nullable: BTreeMap<String, bool>,
    max_rows: usize,
) -> impl Strategy<Value = Input> {
    proptest::sample::subsequence(TAGS.to_vec(), 0..=2).prop_flat_map(move |tags| {
        let cell = |nullable: bool| {
            if nullable {
                proptest::option::weighted(0.8, 0..3i64).boxed()
            } else {
                (0..3i64).prop_map(Some).boxed()
            }
        };
        let tag_cells: Vec<_> = tags.iter().map(|t| cell(nullable[*t])).collect();
        let packet_cells: Vec<_> = packets
            .iter()
            .map(|p| cell(nullable.get(p).copied().unwrap_or(false)))
            .collect();
        let packets = packets.clone();
        proptest::collection::vec((tag_cells, packet_cells), 0..max_rows).prop_map(move |rows| {
            Input {
                tags: tags.clone(),
                packets: packets.clone(),
                rows,
            }
        })
    })
}

fn nullable_flags(names: &[&str]) -> impl Strategy<Value = BTreeMap<String, bool>> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    proptest::collection::vec(any::<bool>(), names.len())
        .prop_map(move |flags| names.iter().cloned().zip(flags).collect())
}

fn stream(input: &Input, nullable: &BTreeMap<String, bool>, source_id: &str) -> Stream {
    let mut fields = Vec::new();
    for name in input
        .tags
        .iter()
        .map(|t| t.to_string())
        .chain(input.packets.iter().cloned())
    {
        let n = nullable.get(&name).copied().unwrap_or(false);
        fields.push(Field {
            name,
            dtype: DataType::Int,
            nullable: n,
        });
    }
    let mut set = RowSet::with_schema(fields.clone());
    for (tags, packets) in &input.rows {
        let values = tags.iter().chain(packets).map(|v| Value::from(*v));
        set.push(fields.iter().map(|f| f.name.clone()).zip(values).collect());
    }
    Source::from_rows(
        set,
        SourceOptions::new(input.tags.iter().copied()).source_id(source_id),
    )
    .unwrap()
    .into_stream()
}

fn model_rows(input: &Input) -> Vec<Row> {
    input
        .rows
        .iter()
        .map(|(tags, packets)| {
            let names = input
                .tags
                .iter()
                .map(|t| t.to_string())
                .chain(input.packets.iter().cloned());
            names
                .zip(tags.iter().chain(packets).map(|v| Value::from(*v)))
                .collect()
        })
        .collect()
}

/// Nested-loop natural inner join on the tag names both sides have; nulls never match.
fn nested_join(
    left: &[Row],
    left_tags: &[String],
    right: &[Row],
    right_tags: &[String],
) -> Vec<Row> {
    let shared: Vec<&String> = left_tags
        .iter()
        .filter(|t| right_tags.contains(t))
        .collect();
    let mut out = Vec::new();
    for l in left {
        for r in right {
            if shared.iter().all(|k| !l[*k].is_null() && l[*k] == r[*k]) {
                let mut row = l.clone();
                row.extend(r.iter().map(|(k, v)| (k.clone(), v.clone())));
                out.push(row);
            }
        }
    }
    out
}

/// User columns (tags and packets) of a stream as rows.
fn user_rows(s: &Stream) -> Vec<Row> {
    let table = s.as_table(&ColumnConfig::default()).unwrap();
    let schema = table.schema();
    (0..table.num_rows())
        .map(|r| {
            schema
                .fields()
                .iter()
                .zip(table.columns())
                .map(|(f, c)| (f.name().clone(), Value::from_array(c.as_ref(), r).unwrap()))
                .collect()
        })
        .collect()
}

fn sorted(rows: &[Row]) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
    v.sort();
    v
}

fn cell(s: &Stream, col: &str, row: usize) -> Value {
    Value::from_array(s.column(col).unwrap().as_ref(), row).unwrap()
}

fn join_case() -> impl Strategy<Value = (BTreeMap<String, bool>, Vec<Input>)> {
    nullable_flags(&["k1", "k2"]).prop_flat_map(|nullable| {
        let inputs: Vec<_> = (0..3)
            .map(|i| input(vec![format!("p{i}")], nullable.clone(), 6))
            .collect();
        (Just(nullable), inputs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Join == nested-loop join; provenance points at the contributing rows; any permutation of
    /// the inputs gives the identical table; grouping does not change the user rows.
    #[test]
    fn join_matches_nested_loops((nullable, inputs) in join_case()) {
        let streams: Vec<Stream> = inputs.iter().enumerate().map(|(i, s)| stream(s, &nullable, &format!("S{i}"))).collect();
        let out = Join::new().process(&streams).unwrap();
        let tag_names = |i: &Input| i.tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let mut expected = model_rows(&inputs[0]);
        let mut acc_tags = tag_names(&inputs[0]);
        for inp in &inputs[1..] {
            expected = nested_join(&expected, &acc_tags, &model_rows(inp), &tag_names(inp));
            for t in tag_names(inp) {
                if !acc_tags.contains(&t) { acc_tags.push(t); }
            }
        }
        prop_assert_eq!(sorted(&user_rows(&out)), sorted(&expected));

        // Provenance: the source info and system tags of each output row are those of the input
        // rows its packets came from. Packet values are not unique, so locate the row by record id.
        for (i, s) in streams.iter().enumerate() {
            let p = format!("p{i}");
            for name in s.system_tag_columns() {
                let renamed = out.system_tag_columns().iter().find(|n| n.starts_with(&format!("{name}::"))).unwrap();
                let k = out.system_tag_columns().iter().position(|n| n == renamed).unwrap() / 2;
                let suffix = format!(":{k}");
                prop_assert!(renamed.ends_with(&suffix), "{} should end with {}", renamed, suffix);
            }
            let rid = s.system_tag_columns().iter().find(|n| n.starts_with("_tag_record_id")).unwrap();
            let out_rid = out.system_tag_columns().iter().find(|n| n.starts_with(&format!("{rid}::"))).unwrap();
            for r in 0..out.num_rows() {
                let id = cell(&out, out_rid, r);
                let j = (0..s.num_rows()).find(|&j| cell(s, rid, j) == id).unwrap();
                prop_assert_eq!(cell(&out, &p, r), cell(s, &p, j));
                prop_assert_eq!(cell(&out, &format!("_source_{p}"), r), cell(s, &format!("_source_{p}"), j));
            }
        }

        // Commutativity: every permutation yields the same identity and table.
        let cfg = ColumnConfig::all().sorted();
        let reference = out.as_table(&cfg).unwrap();
        for perm in [[1, 0, 2], [2, 1, 0], [1, 2, 0]] {
            let other = Join::new().process(&perm.map(|i| streams[i].clone())).unwrap();
            prop_assert_eq!(other.identity(), out.identity());
            prop_assert_eq!(other.as_table(&cfg).unwrap(), reference.clone());
        }
        // Associativity up to column order (system-tag names differ by nesting).
        let left = Join::new().process(&[Join::new().process(&streams[..2]).unwrap(), streams[2].clone()]).unwrap();
        let right = Join::new().process(&[streams[0].clone(), Join::new().process(&streams[1..]).unwrap()]).unwrap();
        prop_assert_eq!(sorted(&user_rows(&left)), sorted(&expected));
        prop_assert_eq!(sorted(&user_rows(&right)), sorted(&expected));
    }

    /// SemiJoin == keep left rows for which some right row agrees (non-null) on every shared
    /// tag or packet column; left order is kept.
    #[test]
    fn semijoin_matches_existence(
        (nullable, left, right) in nullable_flags(&["k1", "k2", "p0", "p1"]).prop_flat_map(|n| {
            let l = input(vec!["p0".into()], n.clone(), 8);
            let r = prop_oneof![Just(vec!["p0".to_string()]), Just(vec!["p1".to_string()])]
                .prop_flat_map({ let n = n.clone(); move |p| input(p, n.clone(), 8) });
            (Just(n), l, r)
        })
    ) {
        let (ls, rs) = (stream(&left, &nullable, "L"), stream(&right, &nullable, "R"));
        let out = SemiJoin.process(&[ls.clone(), rs.clone()]).unwrap();
        let (lrows, rrows) = (model_rows(&left), model_rows(&right));
        let left_names: Vec<String> = left.tags.iter().map(|t| t.to_string()).chain(left.packets.clone()).collect();
        let right_names: Vec<String> = right.tags.iter().map(|t| t.to_string()).chain(right.packets.clone()).collect();
        let shared: Vec<&String> = left_names.iter().filter(|n| right_names.contains(n)).collect();
        let expected: Vec<Row> = if shared.is_empty() {
            lrows.clone()
        } else {
            lrows.iter().filter(|l| rrows.iter().any(|r| shared.iter().all(|k| !l[*k].is_null() && l[*k] == r[*k]))).cloned().collect()
        };
        prop_assert_eq!(user_rows(&out), expected);
        prop_assert_eq!(out.system_tag_columns(), ls.system_tag_columns());
    }

    /// Batch then flatten == the input (minus a dropped partial batch), every column included.
    #[test]
    fn batch_then_flatten_is_identity(
        (nullable, inp) in nullable_flags(&["k1", "k2", "p0"]).prop_flat_map(|n| (Just(n.clone()), input(vec!["p0".into()], n, 10))),
        size in 0usize..5,
        drop in any::<bool>(),
    ) {
        let s = stream(&inp, &nullable, "S");
        let out = Batch::new(size, drop).process(std::slice::from_ref(&s)).unwrap();
        let n = s.num_rows();
        let used = match (size, drop) {
            (_, _) if n == 0 => 0,
            (0, true) => 0,
            (0, false) => n,
            (b, true) => n / b * b,
            (_, false) => n,
        };
        let cfg = ColumnConfig::default().with_system_tags().with_source();
        let input_table = s.as_table(&cfg).unwrap();
        let batched = out.as_table(&cfg).unwrap();
        prop_assert_eq!(input_table.schema().fields().len(), batched.schema().fields().len());
        let mut flat: Vec<Vec<Value>> = vec![Vec::new(); batched.num_columns()];
        for (c, col) in batched.columns().iter().enumerate() {
            for r in 0..batched.num_rows() {
                match Value::from_array(col.as_ref(), r).unwrap() {
                    Value::List(items) => flat[c].extend(items),
                    other => prop_assert!(false, "not a list: {:?}", other),
                }
            }
        }
        for (c, col) in input_table.columns().iter().enumerate() {
            let want: Vec<Value> = (0..used).map(|r| Value::from_array(col.as_ref(), r).unwrap()).collect();
            prop_assert_eq!(&flat[c], &want);
        }
        if size > 0 {
            prop_assert!(batched.num_rows() == used.div_ceil(size));
        }
    }

    /// MergeJoin == nested-loop join where the colliding column becomes the sorted pair.
    #[test]
    fn merge_join_matches_model(
        (nullable, a, b) in nullable_flags(&["k1", "k2"]).prop_flat_map(|n| {
            (Just(n.clone()), input(vec!["p0".into(), "v".into()], n.clone(), 6), input(vec!["p1".into(), "v".into()], n, 6))
        })
    ) {
        let (sa, sb) = (stream(&a, &nullable, "A"), stream(&b, &nullable, "B"));
        let out = MergeJoin::new().process(&[sa.clone(), sb.clone()]).unwrap();
        let tag_names = |i: &Input| i.tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let rename = |rows: Vec<Row>, to: &str| -> Vec<Row> {
            rows.into_iter().map(|mut r| { let v = r.remove("v").unwrap(); r.insert(to.into(), v); r }).collect()
        };
        let joined = nested_join(&rename(model_rows(&a), "va"), &tag_names(&a), &rename(model_rows(&b), "vb"), &tag_names(&b));
        let expected: Vec<Row> = joined.into_iter().map(|mut r| {
            let (va, vb) = (r.remove("va").unwrap(), r.remove("vb").unwrap());
            let (x, y) = match (&va, &vb) { (Value::Int(x), Value::Int(y)) => (*x, *y), _ => unreachable!() };
            r.insert("v".into(), Value::List(if y < x { vec![vb, va] } else { vec![va, vb] }));
            r
        }).collect();
        prop_assert_eq!(sorted(&user_rows(&out)), sorted(&expected));
        let swapped = MergeJoin::new().process(&[sb, sa]).unwrap();
        let cfg = ColumnConfig::all().sorted();
        prop_assert_eq!(swapped.as_table(&cfg).unwrap(), out.as_table(&cfg).unwrap());
    }
}
