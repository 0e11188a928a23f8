//! Arrow-backed streams of (tag, packet) rows.

use std::sync::{Arc, OnceLock};

use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, new_null_array};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema, SchemaRef};
use orcapod_hash::ContentHash;
use orcapod_hash::DataContext;
use orcapod_hash::semantic::Identity;

use crate::column_config::ColumnConfig;
use crate::constants::{self, CONTEXT_KEY};
use crate::datagram::{Packet, Tag};
use crate::error::{DatagramError, Result};
use crate::path_hash::hashable_batch;
use crate::types::Schema;

/// The two identities of a stream: data-inclusive and schema/topology-only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamIdentity {
    /// Content hash: changes when the data changes.
    pub content_hash: ContentHash,
    /// Pipeline hash: depends only on schemas and topology.
    pub pipeline_hash: ContentHash,
}

/// An immutable, cheaply clonable stream of (tag, packet) rows backed by one Arrow record batch.
///
/// Physically the batch holds user columns (tags and packets, in input order), system-tag
/// columns (`_tag_*`), one source-info column per packet column (`_source_<col>`) and meta
/// columns (`__*`). The context key is stream-wide.
///
/// ```
/// use orcapod_datagram::{rows, ColumnConfig, Source, SourceOptions};
/// let src = Source::from_rows(
///     rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"),
/// ).unwrap();
/// let stream = src.stream();
/// assert_eq!(stream.num_rows(), 2);
/// assert_eq!(stream.tag_columns(), ["id"]);
/// assert_eq!(stream.packet_columns(), ["x"]);
/// let table = stream.as_table(&ColumnConfig::default().with_source()).unwrap();
/// assert_eq!(table.schema().field(2).name(), "_source_x");
/// ```
#[derive(Clone)]
pub struct Stream {
    inner: Arc<StreamInner>,
}

struct StreamInner {
    batch: RecordBatch,
    tag_columns: Vec<String>,
    packet_columns: Vec<String>,
    system_tag_columns: Vec<String>,
    meta_columns: Vec<String>,
    context_key: String,
    identity: StreamIdentity,
    label: Option<String>,
    /// Shared, so that rebuilding a stream (new identity, label) never copies the hashes.
    packet_hashes: OnceLock<Arc<[ContentHash]>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("rows", &self.num_rows())
            .field("tags", &self.inner.tag_columns)
            .field("system_tags", &self.inner.system_tag_columns)
            .field("packets", &self.inner.packet_columns)
            .field(
                "content_hash",
                &self.inner.identity.content_hash.to_string(),
            )
            .finish()
    }
}

