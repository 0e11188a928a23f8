//! Differential test: the optimised hasher against a deliberately naive transcription of spec
//! §8.3–§8.6 and §9 (one `Visit` per list row on sliced child arrays, element-by-element
//! leaves), on randomly generated nested data: lists of lists, structs in lists, booleans at
//! every depth (quirk Q1), dictionaries, nulls at every level, sliced arrays and multi-batch
//! streams, plus one list long enough to cross the hasher's internal row chunking.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int32Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int8Array, Int32Array, LargeListArray,
    ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields, Schema};
use orcapod_hash::arrow::{ArrowDigester, hash_array, hash_record_batch, schema_json};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- naive reference (§8, §9)

#[derive(Default)]
struct RefEntry {
    v: Option<Vec<bool>>,
    s: Option<Vec<u8>>,
    d: Option<Vec<u8>>,
}

type RefMap = BTreeMap<String, RefEntry>;

fn entry(v: bool, s: bool, d: bool) -> RefEntry {
    RefEntry {
        v: v.then(Vec::new),
        s: s.then(Vec::new),
        d: d.then(Vec::new),
    }
}

fn join(p: &str, c: &str) -> String {
    if p.is_empty() {
        c.to_owned()
    } else {
        format!("{p}/{c}")
    }
}

fn canon(dt: &DataType) -> &DataType {
    match dt {
        DataType::Dictionary(_, v) => canon(v),
        other => other,
    }
}

fn ref_build(map: &mut RefMap, dt: &DataType, nullable: bool, p: &str) {
    match canon(dt) {
        DataType::Struct(cs) => {
            for c in cs {
                ref_build(map, c.data_type(), c.is_nullable(), &join(p, c.name()));
            }
        }
        DataType::List(e) | DataType::LargeList(e) => {
            if nullable {
                map.insert(p.to_owned(), entry(true, false, false));
            }
            let q = format!("{p}/");
            match canon(e.data_type()) {
                DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) => {
                    map.insert(q.clone(), entry(e.is_nullable(), true, false));
                    ref_build(map, e.data_type(), e.is_nullable(), &q);
                }
                _ => {
                    map.insert(q, entry(e.is_nullable(), true, true));
                }
            }
        }
        _ => {
            map.insert(p.to_owned(), entry(nullable, false, true));
        }
    }
}

fn decode(a: &dyn Array) -> ArrayRef {
    match a.as_any_dictionary_opt() {
        Some(d) => arrow_select::take::take(d.values().as_ref(), d.keys(), None).unwrap(),
        None => arrow_array::make_array(a.to_data()),
    }
}

fn ref_visit(map: &mut RefMap, a: &dyn Array, nullable: bool, p: &str, m: Option<&[bool]>) {
    let a = decode(a);
    let live: Vec<bool> = (0..a.len())
        .map(|i| a.is_valid(i) && m.is_none_or(|m| m[i]))
        .collect();
    match a.data_type().clone() {
        DataType::List(e) | DataType::LargeList(e) => {
            if nullable && let Some(v) = map.get_mut(p).and_then(|x| x.v.as_mut()) {
                v.extend(&live);
            }
            let q = format!("{p}/");
            for (i, &l) in live.iter().enumerate() {
                if !l {
                    continue;
                }
                let x = match a.as_list_opt::<i32>() {
                    Some(list) => list.value(i),
                    None => a.as_list::<i64>().value(i),
                };
                if let Some(s) = map.get_mut(&q).and_then(|x| x.s.as_mut()) {
                    s.extend((x.len() as u64).to_le_bytes());
                }
                ref_visit(map, x.as_ref(), e.is_nullable(), &q, None);
            }
        }
        DataType::Struct(fields) => {
            let st = a.as_struct();
            let child_mask: Option<Vec<bool>> = if nullable {
                Some(live.clone())
            } else {
                m.map(<[bool]>::to_vec)
            };
            let mut order: Vec<usize> = (0..fields.len()).collect();
            order.sort_by(|&x, &y| fields[x].name().cmp(fields[y].name()));
            for j in order {
                let f = &fields[j];
                let path = join(p, f.name());
                ref_visit(
                    map,
                    st.column(j).as_ref(),
                    f.is_nullable(),
                    &path,
                    child_mask.as_deref(),
                );
            }
        }
        dt => {
            let Some(e) = map.get_mut(p) else { return };
            if let Some(v) = e.v.as_mut() {
                v.extend(&live);
            }
            let Some(d) = e.d.as_mut() else { return };
            let idx = (0..a.len()).filter(|&i| live[i]);
            match dt {
                DataType::Boolean => {
                    let b = a.as_boolean();
                    let bits: Vec<bool> = idx.map(|i| b.value(i)).collect();
                    d.extend(pack(&bits));
                }
                DataType::Int32 => {
                    let x = a.as_primitive::<Int32Type>();
                    idx.for_each(|i| d.extend(x.value(i).to_le_bytes()));
                }
                DataType::Utf8 => {
                    let x = a.as_string::<i32>();
                    for i in idx {
                        d.extend((x.value(i).len() as u64).to_le_bytes());
                        d.extend(x.value(i).as_bytes());
                    }
                }
                other => panic!("reference does not cover {other}"),
            }
        }
    }
}

