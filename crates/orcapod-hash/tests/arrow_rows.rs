//! Per-row hashing (`hash_rows`, `ArrowHasher::hash_rows`) against its definition: row `i` of
//! the result is the hash of the 1-row slice `batch.slice(i, 1)`, for random schemas of every
//! supported kind (nested lists and structs, nulls, booleans, dictionaries, large and fixed-size
//! types, children with offsets, sliced batches, metadata) and for the shared starfix vectors.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, DictionaryArray, Int8Array, LargeBinaryArray,
    LargeListArray, LargeStringArray, ListArray, RecordBatch, StringArray, StructArray, make_array,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_data::ArrayData;
use arrow_ipc::reader::StreamReader;
use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, TimeUnit};
use base64::Engine;
use orcapod_hash::DataContext;
use orcapod_hash::arrow::{ArrowDigest, hash_record_batch, hash_rows};
use proptest::prelude::*;
use serde_json::Value;

/// A small deterministic generator (64-bit LCG) for the array contents; proptest draws its
/// seed together with the schema and the slice.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn leaf_type() -> impl Strategy<Value = DataType> {
    prop_oneof![
        Just(DataType::Boolean),
        Just(DataType::Int8),
        Just(DataType::Int32),
        Just(DataType::Int64),
        Just(DataType::UInt16),
        Just(DataType::Float16),
        Just(DataType::Float64),
        Just(DataType::Date32),
        Just(DataType::Timestamp(
            TimeUnit::Millisecond,
            Some("UTC".into())
        )),
        Just(DataType::Decimal128(10, 2)),
        Just(DataType::FixedSizeBinary(3)),
        Just(DataType::Utf8),
        Just(DataType::LargeUtf8),
        Just(DataType::Binary),
        Just(DataType::LargeBinary),
        Just(DataType::Dictionary(
            Box::new(DataType::Int8),
            Box::new(DataType::Utf8)
        )),
    ]
}

/// Leaf types nested up to three levels in lists, large lists and structs.
fn data_type() -> impl Strategy<Value = DataType> {
    leaf_type().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>(), any::<bool>()).prop_map(|(t, nullable, large)| {
                let item: FieldRef = Arc::new(Field::new("item", t, nullable));
                if large {
                    DataType::LargeList(item)
                } else {
                    DataType::List(item)
                }
            }),
            proptest::collection::vec((inner, any::<bool>()), 1..4).prop_map(|children| {
                DataType::Struct(Fields::from(
                    children
                        .into_iter()
                        .enumerate()
                        .map(|(i, (t, nullable))| Field::new(format!("f{i}"), t, nullable))
                        .collect::<Vec<_>>(),
                ))
            }),
        ]
    })
}

fn short_string(r: &mut Lcg) -> String {
    let max = if r.chance(10) { 70 } else { 6 };
    let len = r.below(max) as usize;
    (0..len)
        .map(|_| ['a', 'b', 'é', '✓', 'z'][r.below(5) as usize])
        .collect()
}

/// Random validity (about one null in five), or none for non-nullable data.
fn nulls(r: &mut Lcg, len: usize, nullable: bool) -> Option<NullBuffer> {
    (nullable && r.chance(80))
        .then(|| NullBuffer::from((0..len).map(|_| !r.chance(20)).collect::<Vec<_>>()))
}

/// A random array of `dt` with `len` elements; non-nullable data never contains nulls.
fn array(dt: &DataType, len: usize, nullable: bool, r: &mut Lcg) -> ArrayRef {
    // Sometimes build a longer array and slice it, so nested children carry offsets too.
    if r.chance(25) {
        let pad = 1 + r.below(3) as usize;
        return array_exact(dt, len + 2 * pad, nullable, r).slice(pad, len);
    }
    array_exact(dt, len, nullable, r)
}

