//! Stable multi-column sorting that works for every type, list-typed tags included.

use arrow_array::{RecordBatch, UInt32Array};
use arrow_row::{RowConverter, SortField};

use crate::error::{DatagramError, Result};

/// Stable sort of `batch` ascending by `keys` (nulls first), through Arrow's row format so that
/// list- and struct-typed columns sort too (orcapod-python silently gives up on those).
pub fn sort_batch_by(batch: &RecordBatch, keys: &[String]) -> Result<RecordBatch> {
    if keys.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let indices = sorted_indices(batch, keys)?;
    Ok(arrow_select::take::take_record_batch(batch, &indices)?)
}

/// The stable ascending order of `batch`'s rows by `keys`.
pub fn sorted_indices(batch: &RecordBatch, keys: &[String]) -> Result<UInt32Array> {
    let mut columns = Vec::with_capacity(keys.len());
    for k in keys {
        let c = batch
            .column_by_name(k)
            .ok_or_else(|| DatagramError::MissingColumn {
                column: k.clone(),
                context: "sort keys".into(),
            })?;
        columns.push(c.clone());
    }
    let converter = RowConverter::new(
        columns
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&columns)?;
    let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
    order.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    Ok(UInt32Array::from(order))
}
