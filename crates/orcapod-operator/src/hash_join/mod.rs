//! Hash-join machinery.
//!
//! Keys of any type (list-typed tags after `Batch` included) are encoded with
//! [`arrow_row::RowConverter`], so equality is byte equality; a single integer key column skips
//! the encoding and compares values directly, and encoded keys of at most 15 bytes are compared
//! packed in a `u128`. Both sides are radix-partitioned by hash, each partition carrying its keys
//! inline, so that every build partition's open-addressing table stays cache-sized; partitions
//! are built and probed in parallel. Chains list build rows in ascending order and the pairs are
//! put back in probe order, so results come out in (probe row, build row) order, deterministic
//! and independent of the partitioning. Rows with a null in any key column never match (SQL /
//! Polars / Acero semantics).

mod keys;

use arrow_array::BooleanArray;
use arrow_buffer::BooleanBuffer;
use rayon::prelude::*;

use keys::{JoinKey, JoinKeysFn, with_keys};
pub(crate) use keys::{Keys, converter};

const NONE: u32 = u32::MAX;

/// The valid rows of one side with their keys, grouped by the top bits of the key hash (radix
/// partitions), ascending row order within each partition.
struct Partitioned<K> {
    /// `offsets[p]..offsets[p + 1]` is partition `p` in `entries`.
    offsets: Vec<usize>,
    entries: Vec<(u32, K)>,
}

fn part_of(h: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (h >> (64 - bits)) as usize
    }
}

fn partition<K: JoinKey>(keys: &[K], side: &Keys, bits: u32) -> Partitioned<K> {
    let parts = 1usize << bits;
    let n = keys.len().min(side.len);
    let mut offsets = vec![0usize; parts + 1];
    let mut part = vec![0u16; n];
    for i in 0..n {
        if side.is_valid(i) {
            let p = part_of(keys[i].hash(), bits);
            part[i] = p as u16;
            offsets[p + 1] += 1;
        }
    }
    for p in 0..parts {
        offsets[p + 1] += offsets[p];
    }
    let mut cursor = offsets.clone();
    let Some(&fill) = keys.first() else {
        return Partitioned {
            offsets,
            entries: Vec::new(),
        };
    };
    let mut entries = vec![(0u32, fill); offsets[parts]];
    for i in 0..n {
        if side.is_valid(i) {
            let c = &mut cursor[part[i] as usize];
            entries[*c] = (i as u32, keys[i]);
            *c += 1;
        }
    }
    Partitioned { offsets, entries }
}

/// Radix bits so that build partitions stay cache-sized (about 8K rows each).
fn partition_bits(build_rows: usize) -> u32 {
    (build_rows / 8192)
        .next_power_of_two()
        .trailing_zeros()
        .min(12)
}

/// Hash table over one build partition: chains list rows in ascending order.
struct Table<'a, K> {
    entries: &'a [(u32, K)],
    /// Chain head (position in the partition) per slot, or `NONE`.
    slots: Vec<u32>,
    next: Vec<u32>,
    mask: usize,
}

impl<'a, K: JoinKey> Table<'a, K> {
    fn build(entries: &'a [(u32, K)]) -> Self {
        let n = entries.len();
        let capacity = (n.max(4) * 2).next_power_of_two();
        let mut t = Table {
            entries,
            slots: vec![NONE; capacity],
            next: vec![NONE; n],
            mask: capacity - 1,
        };
        // Insert in reverse so that each chain lists rows in ascending order.
        for pos in (0..n).rev() {
            let key = entries[pos].1;
            let mut s = (key.hash() as usize) & t.mask;
            loop {
                let head = t.slots[s];
                if head == NONE {
                    t.slots[s] = pos as u32;
                    break;
                }
                if entries[head as usize].1 == key {
                    t.next[pos] = head;
                    t.slots[s] = pos as u32;
                    break;
                }
                s = (s + 1) & t.mask;
            }
        }
        t
    }

    /// Position (in this partition) of the first row with this key, or `NONE`.
    fn find(&self, key: K) -> u32 {
        let mut s = (key.hash() as usize) & self.mask;
        loop {
            let head = self.slots[s];
            if head == NONE || self.entries[head as usize].1 == key {
                return head;
            }
            s = (s + 1) & self.mask;
        }
    }
}

