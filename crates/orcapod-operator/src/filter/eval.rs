//! Vectorised evaluation of a [`Predicate`] with Arrow kernels and Kleene logic.

use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, Scalar};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use orcapod_datagram::{StreamSchema, values_to_array};

use super::predicate::{CompareOp, Predicate, lookup};
use crate::error::Result;

/// Evaluate `p` over `batch` (whose columns are described by `schema`).
pub(crate) fn evaluate(
    p: &Predicate,
    batch: &RecordBatch,
    schema: &StreamSchema,
) -> Result<BooleanArray> {
    let n = batch.num_rows();
    Ok(match p {
        Predicate::Compare {
            column,
            op,
            literal,
        } => compare(batch, schema, column, *op, literal)?,
        Predicate::IsNull(c) | Predicate::IsNotNull(c) => {
            let col = column(batch, schema, c)?;
            let nulls = col.logical_nulls();
            let valid = nulls.map_or_else(|| BooleanBuffer::new_set(n), |b| b.inner().clone());
            let bits = if matches!(p, Predicate::IsNull(_)) {
                !&valid
            } else {
                valid
            };
            BooleanArray::new(bits, None)
        }
        Predicate::In { column, values } => {
            let mut acc = constant(n, false);
            for v in values {
                acc = or(&acc, &compare(batch, schema, column, CompareOp::Eq, v)?);
            }
            acc
        }
        Predicate::And(ps) => {
            let mut acc = constant(n, true);
            for q in ps {
                acc = and(&acc, &evaluate(q, batch, schema)?);
            }
            acc
        }
        Predicate::Or(ps) => {
            let mut acc = constant(n, false);
            for q in ps {
                acc = or(&acc, &evaluate(q, batch, schema)?);
            }
            acc
        }
        Predicate::Not(q) => {
            let r = evaluate(q, batch, schema)?;
            BooleanArray::new(!r.values(), r.nulls().cloned())
        }
    })
}

fn column(batch: &RecordBatch, schema: &StreamSchema, name: &str) -> Result<ArrayRef> {
    lookup(schema, name)?;
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| crate::OperatorError::UnknownColumn {
            column: name.to_string(),
            available: batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
        })
}

fn compare(
    batch: &RecordBatch,
    schema: &StreamSchema,
    name: &str,
    op: CompareOp,
    literal: &orcapod_datagram::Value,
) -> Result<BooleanArray> {
    let col = column(batch, schema, name)?;
    let field = lookup(schema, name)?;
    let mut scalar = values_to_array(name, &field.dtype, std::slice::from_ref(literal))?;
    if scalar.data_type() != col.data_type() {
        scalar = arrow_cast::cast(&scalar, col.data_type())?;
    }
    let scalar = Scalar::new(scalar);
    use arrow_ord::cmp;
    Ok(match op {
        CompareOp::Eq => cmp::eq(&col, &scalar)?,
        CompareOp::Ne => cmp::neq(&col, &scalar)?,
        CompareOp::Lt => cmp::lt(&col, &scalar)?,
        CompareOp::Le => cmp::lt_eq(&col, &scalar)?,
        CompareOp::Gt => cmp::gt(&col, &scalar)?,
        CompareOp::Ge => cmp::gt_eq(&col, &scalar)?,
    })
}

fn constant(n: usize, value: bool) -> BooleanArray {
    let bits = if value {
        BooleanBuffer::new_set(n)
    } else {
        BooleanBuffer::new_unset(n)
    };
    BooleanArray::new(bits, None)
}

/// Definitely-true and definitely-false bits of a Kleene boolean.
fn split(a: &BooleanArray) -> (BooleanBuffer, BooleanBuffer) {
    match a.nulls() {
        None => (a.values().clone(), !a.values()),
        Some(n) => (a.values() & n.inner(), &!a.values() & n.inner()),
    }
}

fn from_truth(t: BooleanBuffer, f: &BooleanBuffer) -> BooleanArray {
    let known = &t | f;
    let nulls = NullBuffer::new(known);
    BooleanArray::new(t, (nulls.null_count() > 0).then_some(nulls))
}

/// Kleene AND: false if either is false, true if both are true, else unknown.
fn and(a: &BooleanArray, b: &BooleanArray) -> BooleanArray {
    let ((ta, fa), (tb, fb)) = (split(a), split(b));
    from_truth(&ta & &tb, &(&fa | &fb))
}

/// Kleene OR: true if either is true, false if both are false, else unknown.
fn or(a: &BooleanArray, b: &BooleanArray) -> BooleanArray {
    let ((ta, fa), (tb, fb)) = (split(a), split(b));
    from_truth(&ta | &tb, &(&fa & &fb))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: &[Option<bool>]) -> BooleanArray {
        BooleanArray::from(v.to_vec())
    }

    #[test]
    fn kleene_truth_tables() {
        let t = Some(true);
        let f = Some(false);
        let u = None;
        let a = arr(&[t, t, t, f, f, f, u, u, u]);
        let b = arr(&[t, f, u, t, f, u, t, f, u]);
        assert_eq!(
            and(&a, &b).iter().collect::<Vec<_>>(),
            vec![t, f, u, f, f, f, u, f, u]
        );
        assert_eq!(
            or(&a, &b).iter().collect::<Vec<_>>(),
            vec![t, t, t, t, f, u, t, u, u]
        );
    }
}
