//! Content identity of path-typed columns.
//!
//! A path-typed value is identified by the content of the file it names, not by the path string:
//! before a packet is hashed, each path value is replaced by `path:sha256:<hex>` (the
//! orcapod-python spec's semantic-struct token). File hashes are memoised by
//! `(path, modification time, size)` so rehashing a large stream does not reread files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_hash::ContentHash;

use crate::error::{DatagramError, Result};
use crate::types::{EXTENSION_NAME_KEY, PATH_EXTENSION_NAME};

type FileKey = (PathBuf, SystemTime, u64);

fn cache() -> &'static Mutex<HashMap<FileKey, ContentHash>> {
    static CACHE: OnceLock<Mutex<HashMap<FileKey, ContentHash>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Content hash of the file at `path`, memoised by path, mtime and size.
pub fn file_content_hash(path: &Path) -> Result<ContentHash> {
    let meta = std::fs::metadata(path).map_err(|source| DatagramError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let key = (
        path.to_path_buf(),
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        meta.len(),
    );
    if let Some(hit) = cache().lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(hit.clone());
    }
    let hash = orcapod_hash::file::hash_file(path)?;
    cache()
        .lock()
        .map_err(|_| poisoned())?
        .insert(key, hash.clone());
    Ok(hash)
}

fn poisoned() -> DatagramError {
    DatagramError::InvalidOption {
        option: "file hash cache".into(),
        reason: "a thread panicked while holding the cache lock".into(),
    }
}

/// Is this Arrow field a path-typed column?
pub fn is_path_field(field: &ArrowField) -> bool {
    field
        .metadata()
        .get(EXTENSION_NAME_KEY)
        .is_some_and(|v| v == PATH_EXTENSION_NAME)
}

/// The batch to feed the Arrow hasher: path columns replaced by their content tokens.
///
/// Batches without path columns are returned as they are (a cheap clone).
pub fn hashable_batch(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| is_path_field(f)) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if is_path_field(field) {
            columns.push(path_tokens(field.name(), column.as_ref())?);
            fields.push(ArrowField::new(
                field.name(),
                ArrowType::LargeUtf8,
                field.is_nullable(),
            ));
        } else {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(ArrowSchema::new(fields)),
        columns,
    )?)
}

fn path_tokens(column: &str, array: &dyn Array) -> Result<ArrayRef> {
    let strings: Vec<Option<String>> = match array.data_type() {
        ArrowType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .map(|s| s.map(str::to_owned))
            .collect(),
        ArrowType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(str::to_owned))
            .collect(),
        other => {
            return Err(DatagramError::UnsupportedType {
                column: column.to_string(),
                data_type: format!("path column stored as {other}"),
            });
        }
    };
    let tokens = strings
        .into_iter()
        .map(|p| {
            p.map(|p| file_content_hash(Path::new(&p)).map(|h| format!("path:{h}")))
                .transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(LargeStringArray::from(tokens)))
}
