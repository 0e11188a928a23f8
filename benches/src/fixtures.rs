//! Inputs and result checks shared by the scenarios (everything here runs outside the clock).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_datagram::{Source, SourceOptions, Stream};

use crate::error::BenchError;

/// `size` as a row count.
pub fn rows(size: u64) -> Result<usize, BenchError> {
    usize::try_from(size).map_err(|_| BenchError::Usage(format!("size {size} too large")))
}

/// A batch of non-null int64 columns (non-null like the Python harness's sources, which use
/// `infer_nullable=True`).
pub fn int_batch(columns: Vec<(&str, Int64Array)>) -> Result<RecordBatch, BenchError> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, _)| Field::new(*name, DataType::Int64, false))
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .into_iter()
        .map(|(_, array)| Arc::new(array) as ArrayRef)
        .collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// `0..n` as an int64 column.
pub fn iota(n: usize) -> Int64Array {
    Int64Array::from_iter_values(0..n as i64)
}

/// A source tagged by `id` with an explicit source id (so identities do not depend on data).
pub fn source(batch: RecordBatch, source_id: &str) -> Result<Source, BenchError> {
    Ok(Source::from_batch(
        batch,
        SourceOptions::new(["id"]).source_id(source_id),
    )?)
}

/// The `id`/`x` table of the Python harness's `source_build`, `batch` and pipeline workloads:
/// `id = x = 0..n`.
pub fn id_x_batch(n: usize) -> Result<RecordBatch, BenchError> {
    int_batch(vec![("id", iota(n)), ("x", iota(n))])
}

/// The int64 column `name` of `stream`, or an error naming it.
pub fn int_column<'a>(stream: &'a Stream, name: &str) -> Result<&'a Int64Array, BenchError> {
    stream
        .column(name)
        .and_then(|column| column.as_primitive_opt::<Int64Type>())
        .ok_or_else(|| BenchError::WrongResult(format!("no int64 column `{name}` in the output")))
}

/// Wrapping sum of an int64 array (nulls count as 0).
pub fn int_sum(array: &Int64Array) -> i64 {
    array.iter().flatten().fold(0i64, i64::wrapping_add)
}

/// Sum of a float64 column (in row order, so equal work gives a bit-identical sum).
pub fn float_sum(array: &dyn Array) -> Result<f64, BenchError> {
    let floats = array
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| BenchError::WrongResult("expected a float64 column".into()))?;
    Ok(floats.iter().flatten().sum())
}

/// Fails with [`BenchError::WrongResult`] unless `actual == expected`.
pub fn expect_rows(what: &str, actual: usize, expected: usize) -> Result<(), BenchError> {
    if actual == expected {
        Ok(())
    } else {
        Err(BenchError::WrongResult(format!(
            "{what}: {actual} rows, expected {expected}"
        )))
    }
}

/// Total size of the files under `dir` (what a store wrote: WAL, SST, manifest).
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A fresh temporary directory for a store.
pub fn tempdir() -> Result<tempfile::TempDir, BenchError> {
    tempfile::Builder::new()
        .prefix("orcapod-bench-")
        .tempdir()
        .map_err(|source| BenchError::Io {
            what: "creating a temporary directory".into(),
            source,
        })
}
