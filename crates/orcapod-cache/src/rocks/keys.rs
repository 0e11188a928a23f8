//! The on-disk key grammar (format versions 1 and 2). See the [module docs](super) for the
//! table.

use crate::error::{Result, StoreError};
use crate::path::TablePath;

/// Key of the format marker; its value is the ASCII decimal format version.
pub(super) const FORMAT_VERSION_KEY: &[u8] = b"m\0format_version";
/// The format version this build writes and the newest it reads.
pub(super) const FORMAT_VERSION: u64 = 2;
/// Prefix of the table-token keys (format 2): `t\0<token>` → the table's joined path.
pub(super) const TOKEN_PREFIX: &[u8] = b"t\0";

/// How table paths appear inside keys.
///
/// Format 1 spells the whole joined path (plus a NUL) in every chunk, record and index key;
/// with the long paths of function tables (uri + schema hash, ~200 bytes) most of each key
/// was the path, which RocksDB compares, logs and stores for every record. Format 2 uses an
/// 8-byte token, the first bytes of SHA-256 of the joined path; `t\0<token>` maps it back to
/// the path and guards against collisions at table creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyFormat {
    /// Format 1: `<joined path>\0`.
    FullPath,
    /// Format 2: an 8-byte token.
    Token,
}

impl KeyFormat {
    /// The key format of a store of format `version`.
    pub(super) fn of_version(version: u64) -> Self {
        if version >= 2 {
            KeyFormat::Token
        } else {
            KeyFormat::FullPath
        }
    }

    /// The bytes that name `path` inside chunk, record and index keys (prefix-free).
    pub(super) fn segment(self, path: &TablePath) -> Vec<u8> {
        let joined = path.joined();
        match self {
            KeyFormat::FullPath => {
                let mut seg = Vec::with_capacity(joined.len() + 1);
                seg.extend_from_slice(joined.as_bytes());
                seg.push(0);
                seg
            }
            KeyFormat::Token => {
                use sha2::Digest;
                sha2::Sha256::digest(joined.as_bytes())[..8].to_vec()
            }
        }
    }
}

/// `t\0<token>` → the joined path of the table with that token (format 2).
pub(super) fn token_key(segment: &[u8]) -> Vec<u8> {
    let mut key = TOKEN_PREFIX.to_vec();
    key.extend_from_slice(segment);
    key
}
/// Prefix of every table-schema key.
pub(super) const SCHEMA_PREFIX: &[u8] = b"s\0";

/// `<tag>\0<table segment>`.
fn tagged(tag: u8, segment: &[u8], extra: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + segment.len() + extra);
    key.extend([tag, 0]);
    key.extend_from_slice(segment);
    key
}

/// `s\0<path>` → table schema.
pub(super) fn schema_key(path: &TablePath) -> Vec<u8> {
    tagged(b's', path.joined().as_bytes(), 0)
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

/// `c\0<segment>` — prefix of the chunk keys of a table.
pub(super) fn chunk_prefix(segment: &[u8]) -> Vec<u8> {
    tagged(b'c', segment, 8)
}

/// `c\0<segment><seq: u64 BE>` → one IPC-encoded chunk.
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

/// `r\0<segment>` — prefix of the record keys of a table.
pub(super) fn record_prefix(segment: &[u8]) -> Vec<u8> {
    tagged(b'r', segment, 32)
}

/// `r\0<segment><record id>` → locator.
pub(super) fn record_key(prefix: &[u8], id: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + id.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(id);
    key
}

/// `i\0<segment>` — prefix of the index declarations of a table.
pub(super) fn index_decl_prefix(segment: &[u8]) -> Vec<u8> {
    tagged(b'i', segment, 16)
}

/// `i\0<segment><column>` → empty (an index declaration).
pub(super) fn index_decl_key(segment: &[u8], column: &str) -> Vec<u8> {
    let mut key = index_decl_prefix(segment);
    key.extend_from_slice(column.as_bytes());
    key
}

/// `x\0<segment><len u32 BE><column><len u32 BE><encoded value>` — prefix of the index
/// entries of one value; an entry appends the record id and maps to a locator.
pub(super) fn index_value_prefix(segment: &[u8], column: &str, value: &[u8]) -> Vec<u8> {
    let mut key = tagged(b'x', segment, 8 + column.len() + value.len() + 32);
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
        for format in [KeyFormat::FullPath, KeyFormat::Token] {
            let pa = record_prefix(&format.segment(&a));
            assert!(!record_prefix(&format.segment(&ab)).starts_with(&pa));
            assert!(!record_prefix(&format.segment(&abc)).starts_with(&pa));
        }
        assert_eq!(KeyFormat::FullPath.segment(&ab), b"a/b\0".to_vec());
        assert_eq!(KeyFormat::Token.segment(&ab).len(), 8);
        assert_eq!(KeyFormat::of_version(1), KeyFormat::FullPath);
        assert_eq!(KeyFormat::of_version(FORMAT_VERSION), KeyFormat::Token);
        assert_eq!(upper_bound(b"c\0a\0"), b"c\0a\x01".to_vec());
        let l = Locator { seq: 7, row: 3 };
        assert_eq!(Locator::decode(&l.encode()), Some(l));
        assert_eq!(path_of_schema_key(&schema_key(&ab)).unwrap(), ab);
    }
}
