//! The entry map (spec §8.2, §8.3) and entry finalisation (§8.6).

use std::collections::BTreeMap;

use arrow_schema::DataType;
use sha2::{Digest, Sha256};

use super::bits::BitVec;
use super::json::{join_path, unsupported};
use crate::Result;

/// One entry: optional validity bits (V), structural hasher (S) and data hasher (D).
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    pub(crate) v: Option<BitVec>,
    pub(crate) s: Option<Sha256>,
    pub(crate) d: Option<Sha256>,
}

impl Entry {
    fn new(v: bool, s: bool, d: bool) -> Self {
        Self {
            v: v.then(BitVec::default),
            s: s.then(Sha256::new),
            d: d.then(Sha256::new),
        }
    }

    /// Feeds this entry's finalisation (§8.6) into `out`: V, then S, then D.
    pub(crate) fn finalize_into(self, out: &mut Sha256) {
        if let Some(v) = self.v {
            out.update((v.len() as u64).to_le_bytes());
            out.update(v.as_bytes());
        }
        if let Some(s) = self.s {
            out.update(s.finalize());
        }
        if let Some(d) = self.d {
            out.update(d.finalize());
        }
    }
}

/// Entries by path; `String` ordering is byte ordering (§2), so iteration is finalisation order.
pub(crate) type EntryMap = BTreeMap<String, Entry>;

/// Whether `dt` is a leaf type whose data can be hashed (§8.5), after dictionary decoding.
pub(crate) fn is_leaf(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Date32
            | DataType::Date64
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Timestamp(..)
            | DataType::Duration(_)
            | DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
            | DataType::FixedSizeBinary(_)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::LargeBinary
    )
}

/// Strips dictionary wrappers (§5: a dictionary's canonical type is its value type).
pub(crate) fn undictionary(dt: &DataType) -> &DataType {
    match dt {
        DataType::Dictionary(_, value) => undictionary(value),
        other => other,
    }
}

/// Whether any leaf below `dt` is a boolean (those pack per `Leaf` call, quirk Q1).
pub(crate) fn contains_boolean(dt: &DataType) -> bool {
    match undictionary(dt) {
        DataType::Boolean => true,
        DataType::List(e) | DataType::LargeList(e) => contains_boolean(e.data_type()),
        DataType::Struct(children) => children.iter().any(|c| contains_boolean(c.data_type())),
        _ => false,
    }
}

/// `Build(T, nullable, p)` of §8.3: inserts the entries for a value of type `dt` at `path`.
///
/// Fails with `UnsupportedType` for any type whose data cannot be hashed (including
/// `FixedSizeList` and `Map`, which are schema-only).
pub(crate) fn build(map: &mut EntryMap, dt: &DataType, nullable: bool, path: &str) -> Result<()> {
    match undictionary(dt) {
        DataType::Struct(children) => {
            for child in children {
                build(
                    map,
                    child.data_type(),
                    child.is_nullable(),
                    &join_path(path, child.name()),
                )?;
            }
        }
        DataType::List(e) | DataType::LargeList(e) => {
            if nullable {
                map.insert(path.to_owned(), Entry::new(true, false, false));
            }
            let q = format!("{path}/");
            match undictionary(e.data_type()) {
                DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) => {
                    map.insert(q.clone(), Entry::new(e.is_nullable(), true, false));
                    build(map, e.data_type(), e.is_nullable(), &q)?;
                }
                leaf if is_leaf(leaf) => {
                    map.insert(q, Entry::new(e.is_nullable(), true, true));
                }
                other => return Err(unsupported(&q, other)),
            }
        }
        leaf if is_leaf(leaf) => {
            map.insert(path.to_owned(), Entry::new(nullable, false, true));
        }
        other => return Err(unsupported(path, other)),
    }
    Ok(())
}