fn array_exact(dt: &DataType, len: usize, nullable: bool, r: &mut Lcg) -> ArrayRef {
    let valid = |r: &mut Lcg| !nullable || !r.chance(20);
    match dt {
        DataType::Boolean => Arc::new(
            (0..len)
                .map(|_| valid(r).then(|| r.chance(50)))
                .collect::<BooleanArray>(),
        ),
        DataType::Utf8 => Arc::new(
            (0..len)
                .map(|_| valid(r).then(|| short_string(r)))
                .collect::<StringArray>(),
        ),
        DataType::LargeUtf8 => Arc::new(
            (0..len)
                .map(|_| valid(r).then(|| short_string(r)))
                .collect::<LargeStringArray>(),
        ),
        DataType::Binary => Arc::new(
            (0..len)
                .map(|_| valid(r).then(|| short_string(r).into_bytes()))
                .collect::<BinaryArray>(),
        ),
        DataType::LargeBinary => Arc::new(
            (0..len)
                .map(|_| valid(r).then(|| short_string(r).into_bytes()))
                .collect::<LargeBinaryArray>(),
        ),
        DataType::Dictionary(_, _) => {
            let values = StringArray::from(vec![Some("red"), Some("green"), Some("")]);
            let keys: Int8Array = (0..len)
                .map(|_| valid(r).then(|| r.below(3) as i8))
                .collect();
            Arc::new(DictionaryArray::<Int8Type>::try_new(keys, Arc::new(values)).unwrap())
        }
        DataType::List(item) | DataType::LargeList(item) => {
            let start = r.below(3) as usize;
            let mut offsets = vec![start];
            for _ in 0..len {
                let max = if r.chance(15) { 12 } else { 4 };
                let n = r.below(max) as usize;
                offsets.push(offsets.last().unwrap() + n);
            }
            let total = offsets.last().unwrap() + r.below(3) as usize;
            let values = array(item.data_type(), total, item.is_nullable(), r);
            let validity = nulls(r, len, nullable);
            if matches!(dt, DataType::List(_)) {
                let o: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
                let o = OffsetBuffer::new(ScalarBuffer::from(o));
                Arc::new(ListArray::try_new(item.clone(), o, values, validity).unwrap())
            } else {
                let o: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
                let o = OffsetBuffer::new(ScalarBuffer::from(o));
                Arc::new(LargeListArray::try_new(item.clone(), o, values, validity).unwrap())
            }
        }
        DataType::Struct(fields) => {
            let columns = fields
                .iter()
                .map(|f| array(f.data_type(), len, f.is_nullable(), r))
                .collect();
            let validity = nulls(r, len, nullable);
            Arc::new(StructArray::try_new(fields.clone(), columns, validity).unwrap())
        }
        fixed => {
            // Every other generated type is fixed-width: random bytes of the right size.
            let width = fixed.primitive_width().unwrap_or_else(|| match fixed {
                DataType::FixedSizeBinary(n) => *n as usize,
                other => panic!("generator does not know {other}"),
            });
            let data = ArrayData::builder(fixed.clone())
                .len(len)
                .add_buffer(Buffer::from_slice_ref(r.bytes(len * width)))
                .nulls(nulls(r, len, nullable))
                .build()
                .unwrap();
            make_array(data)
        }
    }
}

/// A batch of random columns `c0..`, with metadata on some fields and on the schema.
fn batch(columns: &[(DataType, bool)], rows: usize, seed: u64) -> RecordBatch {
    let mut r = Lcg(seed);
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (i, (dt, nullable)) in columns.iter().enumerate() {
        let mut field = Field::new(format!("c{i}"), dt.clone(), *nullable);
        if r.chance(30) {
            field = field.with_metadata(HashMap::from([("k".into(), format!("v{i}"))]));
        }
        fields.push(field);
        arrays.push(array(dt, rows, *nullable, &mut r));
    }
    let metadata = HashMap::from([("origin".to_owned(), "test".to_owned())]);
    let schema = Schema::new(fields).with_metadata(metadata);
    RecordBatch::try_new(Arc::new(schema), arrays).unwrap()
}

