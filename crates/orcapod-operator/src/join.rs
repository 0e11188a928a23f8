//! [`Join`]: N-ary inner join on shared tag columns (commutative).

use std::collections::HashMap;

use arrow_array::{ArrayRef, UInt32Array};
use arrow_schema::FieldRef;
use orcapod_datagram::constants::{is_source_info, source_info_column};
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;
use rayon::prelude::*;

use crate::error::Result;
use crate::join_plan::{JoinPlan, join_indices, plan, take};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::provenance::{JoinOptions, sort_system_tag_values};
use crate::util::build_stream;

/// Inner join of one or more streams on their shared tag columns.
///
/// * Inputs are put in canonical order (stable sort by pipeline hash), so the result does not
///   depend on the argument order; the operator is commutative (its output identity hashes the
///   inputs as a set).
/// * Each input's system-tag columns get `::{its pipeline hash}:{canonical position}` appended
///   (full 64-hex hashes by default, see [`JoinOptions`]); joins of joins keep extending.
/// * Inputs are joined left to right on the tags shared with everything joined so far; no shared
///   tags means a cartesian product. Null tag values never match.
/// * Packet columns must not overlap ([`OverlappingPacketColumns`](crate::OperatorError::OverlappingPacketColumns));
///   shared tags must have the same type and nullability.
/// * Output columns: tags (first canonical input's order, then newcomers), then each input's
///   packets, system tags and meta in canonical order; source info follows its packets.
/// * Per row, `(source_id, record_id)` values of inputs sharing a pipeline hash are sorted
///   (commutativity sort, spec §3.8).
/// * A single input is returned with its data unchanged (under the join's identity).
///
/// Row order: left (accumulated) rows in order, matches in right order; orcapod-python's order
/// is Polars' and unspecified, so compare results as sets.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_operator::{Join, Operator};
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"))?;
/// let b = Source::from_rows(rows![{"id" => 1, "y" => 100}, {"id" => 3, "y" => 300}],
///     SourceOptions::new(["id"]).source_id("B"))?;
/// let out = Join::new().process(&[a.stream().clone(), b.stream().clone()])?;
/// assert_eq!(out.num_rows(), 1);
/// assert_eq!(out.tag_columns(), ["id"]);
/// assert_eq!(out.packet_columns(), ["y", "x"]); // B's pipeline hash sorts first
/// assert!(out.system_tag_columns()[0].ends_with(":0"));
/// # Ok::<(), orcapod_operator::OperatorError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Join {
    options: JoinOptions,
}

impl Join {
    /// A join with 0.1.4 defaults (full-length hashes in system-tag names).
    pub fn new() -> Self {
        Join::default()
    }

    /// A join with explicit options (not part of the identity).
    pub fn with_options(options: JoinOptions) -> Self {
        Join { options }
    }

    /// The options.
    pub fn options(&self) -> JoinOptions {
        self.options
    }

    fn plan(&self, inputs: &[&StreamSchema]) -> Result<JoinPlan> {
        let owned: Vec<StreamSchema> = inputs.iter().map(|s| (*s).clone()).collect();
        plan(
            "Join",
            inputs,
            self.options,
            false,
            pipeline_for(self, &owned)?,
        )
    }
}

impl Operator for Join {
    fn identity_name(&self) -> &'static str {
        "Join"
    }

    /// `"Join"` (orcapod-python: the class name as a bare string).
    fn identity(&self) -> Identity {
        Identity::str("Join")
    }

    fn arity(&self) -> Arity {
        Arity::AtLeastOne
    }

    fn symmetry(&self) -> ArgumentSymmetry {
        ArgumentSymmetry::Commutative
    }

    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(self, inputs.len())?;
        if inputs.len() == 1 {
            let mut out = inputs[0].clone();
            out.pipeline_hash = pipeline_for(self, inputs)?;
            return Ok(out);
        }
        let refs: Vec<&StreamSchema> = inputs.iter().collect();
        Ok(self.plan(&refs)?.schema)
    }

    fn process(&self, inputs: &[Stream]) -> Result<Stream> {
        check_arity(self, inputs.len())?;
        let identity = identity_for(self, inputs)?;
        if inputs.len() == 1 {
            return Ok(inputs[0].with_identity(identity));
        }
        let schemas: Vec<StreamSchema> = inputs.iter().map(Stream::schema).collect();
        let refs: Vec<&StreamSchema> = schemas.iter().collect();
        let plan = self.plan(&refs)?;
        let streams: Vec<&Stream> = plan.order.iter().map(|&i| &inputs[i]).collect();
        let (len, idx) = join_indices(&plan, &streams)?;
        let (fields, columns) = assemble(&plan, &streams, &idx, &HashMap::new())?;
        let tags: Vec<String> = plan.tags.iter().map(|t| t.field.name().clone()).collect();
        build_stream(fields, columns, len, &tags, identity)
    }
}

