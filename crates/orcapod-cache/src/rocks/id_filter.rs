//! In-memory filters of the record ids of tables this handle created.
//!
//! Every write checks which of its ids are already stored (duplicates are skipped or refused),
//! and for content-addressed tables nearly every answer is "absent". RocksDB answers that
//! through its memtable and per-file bloom filters, one batched lookup per write, which
//! costs about as much as a tenth of the write itself. A table created by this handle has
//! had no other writer (RocksDB's `LOCK` keeps other processes out, and every write of this
//! process goes through this handle), so a filter of the ids this handle wrote to it answers
//! "certainly absent" for most ids without touching RocksDB; only the rare "maybe" is looked
//! up. A filter is only ever a shortcut for "absent": dropping it (a failed write, or a table
//! past [`MAX_FILTERED_IDS`]) falls back to asking RocksDB.

use std::collections::HashMap;

use crate::path::TablePath;

/// Filter bits per id: with [`PROBES`] probes about 0.1 % of absent ids are "maybe".
const BITS_PER_ID: usize = 16;
/// Bits set and tested per id.
const PROBES: u64 = 7;
/// Ids of the first level of a table's filter; each further level holds twice as many.
const FIRST_LEVEL_IDS: usize = 1 << 12;
/// Beyond this many ids a table's filter is dropped (it would hold 2 bytes per id).
pub(super) const MAX_FILTERED_IDS: usize = 1 << 25;

/// The filters of the tables this handle created, keyed by table.
#[derive(Debug, Default)]
pub(super) struct IdFilters {
    hasher: ahash::RandomState,
    tables: HashMap<TablePath, Filter>,
}

impl IdFilters {
    /// Starts filtering `path`, a table this handle is creating (it holds no ids yet).
    pub(super) fn track_new_table(&mut self, path: &TablePath) {
        self.tables.insert(path.clone(), Filter::default());
    }

    /// Adds ids written to `path` (if it is filtered).
    pub(super) fn add<'a>(&mut self, path: &TablePath, ids: impl Iterator<Item = &'a [u8]>) {
        let Some(filter) = self.tables.get_mut(path) else {
            return;
        };
        for id in ids {
            filter.insert(self.hasher.hash_one(id));
        }
        if filter.len > MAX_FILTERED_IDS {
            self.tables.remove(path);
        }
    }

    /// Stops filtering `path` (its ids are then always looked up in RocksDB).
    pub(super) fn forget(&mut self, path: &TablePath) {
        self.tables.remove(path);
    }

    /// For each id, `false` if it is certainly not stored in `path`, `true` if it may be;
    /// `None` if `path` is not filtered (every id may be stored).
    pub(super) fn may_contain<'a>(
        &self,
        path: &TablePath,
        ids: impl Iterator<Item = &'a [u8]>,
    ) -> Option<Vec<bool>> {
        let filter = self.tables.get(path)?;
        Some(
            ids.map(|id| filter.may_contain(self.hasher.hash_one(id)))
                .collect(),
        )
    }
}

/// A growing bloom filter: levels of doubling capacity, ids added to the newest.
#[derive(Debug, Default)]
struct Filter {
    levels: Vec<Level>,
    len: usize,
}

#[derive(Debug)]
struct Level {
    bits: Vec<u64>,
    /// Number of bits minus one (a power of two minus one).
    mask: u64,
    capacity: usize,
    len: usize,
}

impl Level {
    fn new(capacity: usize) -> Self {
        let bits = (capacity * BITS_PER_ID).next_power_of_two();
        Level {
            bits: vec![0; bits / 64],
            mask: bits as u64 - 1,
            capacity,
            len: 0,
        }
    }

    fn insert(&mut self, hash: u64) {
        for p in positions(hash, self.mask) {
            self.bits[(p / 64) as usize] |= 1 << (p % 64);
        }
        self.len += 1;
    }

    fn may_contain(&self, hash: u64) -> bool {
        positions(hash, self.mask).all(|p| self.bits[(p / 64) as usize] & (1 << (p % 64)) != 0)
    }
}

/// Bit positions of `hash` under `mask` (double hashing; the step is odd, so positions
/// differ).
fn positions(hash: u64, mask: u64) -> impl Iterator<Item = u64> {
    let step = (hash >> 32) | 1;
    (0..PROBES).map(move |i| hash.wrapping_add(i.wrapping_mul(step)) & mask)
}

impl Filter {
    fn insert(&mut self, hash: u64) {
        let full = self.levels.last().is_none_or(|l| l.len >= l.capacity);
        if full {
            let capacity = self
                .levels
                .last()
                .map_or(FIRST_LEVEL_IDS, |l| l.capacity * 2);
            self.levels.push(Level::new(capacity));
        }
        if let Some(level) = self.levels.last_mut() {
            level.insert(hash);
        }
        self.len += 1;
    }

    fn may_contain(&self, hash: u64) -> bool {
        self.levels.iter().any(|l| l.may_contain(hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TablePath {
        TablePath::new([name]).expect("path")
    }

    #[test]
    fn written_ids_are_always_maybe_and_most_others_are_certainly_absent() {
        let mut filters = IdFilters::default();
        let t = table("t");
        assert!(
            filters
                .may_contain(&t, [b"x".as_slice()].into_iter())
                .is_none()
        );
        filters.track_new_table(&t);
        let written: Vec<Vec<u8>> = (0..50_000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        filters.add(&t, written.iter().map(Vec::as_slice));
        let maybe = filters
            .may_contain(&t, written.iter().map(Vec::as_slice))
            .expect("tracked");
        assert!(maybe.iter().all(|m| *m), "no false negatives");
        let others: Vec<Vec<u8>> = (50_000..150_000u32)
            .map(|i| i.to_le_bytes().to_vec())
            .collect();
        let maybe = filters
            .may_contain(&t, others.iter().map(Vec::as_slice))
            .expect("tracked");
        let false_positives = maybe.iter().filter(|m| **m).count();
        // Levels of 4096, 8192, ... ids at 16 bits and 7 probes each: well under 1 %.
        assert!(false_positives < 1_000, "{false_positives} false positives");
    }

    #[test]
    fn untracked_and_forgotten_tables_are_not_filtered() {
        let mut filters = IdFilters::default();
        let (t, u) = (table("t"), table("u"));
        filters.add(&u, [b"a".as_slice()].into_iter());
        assert!(
            filters
                .may_contain(&u, [b"a".as_slice()].into_iter())
                .is_none()
        );
        filters.track_new_table(&t);
        filters.add(&t, [b"a".as_slice()].into_iter());
        assert_eq!(
            filters.may_contain(&t, [b"a".as_slice()].into_iter()),
            Some(vec![true])
        );
        filters.forget(&t);
        assert!(
            filters
                .may_contain(&t, [b"a".as_slice()].into_iter())
                .is_none()
        );
    }
}
