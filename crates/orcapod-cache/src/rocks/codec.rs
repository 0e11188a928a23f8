//! Arrow IPC encoding of table schemas and chunks.
//!
//! A table's schema value is the head of an Arrow IPC *stream* (the schema message); a
//! chunk value is the rest of a stream written with that schema (dictionary and record-batch
//! messages plus the end-of-stream marker). `schema ++ chunk` is therefore a complete,
//! standard IPC stream, decodable by any Arrow implementation.

use std::io::Read;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{Schema, SchemaRef};

use crate::error::{Result, StoreError};

/// The IPC stream head (schema message) for `schema`.
pub(super) fn encode_schema(schema: &Schema) -> Result<Vec<u8>> {
    let writer = StreamWriter::try_new(Vec::new(), schema)
        .map_err(StoreError::arrow("encoding a table schema"))?;
    Ok(writer.get_ref().clone())
}

/// Decodes a schema value.
pub(super) fn decode_schema(bytes: &[u8]) -> Result<SchemaRef, String> {
    let reader = StreamReader::try_new(bytes, None).map_err(|e| e.to_string())?;
    Ok(reader.schema())
}

/// The chunk value of `batch` (everything after the schema message).
pub(super) fn encode_chunk(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut writer = StreamWriter::try_new(Vec::new(), &batch.schema())
        .map_err(StoreError::arrow("encoding a chunk"))?;
    let head = writer.get_ref().len();
    writer
        .write(batch)
        .and_then(|()| writer.finish())
        .map_err(StoreError::arrow("encoding a chunk"))?;
    let mut bytes = writer
        .into_inner()
        .map_err(StoreError::arrow("encoding a chunk"))?;
    bytes.drain(..head);
    Ok(bytes)
}

/// Decodes a chunk value written under `schema_bytes`, labelling it with `schema`
/// (the table's current, possibly widened, schema).
pub(super) fn decode_chunk(
    schema_bytes: &[u8],
    schema: &SchemaRef,
    chunk: &[u8],
) -> Result<RecordBatch, String> {
    decode_chunk_projected(schema_bytes, schema, chunk, None)
}

/// [`decode_chunk`] building only the stored columns of `projection` (ids first); the result
/// is labelled with the projected table schema.
pub(super) fn decode_chunk_projected(
    schema_bytes: &[u8],
    schema: &SchemaRef,
    chunk: &[u8],
    projection: Option<&[usize]>,
) -> Result<RecordBatch, String> {
    let schema = match projection {
        None => Arc::clone(schema),
        Some(p) => Arc::new(
            schema
                .project(p)
                .map_err(|e| format!("bad projection {p:?}: {e}"))?,
        ),
    };
    let mut reader =
        StreamReader::try_new(schema_bytes.chain(chunk), projection.map(<[usize]>::to_vec))
            .map_err(|e| format!("undecodable chunk: {e}"))?;
    let batch = match reader.next() {
        Some(Ok(batch)) => batch,
        Some(Err(e)) => return Err(format!("undecodable chunk: {e}")),
        None => return Err("chunk holds no record batch".to_string()),
    };
    // Label the batch with the table's own `Arc` so later schema checks are pointer checks.
    RecordBatch::try_new(schema, batch.columns().to_vec())
        .map_err(|e| format!("chunk does not fit the table schema: {e}"))
}
