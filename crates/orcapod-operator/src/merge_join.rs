//! [`MergeJoin`]: binary join that merges colliding packet columns into sorted lists.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::{ArrayRef, LargeListArray, ListArray};
use arrow_buffer::OffsetBuffer;
use arrow_ord::ord::make_comparator;
use arrow_schema::{DataType, FieldRef};
use orcapod_datagram::constants::source_info_column;
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{OperatorError, Result};
use crate::join::{Merged, assemble};
use crate::join_plan::{JoinPlan, join_indices, plan, take};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::provenance::JoinOptions;
use crate::util::build_stream;

/// Inner join of two streams on their shared tags where packet columns present in both inputs
/// are merged: each becomes a 2-element `list<T>` sorted ascending by value, and its source-info
/// column becomes the `large_list<large_string>` of the two provenance tokens in the same order.
///
/// Colliding columns must have identical types (type and nullability), otherwise
/// [`CollidingTypeMismatch`](OperatorError::CollidingTypeMismatch). Everything else (canonical
/// order, system-tag renaming, commutativity sort, tag handling) is as in [`Join`](crate::Join).
///
/// Ties between equal values are broken by the source token, then canonical input order, so the
/// output does not depend on the argument order (orcapod-python keeps the left value first on
/// ties, which makes `MergeJoin(A, B)` and `MergeJoin(B, A)` differ although their identities are
/// equal). Nulls sort first.
///
/// ```
/// use orcapod_datagram::{rows, ColumnConfig, Source, SourceOptions};
/// use orcapod_operator::{MergeJoin, Operator};
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"))?;
/// let b = Source::from_rows(rows![{"id" => 1, "x" => 5}, {"id" => 2, "x" => 30}],
///     SourceOptions::new(["id"]).source_id("B"))?;
/// let out = MergeJoin::new().process(&[a.stream().clone(), b.stream().clone()])?;
/// let (_, packet) = out.row(0)?;
/// assert_eq!(packet.get("x")?.unwrap().to_string(), "[5, 10]");
/// assert_eq!(out.field("x").unwrap().data_type().to_string(), "List(Int64)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeJoin {
    options: JoinOptions,
}

impl MergeJoin {
    /// A merge join with 0.1.4 defaults.
    pub fn new() -> Self {
        MergeJoin::default()
    }

    /// A merge join with explicit options (not part of the identity).
    pub fn with_options(options: JoinOptions) -> Self {
        MergeJoin { options }
    }

    fn plan(&self, inputs: &[StreamSchema]) -> Result<JoinPlan> {
        let refs: Vec<&StreamSchema> = inputs.iter().collect();
        plan(
            "MergeJoin",
            &refs,
            self.options,
            true,
            pipeline_for(self, inputs)?,
        )
    }
}

impl Operator for MergeJoin {
    fn identity_name(&self) -> &'static str {
        "MergeJoin"
    }

    /// `"MergeJoin"`.
    fn identity(&self) -> Identity {
        Identity::str("MergeJoin")
    }

    fn arity(&self) -> Arity {
        Arity::Binary
    }

    fn symmetry(&self) -> ArgumentSymmetry {
        ArgumentSymmetry::Commutative
    }

    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(self, inputs.len())?;
        Ok(self.plan(inputs)?.schema)
    }

    fn process(&self, inputs: &[Stream]) -> Result<Stream> {
        check_arity(self, inputs.len())?;
        let identity = identity_for(self, inputs)?;
        let schemas: Vec<StreamSchema> = inputs.iter().map(Stream::schema).collect();
        let plan = self.plan(&schemas)?;
        let streams: Vec<&Stream> = plan.order.iter().map(|&i| &inputs[i]).collect();
        let (len, idx) = join_indices(&plan, &streams)?;
        let mut merged = Merged::new();
        for name in &plan.colliding {
            let col = |k: usize, n: &str| -> Result<ArrayRef> {
                let c = streams[k].column(n).ok_or_else(|| missing(n))?;
                take(c, idx[k].as_ref())
            };
            let source = source_info_column(name);
            let values = [col(0, name)?, col(1, name)?];
            let sources = [col(0, &source)?, col(1, &source)?];
            let value_field = field(&plan.schema.packets, name)?;
            let source_field = field(&plan.schema.source_info, &source)?;
            merged.insert(
                name.clone(),
                merge_pair(&values, &sources, &value_field, &source_field, len)?,
            );
        }
        let (fields, columns) = assemble(&plan, &streams, &idx, &merged)?;
        let tags: Vec<String> = plan.tags.iter().map(|t| t.field.name().clone()).collect();
        build_stream(fields, columns, len, &tags, identity)
    }
}

