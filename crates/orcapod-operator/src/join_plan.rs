//! The schema-level plan shared by [`Join`](crate::Join) and [`MergeJoin`](crate::MergeJoin):
//! validation, canonical order, key sets per step, renamed columns and the predicted schema.
//! Prediction and computation both derive from this one plan, so they cannot disagree.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{ArrayRef, UInt32Array};
use arrow_schema::{DataType, Field as ArrowField, FieldRef};
use orcapod_datagram::constants::source_info_column;
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::ContentHash;

use crate::error::{OperatorError, Result};
use crate::hash_join::{Keys, converter, cross_join, inner_join};
use crate::provenance::{JoinOptions, canonical_order, extended_name};
use crate::util::{compatible, renamed, type_name};

/// A tag column of the output and the canonical input it is read from.
#[derive(Debug)]
pub(crate) struct TagCol {
    pub field: FieldRef,
    pub owner: usize,
}

/// The plan of an N-ary (Join) or binary merging (MergeJoin) join.
#[derive(Debug)]
pub(crate) struct JoinPlan {
    /// Canonical position → index of the input as given.
    pub order: Vec<usize>,
    /// Output tag columns: first canonical input's tags in order, then newcomers.
    pub tags: Vec<TagCol>,
    /// Per canonical position: the tag keys shared with the inputs before it (empty for 0).
    pub step_keys: Vec<Vec<String>>,
    /// Per canonical position: renamed columns (system tags, colliding meta) old → new.
    pub renames: Vec<HashMap<String, String>>,
    /// MergeJoin: colliding packet columns (merged into 2-element lists).
    pub colliding: Vec<String>,
    /// The predicted output schema.
    pub schema: StreamSchema,
}

/// The Arrow type of a merged or batched column: `list<T>` (quirk 14), item nullable and
/// carrying the value field's metadata (extension names survive).
pub(crate) fn list_of(value: &ArrowField, large: bool) -> DataType {
    let item = item_field(value);
    if large {
        DataType::LargeList(item)
    } else {
        DataType::List(item)
    }
}

/// The nullable `item` field of a list of `value`'s type (metadata kept).
pub(crate) fn item_field(value: &ArrowField) -> FieldRef {
    Arc::new(
        ArrowField::new("item", value.data_type().clone(), true)
            .with_metadata(value.metadata().clone()),
    )
}

/// Validate the inputs (given order) and lay out the output (canonical order).
pub(crate) fn plan(
    operator: &'static str,
    inputs: &[&StreamSchema],
    options: JoinOptions,
    merge: bool,
    pipeline_hash: ContentHash,
) -> Result<JoinPlan> {
    let mut seen_tags: HashMap<&str, &FieldRef> = HashMap::new();
    let mut seen_packets: HashMap<&str, (usize, &FieldRef)> = HashMap::new();
    let mut colliding = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        for t in &s.tags {
            if seen_packets.contains_key(t.name().as_str()) {
                return Err(OperatorError::TagPacketConflict {
                    operator,
                    column: t.name().clone(),
                });
            }
            if let Some(prev) = seen_tags.get(t.name().as_str())
                && !compatible(prev, t)
            {
                return Err(OperatorError::IncompatibleTagTypes {
                    operator,
                    column: t.name().clone(),
                    left: type_name(prev),
                    right: type_name(t),
                });
            }
        }
        let mut overlap = Vec::new();
        let mut first_holder = 0;
        for p in &s.packets {
            if seen_tags.contains_key(p.name().as_str()) || s.tag(p.name()).is_some() {
                return Err(OperatorError::TagPacketConflict {
                    operator,
                    column: p.name().clone(),
                });
            }
            if let Some((j, prev)) = seen_packets.get(p.name().as_str()) {
                if merge && !compatible(prev, p) {
                    return Err(OperatorError::CollidingTypeMismatch {
                        column: p.name().clone(),
                        left: type_name(prev),
                        right: type_name(p),
                    });
                }
                if overlap.is_empty() {
                    first_holder = *j;
                }
                overlap.push(p.name().clone());
            }
        }
        if !overlap.is_empty() {
            if !merge {
                return Err(OperatorError::OverlappingPacketColumns {
                    columns: overlap,
                    left: first_holder,
                    right: i,
                });
            }
            colliding.extend(overlap);
        }
        for t in &s.tags {
            seen_tags.entry(t.name()).or_insert(t);
        }
        for p in &s.packets {
            seen_packets.entry(p.name()).or_insert((i, p));
        }
    }

    let hashes: Vec<&ContentHash> = inputs.iter().map(|s| &s.pipeline_hash).collect();
    let order = canonical_order(&hashes);
    let mut tags: Vec<TagCol> = Vec::new();
    let mut step_keys = Vec::with_capacity(order.len());
    let mut renames = Vec::with_capacity(order.len());
    let mut out = StreamSchema {
        tags: Vec::new(),
        system_tags: Vec::new(),
        packets: Vec::new(),
        source_info: Vec::new(),
        meta: Vec::new(),
        pipeline_hash,
    };
    let mut names: HashSet<String> = HashSet::new();
    for (k, &i) in order.iter().enumerate() {
        let s = inputs[i];
        let keys: Vec<String> = tags
            .iter()
            .filter(|t| s.tag(t.field.name()).is_some())
            .map(|t| t.field.name().clone())
            .collect();
        step_keys.push(keys);
        for t in &s.tags {
            if !tags.iter().any(|x| x.field.name() == t.name()) {
                names.insert(t.name().clone());
                tags.push(TagCol {
                    field: t.clone(),
                    owner: k,
                });
            }
        }
        let mut map = HashMap::new();
        for f in &s.system_tags {
            let new = extended_name(f.name(), &s.pipeline_hash, k, options);
            names.insert(new.clone());
            out.system_tags.push(renamed(f, &new));
            map.insert(f.name().clone(), new);
        }
        for p in &s.packets {
            let collides = colliding.contains(p.name());
            if collides && k > 0 {
                continue;
            }
            let source_name = source_info_column(p.name());
            let source = s.source_field_for(p.name()).cloned().unwrap_or_else(|| {
                Arc::new(ArrowField::new(&source_name, DataType::LargeUtf8, true))
            });
            if collides {
                out.packets.push(Arc::new(ArrowField::new(
                    p.name(),
                    list_of(p, false),
                    false,
                )));
                out.source_info.push(Arc::new(ArrowField::new(
                    &source_name,
                    list_of(&source, true),
                    false,
                )));
            } else {
                out.packets.push(p.clone());
                out.source_info.push(source);
            }
            names.insert(p.name().clone());
            names.insert(source_name);
        }
        for f in &s.meta {
            let mut new = f.name().clone();
            let mut suffix = k;
            while names.contains(&new) {
                new = format!("{}_{suffix}", f.name());
                suffix += 1;
            }
            names.insert(new.clone());
            out.meta.push(renamed(f, &new));
            if new != *f.name() {
                map.insert(f.name().clone(), new);
            }
        }
        renames.push(map);
    }
    out.tags = tags.iter().map(|t| t.field.clone()).collect();
    Ok(JoinPlan {
        order,
        tags,
        step_keys,
        renames,
        colliding,
        schema: out,
    })
}

