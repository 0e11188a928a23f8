//! The on-disk key grammar (format version 1). See the [module docs](super) for the table.

use crate::error::{Result, StoreError};
use crate::path::TablePath;

/// Key of the format marker; its value is the ASCII decimal format version.
pub(super) const FORMAT_VERSION_KEY: &[u8] = b"m\0format_version";
/// The format version this build writes and the newest it reads.
pub(super) const FORMAT_VERSION: u64 = 1;
/// Prefix of every table-schema key.
pub(super) const SCHEMA_PREFIX: &[u8] = b"s\0";

fn with_path(tag: u8, path: &TablePath, terminated: bool, extra: usize) -> Vec<u8> {
    let joined = path.joined();
    let mut key = Vec::with_capacity(3 + joined.len() + extra);
    key.extend([tag, 0]);
    key.extend_from_slice(joined.as_bytes());
    if terminated {
        key.push(0);
    }
    key
}

/// `s\0<path>` → table schema.
pub(super) fn schema_key(path: &TablePath) -> Vec<u8> {
    with_path(b's', path, false, 0)
}

/// The path of a schema key.
pub(super) fn path_of_schema_key(key: &[u8]) -> Result<TablePath> {
    let bad = |detail: String| StoreError::Corrupt {
        path: Default::default(),
        detail,
    };
    let rest = key
        .strip_prefix(SCHEMA_PREFIX)
        .ok_or_else(|| bad("schema key without prefix".to_string()))?;
    let s = std::str::from_utf8(rest).map_err(|e| bad(format!("schema key not UTF-8: {e}")))?;
    s.parse()
        .map_err(|e| bad(format!("schema key holds an invalid path: {e}")))
}

/// `c\0<path>\0` — prefix of the chunk keys of a table.
pub(super) fn chunk_prefix(path: &TablePath) -> Vec<u8> {
    with_path(b'c', path, true, 8)
}

/// `c\0<path>\0<seq: u64 BE>` → one IPC-encoded chunk.
pub(super) fn chunk_key(prefix: &[u8], seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 8);
    key.extend_from_slice(prefix);
    key.extend(seq.to_be_bytes());
    key
}

/// The sequence number of a chunk key under `prefix`.
pub(super) fn seq_of_chunk_key(prefix: &[u8], key: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(prefix)?;
    Some(u64::from_be_bytes(rest.try_into().ok()?))
}

/// `r\0<path>\0` — prefix of the record keys of a table.
pub(super) fn record_prefix(path: &TablePath) -> Vec<u8> {
    with_path(b'r', path, true, 32)
}

/// `r\0<path>\0<record id>` → locator.
pub(super) fn record_key(prefix: &[u8], id: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + id.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(id);
    key
}

/// `i\0<path>\0` — prefix of the index declarations of a table.
pub(super) fn index_decl_prefix(path: &TablePath) -> Vec<u8> {
    with_path(b'i', path, true, 16)
}

/// `i\0<path>\0<column>` → empty (an index declaration).
pub(super) fn index_decl_key(path: &TablePath, column: &str) -> Vec<u8> {
    let mut key = index_decl_prefix(path);
    key.extend_from_slice(column.as_bytes());
    key
}

/// `x\0<path>\0<len u32 BE><column><len u32 BE><encoded value>` — prefix of the index
/// entries of one value; an entry appends the record id and maps to a locator.
pub(super) fn index_value_prefix(path: &TablePath, column: &str, value: &[u8]) -> Vec<u8> {
    let mut key = with_path(b'x', path, true, 8 + column.len() + value.len() + 32);
    key.extend((column.len() as u32).to_be_bytes());
    key.extend_from_slice(column.as_bytes());
    key.extend((value.len() as u32).to_be_bytes());
    key.extend_from_slice(value);
    key
}

/// The smallest key greater than every key starting with `prefix`.
pub(super) fn upper_bound(prefix: &[u8]) -> Vec<u8> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < u8::MAX {
            bound.push(last + 1);
            return bound;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

/// Where a record lives: chunk sequence number and row within the chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Locator {
    pub(super) seq: u64,
    pub(super) row: u32,
}

impl Locator {
    /// 12 bytes: seq u64 BE, row u32 BE.
    pub(super) fn encode(self) -> [u8; 12] {
        let mut out = [0; 12];
        out[..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..].copy_from_slice(&self.row.to_be_bytes());
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let seq = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let row = u32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?);
        (bytes.len() == 12).then_some(Locator { seq, row })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_overlap_between_tables() {
        let a = TablePath::new(["a"]).unwrap();
        let ab = TablePath::new(["a", "b"]).unwrap();
        let abc = TablePath::new(["abc"]).unwrap();
        let pa = record_prefix(&a);
        assert!(!record_prefix(&ab).starts_with(&pa));
        assert!(!record_prefix(&abc).starts_with(&pa));
        assert_eq!(upper_bound(b"c\0a\0"), b"c\0a\x01".to_vec());
        let l = Locator { seq: 7, row: 3 };
        assert_eq!(Locator::decode(&l.encode()), Some(l));
        assert_eq!(path_of_schema_key(&schema_key(&ab)).unwrap(), ab);
    }
}