impl Stream {
    /// Build a stream from a physical batch, naming its tag columns, with a given identity.
    ///
    /// Columns are classified by name: `_tag_*` system tags, `_source_*` source info, `__*` meta,
    /// `_context_key` (must be constant; its value becomes the stream's context), tag columns as
    /// named, everything else packets. Packet columns without source info get an all-null
    /// `_source_<col>` column.
    pub fn from_batch(
        batch: RecordBatch,
        tag_columns: &[impl AsRef<str>],
        identity: StreamIdentity,
    ) -> Result<Self> {
        let schema = batch.schema();
        let mut context_key = DataContext::DEFAULT_KEY.to_string();
        let mut tags = Vec::new();
        for t in tag_columns {
            let t = t.as_ref();
            if schema.index_of(t).is_err() {
                return Err(DatagramError::MissingTagColumn {
                    column: t.to_string(),
                    context: "stream".into(),
                    available: schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            tags.push(t.to_string());
        }
        let mut keep_fields: Vec<ArrowField> = Vec::new();
        let mut keep_columns: Vec<ArrayRef> = Vec::new();
        let mut packets = Vec::new();
        let mut system_tags = Vec::new();
        let mut meta = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name();
            if !seen.insert(name.clone()) {
                return Err(DatagramError::DuplicateColumn {
                    column: name.clone(),
                    context: "stream".into(),
                });
            }
            if name == CONTEXT_KEY {
                context_key = constant_context(column.as_ref())?.unwrap_or(context_key);
                continue;
            }
            if constants::is_system_tag(name) {
                system_tags.push(name.clone());
            } else if constants::is_meta(name) {
                meta.push(name.clone());
            } else if !constants::is_source_info(name) && !tags.contains(name) {
                packets.push(name.clone());
            }
            keep_fields.push(field.as_ref().clone());
            keep_columns.push(column.clone());
        }
        if packets.is_empty() {
            return Err(DatagramError::NoPacketColumns {
                context: "stream".into(),
            });
        }
        for p in &packets {
            let source = constants::source_info_column(p);
            if !keep_fields.iter().any(|f| *f.name() == source) {
                keep_fields.push(ArrowField::new(source, ArrowType::LargeUtf8, true));
                keep_columns.push(new_null_array(&ArrowType::LargeUtf8, batch.num_rows()));
            }
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(keep_fields)),
            keep_columns,
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
        )?;
        Ok(Stream {
            inner: Arc::new(StreamInner {
                batch,
                tag_columns: tags,
                packet_columns: packets,
                system_tag_columns: system_tags,
                meta_columns: meta,
                context_key,
                identity,
                label: None,
                packet_hashes: OnceLock::new(),
            }),
        })
    }

    /// A stream with no producer: its identity is `("ArrowTableStream", table hash, tag columns)`
    /// and its pipeline hash is the (tag schema, packet schema) pair, as in orcapod-python.
    pub fn from_table(batch: RecordBatch, tag_columns: &[impl AsRef<str>]) -> Result<Self> {
        let placeholder = StreamIdentity {
            content_hash: ContentHash::new("none", Vec::<u8>::new()),
            pipeline_hash: ContentHash::new("none", Vec::<u8>::new()),
        };
        let stream = Stream::from_batch(batch, tag_columns, placeholder)?;
        let ctx = DataContext::default_context();
        let table = stream.as_table(&ColumnConfig::all())?;
        let table_hash = ctx.arrow_hasher().hash_batch(&hashable_batch(&table)?)?;
        let hasher = ctx.semantic_hasher();
        let content = hasher.hash(&Identity::Tuple(vec![
            Identity::Str("ArrowTableStream".into()),
            Identity::Hash(table_hash),
            Identity::Tuple(
                stream
                    .tag_columns()
                    .iter()
                    .map(|t| Identity::Str(t.clone()))
                    .collect(),
            ),
        ]))?;
        let pipeline = stream.schema_pair_hash()?;
        Ok(stream.with_identity(StreamIdentity {
            content_hash: content,
            pipeline_hash: pipeline,
        }))
    }

    /// The same data with another identity.
    pub fn with_identity(&self, identity: StreamIdentity) -> Stream {
        self.rebuild(|inner| inner.identity = identity)
    }

    /// The same data with a label.
    pub fn with_label(&self, label: impl Into<String>) -> Stream {
        let label = label.into();
        self.rebuild(|inner| inner.label = Some(label))
    }

    fn rebuild(&self, edit: impl FnOnce(&mut StreamInner)) -> Stream {
        let mut inner = StreamInner {
            batch: self.inner.batch.clone(),
            tag_columns: self.inner.tag_columns.clone(),
            packet_columns: self.inner.packet_columns.clone(),
            system_tag_columns: self.inner.system_tag_columns.clone(),
            meta_columns: self.inner.meta_columns.clone(),
            context_key: self.inner.context_key.clone(),
            identity: self.inner.identity.clone(),
            label: self.inner.label.clone(),
            packet_hashes: OnceLock::new(),
        };
        if let Some(h) = self.inner.packet_hashes.get() {
            let _ = inner.packet_hashes.set(h.clone());
        }
        edit(&mut inner);
        Stream {
            inner: Arc::new(inner),
        }
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.inner.batch.num_rows()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.num_rows() == 0
    }

    /// User tag column names, in order.
    pub fn tag_columns(&self) -> &[String] {
        &self.inner.tag_columns
    }

    /// Packet column names, in order.
    pub fn packet_columns(&self) -> &[String] {
        &self.inner.packet_columns
    }

    /// System-tag column names, in order.
    pub fn system_tag_columns(&self) -> &[String] {
        &self.inner.system_tag_columns
    }

    /// Meta column names, in order.
    pub fn meta_columns(&self) -> &[String] {
        &self.inner.meta_columns
    }

    /// The stream's data-context key.
    pub fn context_key(&self) -> &str {
        &self.inner.context_key
    }

    /// The stream's identities.
    pub fn identity(&self) -> &StreamIdentity {
        &self.inner.identity
    }

    /// Data-inclusive identity.
    pub fn content_hash(&self) -> &ContentHash {
        &self.inner.identity.content_hash
    }

    /// Schema- and topology-only identity.
    pub fn pipeline_hash(&self) -> &ContentHash {
        &self.inner.identity.pipeline_hash
    }

    /// Explicit label, if any.
    pub fn label(&self) -> Option<&str> {
        self.inner.label.as_deref()
    }

    /// The physical batch (all hidden columns except the context).
    pub fn batch(&self) -> &RecordBatch {
        &self.inner.batch
    }

    /// The physical Arrow schema.
    pub fn arrow_schema(&self) -> SchemaRef {
        self.inner.batch.schema()
    }

    /// A physical column by name.
    pub fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.inner.batch.column_by_name(name)
    }

