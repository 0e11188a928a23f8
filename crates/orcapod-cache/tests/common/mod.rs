//! Shared helpers for the store tests.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
use orcapod_cache::{InMemoryStore, RecordSet, RocksStore, Store, TablePath};
use tempfile::TempDir;

/// Rows `x: int64, y: float64, name: utf8` for each value.
pub fn batch(xs: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("x", Arc::new(Int64Array::from(xs.to_vec())) as _),
        (
            "y",
            Arc::new(Float64Array::from_iter_values(
                xs.iter().map(|x| *x as f64 / 2.0),
            )) as _,
        ),
        (
            "name",
            Arc::new(StringArray::from_iter_values(
                xs.iter().map(|x| format!("n{x}")),
            )) as _,
        ),
    ])
    .unwrap()
}

pub fn records(ids: &[&str], xs: &[i64]) -> RecordSet {
    RecordSet::new(ids.iter().map(|s| s.as_bytes()), batch(xs)).unwrap()
}

pub fn path(components: &[&str]) -> TablePath {
    TablePath::new(components.iter().copied()).unwrap()
}

/// `(id as string, x)` pairs of a record set, in order.
pub fn rows(set: &Option<RecordSet>) -> Vec<(String, i64)> {
    let Some(set) = set else { return Vec::new() };
    let data = set.data();
    let xs = data
        .column_by_name("x")
        .unwrap()
        .as_primitive::<Int64Type>();
    (0..set.len())
        .map(|i| (String::from_utf8_lossy(set.id(i)).into_owned(), xs.value(i)))
        .collect()
}

/// One store of each kind (the temp dir keeps the RocksDB store's directory alive).
pub fn stores() -> Vec<(&'static str, Arc<dyn Store>, Option<TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let rocks = RocksStore::open(dir.path()).unwrap();
    vec![
        (
            "memory",
            Arc::new(InMemoryStore::new()) as Arc<dyn Store>,
            None,
        ),
        ("rocksdb", Arc::new(rocks) as Arc<dyn Store>, Some(dir)),
    ]
}
