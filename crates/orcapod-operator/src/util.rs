//! Small shared helpers: type rendering and compatibility, output-stream assembly.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{Field as ArrowField, FieldRef, Schema as ArrowSchema};
use orcapod_datagram::{Field, Stream, StreamIdentity};

use crate::error::Result;

/// Logical rendering of a field's type (`int`, `list[str] | None`, ...), falling back to the
/// Arrow type for types orcapod cannot represent.
pub(crate) fn type_name(field: &ArrowField) -> String {
    match Field::from_arrow(field) {
        Ok(f) if f.nullable => format!("{} | None", f.dtype),
        Ok(f) => f.dtype.to_string(),
        Err(_) => format!(
            "{}{}",
            field.data_type(),
            if field.is_nullable() { " | None" } else { "" }
        ),
    }
}

/// Are two columns join-compatible? Same logical type and same nullability (orcapod-python's
/// `get_compatible_type` rejects `int` vs `str` and `int` vs `int | None`).
pub(crate) fn compatible(a: &ArrowField, b: &ArrowField) -> bool {
    if a.is_nullable() != b.is_nullable() {
        return false;
    }
    match (Field::from_arrow(a), Field::from_arrow(b)) {
        (Ok(x), Ok(y)) => x.dtype == y.dtype,
        _ => a.data_type() == b.data_type(),
    }
}

/// Assemble a stream from output fields and columns.
pub(crate) fn build_stream(
    fields: Vec<FieldRef>,
    columns: Vec<ArrayRef>,
    num_rows: usize,
    tag_columns: &[String],
    identity: StreamIdentity,
) -> Result<Stream> {
    let batch = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(num_rows)),
    )?;
    Ok(Stream::from_batch(batch, tag_columns, identity)?)
}

/// A field renamed, keeping type, nullability and metadata.
pub(crate) fn renamed(field: &FieldRef, name: &str) -> FieldRef {
    Arc::new(field.as_ref().clone().with_name(name))
}