    /// The Arrow field of a physical column.
    pub fn field(&self, name: &str) -> Option<Arc<ArrowField>> {
        let schema = self.inner.batch.schema();
        schema
            .field_with_name(name)
            .ok()
            .map(|f| Arc::new(f.clone()))
    }

    /// (tag keys, packet keys) under a column configuration. System tags follow user tags.
    pub fn keys(&self, cfg: &ColumnConfig) -> (Vec<String>, Vec<String>) {
        let mut tags = self.inner.tag_columns.clone();
        if cfg.system_tags {
            tags.extend(self.inner.system_tag_columns.iter().cloned());
        }
        let mut packets = self.inner.packet_columns.clone();
        if cfg.meta {
            packets.extend(self.inner.meta_columns.iter().cloned());
        }
        (tags, packets)
    }

    /// Logical (tag schema, packet schema) under a column configuration.
    pub fn output_schema(&self, cfg: &ColumnConfig) -> Result<(Schema, Schema)> {
        let (tags, packets) = self.keys(cfg);
        Ok((self.logical_schema(&tags)?, self.logical_schema(&packets)?))
    }

    fn logical_schema(&self, names: &[String]) -> Result<Schema> {
        let schema = self.inner.batch.schema();
        names
            .iter()
            .map(|n| {
                let f = schema
                    .field_with_name(n)
                    .map_err(|_| DatagramError::MissingColumn {
                        column: n.clone(),
                        context: "stream".into(),
                    })?;
                crate::types::Field::from_arrow(f)
            })
            .collect()
    }

    /// Pipeline hash of a stream with no producer: the semantic hash of (tag schema, packet schema).
    pub fn schema_pair_hash(&self) -> Result<ContentHash> {
        let (tag, packet) = self.output_schema(&ColumnConfig::default())?;
        schema_pair_hash(&tag, &packet)
    }

    /// The packet columns of row range `offset..offset+len` as a batch (for hashing or functions).
    pub fn packet_batch(&self) -> Result<RecordBatch> {
        Ok(self
            .inner
            .batch
            .project(&self.indices(&self.inner.packet_columns)?)?)
    }

    pub(crate) fn indices(&self, names: &[String]) -> Result<Vec<usize>> {
        let schema = self.inner.batch.schema();
        names
            .iter()
            .map(|n| {
                schema
                    .index_of(n)
                    .map_err(|_| DatagramError::MissingColumn {
                        column: n.clone(),
                        context: "stream".into(),
                    })
            })
            .collect()
    }

    /// Per-row packet content hashes (`arrow_v0.1`), computed once and memoised.
    ///
    /// Each is the starfix hash of the 1-row table of the packet's data columns, with path
    /// columns replaced by their file-content tokens.
    pub fn packet_hashes(&self) -> Result<&[ContentHash]> {
        if let Some(h) = self.inner.packet_hashes.get() {
            return Ok(h.as_ref());
        }
        let packets = hashable_batch(&self.packet_batch()?)?;
        // One pass over the batch (schema digest once, rows in parallel chunks), equal row by
        // row to hashing each 1-row slice.
        let hashes = DataContext::default_context()
            .arrow_hasher()
            .hash_rows(&packets)?;
        Ok(self
            .inner
            .packet_hashes
            .get_or_init(|| hashes.into())
            .as_ref())
    }

