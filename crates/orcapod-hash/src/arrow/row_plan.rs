//! The compiled form of a batch for per-row hashing (the walk over it is in `row_feed`).
//!
//! Everything that does not depend on the row is done once, when the plan is compiled:
//! dictionary decoding, downcasts, buffer lookups, entry lookups by path and the validity masks
//! `W = valid(A) AND M` of §8.4 (structs have no entry, so they are flattened into their
//! children with the mask they pass down). What remains per row is plain buffer access.

use std::collections::HashMap;
use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::{ArrowNativeType, BooleanBuffer, Buffer, ScalarBuffer};
use arrow_schema::{DataType, FieldRef};

use super::entries::Entry;
use super::json::{join_path, unsupported};
use super::leaf::fixed_width;
use super::visit::{and_validity, decode_dictionary, malformed};
use crate::Result;

/// Where a leaf's per-element bytes come from.
pub(super) enum Values {
    /// Fixed-width slots of `width` bytes; element `i` is at `(base + i) * width`.
    Fixed {
        bytes: Buffer,
        base: usize,
        width: usize,
    },
    /// Strings and binaries with 32-bit offsets.
    Bytes32 {
        offsets: ScalarBuffer<i32>,
        data: Buffer,
    },
    /// Strings and binaries with 64-bit offsets.
    Bytes64 {
        offsets: ScalarBuffer<i64>,
        data: Buffer,
    },
    /// Boolean values (packed per `Leaf` call, quirk Q1).
    Bool(BooleanBuffer),
}

/// List offsets of either width.
pub(super) enum Offsets {
    I32(ScalarBuffer<i32>),
    I64(ScalarBuffer<i64>),
}

impl Offsets {
    /// The child range of list row `i`, `None` when the offsets are too short or decreasing.
    #[inline]
    pub(super) fn range(&self, i: usize) -> Option<Range<usize>> {
        let (a, b) = match self {
            Self::I32(o) => (o.get(i)?.as_usize(), o.get(i + 1)?.as_usize()),
            Self::I64(o) => (o.get(i)?.as_usize(), o.get(i + 1)?.as_usize()),
        };
        (a <= b).then_some(a..b)
    }
}

pub(super) enum Kind {
    /// `Leaf` into the entry at `slot` (`None`: no entry, nothing is fed, as in `leaf`).
    Leaf { slot: Option<usize>, values: Values },
    /// A list level: validity at `v_slot`, lengths to the S at `s_slot`, and the element
    /// nodes (several when the elements are structs).
    List {
        v_slot: Option<usize>,
        s_slot: Option<usize>,
        offsets: Offsets,
        children: Vec<Node>,
    },
}

/// One leaf or list array of the batch, with its precomputed live mask.
pub(super) struct Node {
    /// Length of the array; every visited range is checked against it.
    pub(super) len: usize,
    /// `W = valid(A) AND M`; `None` means every position is live.
    pub(super) live: Option<BooleanBuffer>,
    /// Column path, for error messages and entry lookup.
    pub(super) path: String,
    pub(super) kind: Kind,
}

