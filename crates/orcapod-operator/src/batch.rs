//! [`Batch`]: group consecutive rows into list-valued rows.

use std::sync::Arc;

use arrow_array::{ArrayRef, LargeListArray, ListArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{Field as ArrowField, FieldRef};
use orcapod_datagram::constants::is_source_info;
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{OperatorError, Result};
use crate::join_plan::{item_field, list_of};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::util::build_stream;

/// Groups consecutive rows (input order) into batches of `batch_size` rows; each output row holds,
/// for every column (tags, system tags, packets, source info and meta alike), the list of the
/// batch's values.
///
/// * `batch_size == 0`: one batch with every row.
/// * The trailing partial batch is kept unless `drop_partial_batch`.
/// * Quirk 16 (reproduced, as in orcapod-python 0.1.4): `batch_size == 0` with
///   `drop_partial_batch` yields **no rows** (the single batch counts as partial).
/// * An empty input yields no rows.
/// * Types (quirk 14, as 0.1.4): user columns and system tags become non-null `list<T>`;
///   source-info columns become non-null `large_list<T>`. List items are nullable.
/// * The batch size is a `usize`, so a negative size cannot be constructed; [`Batch::try_new`]
///   accepts a signed size and reports negatives as [`OperatorError::InvalidBatchSize`] (the
///   Python `ValueError`).
///
/// Identity: `("Batch", batch_size, drop_partial_batch)`.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_operator::{Batch, Operator};
///
/// let s = Source::from_rows(rows![{"id" => 0, "x" => 0}, {"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("S"))?;
/// let out = Batch::new(2, false).process(&[s.stream().clone()])?;
/// assert_eq!(out.num_rows(), 2);
/// let (tag, _) = out.row(0)?;
/// assert_eq!(tag.get("id")?.unwrap().to_string(), "[0, 1]");
/// assert_eq!(Batch::new(2, true).process(&[s.stream().clone()])?.num_rows(), 1);
/// assert!(Batch::try_new(-1, false).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    batch_size: usize,
    drop_partial_batch: bool,
}

impl Batch {
    /// A batch operator (`batch_size == 0`: everything in one batch).
    pub fn new(batch_size: usize, drop_partial_batch: bool) -> Self {
        Batch {
            batch_size,
            drop_partial_batch,
        }
    }

    /// From a signed size, rejecting negatives like orcapod-python.
    pub fn try_new(batch_size: i64, drop_partial_batch: bool) -> Result<Self> {
        let size =
            usize::try_from(batch_size).map_err(|_| OperatorError::InvalidBatchSize(batch_size))?;
        Ok(Batch::new(size, drop_partial_batch))
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether a trailing partial batch is dropped.
    pub fn drop_partial_batch(&self) -> bool {
        self.drop_partial_batch
    }

    /// Batch lengths for `n` input rows.
    fn lengths(&self, n: usize) -> Vec<usize> {
        if n == 0 {
            return Vec::new();
        }
        if self.batch_size == 0 {
            return if self.drop_partial_batch {
                Vec::new()
            } else {
                vec![n]
            };
        }
        let mut lengths = vec![self.batch_size; n / self.batch_size];
        let rest = n % self.batch_size;
        if rest > 0 && !self.drop_partial_batch {
            lengths.push(rest);
        }
        lengths
    }
}

fn batched_field(f: &FieldRef, large: bool) -> FieldRef {
    Arc::new(ArrowField::new(f.name(), list_of(f, large), false))
}

impl Operator for Batch {
    fn identity_name(&self) -> &'static str {
        "Batch"
    }

    /// `("Batch", batch_size, drop_partial_batch)`.
    fn identity(&self) -> Identity {
        Identity::tuple([
            Identity::str("Batch"),
            Identity::Int(i64::try_from(self.batch_size).unwrap_or(i64::MAX)),
            Identity::Bool(self.drop_partial_batch),
        ])
    }

    fn arity(&self) -> Arity {
        Arity::Unary
    }

    fn symmetry(&self) -> ArgumentSymmetry {
        ArgumentSymmetry::Ordered
    }

    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(self, inputs.len())?;
        let s = &inputs[0];
        let map =
            |fs: &[FieldRef], large: bool| fs.iter().map(|f| batched_field(f, large)).collect();
        Ok(StreamSchema {
            tags: map(&s.tags, false),
            system_tags: map(&s.system_tags, false),
            packets: map(&s.packets, false),
            source_info: map(&s.source_info, true),
            meta: map(&s.meta, false),
            pipeline_hash: pipeline_for(self, inputs)?,
        })
    }

    fn process(&self, inputs: &[Stream]) -> Result<Stream> {
        check_arity(self, inputs.len())?;
        let identity = identity_for(self, inputs)?;
        let input = &inputs[0];
        let lengths = self.lengths(input.num_rows());
        let used: usize = lengths.iter().sum();
        let batch = input.batch();
        let schema = batch.schema();
        let mut fields = Vec::with_capacity(schema.fields().len());
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            let large = is_source_info(f.name());
            let out = batched_field(f, large);
            let item = item_field(f);
            let values = if used == c.len() {
                c.clone()
            } else {
                c.slice(0, used)
            };
            let column: ArrayRef = if large {
                Arc::new(LargeListArray::try_new(
                    item,
                    OffsetBuffer::from_lengths(lengths.iter().copied()),
                    values,
                    None,
                )?)
            } else {
                Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::from_lengths(lengths.iter().copied()),
                    values,
                    None,
                )?)
            };
            fields.push(out);
            columns.push(column);
        }
        build_stream(
            fields,
            columns,
            lengths.len(),
            input.tag_columns(),
            identity,
        )
    }
}
