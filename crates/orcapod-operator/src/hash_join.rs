//! Hash-join machinery over Arrow row-format keys.
//!
//! Keys of any type (list-typed tags after `Batch` included) are encoded with
//! [`arrow_row::RowConverter`], so equality is byte equality. A small open-addressing table maps
//! each distinct key of the build side to the chain of its rows in ascending order; probing
//! walks the probe side in order, so results come out in (probe row, build row) order.
//! Rows with a null in any key column never match (SQL / Polars / Acero semantics).

use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::DataType;

use crate::error::Result;

const NONE: u32 = u32::MAX;

/// Encoded join keys of one side.
pub(crate) struct Keys {
    rows: Rows,
    /// Rows whose key columns are all non-null (`None`: all rows).
    valid: Option<NullBuffer>,
}

impl Keys {
    /// Encode `columns` (all of the converter's types, in order).
    pub(crate) fn encode(converter: &RowConverter, columns: &[ArrayRef]) -> Result<Keys> {
        let rows = converter.convert_columns(columns)?;
        let mut valid: Option<NullBuffer> = None;
        for c in columns {
            valid = NullBuffer::union(valid.as_ref(), c.logical_nulls().as_ref());
        }
        Ok(Keys { rows, valid })
    }

    fn len(&self) -> usize {
        self.rows.num_rows()
    }

    fn is_valid(&self, i: usize) -> bool {
        self.valid.as_ref().is_none_or(|v| v.is_valid(i))
    }

    fn bytes(&self, i: usize) -> &[u8] {
        self.rows.row(i).data()
    }
}

/// A row converter for key columns of these types.
pub(crate) fn converter(types: &[DataType]) -> Result<RowConverter> {
    Ok(RowConverter::new(
        types.iter().map(|t| SortField::new(t.clone())).collect(),
    )?)
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
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 32)
}

/// Hash index over the build side's keys.
pub(crate) struct KeyIndex<'a> {
    keys: &'a Keys,
    /// Chain head (smallest row index) of each occupied slot, or `NONE`.
    slots: Vec<u32>,
    slot_hash: Vec<u64>,
    /// Next row with the same key (ascending), or `NONE`.
    next: Vec<u32>,
    mask: usize,
}

impl<'a> KeyIndex<'a> {
    /// Index every non-null key of `keys`.
    pub(crate) fn build(keys: &'a Keys) -> KeyIndex<'a> {
        let n = keys.len();
        let capacity = (n.max(4) * 2).next_power_of_two();
        let mut index = KeyIndex {
            keys,
            slots: vec![NONE; capacity],
            slot_hash: vec![0; capacity],
            next: vec![NONE; n],
            mask: capacity - 1,
        };
        // Insert in reverse so that each chain lists rows in ascending order.
        for i in (0..n).rev() {
            if !keys.is_valid(i) {
                continue;
            }
            let bytes = keys.bytes(i);
            let h = hash_bytes(bytes);
            let mut s = (h as usize) & index.mask;
            loop {
                let head = index.slots[s];
                if head == NONE {
                    index.slots[s] = i as u32;
                    index.slot_hash[s] = h;
                    break;
                }
                if index.slot_hash[s] == h && keys.bytes(head as usize) == bytes {
                    index.next[i] = head;
                    index.slots[s] = i as u32;
                    break;
                }
                s = (s + 1) & index.mask;
            }
        }
        index
    }

    /// First build row whose key equals `bytes`, or `NONE`.
    fn find(&self, bytes: &[u8]) -> u32 {
        let h = hash_bytes(bytes);
        let mut s = (h as usize) & self.mask;
        loop {
            let head = self.slots[s];
            if head == NONE {
                return NONE;
            }
            if self.slot_hash[s] == h && self.keys.bytes(head as usize) == bytes {
                return head;
            }
            s = (s + 1) & self.mask;
        }
    }
}

/// Inner join: matching (left row, right row) pairs in left order, then right order.
pub(crate) fn inner_join(left: &Keys, right: &Keys) -> (Vec<u32>, Vec<u32>) {
    let index = KeyIndex::build(right);
    let mut li = Vec::with_capacity(left.len());
    let mut ri = Vec::with_capacity(left.len());
    for i in 0..left.len() {
        if !left.is_valid(i) {
            continue;
        }
        let mut m = index.find(left.bytes(i));
        while m != NONE {
            li.push(i as u32);
            ri.push(m);
            m = index.next[m as usize];
        }
    }
    (li, ri)
}

/// Cartesian product of `n_left` × `n_right` rows, left-major.
pub(crate) fn cross_join(n_left: usize, n_right: usize) -> (Vec<u32>, Vec<u32>) {
    let total = n_left * n_right;
    let mut li = Vec::with_capacity(total);
    let mut ri = Vec::with_capacity(total);
    for i in 0..n_left as u32 {
        li.extend(std::iter::repeat_n(i, n_right));
        ri.extend(0..n_right as u32);
    }
    (li, ri)
}

/// Left-semi join mask: `true` for each left row whose key appears in `right`.
pub(crate) fn semi_join_mask(left: &Keys, right: &Keys) -> BooleanArray {
    let index = KeyIndex::build(right);
    let bits = BooleanBuffer::collect_bool(left.len(), |i| {
        left.is_valid(i) && index.find(left.bytes(i)) != NONE
    });
    BooleanArray::new(bits, None)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};

    use super::*;

    fn keys(cols: Vec<ArrayRef>) -> Keys {
        let types: Vec<DataType> = cols.iter().map(|c| c.data_type().clone()).collect();
        Keys::encode(&converter(&types).unwrap(), &cols).unwrap()
    }

    #[test]
    fn inner_join_orders_and_skips_nulls() {
        let l = keys(vec![Arc::new(Int64Array::from(vec![
            Some(2),
            None,
            Some(1),
            Some(2),
        ]))]);
        let r = keys(vec![Arc::new(Int64Array::from(vec![
            Some(2),
            Some(2),
            None,
            Some(3),
        ]))]);
        let (li, ri) = inner_join(&l, &r);
        assert_eq!(li, vec![0, 0, 3, 3]);
        assert_eq!(ri, vec![0, 1, 0, 1]);
    }

    #[test]
    fn composite_keys_and_semi_join() {
        let l = keys(vec![
            Arc::new(Int64Array::from(vec![1, 1, 2])),
            Arc::new(StringArray::from(vec!["a", "b", "a"])),
        ]);
        let r = keys(vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec!["b", "a"])),
        ]);
        let mask = semi_join_mask(&l, &r);
        assert_eq!(
            mask.iter().collect::<Vec<_>>(),
            vec![Some(false), Some(true), Some(true)]
        );
    }

    #[test]
    fn many_collisions() {
        let n = 10_000i64;
        let l = keys(vec![Arc::new(Int64Array::from_iter_values(0..n))]);
        let r = keys(vec![Arc::new(Int64Array::from_iter_values(
            (0..n).map(|i| i % 100),
        ))]);
        let (li, ri) = inner_join(&l, &r);
        assert_eq!(li.len(), 10_000);
        assert!(
            ri.iter()
                .zip(&li)
                .all(|(r, l)| (*r as i64) % 100 == *l as i64)
        );
    }

    #[test]
    fn cross() {
        let (l, r) = cross_join(2, 3);
        assert_eq!(l, vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(r, vec![0, 1, 2, 0, 1, 2]);
    }
}
