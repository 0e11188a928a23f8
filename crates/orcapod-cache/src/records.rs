//! [`RecordSet`]: Arrow rows together with their record ids.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, LargeBinaryArray, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Result, StoreError};

/// Name of the record-id column in stored Arrow data (orcapod's `__record_id`, `large_binary`).
pub const RECORD_ID_COLUMN: &str = "__record_id";

/// What to do when a record id already exists in the table.
///
/// Ids repeated *inside* one batch are not duplicates of stored records: the **last**
/// occurrence wins (orcapod-python's rule) and the earlier rows are dropped before this
/// policy applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OnDuplicate {
    /// Drop the rows whose id already exists; write the rest.
    Skip,
    /// Fail with [`StoreError::DuplicateRecords`] and write nothing of the transaction.
    #[default]
    Error,
}

/// What one `add_records` (or one operation of a transaction) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WriteSummary {
    /// Rows written.
    pub written: usize,
    /// Rows dropped because their id already existed ([`OnDuplicate::Skip`]).
    pub skipped: usize,
    /// Rows dropped because a later row of the same batch had the same id.
    pub superseded_in_batch: usize,
}

/// Arrow rows with one record id (bytes) per row.
///
/// Internally one [`RecordBatch`] whose column 0 is [`RECORD_ID_COLUMN`] (`large_binary`,
/// non-null) followed by the data columns.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use orcapod_cache::RecordSet;
///
/// let data = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
/// let records = RecordSet::new(["a", "b"], data)?;
/// assert_eq!(records.len(), 2);
/// assert_eq!(records.id(1), b"b");
/// assert_eq!(records.data().num_columns(), 1);
/// let with_ids = records.to_batch_with_id_column("_record_id")?;
/// assert_eq!(with_ids.schema().field(0).name(), "_record_id");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSet {
    stored: RecordBatch,
}

impl RecordSet {
    /// Pairs `ids` (one per row of `data`) with `data`.
    pub fn new<I, T>(ids: I, data: RecordBatch) -> Result<Self>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let ids: LargeBinaryArray = ids.into_iter().map(Some).collect();
        Self::from_ids_array(ids, data)
    }

    /// Pairs an id array (one non-null id per row) with `data`.
    pub fn from_ids_array(ids: LargeBinaryArray, data: RecordBatch) -> Result<Self> {
        if ids.len() != data.num_rows() {
            return Err(StoreError::invalid(format!(
                "{} ids for {} rows",
                ids.len(),
                data.num_rows()
            )));
        }
        if ids.null_count() > 0 {
            return Err(StoreError::invalid("record ids must not be null"));
        }
        if data.schema().column_with_name(RECORD_ID_COLUMN).is_some() {
            return Err(StoreError::invalid(format!(
                "data must not contain the reserved column '{RECORD_ID_COLUMN}'"
            )));
        }
        let data_schema = data.schema();
        let mut fields = vec![Arc::new(id_field())];
        fields.extend(data_schema.fields().iter().cloned());
        let schema = Schema::new_with_metadata(fields, data_schema.metadata().clone());
        let mut columns: Vec<ArrayRef> = vec![Arc::new(ids)];
        columns.extend(data.columns().iter().cloned());
        let options = RecordBatchOptions::new().with_row_count(Some(data.num_rows()));
        let stored = RecordBatch::try_new_with_options(Arc::new(schema), columns, &options)
            .map_err(StoreError::arrow("building a record set"))?;
        Ok(RecordSet { stored })
    }

    /// Splits `batch` into the id column `id_column` and the remaining data columns.
    ///
    /// The id column may be `binary`, `large_binary`, `fixed_size_binary`, `binary_view`,
    /// `utf8`, `large_utf8` or `utf8_view` (strings are stored as their UTF-8 bytes).
    pub fn from_batch(batch: &RecordBatch, id_column: &str) -> Result<Self> {
        let index = batch.schema().index_of(id_column).map_err(|_| {
            StoreError::invalid(format!("record id column '{id_column}' is missing"))
        })?;
        let ids = to_large_binary(batch.column(index).as_ref(), id_column)?;
        let mut data = batch.clone();
        data.remove_column(index);
        Self::from_ids_array(ids, data)
    }

    /// A single record.
    pub fn single(id: impl AsRef<[u8]>, row: RecordBatch) -> Result<Self> {
        if row.num_rows() != 1 {
            return Err(StoreError::invalid(format!(
                "a single record needs exactly 1 row, got {}",
                row.num_rows()
            )));
        }
        Self::new([id], row)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.stored.num_rows()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record ids, one per row.
    pub fn ids(&self) -> &LargeBinaryArray {
        self.stored.column(0).as_binary::<i64>()
    }

    /// The id of row `i` (panics if `i >= len()`, like Arrow accessors).
    pub fn id(&self, i: usize) -> &[u8] {
        self.ids().value(i)
    }

    /// The data columns (without the ids).
    pub fn data(&self) -> RecordBatch {
        let mut data = self.stored.clone();
        data.remove_column(0);
        data
    }

    /// Schema of the data columns.
    pub fn schema(&self) -> SchemaRef {
        self.data().schema()
    }

    /// The data with the ids as a first column named `name` (`large_binary`).
    pub fn to_batch_with_id_column(&self, name: &str) -> Result<RecordBatch> {
        if name == RECORD_ID_COLUMN {
            return Ok(self.stored.clone());
        }
        if self.stored.schema().column_with_name(name).is_some() {
            return Err(StoreError::invalid(format!(
                "id column name '{name}' collides with a data column"
            )));
        }
        let schema = self.stored.schema();
        let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
        fields[0] = Arc::new(Field::new(name, DataType::LargeBinary, false));
        let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
        RecordBatch::try_new(Arc::new(schema), self.stored.columns().to_vec())
            .map_err(StoreError::arrow("renaming the id column"))
    }

    /// The stored form (id column first).
    pub fn as_stored_batch(&self) -> &RecordBatch {
        &self.stored
    }

    /// Wraps a stored-form batch (column 0 = non-null large_binary ids), as read back.
    pub(crate) fn from_stored(stored: RecordBatch) -> Result<Self> {
        let ok = stored.num_columns() > 0
            && stored.column(0).data_type() == &DataType::LargeBinary
            && stored.column(0).null_count() == 0;
        if !ok {
            return Err(StoreError::invalid(
                "stored batch lacks a non-null large_binary id column",
            ));
        }
        Ok(RecordSet { stored })
    }
}

/// The stored id field.
pub(crate) fn id_field() -> Field {
    Field::new(RECORD_ID_COLUMN, DataType::LargeBinary, false)
}

fn to_large_binary(array: &dyn Array, name: &str) -> Result<LargeBinaryArray> {
    Ok(match array.data_type() {
        DataType::LargeBinary => array.as_binary::<i64>().clone(),
        DataType::Binary => array.as_binary::<i32>().iter().collect(),
        DataType::BinaryView => array.as_binary_view().iter().collect(),
        DataType::FixedSizeBinary(_) => array.as_fixed_size_binary().iter().collect(),
        DataType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(str::as_bytes))
            .collect(),
        DataType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .map(|s| s.map(str::as_bytes))
            .collect(),
        DataType::Utf8View => array
            .as_string_view()
            .iter()
            .map(|s| s.map(str::as_bytes))
            .collect(),
        other => {
            return Err(StoreError::invalid(format!(
                "record id column '{name}' has type {other}; expected a binary or string type"
            )));
        }
    })
}
