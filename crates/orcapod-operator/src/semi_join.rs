//! [`SemiJoin`]: keep the left rows that have a match in the right stream.

use arrow_array::ArrayRef;
use arrow_schema::{DataType, FieldRef};
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{OperatorError, Result};
use crate::hash_join::{Keys, converter, semi_join_mask};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::util::{compatible, type_name};

/// Left semi-join: the rows of the left stream whose values on **every column the two streams
/// share** (tag and packet columns alike) appear together in some row of the right stream.
///
/// * The output schema is exactly the left schema (system tags are not renamed).
/// * No shared column: the left data is returned unchanged.
/// * Shared columns must have the same type and nullability
///   ([`IncompatibleColumnTypes`](OperatorError::IncompatibleColumnTypes)).
/// * Null values never match. Left row order is kept.
/// * Not commutative: the output identity hashes the inputs as an ordered pair.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_operator::{Operator, SemiJoin};
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"))?;
/// let r = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 99}],
///     SourceOptions::new(["id"]).source_id("R"))?;
/// let out = SemiJoin::new().process(&[a.stream().clone(), r.stream().clone()])?;
/// assert_eq!(out.num_rows(), 1); // x participates in matching: only id 1 survives
/// assert_eq!(out.schema().system_tags, a.stream().schema().system_tags);
/// # Ok::<(), orcapod_operator::OperatorError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemiJoin;

impl SemiJoin {
    /// The semi-join operator.
    pub fn new() -> Self {
        SemiJoin
    }

    /// The shared columns (left order) after checking their compatibility.
    fn common(left: &StreamSchema, right: &StreamSchema) -> Result<Vec<String>> {
        let find = |s: &StreamSchema, n: &str| -> Option<FieldRef> {
            s.tag(n).or_else(|| s.packet(n)).cloned()
        };
        let mut common = Vec::new();
        for l in left.tags.iter().chain(&left.packets) {
            if let Some(r) = find(right, l.name()) {
                if !compatible(l, &r) {
                    return Err(OperatorError::IncompatibleColumnTypes {
                        operator: "SemiJoin",
                        column: l.name().clone(),
                        left: type_name(l),
                        right: type_name(&r),
                    });
                }
                common.push(l.name().clone());
            }
        }
        Ok(common)
    }
}

impl Operator for SemiJoin {
    fn identity_name(&self) -> &'static str {
        "SemiJoin"
    }

    /// `"SemiJoin"`.
    fn identity(&self) -> Identity {
        Identity::str("SemiJoin")
    }

    fn arity(&self) -> Arity {
        Arity::Binary
    }

    fn symmetry(&self) -> ArgumentSymmetry {
        ArgumentSymmetry::Ordered
    }

    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(self, inputs.len())?;
        SemiJoin::common(&inputs[0], &inputs[1])?;
        let mut out = inputs[0].clone();
        out.pipeline_hash = pipeline_for(self, inputs)?;
        Ok(out)
    }

    fn process(&self, inputs: &[Stream]) -> Result<Stream> {
        check_arity(self, inputs.len())?;
        let identity = identity_for(self, inputs)?;
        let (left, right) = (&inputs[0], &inputs[1]);
        let common = SemiJoin::common(&left.schema(), &right.schema())?;
        if common.is_empty() {
            return Ok(left.with_identity(identity));
        }
        let pick = |s: &Stream| -> Vec<ArrayRef> {
            common.iter().filter_map(|c| s.column(c).cloned()).collect()
        };
        let left_cols = pick(left);
        let mut right_cols = pick(right);
        for (l, r) in left_cols.iter().zip(right_cols.iter_mut()) {
            if l.data_type() != r.data_type() {
                *r = arrow_cast::cast(r, l.data_type())?;
            }
        }
        let types: Vec<DataType> = left_cols.iter().map(|c| c.data_type().clone()).collect();
        let conv = converter(&types)?;
        let mask = semi_join_mask(
            &Keys::encode(&conv, &left_cols)?,
            &Keys::encode(&conv, &right_cols)?,
        );
        let batch = if mask.true_count() == left.num_rows() {
            left.batch().clone()
        } else {
            arrow_select::filter::filter_record_batch(left.batch(), &mask)?
        };
        Ok(left.with_batch(batch)?.with_identity(identity))
    }
}