/// Compiles column `array` (declared `nullable`) at `path` under the inherited mask `mask`,
/// appending its leaf and list nodes to `out`. `slot_of` maps entry paths to entry indices and
/// `template` holds the entries (to know which components each has).
pub(super) fn compile(
    out: &mut Vec<Node>,
    slot_of: &HashMap<String, usize>,
    template: &[Entry],
    array: &dyn Array,
    nullable: bool,
    path: &str,
    mask: Option<&BooleanBuffer>,
) -> Result<()> {
    if let Some(decoded) = decode_dictionary(array)? {
        return compile(
            out,
            slot_of,
            template,
            decoded.as_ref(),
            nullable,
            path,
            mask,
        );
    }
    if mask.is_some_and(|m| m.len() != array.len()) {
        return Err(malformed(
            path,
            "validity mask length differs from the array",
        ));
    }
    let slot = |p: &str, has: fn(&Entry) -> bool| {
        slot_of
            .get(p)
            .copied()
            .filter(|&i| template.get(i).is_some_and(has))
    };
    let live = and_validity(array, mask);
    let kind = match array.data_type() {
        DataType::List(e) => match array.as_list_opt::<i32>() {
            Some(list) => list_kind(
                slot_of,
                template,
                Offsets::I32(list.offsets().inner().clone()),
                list.values(),
                e,
                path,
            )?,
            None => return Err(malformed(path, "not a list array")),
        },
        DataType::LargeList(e) => match array.as_list_opt::<i64>() {
            Some(list) => list_kind(
                slot_of,
                template,
                Offsets::I64(list.offsets().inner().clone()),
                list.values(),
                e,
                path,
            )?,
            None => return Err(malformed(path, "not a large list array")),
        },
        DataType::Struct(_) => {
            let Some(st) = array.as_struct_opt() else {
                return Err(malformed(path, "not a struct array"));
            };
            // §8.4 step 2: a non-nullable struct's own validity is ignored.
            let child_mask = if nullable { live } else { mask.cloned() };
            for (field, column) in st.fields().iter().zip(st.columns()) {
                if column.len() != st.len() {
                    return Err(malformed(path, "struct child length differs"));
                }
                compile(
                    out,
                    slot_of,
                    template,
                    column.as_ref(),
                    field.is_nullable(),
                    &join_path(path, field.name()),
                    child_mask.as_ref(),
                )?;
            }
            return Ok(());
        }
        _ => Kind::Leaf {
            slot: slot(path, |_| true),
            values: leaf_values(array, path)?,
        },
    };
    // A list's validity entry is only filled when the list itself is declared nullable.
    let kind = match kind {
        Kind::List {
            s_slot,
            offsets,
            children,
            ..
        } => Kind::List {
            v_slot: if nullable {
                slot(path, |e| e.v.is_some())
            } else {
                None
            },
            s_slot,
            offsets,
            children,
        },
        leaf => leaf,
    };
    out.push(Node {
        len: array.len(),
        live,
        path: path.to_owned(),
        kind,
    });
    Ok(())
}

/// The list part that does not depend on the list's own nullability: lengths go to the S of
/// `path/`, elements are compiled below `path/` without a mask (§8.4 step 1).
fn list_kind(
    slot_of: &HashMap<String, usize>,
    template: &[Entry],
    offsets: Offsets,
    values: &ArrayRef,
    elem: &FieldRef,
    path: &str,
) -> Result<Kind> {
    let q = format!("{path}/");
    let s_slot = slot_of
        .get(&q)
        .copied()
        .filter(|&i| template.get(i).is_some_and(|e| e.s.is_some()));
    let mut children = Vec::new();
    compile(
        &mut children,
        slot_of,
        template,
        values.as_ref(),
        elem.is_nullable(),
        &q,
        None,
    )?;
    Ok(Kind::List {
        v_slot: None,
        s_slot,
        offsets,
        children,
    })
}

/// The value buffers of a leaf array, looked up once.
fn leaf_values(array: &dyn Array, path: &str) -> Result<Values> {
    let dt = array.data_type();
    let bytes = |o: Option<(ScalarBuffer<i32>, Buffer)>| {
        o.map(|(offsets, data)| Values::Bytes32 { offsets, data })
            .ok_or_else(|| malformed(path, "not a string or binary array"))
    };
    let large = |o: Option<(ScalarBuffer<i64>, Buffer)>| {
        o.map(|(offsets, data)| Values::Bytes64 { offsets, data })
            .ok_or_else(|| malformed(path, "not a large string or binary array"))
    };
    match dt {
        DataType::Boolean => array
            .as_boolean_opt()
            .map(|b| Values::Bool(b.values().clone()))
            .ok_or_else(|| malformed(path, "not a boolean array")),
        DataType::Utf8 => bytes(
            array
                .as_string_opt::<i32>()
                .map(|a| (a.offsets().inner().clone(), a.values().clone())),
        ),
        DataType::Binary => bytes(
            array
                .as_binary_opt::<i32>()
                .map(|a| (a.offsets().inner().clone(), a.values().clone())),
        ),
        DataType::LargeUtf8 => large(
            array
                .as_string_opt::<i64>()
                .map(|a| (a.offsets().inner().clone(), a.values().clone())),
        ),
        DataType::LargeBinary => large(
            array
                .as_binary_opt::<i64>()
                .map(|a| (a.offsets().inner().clone(), a.values().clone())),
        ),
        _ => {
            let Some(width) = fixed_width(dt) else {
                return Err(unsupported(path, dt));
            };
            // Generic over every fixed-width type, exactly like `leaf::fixed_leaf`.
            let data = array.to_data();
            let Some(bytes) = data.buffers().first() else {
                return Err(malformed(path, "missing value buffer"));
            };
            Ok(Values::Fixed {
                bytes: bytes.clone(),
                base: data.offset(),
                width,
            })
        }
    }
}