fn pack(bits: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, &b) in bits.iter().enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

fn ref_finalize(f: &mut Sha256, map: RefMap) {
    for e in map.into_values() {
        if let Some(v) = e.v {
            f.update((v.len() as u64).to_le_bytes());
            f.update(pack(&v));
        }
        if let Some(s) = e.s {
            f.update(Sha256::digest(&s));
        }
        if let Some(d) = e.d {
            f.update(Sha256::digest(&d));
        }
    }
}

fn with_version(f: Sha256) -> [u8; 35] {
    let mut out = [0u8; 35];
    out[2] = 1;
    out[3..].copy_from_slice(&f.finalize());
    out
}

fn ref_table(schema: &Schema, batches: &[RecordBatch]) -> [u8; 35] {
    let mut map = RefMap::new();
    for f in schema.fields() {
        ref_build(&mut map, f.data_type(), f.is_nullable(), f.name());
    }
    for b in batches {
        for (f, c) in b.schema().fields().iter().zip(b.columns()) {
            ref_visit(&mut map, c.as_ref(), f.is_nullable(), f.name(), None);
        }
    }
    let mut f = Sha256::new();
    f.update(Sha256::digest(schema_json(schema).unwrap().as_bytes()));
    ref_finalize(&mut f, map);
    with_version(f)
}

fn ref_array(a: &dyn Array) -> [u8; 35] {
    let a = decode(a);
    let nullable = a.logical_null_count() > 0;
    let field_json = schema_json(&Schema::new(vec![Field::new(
        "x",
        a.data_type().clone(),
        false,
    )]))
    .unwrap();
    // {"x":{"data_type":J,"nullable":false}} -> J
    let type_json = &field_json
        ["{\"x\":{\"data_type\":".len()..field_json.len() - ",\"nullable\":false}}".len()];
    let mut map = RefMap::new();
    ref_build(&mut map, a.data_type(), nullable, "");
    ref_visit(&mut map, a.as_ref(), nullable, "", None);
    let mut f = Sha256::new();
    f.update(type_json.as_bytes());
    ref_finalize(&mut f, map);
    with_version(f)
}

