//! Single-row views: [`Datagram`], and its two roles [`Tag`] and [`Packet`].

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{Field as ArrowField, Schema as ArrowSchema};
use orcapod_hash::{ContentHash, DataContext};

use crate::constants;
use crate::error::{DatagramError, Result};
use crate::path_hash::hashable_batch;
use crate::stream::Stream;
use crate::types::{DataType, Field, Schema};
use crate::value::{Value, values_to_array};

/// An immutable single-row record of data columns plus meta values and a data context.
///
/// Its identity is the starfix hash of its data columns only (meta and context excluded).
///
/// ```
/// use orcapod_datagram::{Datagram, Value};
/// let d = Datagram::from_values(vec![("x".into(), Value::Int(10))]).unwrap();
/// assert_eq!(d.get("x").unwrap(), Some(Value::Int(10)));
/// let same = Datagram::from_values(vec![("x".into(), 10.into())]).unwrap();
/// assert_eq!(d.content_hash().unwrap(), same.content_hash().unwrap());
/// ```
#[derive(Clone, Debug)]
pub struct Datagram {
    batch: RecordBatch,
    meta: Vec<(String, Value)>,
    context_key: String,
}

impl Datagram {
    /// A datagram over a one-row batch of data columns.
    pub fn from_batch(batch: RecordBatch) -> Result<Self> {
        if batch.num_rows() != 1 {
            return Err(DatagramError::InvalidOption {
                option: "batch".into(),
                reason: format!("a datagram holds exactly one row, got {}", batch.num_rows()),
            });
        }
        Ok(Datagram {
            batch,
            meta: Vec::new(),
            context_key: DataContext::DEFAULT_KEY.into(),
        })
    }

    /// A datagram from named values; types are inferred (a null infers as nullable `str`).
    pub fn from_values(values: Vec<(String, Value)>) -> Result<Self> {
        let mut fields = Vec::with_capacity(values.len());
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(values.len());
        for (name, value) in values {
            if fields.iter().any(|f: &ArrowField| *f.name() == name) {
                return Err(DatagramError::DuplicateColumn {
                    column: name,
                    context: "datagram".into(),
                });
            }
            let (dtype, nullable) = match value.infer_type() {
                Some(t) => (t, false),
                None => (DataType::Str, true),
            };
            columns.push(values_to_array(
                &name,
                &dtype,
                std::slice::from_ref(&value),
            )?);
            fields.push(dtype.to_arrow_field(&name, nullable || value.is_null()));
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )?;
        Datagram::from_batch(batch)
    }

