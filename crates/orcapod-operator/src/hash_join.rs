//! Hash-join machinery over Arrow row-format keys.
//!
//! Keys of any type (list-typed tags after `Batch` included) are encoded with
//! [`arrow_row::RowConverter`], so equality is byte equality. Both sides are radix-partitioned by
//! hash so that each build partition's open-addressing table stays cache-sized; partitions are
//! built and probed in parallel. Chains list build rows in ascending order and the pairs are put
//! back in probe order, so results come out in (probe row, build row) order, deterministic and
//! independent of the partitioning. Rows with a null in any key column never match (SQL / Polars
//! / Acero semantics).

use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::DataType;

use rayon::prelude::*;

use crate::error::Result;

const NONE: u32 = u32::MAX;

/// Encoded join keys of one side, with a hash per row.
pub(crate) struct Keys {
    rows: Rows,
    /// Rows whose key columns are all non-null (`None`: all rows).
    valid: Option<NullBuffer>,
    hashes: Vec<u64>,
}

impl Keys {
    /// Encode `columns` (all of the converter's types, in order).
    pub(crate) fn encode(converter: &RowConverter, columns: &[ArrayRef]) -> Result<Keys> {
        let rows = converter.convert_columns(columns)?;
        let mut valid: Option<NullBuffer> = None;
        for c in columns {
            valid = NullBuffer::union(valid.as_ref(), c.logical_nulls().as_ref());
        }
        let hashes = (0..rows.num_rows())
            .map(|i| hash_bytes(rows.row(i).data()))
            .collect();
        Ok(Keys {
            rows,
            valid,
            hashes,
        })
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

/// The valid rows of one side grouped by the top `bits` bits of their hash (radix partitions),
/// ascending row order within each partition, with their hashes alongside.
struct Partitioned {
    /// `offsets[p]..offsets[p + 1]` is partition `p` in `rows` / `hashes`.
    offsets: Vec<usize>,
    rows: Vec<u32>,
    hashes: Vec<u64>,
}

fn partition(keys: &Keys, bits: u32) -> Partitioned {
    let parts = 1usize << bits;
    let part = |h: u64| {
        if bits == 0 {
            0
        } else {
            (h >> (64 - bits)) as usize
        }
    };
    let mut counts = vec![0usize; parts + 1];
    for i in 0..keys.len() {
        if keys.is_valid(i) {
            counts[part(keys.hashes[i]) + 1] += 1;
        }
    }
    for p in 0..parts {
        counts[p + 1] += counts[p];
    }
    let total = counts[parts];
    let mut cursor = counts.clone();
    let mut rows = vec![0u32; total];
    let mut hashes = vec![0u64; total];
    for i in 0..keys.len() {
        if keys.is_valid(i) {
            let h = keys.hashes[i];
            let c = &mut cursor[part(h)];
            rows[*c] = i as u32;
            hashes[*c] = h;
            *c += 1;
        }
    }
    Partitioned {
        offsets: counts,
        rows,
        hashes,
    }
}

/// Radix bits so that build partitions stay cache-sized (about 8K rows each).
fn partition_bits(build_rows: usize) -> u32 {
    let parts = (build_rows / 8192).next_power_of_two();
    parts.trailing_zeros().min(12)
}

/// Hash table over one build partition: chains list rows in ascending order.
struct Table<'a> {
    keys: &'a Keys,
    rows: &'a [u32],
    hashes: &'a [u64],
    /// Chain head (position in `rows`) per slot, or `NONE`.
    slots: Vec<u32>,
    next: Vec<u32>,
    mask: usize,
}

impl<'a> Table<'a> {
    fn build(keys: &'a Keys, rows: &'a [u32], hashes: &'a [u64]) -> Table<'a> {
        let capacity = (rows.len().max(4) * 2).next_power_of_two();
        let mut t = Table {
            keys,
            rows,
            hashes,
            slots: vec![NONE; capacity],
            next: vec![NONE; rows.len()],
            mask: capacity - 1,
        };
        // Insert in reverse so that each chain lists rows in ascending order.
        for pos in (0..rows.len()).rev() {
            let h = hashes[pos];
            let mut s = (h as usize) & t.mask;
            loop {
                let head = t.slots[s];
                if head == NONE {
                    t.slots[s] = pos as u32;
                    break;
                }
                if t.same(head as usize, h, keys.bytes(rows[pos] as usize)) {
                    t.next[pos] = head;
                    t.slots[s] = pos as u32;
                    break;
                }
                s = (s + 1) & t.mask;
            }
        }
        t
    }

    fn same(&self, pos: usize, h: u64, bytes: &[u8]) -> bool {
        self.hashes[pos] == h && self.keys.bytes(self.rows[pos] as usize) == bytes
    }

    /// Position (in this partition) of the first row with this key, or `NONE`.
    fn find(&self, h: u64, bytes: &[u8]) -> u32 {
        let mut s = (h as usize) & self.mask;
        loop {
            let head = self.slots[s];
            if head == NONE || self.same(head as usize, h, bytes) {
                return head;
            }
            s = (s + 1) & self.mask;
        }
    }
}

/// Build/probe every partition pair (in parallel), calling `emit(partition, left row, right
/// position chain head)` for each left row with a match.
fn probe_partitions<T: Send>(
    left: &Keys,
    right: &Keys,
    each: impl Fn(&Table<'_>, &[u32], &[u64]) -> T + Sync,
) -> Vec<T> {
    let bits = partition_bits(right.len());
    let (lp, rp) = rayon::join(|| partition(left, bits), || partition(right, bits));
    (0..1usize << bits)
        .into_par_iter()
        .map(|p| {
            let (r0, r1) = (rp.offsets[p], rp.offsets[p + 1]);
            let (l0, l1) = (lp.offsets[p], lp.offsets[p + 1]);
            let table = Table::build(right, &rp.rows[r0..r1], &rp.hashes[r0..r1]);
            each(&table, &lp.rows[l0..l1], &lp.hashes[l0..l1])
        })
        .collect()
}

/// Inner join: matching (left row, right row) pairs in left order, then right order.
pub(crate) fn inner_join(left: &Keys, right: &Keys) -> (Vec<u32>, Vec<u32>) {
    let parts = probe_partitions(left, right, |table, lrows, lhashes| {
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(lrows.len());
        for (&l, &h) in lrows.iter().zip(lhashes) {
            let mut m = table.find(h, left.bytes(l as usize));
            while m != NONE {
                pairs.push((l, table.rows[m as usize]));
                m = table.next[m as usize];
            }
        }
        pairs
    });
    // Restore left order: counting sort of the pairs by left row (stable within a row).
    let mut offsets = vec![0u32; left.len() + 1];
    for pairs in &parts {
        for &(l, _) in pairs {
            offsets[l as usize + 1] += 1;
        }
    }
    for i in 0..left.len() {
        offsets[i + 1] += offsets[i];
    }
    let total = offsets[left.len()] as usize;
    let (mut li, mut ri) = (vec![0u32; total], vec![0u32; total]);
    for pairs in &parts {
        for &(l, r) in pairs {
            let c = &mut offsets[l as usize];
            li[*c as usize] = l;
            ri[*c as usize] = r;
            *c += 1;
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
    let parts = probe_partitions(left, right, |table, lrows, lhashes| {
        lrows
            .iter()
            .zip(lhashes)
            .filter(|&(&l, &h)| table.find(h, left.bytes(l as usize)) != NONE)
            .map(|(&l, _)| l)
            .collect::<Vec<u32>>()
    });
    let mut hit = vec![false; left.len()];
    for rows in parts {
        for l in rows {
            hit[l as usize] = true;
        }
    }
    BooleanArray::new(BooleanBuffer::from(hit), None)
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
