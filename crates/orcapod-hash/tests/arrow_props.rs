//! Property tests of the invariants the starfix layout promises (spec §5, §8.7, §10, §11):
//! column order, Utf8/LargeUtf8 and List/LargeList equivalence, slicing vs compacting, batch
//! splitting (non-boolean data) and dictionary vs decoded values.

use std::sync::Arc;

use arrow_array::builder::{Int32Builder, LargeListBuilder, ListBuilder};
use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, StringArray, StructArray, UInt32Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Fields};
use arrow_select::take::take_record_batch;
use orcapod_hash::arrow::{ArrowDigester, hash_array, hash_record_batch};
use proptest::prelude::*;

/// One generated row across every column kind.
#[derive(Debug, Clone)]
struct Row {
    int: Option<i64>,
    text: Option<String>,
    flag: Option<bool>,
    list: Option<Vec<Option<i32>>>,
    inner: Option<(Option<f64>, i32)>,
}

fn row() -> impl Strategy<Value = Row> {
    (
        proptest::option::of(any::<i64>()),
        proptest::option::of("[a-zé✓]{0,6}"),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::collection::vec(
            proptest::option::of(-5i32..5),
            0..4,
        )),
        proptest::option::of((proptest::option::of(-1e3f64..1e3), any::<i32>())),
    )
        .prop_map(|(int, text, flag, list, inner)| Row {
            int,
            text,
            flag,
            list,
            inner,
        })
}

fn rows(max: usize) -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(row(), 0..max)
}

fn list_array(rows: &[Row], large: bool) -> ArrayRef {
    fn fill<B: arrow_array::builder::ArrayBuilder>(
        rows: &[Row],
        values: impl Fn(&mut B) -> &mut Int32Builder,
        mut append: impl FnMut(&mut B, bool),
        builder: &mut B,
    ) {
        for r in rows {
            if let Some(items) = &r.list {
                for item in items {
                    values(builder).append_option(*item);
                }
            }
            append(builder, r.list.is_some());
        }
    }
    if large {
        let mut b = LargeListBuilder::new(Int32Builder::new());
        fill(rows, |b| b.values(), |b, v| b.append(v), &mut b);
        Arc::new(b.finish())
    } else {
        let mut b = ListBuilder::new(Int32Builder::new());
        fill(rows, |b| b.values(), |b, v| b.append(v), &mut b);
        Arc::new(b.finish())
    }
}

fn struct_array(rows: &[Row]) -> ArrayRef {
    let floats: Float64Array = rows.iter().map(|r| r.inner.and_then(|i| i.0)).collect();
    let ints: Int32Array = rows
        .iter()
        .map(|r| Some(r.inner.map_or(0, |i| i.1)))
        .collect();
    let nulls = NullBuffer::from(rows.iter().map(|r| r.inner.is_some()).collect::<Vec<_>>());
    Arc::new(StructArray::new(
        Fields::from(vec![
            Field::new("f", DataType::Float64, true),
            Field::new("n", DataType::Int32, false),
        ]),
        vec![Arc::new(floats) as ArrayRef, Arc::new(ints)],
        Some(nulls),
    ))
}

/// The columns, with strings and lists optionally in their `Large` forms.
fn columns(rows: &[Row], large: bool, with_bool: bool) -> Vec<(&'static str, ArrayRef)> {
    let ints: Int64Array = rows.iter().map(|r| r.int).collect();
    let texts = rows.iter().map(|r| r.text.as_deref());
    let text: ArrayRef = if large {
        Arc::new(texts.collect::<LargeStringArray>())
    } else {
        Arc::new(texts.collect::<StringArray>())
    };
    let mut cols = vec![
        ("int", Arc::new(ints) as ArrayRef),
        ("text", text),
        ("list", list_array(rows, large)),
        ("inner", struct_array(rows)),
    ];
    if with_bool {
        let flags: BooleanArray = rows.iter().map(|r| r.flag).collect();
        cols.push(("flag", Arc::new(flags)));
    }
    cols
}

