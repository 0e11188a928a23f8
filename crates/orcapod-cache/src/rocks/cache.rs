//! A small FIFO cache of decoded chunks (chunks are immutable, so entries never go stale;
//! a widened table schema is re-applied by the reader).

use std::collections::{HashMap, VecDeque};

use arrow_array::RecordBatch;

/// Decoded chunks keyed by (joined table path, chunk seq), bounded by memory.
#[derive(Debug)]
pub(super) struct ChunkCache {
    entries: HashMap<String, HashMap<u64, (RecordBatch, usize)>>,
    order: VecDeque<(String, u64)>,
    bytes: usize,
    capacity: usize,
}

impl ChunkCache {
    pub(super) fn new(capacity: usize) -> Self {
        ChunkCache {
            entries: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            capacity,
        }
    }

    pub(super) fn get(&self, path: &str, seq: u64) -> Option<RecordBatch> {
        self.entries.get(path)?.get(&seq).map(|(b, _)| b.clone())
    }

    /// Caches `batch` (about `size` bytes of memory).
    pub(super) fn insert(&mut self, path: &str, seq: u64, batch: RecordBatch, size: usize) {
        if size > self.capacity / 4 {
            return;
        }
        while self.bytes + size > self.capacity {
            let Some((p, s)) = self.order.pop_front() else {
                break;
            };
            if let Some(table) = self.entries.get_mut(&p) {
                if let Some((_, n)) = table.remove(&s) {
                    self.bytes -= n;
                }
                if table.is_empty() {
                    self.entries.remove(&p);
                }
            }
        }
        let table = self.entries.entry(path.to_string()).or_default();
        match table.insert(seq, (batch, size)) {
            None => {
                self.bytes += size;
                self.order.push_back((path.to_string(), seq));
            }
            Some((_, old)) => self.bytes = self.bytes - old + size,
        }
    }
}
