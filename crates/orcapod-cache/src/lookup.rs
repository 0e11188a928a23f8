//! Equality lookups shared by the stores.

use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::Schema;
use arrow_select::take::take_record_batch;
use orcapod_datagram::Value;

use crate::error::{Result, StoreError};
use crate::value::{cell_encoder, check_lookup_type, encode_value};

/// A resolved equality constraint.
pub(crate) struct Constraint {
    /// Column name.
    pub(crate) column: String,
    /// Column index in the *stored* batch (id column = 0).
    pub(crate) stored_index: usize,
    /// Encoded value.
    pub(crate) key: Vec<u8>,
}

/// The data-schema index of `column`, checked to exist and to have a type lookups compare.
fn lookup_column(path: &str, schema: &Schema, column: &str) -> Result<usize> {
    let index = schema
        .index_of(column)
        .map_err(|_| StoreError::UnknownColumn {
            path: path.to_string(),
            column: column.to_string(),
        })?;
    check_lookup_type(schema.field(index).data_type())
        .map_err(|reason| index_error(path, column, reason))?;
    Ok(index)
}

fn index_error(path: &str, column: &str, reason: String) -> StoreError {
    StoreError::Index {
        path: path.to_string(),
        column: column.to_string(),
        reason,
    }
}

/// The encoded lookup key of each of `values` for `column` (checked as in [`resolve`]);
/// `None` for a value that never matches (null, NaN).
pub(crate) fn lookup_keys(
    path: &str,
    schema: &Schema,
    column: &str,
    values: &[Value],
) -> Result<Vec<Option<Vec<u8>>>> {
    lookup_column(path, schema, column)?;
    values
        .iter()
        .map(|v| encode_value(v).map_err(|reason| index_error(path, column, reason)))
        .collect()
}

/// Resolves `constraints` against a table's data schema. `Ok(None)` when some value can
/// never match (null, NaN).
pub(crate) fn resolve(
    path: &str,
    schema: &Schema,
    constraints: &[(&str, Value)],
) -> Result<Option<Vec<Constraint>>> {
    let mut out = Vec::with_capacity(constraints.len());
    let mut never = false;
    for (column, value) in constraints {
        let index = lookup_column(path, schema, column)?;
        match encode_value(value).map_err(|reason| index_error(path, column, reason))? {
            Some(key) => out.push(Constraint {
                column: column.to_string(),
                stored_index: index + 1,
                key,
            }),
            None => never = true,
        }
    }
    Ok(if never { None } else { Some(out) })
}

/// Rows of a stored batch (`rows`, or all rows when `None`) satisfying every constraint.
pub(crate) fn matching_rows(
    batch: &RecordBatch,
    constraints: &[Constraint],
    rows: Option<&[u32]>,
) -> Result<Vec<u32>> {
    let encoders = constraints
        .iter()
        .map(|c| {
            let enc = cell_encoder(batch.column(c.stored_index).as_ref()).map_err(|reason| {
                StoreError::Index {
                    path: String::new(),
                    column: c.column.clone(),
                    reason,
                }
            })?;
            Ok((enc, c.key.as_slice()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut buf = Vec::new();
    let mut test = |row: u32| {
        encoders.iter().all(|(enc, key)| {
            buf.clear();
            enc(row as usize, &mut buf) && buf.as_slice() == *key
        })
    };
    Ok(match rows {
        Some(rows) => rows.iter().copied().filter(|r| test(*r)).collect(),
        None => (0..batch.num_rows() as u32).filter(|r| test(*r)).collect(),
    })
}

/// `batch` restricted to `rows` (no copy when all rows are kept).
pub(crate) fn take_rows(batch: &RecordBatch, rows: &[u32]) -> Result<RecordBatch> {
    if rows.len() == batch.num_rows() && rows.iter().enumerate().all(|(i, r)| i as u32 == *r) {
        return Ok(batch.clone());
    }
    if let [row] = rows {
        return Ok(batch.slice(*row as usize, 1));
    }
    take_record_batch(batch, &UInt32Array::from(rows.to_vec()))
        .map_err(StoreError::arrow("selecting matching rows"))
}

/// Stored-batch column indices for reading only `columns` of a table with data schema
/// `schema`: the id column (0) first, then each named column. Unknown names are an error.
pub(crate) fn projection(path: &str, schema: &Schema, columns: &[&str]) -> Result<Vec<usize>> {
    let mut indices = Vec::with_capacity(columns.len() + 1);
    indices.push(0);
    for column in columns {
        let i = schema
            .index_of(column)
            .map_err(|_| StoreError::UnknownColumn {
                path: path.to_string(),
                column: column.to_string(),
            })?;
        indices.push(i + 1);
    }
    Ok(indices)
}

/// `batch` reduced to `projection` (all columns when `None`).
pub(crate) fn project(batch: RecordBatch, projection: Option<&[usize]>) -> Result<RecordBatch> {
    match projection {
        None => Ok(batch),
        Some(p) => batch
            .project(p)
            .map_err(StoreError::arrow("projecting stored rows")),
    }
}