/// Take `column` at `indices` (`None`: all rows, unchanged).
pub(crate) fn take(column: &ArrayRef, indices: Option<&UInt32Array>) -> Result<ArrayRef> {
    match indices {
        None => Ok(column.clone()),
        Some(ix) => Ok(arrow_select::take::take(column.as_ref(), ix, None)?),
    }
}

/// Run the joins of the plan over the inputs in canonical order: the output row count and,
/// per canonical input, the row indices that make up the output (`None`: identity).
pub(crate) fn join_indices(
    plan: &JoinPlan,
    streams: &[&Stream],
) -> Result<(usize, Vec<Option<UInt32Array>>)> {
    let mut idx: Vec<Option<Vec<u32>>> = vec![None; streams.len()];
    let mut len = streams[0].num_rows();
    for k in 1..streams.len() {
        let right = streams[k];
        let (li, ri) = if plan.step_keys[k].is_empty() {
            cross_join(len, right.num_rows())
        } else {
            let mut left_cols = Vec::new();
            let mut right_cols = Vec::new();
            for key in &plan.step_keys[k] {
                let owner = plan
                    .tags
                    .iter()
                    .find(|t| t.field.name() == key)
                    .map_or(0, |t| t.owner);
                let col = column(streams[owner], key)?;
                let l = match &idx[owner] {
                    None => col,
                    Some(ix) => arrow_select::take::take(
                        col.as_ref(),
                        &UInt32Array::from(ix.clone()),
                        None,
                    )?,
                };
                let mut r = column(right, key)?;
                if r.data_type() != l.data_type() {
                    r = arrow_cast::cast(&r, l.data_type())?;
                }
                left_cols.push(l);
                right_cols.push(r);
            }
            let types: Vec<DataType> = left_cols.iter().map(|c| c.data_type().clone()).collect();
            let conv = converter(&types)?;
            let lk = Keys::encode(&conv, &left_cols)?;
            let rk = Keys::encode(&conv, &right_cols)?;
            inner_join(&lk, &rk)
        };
        // An identity selection (every row once, in order) leaves the earlier inputs untouched.
        if !is_identity(&li, len) {
            for slot in idx.iter_mut().take(k) {
                *slot = Some(match slot.take() {
                    None => li.clone(),
                    Some(prev) => li.iter().map(|&r| prev[r as usize]).collect(),
                });
            }
        }
        len = ri.len();
        idx[k] = if is_identity(&ri, right.num_rows()) {
            None
        } else {
            Some(ri)
        };
    }
    Ok((
        len,
        idx.into_iter().map(|v| v.map(UInt32Array::from)).collect(),
    ))
}

/// Does `indices` select every one of `n` rows exactly once, in order?
fn is_identity(indices: &[u32], n: usize) -> bool {
    indices.len() == n && indices.iter().enumerate().all(|(i, &r)| r as usize == i)
}

fn column(stream: &Stream, name: &str) -> Result<ArrayRef> {
    stream.column(name).cloned().ok_or_else(|| {
        OperatorError::Datagram(orcapod_datagram::DatagramError::MissingColumn {
            column: name.to_string(),
            context: "join input".into(),
        })
    })
}
