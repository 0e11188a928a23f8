//! System-tag provenance for joins: canonical input order, name extension and the per-row
//! commutativity sort (orcapod-python spec §3.8).

use std::collections::BTreeMap;

use arrow_array::{Array, ArrayRef, new_null_array};
use arrow_row::{RowConverter, SortField};
use arrow_schema::{DataType, FieldRef};
use orcapod_datagram::constants::{
    BLOCK_SEPARATOR, FIELD_SEPARATOR, SYSTEM_TAG_PREFIX, SYSTEM_TAG_RECORD_ID_PREFIX,
    SYSTEM_TAG_SOURCE_ID_PREFIX,
};
use orcapod_hash::ContentHash;

use crate::error::Result;

/// Options shared by the joins ([`Join`](crate::Join), [`MergeJoin`](crate::MergeJoin)).
///
/// ```
/// use orcapod_operator::JoinOptions;
/// // orcapod-python 0.1.4 default: the full 64-hex pipeline hash in system-tag names.
/// assert_eq!(JoinOptions::default().system_tag_hash_chars, None);
/// // The pre-0.1.4 (spec) naming used 12 characters.
/// assert_eq!(JoinOptions::spec_v0().system_tag_hash_chars, Some(12));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JoinOptions {
    /// How many hex characters of each input's pipeline hash are appended to its system-tag
    /// column names (`None` or `Some(0)`: all of them, orcapod-python 0.1.4's default
    /// `system_tag_n_char = None`). Not part of the operator identity, as in Python.
    pub system_tag_hash_chars: Option<usize>,
}

impl JoinOptions {
    /// The naming of the orcapod-python reference spec (12 hex characters).
    pub fn spec_v0() -> Self {
        JoinOptions {
            system_tag_hash_chars: Some(12),
        }
    }
}

/// Input indices in canonical order: stably sorted by the full pipeline-hash string.
pub(crate) fn canonical_order(pipeline_hashes: &[&ContentHash]) -> Vec<usize> {
    let keys: Vec<String> = pipeline_hashes.iter().map(|h| h.to_string()).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    order
}

/// The name a system-tag column of the input at canonical position `k` gets in a join output:
/// `{name}::{pipeline hash hex[..chars]}:{k}`.
pub(crate) fn extended_name(
    name: &str,
    pipeline_hash: &ContentHash,
    k: usize,
    opts: JoinOptions,
) -> String {
    format!(
        "{name}{BLOCK_SEPARATOR}{}{FIELD_SEPARATOR}{k}",
        pipeline_hash.to_hex_prefix(opts.system_tag_hash_chars)
    )
}

/// A parsed join-extended system-tag name: `_tag_{field}::{path}:{position}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedTag<'a> {
    pub field: &'a str,
    pub path: &'a str,
    pub position: u64,
}

/// Parse a system-tag name (spec §3.8): split off the last `:` (all-digit position), require the
/// `_tag_` prefix, split the rest at the first `::` into field type and provenance path.
pub(crate) fn parse_system_tag(name: &str) -> Option<ParsedTag<'_>> {
    let (base, position) = name.rsplit_once(FIELD_SEPARATOR)?;
    if position.is_empty() || !position.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let position = position.parse().ok()?;
    let rest = base.strip_prefix(SYSTEM_TAG_PREFIX)?;
    let (field, path) = rest.split_once(BLOCK_SEPARATOR)?;
    Some(ParsedTag {
        field,
        path,
        position,
    })
}