// ------------------------------------------------------------------- random nested data

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
    fn coin(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn random_type(r: &mut Rng, depth: usize) -> DataType {
    let pick = if depth >= 3 { r.below(4) } else { r.below(8) };
    match pick {
        0 => DataType::Boolean,
        1 => DataType::Int32,
        2 => DataType::Utf8,
        3 => DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        4 | 5 => {
            let e = Field::new("item", random_type(r, depth + 1), r.coin(60));
            if r.coin(50) {
                DataType::List(Arc::new(e))
            } else {
                DataType::LargeList(Arc::new(e))
            }
        }
        _ => {
            let n = 1 + r.below(3);
            let fields: Vec<Field> = (0..n)
                .map(|i| Field::new(["b", "a", "c"][i], random_type(r, depth + 1), r.coin(60)))
                .collect();
            DataType::Struct(Fields::from(fields))
        }
    }
}

fn nulls(r: &mut Rng, len: usize, nullable: bool) -> Option<NullBuffer> {
    (nullable && r.coin(70))
        .then(|| NullBuffer::from((0..len).map(|_| !r.coin(25)).collect::<Vec<_>>()))
}

/// A random array of `dt` with `len` rows, built with 0..2 extra leading rows and sliced, so
/// offsets are non-zero.
fn random_array(r: &mut Rng, dt: &DataType, len: usize, nullable: bool) -> ArrayRef {
    let pad = r.below(3);
    let full = len + pad;
    let n = nulls(r, full, nullable);
    let a: ArrayRef = match dt {
        DataType::Boolean => Arc::new(BooleanArray::new(
            (0..full).map(|_| r.coin(50)).collect(),
            n,
        )),
        DataType::Int32 => Arc::new(Int32Array::new(
            (0..full).map(|_| r.next() as i32 % 100).collect(),
            n,
        )),
        DataType::Utf8 => {
            let values: Vec<String> = (0..full)
                .map(|_| "xyzé".chars().take(r.below(5)).collect())
                .collect();
            Arc::new(StringArray::new(
                OffsetBuffer::from_lengths(values.iter().map(String::len)),
                values.concat().into_bytes().into(),
                n,
            ))
        }
        DataType::Dictionary(_, _) => {
            // A null dictionary value is a logical null: only where nulls are allowed.
            let hole = (!nullable).then_some("h");
            let values = Arc::new(StringArray::from(vec![
                Some("p"),
                hole,
                Some("q"),
                Some(""),
            ]));
            let keys = Int8Array::new((0..full).map(|_| r.below(4) as i8).collect(), n);
            Arc::new(DictionaryArray::<Int8Type>::try_new(keys, values).unwrap())
        }
        DataType::List(e) | DataType::LargeList(e) => {
            let lengths: Vec<usize> = (0..full).map(|_| r.below(4)).collect();
            let total = lengths.iter().sum();
            let child = random_array(r, e.data_type(), total, e.is_nullable());
            if matches!(dt, DataType::List(_)) {
                Arc::new(ListArray::new(
                    e.clone(),
                    OffsetBuffer::from_lengths(lengths),
                    child,
                    n,
                ))
            } else {
                Arc::new(LargeListArray::new(
                    e.clone(),
                    OffsetBuffer::from_lengths(lengths),
                    child,
                    n,
                ))
            }
        }
        DataType::Struct(fields) => {
            let cols = fields
                .iter()
                .map(|f| random_array(r, f.data_type(), full, f.is_nullable()))
                .collect();
            Arc::new(StructArray::new(fields.clone(), cols, n))
        }
        other => panic!("generator does not cover {other}"),
    };
    a.slice(pad, len)
}

fn random_batch(seed: u64, rows: usize) -> RecordBatch {
    let mut r = Rng(seed);
    let ncols = 1 + r.below(4);
    let cols: Vec<(String, ArrayRef, bool)> = (0..ncols)
        .map(|i| {
            let dt = random_type(&mut r, 0);
            let nullable = r.coin(60);
            (
                format!("c{i}"),
                random_array(&mut r, &dt, rows, nullable),
                nullable,
            )
        })
        .collect();
    RecordBatch::try_from_iter_with_nullable(cols).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_the_naive_reference(seed in any::<u64>(), rows in 0usize..12, cut in 0usize..12) {
        let batch = random_batch(seed, rows);
        prop_assert_eq!(
            hash_record_batch(&batch, false).unwrap(),
            ref_table(batch.schema_ref(), std::slice::from_ref(&batch))
        );
        for c in batch.columns() {
            prop_assert_eq!(hash_array(c.as_ref()).unwrap(), ref_array(c.as_ref()));
        }
        // Two batches (the reference continues its entries across batches too).
        let cut = cut.min(rows);
        let parts = [batch.slice(0, cut), batch.slice(cut, rows - cut)];
        let mut d = ArrowDigester::new(batch.schema_ref(), false).unwrap();
        for p in &parts {
            d.update(p).unwrap();
        }
        prop_assert_eq!(d.finalize(), ref_table(batch.schema_ref(), &parts));
    }
}

/// Long lists cross the hasher's internal chunk of list rows; booleans must still pack per row.
#[test]
fn long_lists_match_the_naive_reference() {
    let mut r = Rng(99);
    let inner = DataType::Struct(Fields::from(vec![
        Field::new("b", DataType::Boolean, true),
        Field::new("i", DataType::Int32, false),
    ]));
    let types = [
        DataType::List(Arc::new(Field::new("item", DataType::Boolean, true))),
        DataType::List(Arc::new(Field::new("item", inner, true))),
        DataType::LargeList(Arc::new(Field::new(
            "item",
            DataType::List(Arc::new(Field::new("item", DataType::Int32, false))),
            false,
        ))),
    ];
    for dt in types {
        let column = random_array(&mut r, &dt, 66_000, true);
        let batch = RecordBatch::try_from_iter([("l", column.clone())]).unwrap();
        assert_eq!(
            hash_record_batch(&batch, false).unwrap(),
            ref_table(batch.schema_ref(), std::slice::from_ref(&batch)),
            "{dt}"
        );
        assert_eq!(
            hash_array(column.as_ref()).unwrap(),
            ref_array(column.as_ref()),
            "{dt}"
        );
    }
}