fn field(list: &[FieldRef], name: &str) -> Result<FieldRef> {
    list.iter()
        .find(|f| f.name() == name)
        .cloned()
        .ok_or_else(|| missing(name))
}

fn missing(name: &str) -> OperatorError {
    OperatorError::Datagram(orcapod_datagram::DatagramError::MissingColumn {
        column: name.to_string(),
        context: "MergeJoin".into(),
    })
}

fn item_of(field: &FieldRef) -> Result<FieldRef> {
    match field.data_type() {
        DataType::List(item) | DataType::LargeList(item) => Ok(item.clone()),
        other => Err(OperatorError::Arrow(arrow_schema::ArrowError::SchemaError(
            format!(
                "MergeJoin: expected a list type for '{}', found {other}",
                field.name()
            ),
        ))),
    }
}

/// Merge two aligned columns into 2-element lists sorted by value (then source token, then
/// canonical position), with the source tokens reordered the same way.
fn merge_pair(
    values: &[ArrayRef; 2],
    sources: &[ArrayRef; 2],
    value_field: &FieldRef,
    source_field: &FieldRef,
    len: usize,
) -> Result<(ArrayRef, ArrayRef)> {
    // Logically equal types may differ physically (list vs large_list, int32 vs int64).
    let values = if values[0].data_type() == values[1].data_type() {
        values.clone()
    } else {
        [
            values[0].clone(),
            arrow_cast::cast(&values[1], values[0].data_type())?,
        ]
    };
    let sources = if sources[0].data_type() == sources[1].data_type() {
        sources.clone()
    } else {
        [
            sources[0].clone(),
            arrow_cast::cast(&sources[1], sources[0].data_type())?,
        ]
    };
    // Ascending, nulls first; ties broken by the source token, then left first.
    let opts = arrow_schema::SortOptions {
        descending: false,
        nulls_first: true,
    };
    let by_value = make_comparator(values[1].as_ref(), values[0].as_ref(), opts)?;
    let by_source = make_comparator(sources[1].as_ref(), sources[0].as_ref(), opts)?;
    let mut picks = Vec::with_capacity(2 * len);
    for r in 0..len {
        if by_value(r, r).then_with(|| by_source(r, r)) == Ordering::Less {
            picks.extend([(1, r), (0, r)]);
        } else {
            picks.extend([(0, r), (1, r)]);
        }
    }
    let v =
        arrow_select::interleave::interleave(&[values[0].as_ref(), values[1].as_ref()], &picks)?;
    let s =
        arrow_select::interleave::interleave(&[sources[0].as_ref(), sources[1].as_ref()], &picks)?;
    let value_item = item_of(value_field)?;
    let v = if v.data_type() == value_item.data_type() {
        v
    } else {
        arrow_cast::cast(&v, value_item.data_type())?
    };
    let source_item = item_of(source_field)?;
    let s = if s.data_type() == source_item.data_type() {
        s
    } else {
        arrow_cast::cast(&s, source_item.data_type())?
    };
    let list = ListArray::try_new(
        value_item,
        OffsetBuffer::from_lengths(std::iter::repeat_n(2, len)),
        v,
        None,
    )?;
    let source_list = LargeListArray::try_new(
        source_item,
        OffsetBuffer::from_lengths(std::iter::repeat_n(2, len)),
        s,
        None,
    )?;
    Ok((Arc::new(list), Arc::new(source_list)))
}