fn batch(cols: Vec<(&'static str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(cols.into_iter().map(|(n, a)| (n, a, true)))
        .expect("valid batch")
}

fn array_hashes(b: &RecordBatch) -> Vec<[u8; 35]> {
    b.columns()
        .iter()
        .map(|c| hash_array(c.as_ref()).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn column_order_is_irrelevant(
        rows in rows(12),
        order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let cols = columns(&rows, false, true);
        let shuffled: Vec<_> = order.iter().map(|&i| cols[i].clone()).collect();
        prop_assert_eq!(
            hash_record_batch(&batch(cols), false).unwrap(),
            hash_record_batch(&batch(shuffled), false).unwrap()
        );
    }

    #[test]
    fn small_and_large_offsets_hash_alike(rows in rows(12)) {
        let small = batch(columns(&rows, false, true));
        let large = batch(columns(&rows, true, true));
        prop_assert_eq!(
            hash_record_batch(&small, true).unwrap(),
            hash_record_batch(&large, true).unwrap()
        );
        prop_assert_eq!(array_hashes(&small), array_hashes(&large));
        // A digester of one form accepts batches of the other.
        let mut d = ArrowDigester::new(small.schema_ref(), false).unwrap();
        d.update(&large).unwrap();
        prop_assert_eq!(d.finalize(), hash_record_batch(&small, false).unwrap());
    }

    #[test]
    fn slicing_equals_compacting(rows in rows(16), a in 0usize..16, b in 0usize..16) {
        let full = batch(columns(&rows, false, true));
        let offset = a.min(full.num_rows());
        let len = b.min(full.num_rows() - offset);
        let sliced = full.slice(offset, len);
        let indices: UInt32Array = (offset as u32..(offset + len) as u32).collect();
        let compact = take_record_batch(&full, &indices).unwrap();
        prop_assert_eq!(
            hash_record_batch(&sliced, false).unwrap(),
            hash_record_batch(&compact, false).unwrap()
        );
        prop_assert_eq!(array_hashes(&sliced), array_hashes(&compact));
    }

    #[test]
    fn batch_splits_are_irrelevant_without_booleans(rows in rows(16), cut in 0usize..16) {
        let full = batch(columns(&rows, false, false));
        let cut = cut.min(full.num_rows());
        let mut d = ArrowDigester::new(full.schema_ref(), false).unwrap();
        d.update(&full.slice(0, cut)).unwrap();
        d.update(&full.slice(cut, 0)).unwrap();
        d.update(&full.slice(cut, full.num_rows() - cut)).unwrap();
        prop_assert_eq!(d.finalize(), hash_record_batch(&full, false).unwrap());
    }

    #[test]
    fn boolean_splits_at_multiples_of_eight_are_irrelevant(
        flags in proptest::collection::vec(any::<bool>(), 0..40),
        eighths in 0usize..5,
    ) {
        let full = batch(vec![("flag", Arc::new(BooleanArray::from(flags)) as ArrayRef)]);
        let cut = (eighths * 8).min(full.num_rows());
        let mut d = ArrowDigester::new(full.schema_ref(), false).unwrap();
        d.update(&full.slice(0, cut)).unwrap();
        d.update(&full.slice(cut, full.num_rows() - cut)).unwrap();
        prop_assert_eq!(d.finalize(), hash_record_batch(&full, false).unwrap());
    }

    #[test]
    fn dictionary_equals_decoded(
        keys in proptest::collection::vec(proptest::option::of(0i8..4), 0..20),
        values in proptest::collection::vec(proptest::option::of("[a-c]{0,3}"), 4),
    ) {
        let dict_values = Arc::new(values.iter().map(|v| v.as_deref()).collect::<StringArray>());
        let dict = DictionaryArray::<Int8Type>::try_new(
            keys.iter().copied().collect::<Int8Array>(),
            dict_values,
        )
        .unwrap();
        let decoded: StringArray = keys
            .iter()
            .map(|k| k.and_then(|k| values[k as usize].as_deref()))
            .collect();
        prop_assert_eq!(hash_array(&dict).unwrap(), hash_array(&decoded).unwrap());
        prop_assert_eq!(
            hash_record_batch(&batch(vec![("d", Arc::new(dict) as ArrayRef)]), false).unwrap(),
            hash_record_batch(&batch(vec![("d", Arc::new(decoded) as ArrayRef)]), false).unwrap()
        );
    }
}