    /// Iterate rows as (tag, packet) datagrams.
    pub fn iter_rows(&self) -> impl Iterator<Item = Result<(Tag, Packet)>> + '_ {
        (0..self.num_rows()).map(move |i| self.row(i))
    }

    /// One row as a (tag, packet) pair.
    pub fn row(&self, i: usize) -> Result<(Tag, Packet)> {
        if i >= self.num_rows() {
            return Err(DatagramError::InvalidOption {
                option: "row".into(),
                reason: format!(
                    "row {i} out of range for a stream of {} rows",
                    self.num_rows()
                ),
            });
        }
        let b = &self.inner.batch;
        let tag = Tag::from_stream_row(self, b, i)?;
        let packet = Packet::from_stream_row(self, b, i)?;
        Ok((tag, packet))
    }

    /// Materialise as a table with the requested hidden columns.
    ///
    /// Column order (as orcapod-python): user and system-tag columns in stored order, then the
    /// content-hash column, then `_context_key`, then `_source_*`, then meta columns.
    pub fn as_table(&self, cfg: &ColumnConfig) -> Result<RecordBatch> {
        let b = &self.inner.batch;
        let schema = b.schema();
        let mut fields: Vec<ArrowField> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (f, c) in schema.fields().iter().zip(b.columns()) {
            let name = f.name();
            let base = !constants::is_source_info(name) && !constants::is_meta(name);
            if base && (cfg.system_tags || !constants::is_system_tag(name)) {
                fields.push(f.as_ref().clone());
                columns.push(c.clone());
            }
        }
        if let Some(hash_col) = &cfg.content_hash {
            let hashes = self.packet_hashes()?;
            fields.push(ArrowField::new(hash_col, ArrowType::LargeUtf8, false));
            columns.push(Arc::new(LargeStringArray::from_iter_values(
                hashes.iter().map(|h| h.to_string()),
            )));
        }
        if cfg.context {
            fields.push(ArrowField::new(CONTEXT_KEY, ArrowType::LargeUtf8, false));
            columns.push(Arc::new(LargeStringArray::from_iter_values(
                std::iter::repeat_n(self.inner.context_key.as_str(), b.num_rows()),
            )));
        }
        for (pass, wanted) in [
            (constants::SOURCE_PREFIX, cfg.source),
            (constants::META_PREFIX, cfg.meta),
        ] {
            if !wanted {
                continue;
            }
            for (f, c) in schema.fields().iter().zip(b.columns()) {
                if f.name().starts_with(pass) {
                    fields.push(f.as_ref().clone());
                    columns.push(c.clone());
                }
            }
        }
        let table = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            columns,
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
        )?;
        if cfg.sort_by_tags {
            let mut keys = self.inner.tag_columns.clone();
            if cfg.system_tags {
                keys.extend(self.inner.system_tag_columns.iter().cloned());
            }
            return crate::sort::sort_batch_by(&table, &keys);
        }
        Ok(table)
    }

    /// A new stream with rows sorted ascending by the tag columns (then system tags), keeping
    /// this stream's identity. Ties keep their input order.
    pub fn sort_by_tags(&self) -> Result<Stream> {
        let mut keys = self.inner.tag_columns.clone();
        keys.extend(self.inner.system_tag_columns.iter().cloned());
        let sorted = crate::sort::sort_batch_by(&self.inner.batch, &keys)?;
        Ok(self.rebuild(|inner| {
            inner.batch = sorted;
            inner.packet_hashes = OnceLock::new();
        }))
    }

    /// Replace the physical batch, keeping the column roles (same schema required).
    pub fn with_batch(&self, batch: RecordBatch) -> Result<Stream> {
        if batch.schema() != self.inner.batch.schema() {
            return Err(DatagramError::SchemaMismatch {
                context: "Stream::with_batch".into(),
                detail: "the new batch's schema differs from the stream's".into(),
            });
        }
        Ok(self.rebuild(|inner| {
            inner.batch = batch;
            inner.packet_hashes = OnceLock::new();
        }))
    }
}

/// Semantic hash of a (tag schema, packet schema) pair: a source's pipeline hash and the schema
/// hash embedded in its system-tag column names.
pub fn schema_pair_hash(tag: &Schema, packet: &Schema) -> Result<ContentHash> {
    let hasher = DataContext::default_context().semantic_hasher();
    Ok(hasher.hash(&Identity::Tuple(vec![
        tag.identity(hasher)?,
        packet.identity(hasher)?,
    ]))?)
}

fn constant_context(column: &dyn Array) -> Result<Option<String>> {
    use arrow_array::cast::AsArray;
    let values: Vec<Option<&str>> = match column.data_type() {
        ArrowType::LargeUtf8 => column.as_string::<i64>().iter().collect(),
        ArrowType::Utf8 => column.as_string::<i32>().iter().collect(),
        other => {
            return Err(DatagramError::UnsupportedType {
                column: CONTEXT_KEY.into(),
                data_type: other.to_string(),
            });
        }
    };
    let first = values.iter().flatten().next().map(|s| s.to_string());
    if let Some(first) = &first
        && values.iter().flatten().any(|v| v != first)
    {
        return Err(DatagramError::SchemaMismatch {
            context: CONTEXT_KEY.into(),
            detail: "rows carry different data contexts; a stream has exactly one".into(),
        });
    }
    Ok(first)
}