/// Per-row commutativity sort of system-tag values.
///
/// System-tag columns sharing a provenance path but at different positions come from inputs
/// with the same pipeline hash. For each row, the `(source_id, record_id)` pairs of those
/// positions are sorted (byte order of strings and record-id bytes, nulls first) and written
/// back in position order, so that the result does not depend on the input order.
pub(crate) fn sort_system_tag_values(fields: &[FieldRef], columns: &mut [ArrayRef]) -> Result<()> {
    let source_field = &SYSTEM_TAG_SOURCE_ID_PREFIX[SYSTEM_TAG_PREFIX.len()..];
    let record_field = &SYSTEM_TAG_RECORD_ID_PREFIX[SYSTEM_TAG_PREFIX.len()..];
    // path -> position -> [source column index, record column index]
    let mut groups: BTreeMap<&str, BTreeMap<u64, [Option<usize>; 2]>> = BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(p) = parse_system_tag(f.name()) else {
            continue;
        };
        let slot = if p.field == source_field {
            0
        } else if p.field == record_field {
            1
        } else {
            continue;
        };
        groups
            .entry(p.path)
            .or_default()
            .entry(p.position)
            .or_default()[slot] = Some(i);
    }
    let n = columns.first().map_or(0, |c| c.len());
    for positions in groups.values() {
        if positions.len() < 2 || n == 0 {
            continue;
        }
        let slots: Vec<[Option<usize>; 2]> = positions.values().copied().collect();
        // One type per field (the first present); positions lacking a field contribute nulls.
        let mut types: [Option<DataType>; 2] = [None, None];
        for s in &slots {
            for f in 0..2 {
                if types[f].is_none() {
                    types[f] = s[f].map(|c| columns[c].data_type().clone());
                }
            }
        }
        let present: Vec<usize> = (0..2).filter(|f| types[*f].is_some()).collect();
        let mut per_field: Vec<Vec<ArrayRef>> = vec![Vec::new(); 2];
        for s in &slots {
            for &f in &present {
                let ty = types[f].clone().unwrap_or(DataType::Null);
                let array = match s[f] {
                    Some(c) if *columns[c].data_type() == ty => columns[c].clone(),
                    Some(c) => arrow_cast::cast(&columns[c], &ty)?,
                    None => new_null_array(&ty, n),
                };
                per_field[f].push(array);
            }
        }
        let converter = RowConverter::new(
            present
                .iter()
                .map(|&f| SortField::new(types[f].clone().unwrap_or(DataType::Null)))
                .collect(),
        )?;
        let rows = (0..slots.len())
            .map(|p| {
                let cols: Vec<ArrayRef> =
                    present.iter().map(|&f| per_field[f][p].clone()).collect();
                converter.convert_columns(&cols)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let m = slots.len();
        let mut picks: Vec<Vec<(usize, usize)>> = vec![Vec::with_capacity(n); m];
        let mut perm: Vec<usize> = (0..m).collect();
        let mut changed = false;
        for r in 0..n {
            for (i, p) in perm.iter_mut().enumerate() {
                *p = i;
            }
            perm.sort_by(|&a, &b| rows[a].row(r).cmp(&rows[b].row(r)));
            for (slot, &from) in perm.iter().enumerate() {
                changed |= slot != from;
                picks[slot].push((from, r));
            }
        }
        if !changed {
            continue;
        }
        for &f in &present {
            let sources: Vec<&dyn Array> = per_field[f].iter().map(|a| a.as_ref()).collect();
            for (slot, s) in slots.iter().enumerate() {
                if let Some(c) = s[f] {
                    let sorted = arrow_select::interleave::interleave(&sources, &picks[slot])?;
                    columns[c] = if sorted.data_type() == columns[c].data_type() {
                        sorted
                    } else {
                        arrow_cast::cast(&sorted, columns[c].data_type())?
                    };
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_extended_names() {
        let p = parse_system_tag("_tag_source_id::abc::def:12").unwrap();
        assert_eq!(
            p,
            ParsedTag {
                field: "source_id",
                path: "abc::def",
                position: 12
            }
        );
        assert!(parse_system_tag("_tag_source_id::abc").is_none());
        assert!(parse_system_tag("_tag_source_id::abc:x1").is_none());
        assert!(parse_system_tag("x_source_id::abc::d:1").is_none());
        // nested join: the path keeps the inner position
        let p = parse_system_tag("_tag_record_id::h1::h1:1::h2:0").unwrap();
        assert_eq!(
            (p.field, p.path, p.position),
            ("record_id", "h1::h1:1::h2", 0)
        );
    }

    #[test]
    fn canonical_order_is_stable() {
        let a = ContentHash::new("m", vec![2]);
        let b = ContentHash::new("m", vec![1]);
        assert_eq!(canonical_order(&[&a, &b, &a]), vec![1, 0, 2]);
    }
}
