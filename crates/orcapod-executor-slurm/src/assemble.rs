//! Collecting per-chunk results into one `BatchOutput` in input order.

use arrow_array::{Array, ArrayRef, new_null_array};
use orcapod_executor::{BatchOutput, CapturedOutput, ExecutorError, FunctionInfo, RowFailure};

use crate::error::Result;

/// What is known about one input row.
#[derive(Clone, Debug, Default)]
struct Row {
    done: bool,
    /// `(part, position)` of its output values.
    source: Option<(usize, usize)>,
    dropped: bool,
    failure: Option<RowFailure>,
    logs: Vec<CapturedOutput>,
}

/// The results of a run so far: worker outputs ("parts") and per-row outcomes.
#[derive(Debug, Default)]
pub(crate) struct Results {
    rows: Vec<Row>,
    parts: Vec<Vec<ArrayRef>>,
}

impl Results {
    pub fn new(rows: usize) -> Self {
        Results {
            rows: vec![Row::default(); rows],
            parts: Vec::new(),
        }
    }

    /// Rows not finished yet.
    pub fn pending(&self) -> usize {
        self.rows.iter().filter(|r| !r.done).count()
    }

    /// Rows finished.
    pub fn done(&self) -> usize {
        self.rows.len() - self.pending()
    }

    /// Record a worker's output for input rows `rows`. Rows whose function failed are left
    /// pending and returned when `retry_failed` is set (they will be resubmitted).
    pub fn record_output(
        &mut self,
        rows: &[usize],
        output: BatchOutput,
        retry_failed: bool,
    ) -> Vec<usize> {
        let part = self.parts.len();
        for (pos, &r) in rows.iter().enumerate() {
            self.rows[r] = Row {
                done: true,
                source: Some((part, pos)),
                ..Row::default()
            };
        }
        for &pos in output.dropped() {
            if let Some(&r) = rows.get(pos) {
                self.rows[r].dropped = true;
            }
        }
        for (pos, captured) in output.logs() {
            if let Some(&r) = rows.get(*pos) {
                self.rows[r].logs.push(captured.clone());
            }
        }
        let mut retry = Vec::new();
        for f in output.failures() {
            let Some(&r) = rows.get(f.row) else { continue };
            if retry_failed {
                self.rows[r] = Row::default();
                retry.push(r);
            } else {
                self.rows[r].failure = Some(RowFailure {
                    row: r,
                    ..f.clone()
                });
            }
        }
        self.parts.push(output.columns().to_vec());
        retry
    }

    /// Record that the task holding `rows` failed: every row gets `failure` (row rewritten).
    pub fn record_task_failure(&mut self, rows: &[usize], failure: &RowFailure) {
        for &r in rows {
            self.rows[r] = Row {
                done: true,
                source: None,
                dropped: false,
                failure: Some(RowFailure {
                    row: r,
                    ..failure.clone()
                }),
                logs: Vec::new(),
            };
        }
    }

    /// The whole output, in input order. Rows without worker output get null values.
    pub fn finish(self, info: &FunctionInfo) -> Result<BatchOutput> {
        let n = self.rows.len();
        let fields = info.output_schema().fields();
        let nulls: Vec<ArrayRef> = fields
            .iter()
            .map(|f| new_null_array(&f.dtype.to_arrow(), 1))
            .collect();
        let null_part = self.parts.len();
        let indices: Vec<(usize, usize)> = self
            .rows
            .iter()
            .map(|r| r.source.unwrap_or((null_part, 0)))
            .collect();
        let mut columns = Vec::with_capacity(fields.len());
        for (c, null) in nulls.iter().enumerate() {
            let mut arrays: Vec<&dyn Array> = Vec::with_capacity(self.parts.len() + 1);
            for (p, part) in self.parts.iter().enumerate() {
                let array = part.get(c).ok_or_else(|| ExecutorError::MalformedOutput {
                    function: info.name().to_string(),
                    reason: format!("worker output {p} has {} columns", part.len()),
                })?;
                arrays.push(array.as_ref());
            }
            arrays.push(null.as_ref());
            let column = arrow_select::interleave::interleave(&arrays, &indices)
                .map_err(ExecutorError::from)?;
            columns.push(column);
        }
        let mut out = BatchOutput::new(columns, n);
        for (r, row) in self.rows.into_iter().enumerate() {
            if row.dropped {
                out.push_dropped(r);
            }
            if let Some(f) = row.failure {
                out.push_failure(f);
            }
            for l in row.logs {
                out.push_log(r, l);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::Int64Array;
    use orcapod_datagram::{DataType, Field, Schema};
    use orcapod_executor::FailureKind;

    use super::*;

    #[test]
    fn assembles_in_input_order() {
        let info = FunctionInfo::new(
            "f",
            "rust.function.v0",
            Schema::new(vec![Field::new("x", DataType::Int)]),
            Schema::new(vec![Field::new("y", DataType::Int)]),
        )
        .unwrap();
        let mut results = Results::new(5);
        // Rows 3 and 1 came back first, then 0 and 4; row 2's task failed.
        let mut late = BatchOutput::new(vec![Arc::new(Int64Array::from(vec![30, 10]))], 2);
        late.push_dropped(1);
        assert!(results.record_output(&[3, 1], late, false).is_empty());
        let mut first = BatchOutput::new(vec![Arc::new(Int64Array::from(vec![0, 40]))], 2);
        first.push_failure(RowFailure {
            row: 1,
            kind: FailureKind::Panic,
            message: "boom".into(),
            captured: None,
        });
        assert_eq!(results.record_output(&[0, 4], first.clone(), true), [4]);
        assert_eq!(results.pending(), 2);
        results.record_output(
            &[4],
            BatchOutput::new(vec![Arc::new(Int64Array::from(vec![41]))], 1),
            false,
        );
        let failure = RowFailure {
            row: 0,
            kind: FailureKind::Executor,
            message: "lost".into(),
            captured: None,
        };
        results.record_task_failure(&[2], &failure);
        assert_eq!(results.pending(), 0);
        let out = results.finish(&info).unwrap();
        let y = out.columns()[0]
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(
            (y.value(0), y.value(1), y.value(3), y.value(4)),
            (0, 10, 30, 41)
        );
        assert!(y.is_null(2));
        assert_eq!(out.dropped(), [1]);
        assert_eq!(out.failures().len(), 1);
        assert_eq!(
            (out.failures()[0].row, out.failures()[0].kind),
            (2, FailureKind::Executor)
        );
    }
}