/// Build and probe every partition pair (in parallel). `each` gets, per partition, the number
/// of probe rows and the `(probe row, build row)` pairs in ascending probe row order (matches in ascending build
/// row order).
fn probe_partitions<K: JoinKey, T: Send>(
    l: &[K],
    left: &Keys,
    r: &[K],
    right: &Keys,
    each: impl Fn(usize, &mut dyn Iterator<Item = (u32, u32)>) -> T + Sync,
) -> Vec<T> {
    let bits = partition_bits(right.len);
    let (lp, rp) = rayon::join(|| partition(l, left, bits), || partition(r, right, bits));
    (0..1usize << bits)
        .into_par_iter()
        .map(|p| {
            let table = &Table::build(&rp.entries[rp.offsets[p]..rp.offsets[p + 1]]);
            let probe = &lp.entries[lp.offsets[p]..lp.offsets[p + 1]];
            let mut pairs = probe.iter().flat_map(|&(row, key)| {
                let mut m = table.find(key);
                std::iter::from_fn(move || {
                    (m != NONE).then(|| {
                        let hit = (row, table.entries[m as usize].0);
                        m = table.next[m as usize];
                        hit
                    })
                })
            });
            each(probe.len(), &mut pairs)
        })
        .collect()
}

struct InnerJoin;

impl JoinKeysFn<Vec<Vec<(u32, u32)>>> for InnerJoin {
    fn call<K: JoinKey>(self, l: &[K], left: &Keys, r: &[K], right: &Keys) -> Vec<Vec<(u32, u32)>> {
        probe_partitions(l, left, r, right, |n, pairs| {
            let mut out = Vec::with_capacity(n);
            out.extend(pairs);
            out
        })
    }
}

/// Inner join: matching (left row, right row) pairs in left order, then right order.
pub(crate) fn inner_join(left: &Keys, right: &Keys) -> (Vec<u32>, Vec<u32>) {
    let parts = with_keys(left, right, InnerJoin);
    if let [pairs] = parts.as_slice() {
        // One partition: already in left order.
        return pairs.iter().copied().unzip();
    }
    // Restore left order: counting sort of the pairs by left row (stable within a row).
    let mut offsets = vec![0u32; left.len + 1];
    for pairs in &parts {
        for &(l, _) in pairs {
            offsets[l as usize + 1] += 1;
        }
    }
    for i in 0..left.len {
        offsets[i + 1] += offsets[i];
    }
    let total = offsets[left.len] as usize;
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

struct SemiJoin;

impl JoinKeysFn<Vec<Vec<u32>>> for SemiJoin {
    fn call<K: JoinKey>(self, l: &[K], left: &Keys, r: &[K], right: &Keys) -> Vec<Vec<u32>> {
        probe_partitions(l, left, r, right, |_, pairs| {
            let mut rows: Vec<u32> = pairs.map(|(row, _)| row).collect();
            rows.dedup();
            rows
        })
    }
}

/// Left-semi join mask: `true` for each left row whose key appears in `right`.
pub(crate) fn semi_join_mask(left: &Keys, right: &Keys) -> BooleanArray {
    let mut hit = vec![false; left.len];
    for rows in with_keys(left, right, SemiJoin) {
        for l in rows {
            hit[l as usize] = true;
        }
    }
    BooleanArray::new(BooleanBuffer::from(hit), None)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::DataType;

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

    /// Partitioned joins (several partitions) agree with a naive nested loop for string keys,
    /// both packed (short) and by bytes (long).
    #[test]
    fn partitioned_string_keys_match_naive() {
        for prefix in ["", "a-much-longer-prefix-"] {
            let l: Vec<String> = (0..20_000)
                .map(|i| format!("{prefix}{}", (i * 7) % 3001))
                .collect();
            let r: Vec<String> = (0..20_000)
                .map(|i| format!("{prefix}{}", i % 2003))
                .collect();
            let lk = keys(vec![Arc::new(StringArray::from(l.clone()))]);
            let rk = keys(vec![Arc::new(StringArray::from(r.clone()))]);
            let (li, ri) = inner_join(&lk, &rk);
            let mut by_key: std::collections::HashMap<&str, Vec<u32>> = Default::default();
            for (j, k) in r.iter().enumerate() {
                by_key.entry(k).or_default().push(j as u32);
            }
            let mut expected = (Vec::new(), Vec::new());
            for (i, k) in l.iter().enumerate() {
                for &j in by_key.get(k.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                    expected.0.push(i as u32);
                    expected.1.push(j);
                }
            }
            assert_eq!((li, ri), expected, "prefix {prefix:?}");
        }
    }

    #[test]
    fn cross() {
        let (l, r) = cross_join(2, 3);
        assert_eq!(l, vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(r, vec![0, 1, 2, 0, 1, 2]);
    }
}
