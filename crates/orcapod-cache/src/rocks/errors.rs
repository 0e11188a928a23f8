//! Mapping of RocksDB and file-system failures to [`StoreError`].

use std::path::Path;

use rocksdb::ErrorKind;

use crate::error::StoreError;

/// Classifies a RocksDB error raised for the store at `dir`. `opening`: raised by
/// `DB::open`, where a missing file means a damaged directory.
pub(super) fn classify(dir: &Path, err: &rocksdb::Error, opening: bool) -> StoreError {
    let detail = err.to_string();
    let lower = detail.to_ascii_lowercase();
    let path = dir.to_path_buf();
    if lower.contains("no space left") || lower.contains("enospc") {
        return StoreError::DiskFull { path, detail };
    }
    if err.kind() == ErrorKind::Corruption {
        return StoreError::Corrupt { path, detail };
    }
    if lower.contains("lock file") || lower.contains("lock hold") || lower.contains("/lock:") {
        return StoreError::Locked { path, detail };
    }
    if opening {
        if lower.contains("column families not opened")
            || lower.contains("open all column families")
        {
            return StoreError::NotAStore { path, detail };
        }
        if lower.contains("no such file") || lower.contains("does not exist") {
            return StoreError::Corrupt { path, detail };
        }
    }
    StoreError::Io { path, detail }
}

/// Classifies a file-system error on the store directory.
pub(super) fn from_io(dir: &Path, err: &std::io::Error) -> StoreError {
    let detail = err.to_string();
    let path = dir.to_path_buf();
    if err.raw_os_error() == Some(28) {
        return StoreError::DiskFull { path, detail };
    }
    StoreError::Io { path, detail }
}

/// A corrupt stored value.
pub(super) fn corrupt(dir: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: dir.to_path_buf(),
        detail: detail.into(),
    }
}
