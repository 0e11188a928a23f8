//! Key encoding: row format, integer and packed representations, hashing.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_buffer::NullBuffer;
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::DataType;

use crate::error::Result;

/// Longest encoded row compared packed (one byte of the `u128` holds the length).
const INLINE_MAX: usize = 15;

/// How the key values of one side are held.
pub(super) enum Data {
    /// Row-format encoding of all key columns.
    Rows(Rows),
    /// One integer key column, widened to 64 bits (sign-extended for signed types).
    Ints(Vec<u64>),
}

/// Encoded join keys of one side.
pub(crate) struct Keys {
    pub(super) data: Data,
    pub(super) len: usize,
    /// Rows whose key columns are all non-null (`None`: all rows).
    valid: Option<NullBuffer>,
}

/// A single integer column as 64-bit values, or `None` for other types.
fn ints(column: &ArrayRef) -> Option<Vec<u64>> {
    macro_rules! widen {
        ($t:ty) => {
            column
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|v| *v as i64 as u64)
                .collect()
        };
    }
    Some(match column.data_type() {
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt64 => column.as_primitive::<UInt64Type>().values().to_vec(),
        DataType::Date32 => widen!(Date32Type),
        DataType::Date64 => widen!(Date64Type),
        _ => return None,
    })
}

impl Keys {
    /// Encode `columns` (all of the converter's types, in order). The representation depends
    /// only on the types, so two sides with equal types are always comparable.
    pub(crate) fn encode(converter: &RowConverter, columns: &[ArrayRef]) -> Result<Keys> {
        let mut valid: Option<NullBuffer> = None;
        for c in columns {
            valid = NullBuffer::union(valid.as_ref(), c.logical_nulls().as_ref());
        }
        let len = columns.first().map_or(0, |c| c.len());
        let data = match columns {
            [column] => match ints(column) {
                Some(values) => Data::Ints(values),
                None => Data::Rows(converter.convert_columns(columns)?),
            },
            _ => Data::Rows(converter.convert_columns(columns)?),
        };
        Ok(Keys { data, len, valid })
    }

    pub(super) fn is_valid(&self, i: usize) -> bool {
        self.valid.as_ref().is_none_or(|v| v.is_valid(i))
    }
}

/// A row converter for key columns of these types.
pub(crate) fn converter(types: &[DataType]) -> Result<RowConverter> {
    Ok(RowConverter::new(
        types.iter().map(|t| SortField::new(t.clone())).collect(),
    )?)
}

/// Finaliser of a 64-bit hash (murmur3 fmix64).
pub(super) fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// Fast, non-cryptographic hash of a row's bytes (multiply-xorshift over 8-byte words).
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K);
        h ^= h >> 29;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    mix(h)
}

/// A short row packed with its length, so that packed equality is byte equality.
fn pack(bytes: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[15] = bytes.len() as u8;
    u128::from_le_bytes(buf)
}

/// A comparable, hashable key representation.
pub(super) trait JoinKey: Copy + PartialEq + Send + Sync {
    fn hash(&self) -> u64;
}

impl JoinKey for u64 {
    fn hash(&self) -> u64 {
        mix(*self)
    }
}

impl JoinKey for u128 {
    fn hash(&self) -> u64 {
        mix(*self as u64 ^ mix((*self >> 64) as u64))
    }
}

/// A long encoded row with its precomputed hash.
#[derive(Clone, Copy)]
struct ByteKey<'a> {
    hash: u64,
    bytes: &'a [u8],
}

impl PartialEq for ByteKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.bytes == other.bytes
    }
}

impl JoinKey for ByteKey<'_> {
    fn hash(&self) -> u64 {
        self.hash
    }
}

/// Run `f` on both sides' keys in a common representation.
pub(super) fn with_keys<T>(left: &Keys, right: &Keys, f: impl JoinKeysFn<T>) -> T {
    match (&left.data, &right.data) {
        (Data::Ints(l), Data::Ints(r)) => f.call(l, left, r, right),
        (Data::Rows(l), Data::Rows(r)) => {
            let short =
                |rows: &Rows| (0..rows.num_rows()).all(|i| rows.row(i).data().len() <= INLINE_MAX);
            if short(l) && short(r) {
                let packed = |rows: &Rows| -> Vec<u128> {
                    (0..rows.num_rows())
                        .map(|i| pack(rows.row(i).data()))
                        .collect()
                };
                f.call(&packed(l), left, &packed(r), right)
            } else {
                f.call(&byte_keys(l), left, &byte_keys(r), right)
            }
        }
        // Equal types always give equal representations; mixed ones cannot match anything.
        _ => f.call::<u64>(&[], left, &[], right),
    }
}

fn byte_keys(rows: &Rows) -> Vec<ByteKey<'_>> {
    (0..rows.num_rows())
        .map(|i| {
            let bytes = rows.row(i).data();
            ByteKey {
                hash: hash_bytes(bytes),
                bytes,
            }
        })
        .collect()
}

/// A generic callback over key representations (closures cannot be generic).
pub(super) trait JoinKeysFn<T> {
    fn call<K: JoinKey>(self, l: &[K], left: &Keys, r: &[K], right: &Keys) -> T;
}
