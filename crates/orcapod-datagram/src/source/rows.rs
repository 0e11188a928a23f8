//! Row-oriented input for sources, tests and examples.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema as ArrowSchema;

use crate::error::{DatagramError, Result};
use crate::types::{DataType, Field};
use crate::value::{Value, values_to_array};

/// Rows of named values, all with the same column names in the same order.
///
/// Built with the [`rows!`](crate::rows) macro or [`RowSet::push`].
///
/// ```
/// use orcapod_datagram::{rows, RowSet, Value};
/// let rs = rows![{"id" => 1, "name" => "a"}, {"id" => 2, "name" => Value::Null}];
/// let batch = rs.into_batch("example").unwrap();
/// assert_eq!(batch.num_rows(), 2);
/// assert!(batch.schema().field_with_name("name").unwrap().is_nullable());
/// assert!(!batch.schema().field_with_name("id").unwrap().is_nullable());
/// ```
#[derive(Clone, Debug, Default)]
pub struct RowSet {
    rows: Vec<Vec<(String, Value)>>,
    schema: Option<Vec<Field>>,
}

impl RowSet {
    /// An empty row set.
    pub fn new() -> Self {
        RowSet::default()
    }

    /// An empty row set with an explicit schema (types and nullability are then not inferred).
    pub fn with_schema(fields: Vec<Field>) -> Self {
        RowSet {
            rows: Vec::new(),
            schema: Some(fields),
        }
    }

    /// Append a row.
    pub fn push(&mut self, row: Vec<(String, Value)>) {
        self.rows.push(row);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Convert to an Arrow batch. Without an explicit schema, each column's type is inferred from
    /// its first non-null value (all-null columns become nullable `str`, mixed int/float columns
    /// become `float`), and a column is nullable exactly when it holds a null.
    pub fn into_batch(self, context: &str) -> Result<RecordBatch> {
        let names: Vec<String> = match (&self.schema, self.rows.first()) {
            (Some(fields), _) => fields.iter().map(|f| f.name.clone()).collect(),
            (None, Some(first)) => first.iter().map(|(k, _)| k.clone()).collect(),
            (None, None) => {
                return Err(DatagramError::EmptyInput {
                    context: context.into(),
                });
            }
        };
        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(self.rows.len()); names.len()];
        for (i, row) in self.rows.into_iter().enumerate() {
            let same = row.len() == names.len() && row.iter().zip(&names).all(|((k, _), n)| k == n);
            if !same {
                return Err(DatagramError::RaggedRows {
                    row: i,
                    expected: names.join(", "),
                    found: row
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            for (c, (_, v)) in columns.iter_mut().zip(row) {
                c.push(v);
            }
        }
        let fields: Vec<Field> = match self.schema {
            Some(fields) => fields,
            None => names
                .iter()
                .zip(&columns)
                .map(|(n, values)| infer_field(n, values))
                .collect(),
        };
        let mut arrays = Vec::with_capacity(fields.len());
        for (f, values) in fields.iter().zip(&columns) {
            if !f.nullable
                && let Some(row) = values.iter().position(Value::is_null)
            {
                return Err(DatagramError::UnexpectedNull {
                    column: f.name.clone(),
                    row,
                });
            }
            arrays.push(values_to_array(&f.name, &f.dtype, values)?);
        }
        let schema = ArrowSchema::new(fields.iter().map(Field::to_arrow).collect::<Vec<_>>());
        Ok(RecordBatch::try_new_with_options(
            Arc::new(schema),
            arrays,
            &arrow_array::RecordBatchOptions::new()
                .with_row_count(Some(columns.first().map_or(0, Vec::len))),
        )?)
    }
}

fn infer_field(name: &str, values: &[Value]) -> Field {
    let nullable = values.iter().any(Value::is_null);
    let mut dtype: Option<DataType> = None;
    for v in values {
        match (v.infer_type(), &dtype) {
            (Some(t), None) => dtype = Some(t),
            (Some(DataType::Float), Some(DataType::Int)) => dtype = Some(DataType::Float),
            _ => {}
        }
    }
    Field {
        name: name.to_string(),
        dtype: dtype.unwrap_or(DataType::Str),
        nullable,
    }
}

/// Build a [`RowSet`] from literal rows: `rows![{"id" => 1, "x" => 10.5}, ...]`.
///
/// Values go through `Value::from`, so integers, floats, bools, strings, `Option`s and
/// [`Value`](crate::Value)s all work.
#[macro_export]
macro_rules! rows {
    ($({$($key:expr => $value:expr),* $(,)?}),* $(,)?) => {{
        let mut set = $crate::RowSet::new();
        $(set.push(vec![$(($key.to_string(), $crate::Value::from($value))),*]);)*
        set
    }};
}
