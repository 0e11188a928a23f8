//! Unit tests of internals that the public API cannot reach: the parallel and sequential
//! feeding paths must agree.

use std::sync::Arc;

use arrow_array::types::Int16Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array,
    LargeStringArray, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields};

use super::*;

/// A small deterministic generator (64-bit LCG), so the test needs no extra dependency.
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
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_batch(rows: usize, seed: u64) -> RecordBatch {
    let mut r = Lcg(seed);
    let ints: Int64Array = (0..rows)
        .map(|_| (!r.chance(10)).then(|| r.next() as i64))
        .collect();
    let strings: StringArray = (0..rows)
        .map(|_| {
            (!r.chance(5)).then(|| {
                let len = r.below(24) as usize;
                (0..len)
                    .map(|_| char::from(b'a' + r.below(26) as u8))
                    .collect::<String>()
            })
        })
        .collect();
    let large: LargeStringArray = (0..rows)
        .map(|_| Some(format!("v{}", r.below(1000))))
        .collect();
    let bools: BooleanArray = (0..rows)
        .map(|_| (!r.chance(20)).then(|| r.chance(50)))
        .collect();
    let lengths: Vec<usize> = (0..rows).map(|_| r.below(5) as usize).collect();
    let total: usize = lengths.iter().sum();
    let elems: Int32Array = (0..total)
        .map(|_| (!r.chance(10)).then(|| r.next() as i32))
        .collect();
    let list_nulls = NullBuffer::from((0..rows).map(|_| !r.chance(10)).collect::<Vec<_>>());
    let list = ListArray::new(
        Arc::new(Field::new("item", DataType::Int32, true)),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(elems),
        Some(list_nulls),
    );
    let floats: Float64Array = (0..rows)
        .map(|_| (!r.chance(10)).then(|| r.next() as f64 / 7.0))
        .collect();
    let inner_bools: BooleanArray = (0..rows).map(|_| Some(r.chance(30))).collect();
    let st = StructArray::new(
        Fields::from(vec![
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, false),
        ]),
        vec![Arc::new(floats) as ArrayRef, Arc::new(inner_bools)],
        Some(NullBuffer::from(
            (0..rows).map(|_| !r.chance(15)).collect::<Vec<_>>(),
        )),
    );
    let dict: DictionaryArray<Int16Type> = (0..rows)
        .map(|_| (!r.chance(10)).then(|| ["red", "green", "blue"][r.below(3) as usize]))
        .collect();
    RecordBatch::try_from_iter_with_nullable([
        ("ints", Arc::new(ints) as ArrayRef, true),
        ("strings", Arc::new(strings), true),
        ("large", Arc::new(large), false),
        ("bools", Arc::new(bools), true),
        ("list", Arc::new(list), true),
        ("st", Arc::new(st), true),
        ("dict", Arc::new(dict), true),
    ])
    .expect("valid batch")
}

#[test]
fn parallel_and_sequential_paths_agree() {
    let batch = random_batch(60_000, 7);
    assert!(batch.get_array_memory_size() > PARALLEL_MIN_BYTES);
    let schema = batch.schema();
    let run = |parallel: Option<bool>| {
        let mut d = ArrowDigester::new(&schema, false).unwrap();
        d.update_with(&batch, parallel).unwrap();
        d.update_with(&batch.slice(1000, 3000), parallel).unwrap();
        d.finalize()
    };
    let sequential = run(Some(false));
    assert_eq!(sequential, run(Some(true)));
    assert_eq!(sequential, run(None));
}

#[test]
fn column_path_collisions_are_hashed_without_panicking() {
    // Quirk Q6: a column named "s/x" and the child x of struct s share the path "s/x".
    let st = StructArray::new(
        Fields::from(vec![Field::new("x", DataType::Int32, true)]),
        vec![Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef],
        None,
    );
    let batch = RecordBatch::try_from_iter([
        ("s", Arc::new(st) as ArrayRef),
        ("s/x", Arc::new(Int32Array::from(vec![3, 4]))),
    ])
    .unwrap();
    let digester = ArrowDigester::new(batch.schema_ref(), false).unwrap();
    assert_eq!(digester.groups.len(), 1);
    hash_record_batch(&batch, false).unwrap();
}