/// Merged replacement columns of MergeJoin: packet name → (list column, source list column).
pub(crate) type Merged = HashMap<String, (ArrayRef, ArrayRef)>;

/// Assemble the output columns of a join plan from the row indices, in the physical order
/// tags, per-input non-tag columns (stored order), per-input source info; then apply the
/// commutativity sort.
pub(crate) fn assemble(
    plan: &JoinPlan,
    streams: &[&Stream],
    idx: &[Option<UInt32Array>],
    merged: &Merged,
) -> Result<(Vec<FieldRef>, Vec<ArrayRef>)> {
    // (output field, canonical input, input column name) — or a merged column.
    enum Src<'a> {
        Take(usize, String),
        Ready(&'a ArrayRef),
    }
    let schema = &plan.schema;
    let by_name = |list: &[FieldRef], name: &str| list.iter().find(|f| f.name() == name).cloned();
    let mut plan_cols: Vec<(FieldRef, Src<'_>)> = Vec::new();
    for t in &plan.tags {
        plan_cols.push((t.field.clone(), Src::Take(t.owner, t.field.name().clone())));
    }
    let mut sources: Vec<(FieldRef, Src<'_>)> = Vec::new();
    for (k, s) in streams.iter().enumerate() {
        let tag_names = s.tag_columns();
        let arrow_schema = s.arrow_schema();
        for f in arrow_schema.fields() {
            let name = f.name().as_str();
            if tag_names.iter().any(|t| t == name) {
                continue;
            }
            let is_source = is_source_info(name);
            let packet = if is_source {
                &name[orcapod_datagram::constants::SOURCE_PREFIX.len()..]
            } else {
                name
            };
            if plan.colliding.iter().any(|c| c == packet)
                && s.packet_columns().iter().any(|p| p == packet)
            {
                if k > 0 {
                    continue;
                }
                let (values, src) = merged.get(packet).ok_or_else(|| missing(packet))?;
                let list = if is_source {
                    &schema.source_info
                } else {
                    &schema.packets
                };
                let out_name = if is_source {
                    source_info_column(packet)
                } else {
                    packet.to_string()
                };
                let field = by_name(list, &out_name).ok_or_else(|| missing(&out_name))?;
                let entry = (field, Src::Ready(if is_source { src } else { values }));
                if is_source {
                    sources.push(entry)
                } else {
                    plan_cols.push(entry)
                }
                continue;
            }
            let out_name = plan.renames[k].get(name).map_or(name, String::as_str);
            let field = if is_source {
                by_name(&schema.source_info, out_name)
            } else {
                by_name(&schema.packets, out_name)
                    .or_else(|| by_name(&schema.system_tags, out_name))
                    .or_else(|| by_name(&schema.meta, out_name))
            };
            let Some(field) = field else { continue };
            if is_source {
                sources.push((field, Src::Take(k, name.to_string())));
            } else {
                plan_cols.push((field, Src::Take(k, name.to_string())));
            }
        }
    }
    plan_cols.extend(sources);
    let columns: Vec<ArrayRef> = plan_cols
        .par_iter()
        .map(|(_, src)| match src {
            Src::Ready(a) => Ok((*a).clone()),
            Src::Take(k, name) => {
                let col = streams[*k].column(name).ok_or_else(|| missing(name))?;
                take(col, idx[*k].as_ref())
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let fields: Vec<FieldRef> = plan_cols.into_iter().map(|(f, _)| f).collect();
    let mut columns = columns;
    sort_system_tag_values(&fields, &mut columns)?;
    Ok((fields, columns))
}

fn missing(name: &str) -> crate::OperatorError {
    crate::OperatorError::Datagram(orcapod_datagram::DatagramError::MissingColumn {
        column: name.to_string(),
        context: "join output assembly".into(),
    })
}
