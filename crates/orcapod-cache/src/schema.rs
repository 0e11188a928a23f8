//! Schema compatibility between a table and an incoming batch.
//!
//! Rules (the same for every store):
//! * Columns are matched **by name**; the batch's column order does not matter (rows are
//!   reordered to the table's order). Missing or extra columns are a
//!   [`StoreError::SchemaMismatch`].
//! * Data types (including nested field names and nullability) and field metadata (e.g.
//!   `ARROW:extension:name`) must be equal.
//! * **Nullability widens, never narrows:** a batch whose column *contains nulls* where the
//!   table's column is declared non-nullable turns the table's column nullable (old rows stay
//!   valid). A batch that merely *declares* a column nullable without containing nulls is
//!   accepted as is. The table's schema-level metadata is the one from its first write.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::{Field, Schema, SchemaRef};

use crate::error::{Result, StoreError};
use crate::records::{RecordSet, id_field};

/// An incoming batch conformed to a table's schema.
pub(crate) struct Conformed {
    /// The table's data schema after this write (possibly widened).
    pub(crate) schema: SchemaRef,
    /// Whether `schema` differs from the table's previous schema.
    pub(crate) widened: bool,
    /// The records, columns in table order, stored-form schema = id + `schema`.
    pub(crate) records: RecordSet,
}

/// Stored-form schema (id column first) for a data schema.
pub(crate) fn stored_schema(data: &Schema) -> SchemaRef {
    let mut fields = vec![Arc::new(id_field())];
    fields.extend(data.fields().iter().cloned());
    Arc::new(Schema::new_with_metadata(fields, data.metadata().clone()))
}

fn describe(field: Option<&Field>) -> String {
    match field {
        None => "(absent)".to_string(),
        Some(f) => {
            let mut s = format!("{}: {}", f.name(), f.data_type());
            if !f.is_nullable() {
                s.push_str(" not null");
            }
            if !f.metadata().is_empty() {
                let mut md: Vec<_> = f.metadata().iter().collect();
                md.sort();
                s.push_str(&format!(" {md:?}"));
            }
            s
        }
    }
}

/// Checks `records` against the table schema `table` (`None` for a new table) and
/// conforms them.
pub(crate) fn conform(
    path: &str,
    table: Option<&SchemaRef>,
    records: &RecordSet,
) -> Result<Conformed> {
    let data = records.data();
    let incoming = data.schema();
    let mut seen = HashMap::new();
    for f in incoming.fields() {
        if seen.insert(f.name().as_str(), ()).is_some() {
            return Err(StoreError::invalid(format!(
                "column '{}' appears twice in the batch for table '{path}'",
                f.name()
            )));
        }
    }
    let Some(table) = table else {
        return Ok(Conformed {
            schema: incoming,
            widened: true,
            records: records.clone(),
        });
    };
    let mut columns = Vec::new();
    let (mut expected, mut found) = (Vec::new(), Vec::new());
    let mut mismatch = |name: &str, e: Option<&Field>, f: Option<&Field>| {
        columns.push(name.to_string());
        expected.push(describe(e));
        found.push(describe(f));
    };
    let mut order = Vec::with_capacity(table.fields().len());
    let mut new_fields = Vec::with_capacity(table.fields().len());
    let mut widened = false;
    for tf in table.fields() {
        match incoming.index_of(tf.name()) {
            Err(_) => mismatch(tf.name(), Some(tf), None),
            Ok(i) => {
                let f = incoming.field(i);
                if f.data_type() != tf.data_type() || f.metadata() != tf.metadata() {
                    mismatch(tf.name(), Some(tf), Some(f));
                    continue;
                }
                order.push(i);
                if !tf.is_nullable() && data.column(i).null_count() > 0 {
                    widened = true;
                    new_fields.push(Arc::new(tf.as_ref().clone().with_nullable(true)));
                } else {
                    new_fields.push(tf.clone());
                }
            }
        }
    }
    for f in incoming.fields() {
        if table.column_with_name(f.name()).is_none() {
            mismatch(f.name(), None, Some(f));
        }
    }
    if !columns.is_empty() {
        return Err(StoreError::SchemaMismatch {
            path: path.to_string(),
            columns,
            expected: expected.join(", "),
            found: found.join(", "),
        });
    }
    let schema = if widened {
        Arc::new(Schema::new_with_metadata(
            new_fields,
            table.metadata().clone(),
        ))
    } else {
        table.clone()
    };
    let cols = order.iter().map(|&i| data.column(i).clone()).collect();
    let options = RecordBatchOptions::new().with_row_count(Some(data.num_rows()));
    let conformed = RecordBatch::try_new_with_options(schema.clone(), cols, &options).map_err(
        StoreError::arrow(format!("conforming a batch to table '{path}'")),
    )?;
    let records = RecordSet::from_ids_array(records.ids().clone(), conformed)?;
    Ok(Conformed {
        schema,
        widened,
        records,
    })
}

/// Re-labels a stored-form batch with a (widened) stored schema.
pub(crate) fn relabel(batch: &RecordBatch, stored: &SchemaRef) -> Result<RecordBatch> {
    if Arc::ptr_eq(batch.schema_ref(), stored) || batch.schema_ref() == stored {
        return Ok(batch.clone());
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(stored.clone(), batch.columns().to_vec(), &options)
        .map_err(StoreError::arrow("re-labelling a stored batch"))
}