    /// Column names.
    pub fn keys(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Logical schema.
    pub fn schema(&self) -> Result<Schema> {
        Schema::from_arrow(&self.batch.schema())
    }

    /// Value of a column (`None` if the column does not exist).
    pub fn get(&self, name: &str) -> Result<Option<Value>> {
        match self.batch.column_by_name(name) {
            Some(c) => Ok(Some(Value::from_array(c.as_ref(), 0)?)),
            None => Ok(None),
        }
    }

    /// All (name, value) pairs in order.
    pub fn values(&self) -> Result<Vec<(String, Value)>> {
        let schema = self.batch.schema();
        schema
            .fields()
            .iter()
            .zip(self.batch.columns())
            .map(|(f, c)| Ok((f.name().clone(), Value::from_array(c.as_ref(), 0)?)))
            .collect()
    }

    /// The one-row batch of data columns.
    pub fn as_batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Meta values (`__*`).
    pub fn meta(&self) -> &[(String, Value)] {
        &self.meta
    }

    /// A meta value by name; the `__` prefix is optional.
    pub fn meta_value(&self, name: &str) -> Option<&Value> {
        let full = if name.starts_with(constants::META_PREFIX) {
            name.to_string()
        } else {
            format!("{}{name}", constants::META_PREFIX)
        };
        self.meta.iter().find(|(k, _)| *k == full).map(|(_, v)| v)
    }

    /// A copy with an added or replaced meta value (the `__` prefix is added if missing).
    pub fn with_meta(&self, name: &str, value: Value) -> Datagram {
        let full = if name.starts_with(constants::META_PREFIX) {
            name.to_string()
        } else {
            format!("{}{name}", constants::META_PREFIX)
        };
        let mut out = self.clone();
        out.meta.retain(|(k, _)| *k != full);
        out.meta.push((full, value));
        out
    }

    /// The data-context key.
    pub fn context_key(&self) -> &str {
        &self.context_key
    }

    /// Content identity: starfix hash of the data columns (path values by file content).
    pub fn content_hash(&self) -> Result<ContentHash> {
        let batch = hashable_batch(&self.batch)?;
        Ok(DataContext::default_context()
            .arrow_hasher()
            .hash_batch(&batch)?)
    }

    /// Keep only the named columns; every name must exist.
    pub fn select(&self, names: &[&str]) -> Result<Datagram> {
        let schema = self.batch.schema();
        let idx = names
            .iter()
            .map(|n| {
                schema
                    .index_of(n)
                    .map_err(|_| DatagramError::MissingColumn {
                        column: n.to_string(),
                        context: "datagram".into(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Datagram {
            batch: self.batch.project(&idx)?,
            ..self.clone()
        })
    }

    /// Rename columns; names not present are ignored.
    pub fn rename(&self, map: &[(&str, &str)]) -> Result<Datagram> {
        let schema = self.batch.schema();
        let fields: Vec<ArrowField> = schema
            .fields()
            .iter()
            .map(|f| match map.iter().find(|(from, _)| *from == f.name()) {
                Some((_, to)) => f.as_ref().clone().with_name(*to),
                None => f.as_ref().clone(),
            })
            .collect();
        let batch = RecordBatch::try_new(
            Arc::new(ArrowSchema::new(fields)),
            self.batch.columns().to_vec(),
        )?;
        Ok(Datagram {
            batch,
            ..self.clone()
        })
    }
}

impl PartialEq for Datagram {
    fn eq(&self, other: &Self) -> bool {
        self.batch == other.batch
    }
}

/// The key half of a row: user tag columns plus system tags (provenance).
///
/// System tags are excluded from the tag's content hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    data: Datagram,
    system_tags: RecordBatch,
}

impl Tag {
    pub(crate) fn from_stream_row(stream: &Stream, batch: &RecordBatch, row: usize) -> Result<Tag> {
        let one = batch.slice(row, 1);
        let data = Datagram {
            batch: one.project(&stream.indices(stream.tag_columns())?)?,
            meta: Vec::new(),
            context_key: stream.context_key().to_string(),
        };
        let system_tags = one.project(&stream.indices(stream.system_tag_columns())?)?;
        Ok(Tag { data, system_tags })
    }

    /// The user tag columns as a datagram.
    pub fn data(&self) -> &Datagram {
        &self.data
    }

    /// A user tag value.
    pub fn get(&self, name: &str) -> Result<Option<Value>> {
        self.data.get(name)
    }

    /// System-tag values by column name.
    pub fn system_tags(&self) -> Result<Vec<(String, Value)>> {
        Datagram {
            batch: self.system_tags.clone(),
            meta: Vec::new(),
            context_key: String::new(),
        }
        .values()
    }

    /// The one-row batch of system tags.
    pub fn system_tag_batch(&self) -> &RecordBatch {
        &self.system_tags
    }
}

/// The payload half of a row: packet columns plus per-column source info.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    data: Datagram,
    source_info: RecordBatch,
}

impl Packet {
    pub(crate) fn from_stream_row(
        stream: &Stream,
        batch: &RecordBatch,
        row: usize,
    ) -> Result<Packet> {
        let one = batch.slice(row, 1);
        let mut meta = Vec::new();
        for m in stream.meta_columns() {
            if let Some(c) = one.column_by_name(m) {
                meta.push((m.clone(), Value::from_array(c.as_ref(), 0)?));
            }
        }
        let data = Datagram {
            batch: one.project(&stream.indices(stream.packet_columns())?)?,
            meta,
            context_key: stream.context_key().to_string(),
        };
        let sources: Vec<String> = stream
            .packet_columns()
            .iter()
            .map(|p| constants::source_info_column(p))
            .collect();
        let source_info = one.project(&stream.indices(&sources)?)?;
        Ok(Packet { data, source_info })
    }

    /// A packet from a datagram, with unknown (null) source info.
    pub fn new(data: Datagram) -> Packet {
        let n = data.batch.num_columns();
        let fields: Vec<ArrowField> = data
            .keys()
            .iter()
            .map(|k| {
                ArrowField::new(
                    constants::source_info_column(k),
                    arrow_schema::DataType::LargeUtf8,
                    true,
                )
            })
            .collect();
        let columns: Vec<ArrayRef> = (0..n)
            .map(|_| arrow_array::new_null_array(&arrow_schema::DataType::LargeUtf8, 1))
            .collect();
        let source_info = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .unwrap_or_else(|_| RecordBatch::new_empty(Arc::new(ArrowSchema::empty())));
        Packet { data, source_info }
    }

    /// The packet columns as a datagram.
    pub fn data(&self) -> &Datagram {
        &self.data
    }

    /// A packet value.
    pub fn get(&self, name: &str) -> Result<Option<Value>> {
        self.data.get(name)
    }

    /// Content identity of the packet's data columns.
    pub fn content_hash(&self) -> Result<ContentHash> {
        self.data.content_hash()
    }

    /// Source-info token of each packet column (`None` when unknown), keyed without the prefix.
    pub fn source_info(&self) -> Result<Vec<(String, Value)>> {
        let schema = self.source_info.schema();
        schema
            .fields()
            .iter()
            .zip(self.source_info.columns())
            .map(|(f, c)| {
                let key = f
                    .name()
                    .strip_prefix(constants::SOURCE_PREFIX)
                    .unwrap_or(f.name())
                    .to_string();
                Ok((key, Value::from_array(c.as_ref(), 0)?))
            })
            .collect()
    }

    /// The logical schema of the packet columns.
    pub fn schema(&self) -> Result<Schema> {
        self.data.schema()
    }
}

/// Field helper used by sources and tests: a logical field list from an Arrow schema.
pub fn fields_of(schema: &ArrowSchema) -> Result<Vec<Field>> {
    schema
        .fields()
        .iter()
        .map(|f| Field::from_arrow(f))
        .collect()
}