fn per_slice(batch: &RecordBatch, include_metadata: bool) -> Vec<ArrowDigest> {
    (0..batch.num_rows())
        .map(|i| hash_record_batch(&batch.slice(i, 1), include_metadata).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn every_row_hashes_like_its_one_row_slice(
        columns in proptest::collection::vec((data_type(), any::<bool>()), 1..5),
        rows in 0usize..40,
        seed in any::<u64>(),
        cut in (0usize..8, 0usize..8),
    ) {
        let full = batch(&columns, rows, seed);
        let offset = cut.0.min(rows);
        let length = (rows - offset).saturating_sub(cut.1);
        let sliced = full.slice(offset, length);
        for b in [&full, &sliced] {
            for include_metadata in [false, true] {
                let got = hash_rows(b, include_metadata).unwrap();
                prop_assert_eq!(got, per_slice(b, include_metadata));
            }
        }
        let hasher = DataContext::default_context().arrow_hasher();
        let got = hasher.hash_rows(&sliced).unwrap();
        prop_assert_eq!(got.len(), sliced.num_rows());
        for (i, h) in got.iter().enumerate() {
            prop_assert_eq!(h, &hasher.hash_batch(&sliced.slice(i, 1)).unwrap());
        }
    }
}

#[test]
fn large_nested_batch_takes_the_parallel_path_and_agrees() {
    let list = DataType::List(Arc::new(Field::new("item", DataType::Boolean, true)));
    let st = DataType::Struct(Fields::from(vec![
        Field::new("a", DataType::LargeUtf8, true),
        Field::new("l", list.clone(), false),
    ]));
    let columns = [
        (DataType::Int64, false),
        (DataType::LargeUtf8, true),
        (st, true),
        (
            DataType::LargeList(Arc::new(Field::new("x", list, true))),
            true,
        ),
    ];
    let full = batch(&columns, 10_000, 42);
    let sliced = full.slice(7, 9_990);
    assert_eq!(
        hash_rows(&sliced, false).unwrap(),
        per_slice(&sliced, false)
    );
}

fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("ORCAPOD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.join("fixtures").is_dir(),
        "shared fixtures not found at {} (set ORCAPOD_SHARED_DIR)",
        dir.display()
    );
    dir
}

fn hex(d: &ArrowDigest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every single-batch spec vector (sliced where the vector says so): per-row hashes equal the
/// per-slice ones, and a 1-row vector's expected table hash is its only row hash.
#[test]
fn spec_vectors_hash_per_row_like_their_slices() {
    let path = shared_dir().join("fixtures/arrow-hash-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let vectors: Value = serde_json::from_str(&text).unwrap();
    let (mut checked, mut single_rows) = (0, 0);
    for v in vectors["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v["ipc_b64"].as_str().unwrap())
            .unwrap();
        let reader = StreamReader::try_new(Cursor::new(bytes), None).unwrap();
        let mut batches = reader.collect::<Result<Vec<_>, _>>().unwrap();
        if batches.len() != 1 {
            continue;
        }
        let mut b = batches.remove(0);
        if let Some(slice) = v["slice"].as_object() {
            let offset = slice["offset"].as_u64().unwrap() as usize;
            let length = slice["length"].as_u64().unwrap() as usize;
            b = b.slice(offset, length);
        }
        let include_metadata = v["include_metadata"].as_bool().unwrap_or(false);
        let got = hash_rows(&b, include_metadata).unwrap();
        assert_eq!(got, per_slice(&b, include_metadata), "{id}");
        if b.num_rows() == 1 {
            assert_eq!(
                Some(hex(&got[0]).as_str()),
                v["expected"]["hash_table"].as_str(),
                "{id}"
            );
            single_rows += 1;
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} single-batch vectors");
    assert!(single_rows >= 3, "only {single_rows} one-row vectors");
}
