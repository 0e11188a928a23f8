//! [`Filter`]: keep the rows satisfying a hashable [`Predicate`].

mod eval;
mod predicate;

pub use predicate::{CompareOp, Predicate};

use arrow_array::Array;
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::Result;
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};

/// Keeps the rows for which a [`Predicate`] over tag, packet and system-tag columns is true
/// (rows where it is unknown because of nulls are dropped). The schema is unchanged.
///
/// The Rust counterpart of orcapod-python's `PolarsFilter`, with a predicate AST that hashes
/// canonically (Polars expressions cannot be hashed, spec quirk 3). Identity:
/// `("Filter", predicate identity)`. Validate a filter against a schema before running it with
/// [`Filter::validate`]: unknown columns and literals of the wrong type are errors.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_operator::{Filter, Operator, Predicate};
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"))?;
/// let f = Filter::new(Predicate::eq("id", 2));
/// f.validate(&a.stream().schema())?;
/// let out = f.process(&[a.stream().clone()])?;
/// assert_eq!(out.num_rows(), 1);
/// assert!(Filter::new(Predicate::eq("id", "two")).validate(&a.stream().schema()).is_err());
/// assert!(Filter::new(Predicate::eq("nope", 1)).validate(&a.stream().schema()).is_err());
/// # Ok::<(), orcapod_operator::OperatorError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    predicate: Predicate,
}

impl Filter {
    /// A filter with this predicate.
    pub fn new(predicate: Predicate) -> Self {
        Filter { predicate }
    }

    /// The predicate.
    pub fn predicate(&self) -> &Predicate {
        &self.predicate
    }

    /// Check the predicate against a stream schema (unknown columns, literal types).
    pub fn validate(&self, schema: &StreamSchema) -> Result<()> {
        self.predicate.validate(schema)
    }
}

impl Operator for Filter {
    fn identity_name(&self) -> &'static str {
        "Filter"
    }

    /// `("Filter", predicate identity)`.
    fn identity(&self) -> Identity {
        Identity::tuple([Identity::str("Filter"), self.predicate.identity()])
    }

    fn arity(&self) -> Arity {
        Arity::Unary
    }

    fn symmetry(&self) -> ArgumentSymmetry {
        ArgumentSymmetry::Ordered
    }

    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(self, inputs.len())?;
        self.validate(&inputs[0])?;
        let mut out = inputs[0].clone();
        out.pipeline_hash = pipeline_for(self, inputs)?;
        Ok(out)
    }

    fn process(&self, inputs: &[Stream]) -> Result<Stream> {
        check_arity(self, inputs.len())?;
        let input = &inputs[0];
        let schema = input.schema();
        self.validate(&schema)?;
        let identity = identity_for(self, inputs)?;
        let mask = eval::evaluate(&self.predicate, input.batch(), &schema)?;
        let keep_all = mask.null_count() == 0 && mask.true_count() == input.num_rows();
        if keep_all {
            return Ok(input.with_identity(identity));
        }
        let batch = arrow_select::filter::filter_record_batch(input.batch(), &mask)?;
        Ok(input.with_batch(batch)?.with_identity(identity))
    }
}
