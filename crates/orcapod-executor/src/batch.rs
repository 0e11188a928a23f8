//! The batch interface between pods, executors and packet functions.

use std::ops::Range;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use arrow_buffer::BooleanBufferBuilder;
use orcapod_datagram::Field;

use crate::error::{CapturedOutput, ExecutorError, FailureKind, Result};
use crate::info::FunctionInfo;

/// The input columns of a run of packets, aligned with a function's input schema.
///
/// Column `i` holds input field `i` in its canonical Arrow type
/// ([`DataType::to_arrow`](orcapod_datagram::DataType::to_arrow)); it is `None` when the field
/// is optional and absent from the stream. Slicing is zero-copy.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Int64Array};
/// use orcapod_executor::InputBatch;
/// let col: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4]));
/// let batch = InputBatch::new(vec![Some(col)], 4).unwrap();
/// let tail = batch.slice(2, 2);
/// assert_eq!(tail.num_rows(), 2);
/// assert_eq!(batch.split(3).len(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct InputBatch {
    columns: Vec<Option<ArrayRef>>,
    num_rows: usize,
}

impl InputBatch {
    /// A batch from aligned columns; every present column must have `num_rows` rows.
    pub fn new(columns: Vec<Option<ArrayRef>>, num_rows: usize) -> Result<InputBatch> {
        for (i, c) in columns.iter().enumerate() {
            if let Some(c) = c
                && c.len() != num_rows
            {
                return Err(ExecutorError::InvalidBatch {
                    context: format!("input column {i}"),
                    reason: format!("has {} rows, expected {num_rows}", c.len()),
                });
            }
        }
        Ok(InputBatch { columns, num_rows })
    }

    /// Bind a record batch of packet columns to a function's input schema: columns are looked
    /// up by name, type-checked (see [`check_input_field`]) and cast to their canonical Arrow
    /// type; columns the function does not use are ignored.
    pub fn bind(info: &FunctionInfo, batch: &RecordBatch) -> Result<InputBatch> {
        let schema = batch.schema();
        let available: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| Field::from_arrow(f))
            .collect::<std::result::Result<_, _>>()?;
        let mut columns = Vec::with_capacity(info.input_schema().len());
        for expected in info.input_schema().fields() {
            let found = available.iter().find(|f| f.name == expected.name);
            check_input_field(info, expected, found, &available)?;
            columns.push(match found {
                None => None,
                Some(_) => {
                    let array = batch.column_by_name(&expected.name).expect("field exists");
                    Some(to_canonical(array, expected)?)
                }
            });
        }
        InputBatch::new(columns, batch.num_rows())
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.num_rows == 0
    }

    /// Column `i` (input field `i`), `None` if the optional field is absent.
    pub fn column(&self, i: usize) -> Option<&ArrayRef> {
        self.columns.get(i).and_then(Option::as_ref)
    }

    /// All columns.
    pub fn columns(&self) -> &[Option<ArrayRef>] {
        &self.columns
    }

    /// Rows `offset..offset + len` (zero-copy).
    pub fn slice(&self, offset: usize, len: usize) -> InputBatch {
        InputBatch {
            columns: self
                .columns
                .iter()
                .map(|c| c.as_ref().map(|a| a.slice(offset, len)))
                .collect(),
            num_rows: len,
        }
    }

    /// Split the row range into at most `parts` contiguous, nearly equal, non-empty ranges
    /// (for executors that spread work; concatenating the outputs in order restores the rows).
    pub fn split(&self, parts: usize) -> Vec<Range<usize>> {
        let parts = parts.clamp(1, self.num_rows.max(1));
        let (base, extra) = (self.num_rows / parts, self.num_rows % parts);
        let mut start = 0;
        (0..parts)
            .map(|i| {
                let len = base + usize::from(i < extra);
                let r = start..start + len;
                start += len;
                r
            })
            .filter(|r| !r.is_empty())
            .collect()
    }
}

/// Check one input field of a function against the stream's packet fields.
///
/// A missing column is an error unless the input is optional; a different logical type is an
/// error; a nullable column feeding a non-nullable input is an error (declare the parameter as
/// `Option<T>` to accept nulls).
pub fn check_input_field(
    info: &FunctionInfo,
    expected: &Field,
    found: Option<&Field>,
    available: &[Field],
) -> Result<()> {
    let render = |f: &Field| {
        if f.nullable {
            format!("{} | None", f.dtype)
        } else {
            f.dtype.to_string()
        }
    };
    match found {
        None if info.is_optional(&expected.name) => Ok(()),
        None => Err(ExecutorError::MissingInput {
            function: info.name().to_string(),
            column: expected.name.clone(),
            expected: render(expected),
            available: available
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        Some(f) if f.dtype != expected.dtype || (f.nullable && !expected.nullable) => {
            Err(ExecutorError::InputTypeMismatch {
                function: info.name().to_string(),
                column: expected.name.clone(),
                expected: render(expected),
                found: render(f),
            })
        }
        Some(_) => Ok(()),
    }
}

/// Cast an array to the canonical Arrow type of its logical field, if needed.
pub(crate) fn to_canonical(array: &ArrayRef, field: &Field) -> Result<ArrayRef> {
    let target = field.dtype.to_arrow();
    if *array.data_type() == target {
        Ok(array.clone())
    } else {
        Ok(arrow_cast::cast(array, &target)?)
    }
}

/// Why one row produced no output.
#[derive(Clone, Debug, PartialEq)]
pub struct RowFailure {
    /// Row index within the batch.
    pub row: usize,
    /// How it failed.
    pub kind: FailureKind,
    /// Panic, error or command message.
    pub message: String,
    /// Captured output (external commands).
    pub captured: Option<CapturedOutput>,
}

/// What a packet function returns for a batch: one output array per output field (one slot
/// per input row) plus the rows that produced no packet.
///
/// Rows listed in [`dropped`](Self::dropped) (the function returned `None`) or
/// [`failures`](Self::failures) have an unspecified (usually null) value in the output arrays;
/// pods filter them out. Both lists are kept sorted by row.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Float64Array};
/// use orcapod_executor::{BatchOutput, FailureKind, RowFailure};
/// let ys: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)]));
/// let mut out = BatchOutput::new(vec![ys], 3);
/// out.push_failure(RowFailure { row: 1, kind: FailureKind::Error, message: "bad".into(), captured: None });
/// let both = BatchOutput::concat(vec![out.clone(), out]).unwrap();
/// assert_eq!(both.num_rows(), 6);
/// assert_eq!(both.failures()[1].row, 4);
/// ```
#[derive(Clone, Debug)]
pub struct BatchOutput {
    columns: Vec<ArrayRef>,
    num_rows: usize,
    dropped: Vec<usize>,
    failures: Vec<RowFailure>,
    logs: Vec<(usize, CapturedOutput)>,
}

impl BatchOutput {
    /// Output arrays for `num_rows` input rows, every row successful so far.
    pub fn new(columns: Vec<ArrayRef>, num_rows: usize) -> BatchOutput {
        BatchOutput {
            columns,
            num_rows,
            dropped: Vec::new(),
            failures: Vec::new(),
            logs: Vec::new(),
        }
    }

    /// Record that `row` produced no packet (the function returned `None`).
    pub fn push_dropped(&mut self, row: usize) {
        self.dropped.push(row);
    }

    /// Record that a row failed.
    pub fn push_failure(&mut self, failure: RowFailure) {
        self.failures.push(failure);
    }

    /// Record captured output of a row (kept for successful rows too).
    pub fn push_log(&mut self, row: usize, captured: CapturedOutput) {
        self.logs.push((row, captured));
    }

    /// The output arrays, one per output field.
    pub fn columns(&self) -> &[ArrayRef] {
        &self.columns
    }

    /// Number of input rows covered.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Rows that produced no packet, ascending.
    pub fn dropped(&self) -> &[usize] {
        &self.dropped
    }

    /// Rows that failed, ascending.
    pub fn failures(&self) -> &[RowFailure] {
        &self.failures
    }

    /// Captured output per row, ascending.
    pub fn logs(&self) -> &[(usize, CapturedOutput)] {
        &self.logs
    }

    /// Concatenate outputs of consecutive row ranges, shifting row indices.
    pub fn concat(parts: Vec<BatchOutput>) -> Result<BatchOutput> {
        if parts.len() == 1 {
            return Ok(parts.into_iter().next().expect("one part"));
        }
        let width = parts.first().map_or(0, |p| p.columns.len());
        let mut out = BatchOutput::new(Vec::with_capacity(width), 0);
        for i in 0..width {
            let arrays: Vec<&dyn arrow_array::Array> = parts
                .iter()
                .map(|p| p.columns.get(i).map(|c| c.as_ref()))
                .collect::<Option<_>>()
                .ok_or_else(|| ExecutorError::InvalidBatch {
                    context: "BatchOutput::concat".into(),
                    reason: "parts have different numbers of columns".into(),
                })?;
            out.columns.push(arrow_select::concat::concat(&arrays)?);
        }
        for p in parts {
            let shift = out.num_rows;
            out.dropped.extend(p.dropped.iter().map(|r| r + shift));
            out.failures
                .extend(p.failures.into_iter().map(|f| RowFailure {
                    row: f.row + shift,
                    ..f
                }));
            out.logs
                .extend(p.logs.into_iter().map(|(r, c)| (r + shift, c)));
            out.num_rows += p.num_rows;
        }
        Ok(out)
    }

    /// Check the output against a function's declared output schema and sort the row lists.
    pub(crate) fn validated(mut self, info: &FunctionInfo) -> Result<BatchOutput> {
        let malformed = |reason: String| ExecutorError::MalformedOutput {
            function: info.name().to_string(),
            reason,
        };
        let fields = info.output_schema().fields();
        if self.columns.len() != fields.len() {
            return Err(malformed(format!(
                "{} output arrays for {} output columns",
                self.columns.len(),
                fields.len()
            )));
        }
        for (c, f) in self.columns.iter_mut().zip(fields) {
            if c.len() != self.num_rows {
                return Err(malformed(format!(
                    "column '{}' has {} rows, expected {}",
                    f.name,
                    c.len(),
                    self.num_rows
                )));
            }
            *c = to_canonical(c, f).map_err(|e| malformed(format!("column '{}': {e}", f.name)))?;
        }
        self.dropped.sort_unstable();
        self.dropped.dedup();
        self.failures.sort_by_key(|f| f.row);
        self.logs.sort_by_key(|(r, _)| *r);
        if let Some(r) = self
            .dropped
            .last()
            .copied()
            .into_iter()
            .chain(self.failures.last().map(|f| f.row))
            .max()
            && r >= self.num_rows
        {
            return Err(malformed(format!("row {r} out of range")));
        }
        Ok(self)
    }

    /// `None` when every row produced a packet; else the mask of rows that did.
    pub(crate) fn kept_mask(&self) -> Option<BooleanArray> {
        if self.dropped.is_empty() && self.failures.is_empty() {
            return None;
        }
        let mut b = BooleanBufferBuilder::new(self.num_rows);
        b.append_n(self.num_rows, true);
        for &r in &self.dropped {
            b.set_bit(r, false);
        }
        for f in &self.failures {
            b.set_bit(f.row, false);
        }
        Some(BooleanArray::new(b.finish(), None))
    }
}
