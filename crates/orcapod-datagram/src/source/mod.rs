//! Sources: the roots of every pipeline.
//!
//! A source turns external data (Arrow batches, rows, CSV/Parquet/Arrow IPC files, a folder of
//! files) into a [`Stream`] with provenance: every row gets a source-id and a record-id system
//! tag, and every packet column a `_source_<col>` token `{source_id}::{row_i | col=value}::{col}`.

pub(crate) mod files;
mod rows;

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::FixedSizeBinaryBuilder;
use arrow_array::{ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_hash::semantic::Identity;
use orcapod_hash::{ContentHash, DataContext};

use crate::constants::{self, SOURCE_RECORD_NAMESPACE};
use crate::error::{DatagramError, Result};
use crate::path_hash::hashable_batch;
use crate::stream::{Stream, StreamIdentity, schema_pair_hash};
use crate::types::{Field, Schema};
use crate::value::Value;

pub use rows::RowSet;

/// Options shared by every source constructor.
///
/// ```
/// use orcapod_datagram::SourceOptions;
/// let opts = SourceOptions::new(["subject", "session"]).source_id("lab").record_id_column("session");
/// assert_eq!(opts.tag_columns(), ["subject", "session"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    tag_columns: Vec<String>,
    source_id: Option<String>,
    record_id_column: Option<String>,
    label: Option<String>,
}

impl SourceOptions {
    /// Options with these tag columns.
    pub fn new<I, S>(tag_columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SourceOptions {
            tag_columns: tag_columns.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Set an explicit source id (otherwise: the table hash, or the file path for files).
    pub fn source_id(mut self, id: impl Into<String>) -> Self {
        self.source_id = Some(id.into());
        self
    }

    /// Take record ids from this column (`{col}={value}`) instead of positions (`row_{i}`).
    pub fn record_id_column(mut self, column: impl Into<String>) -> Self {
        self.record_id_column = Some(column.into());
        self
    }

    /// Set a label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The tag columns.
    pub fn tag_columns(&self) -> &[String] {
        &self.tag_columns
    }
}

/// Where a source's data came from (kept for save/load and display).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceOrigin {
    /// In-memory Arrow batches.
    Arrow,
    /// In-memory rows.
    Rows,
    /// A CSV file.
    Csv(PathBuf),
    /// A Parquet file.
    Parquet(PathBuf),
    /// An Arrow IPC file or stream.
    Ipc(PathBuf),
    /// The stored output of a pipeline node (`as_source`), identified by the node's content hash.
    Derived(String),
    /// A folder of files, one path-typed packet per file.
    Directory {
        /// The folder.
        path: PathBuf,
        /// File-name template (`{field}` placeholders become tags), if any.
        pattern: Option<String>,
        /// Extension filter, if any.
        extension: Option<String>,
    },
}

/// A root of the pipeline graph: data plus provenance and identity.
#[derive(Clone, Debug)]
pub struct Source {
    kind: &'static str,
    source_id: String,
    record_id_column: Option<String>,
    origin: SourceOrigin,
    table_hash: ContentHash,
    stream: Stream,
}

impl Source {
    /// Build a source from an Arrow batch (orcapod-python's `ArrowTableSource`). Field
    /// nullability is trusted as given.
    pub fn from_batch(batch: RecordBatch, options: SourceOptions) -> Result<Source> {
        build(
            "ArrowTableSource",
            SourceOrigin::Arrow,
            batch,
            options,
            None,
        )
    }

    /// Build a source from rows (orcapod-python's `DictSource`): types are inferred from the
    /// values, nullability from the presence of nulls.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}], SourceOptions::new(["id"]).source_id("A")).unwrap();
    /// assert_eq!(a.source_id(), "A");
    /// assert_eq!(a.stream().system_tag_columns().len(), 2);
    /// ```
    pub fn from_rows(rows: RowSet, options: SourceOptions) -> Result<Source> {
        let batch = rows.into_batch("rows source")?;
        build("DictSource", SourceOrigin::Rows, batch, options, None)
    }

    /// A derived source: a new root made of another stream's data (its user tag and packet
    /// columns), as orcapod-python's `DerivedSource`. The source id is
    /// `derived:<origin content hash>`, so its content hash is tied to the origin while its
    /// pipeline hash depends on the schema only (the upstream chain is cut).
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// let a = Source::from_rows(rows![{"id" => 1, "x" => 2}], SourceOptions::new(["id"]).source_id("A"))?;
    /// let d = Source::derived(a.stream(), a.content_hash())?;
    /// assert_eq!(d.source_id(), format!("derived:{}", a.content_hash()));
    /// assert_eq!(d.pipeline_hash(), a.pipeline_hash());
    /// assert_ne!(d.content_hash(), a.content_hash());
    /// # Ok::<(), orcapod_datagram::DatagramError>(())
    /// ```
    pub fn derived(stream: &Stream, origin: &ContentHash) -> Result<Source> {
        let mut names: Vec<String> = stream.tag_columns().to_vec();
        names.extend(stream.packet_columns().iter().cloned());
        let batch = stream.batch().project(&stream.indices(&names)?)?;
        let id = format!("derived:{origin}");
        let options = SourceOptions::new(stream.tag_columns().to_vec()).source_id(id.clone());
        build(
            "DerivedSource",
            SourceOrigin::Derived(origin.to_string()),
            batch,
            options,
            None,
        )
    }

    /// Source kind (orcapod-python class name, part of the content identity).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The source id (explicit, the file path, or the table hash).
    pub fn source_id(&self) -> &str {
        &self.source_id
    }

    /// The column record ids come from, if not positional.
    pub fn record_id_column(&self) -> Option<&str> {
        self.record_id_column.as_deref()
    }

    /// Where the data came from.
    pub fn origin(&self) -> &SourceOrigin {
        &self.origin
    }

    /// Starfix hash of the source's data table (without provenance columns).
    pub fn table_hash(&self) -> &ContentHash {
        &self.table_hash
    }

    /// The source's stream.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Consume into the stream.
    pub fn into_stream(self) -> Stream {
        self.stream
    }

    /// Content identity.
    pub fn content_hash(&self) -> &ContentHash {
        self.stream.content_hash()
    }

    /// Pipeline identity (the schema pair).
    pub fn pipeline_hash(&self) -> &ContentHash {
        self.stream.pipeline_hash()
    }
}

/// The common source pipeline (orcapod-python's `SourceStreamBuilder.build`).
fn build(
    kind: &'static str,
    origin: SourceOrigin,
    batch: RecordBatch,
    options: SourceOptions,
    default_source_id: Option<String>,
) -> Result<Source> {
    let context = format!("{kind} {}", options.label.as_deref().unwrap_or(""));
    let context = context.trim_end().to_string();
    let batch = normalize(&batch, &context)?;
    let schema = batch.schema();
    for t in &options.tag_columns {
        if schema.index_of(t).is_err() {
            return Err(DatagramError::MissingTagColumn {
                column: t.clone(),
                context,
                available: column_list(&schema),
            });
        }
    }
    if let Some(rc) = &options.record_id_column
        && schema.index_of(rc).is_err()
    {
        return Err(DatagramError::MissingColumn {
            column: rc.clone(),
            context: format!("{context} (record_id_column)"),
        });
    }
    let mut tag_fields = Vec::new();
    let mut packet_fields = Vec::new();
    for f in schema.fields() {
        let field = Field::from_arrow(f)?;
        if options.tag_columns.contains(f.name()) {
            tag_fields.push(field);
        } else {
            packet_fields.push(field);
        }
    }
    if packet_fields.is_empty() {
        return Err(DatagramError::NoPacketColumns { context });
    }
    // Tag schema in the order the user named the tags, as orcapod-python does.
    tag_fields.sort_by_key(|f| options.tag_columns.iter().position(|t| *t == f.name));
    let tag_schema = Schema::new(tag_fields);
    let packet_schema = Schema::new(packet_fields);
    let schema_hash = schema_pair_hash(&tag_schema, &packet_schema)?;
    let ctx = DataContext::default_context();
    let table_hash = ctx.arrow_hasher().hash_batch(&hashable_batch(&batch)?)?;
    let source_id = options
        .source_id
        .clone()
        .or(default_source_id)
        .unwrap_or_else(|| table_hash.to_hex());

    let n = batch.num_rows();
    let tokens: Vec<String> = match &options.record_id_column {
        None => (0..n).map(|i| format!("row_{i}")).collect(),
        Some(col) => {
            let column = batch
                .column_by_name(col)
                .ok_or_else(|| DatagramError::MissingColumn {
                    column: col.clone(),
                    context: context.clone(),
                })?;
            (0..n)
                .map(|i| {
                    Ok(format!(
                        "{col}={}",
                        Value::from_array(column.as_ref(), i)?.python_str()
                    ))
                })
                .collect::<Result<_>>()?
        }
    };
    let record_ids: Vec<[u8; 16]> = tokens
        .iter()
        .map(|t| {
            *uuid::Uuid::new_v5(
                &SOURCE_RECORD_NAMESPACE,
                format!("{source_id}::{t}").as_bytes(),
            )
            .as_bytes()
        })
        .collect();

    let hash_hex = schema_hash.to_hex();
    let mut fields: Vec<ArrowField> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    fields.push(ArrowField::new(
        constants::source_id_column(&hash_hex),
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(source_id.as_str(), n),
    )));
    fields.push(ArrowField::new(
        constants::record_id_column(&hash_hex),
        ArrowType::FixedSizeBinary(16),
        false,
    ));
    let mut ids = FixedSizeBinaryBuilder::with_capacity(n, 16);
    for id in &record_ids {
        ids.append_value(id)?;
    }
    columns.push(Arc::new(ids.finish()));
    for p in packet_schema.fields() {
        fields.push(ArrowField::new(
            constants::source_info_column(&p.name),
            ArrowType::LargeUtf8,
            false,
        ));
        columns.push(Arc::new(LargeStringArray::from_iter_values(
            tokens
                .iter()
                .map(|t| format!("{source_id}::{t}::{}", p.name)),
        )));
    }
    let full = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(n)),
    )?;

    let hasher = ctx.semantic_hasher();
    let content_hash = hasher.hash(&source_identity(
        kind,
        &tag_schema,
        &packet_schema,
        &source_id,
    )?)?;
    let identity = StreamIdentity {
        content_hash,
        pipeline_hash: schema_hash,
    };
    let mut stream = Stream::from_batch(full, &options.tag_columns, identity)?;
    if let Some(label) = &options.label {
        stream = stream.with_label(label);
    }
    Ok(Source {
        kind,
        source_id,
        record_id_column: options.record_id_column.clone(),
        origin,
        table_hash,
        stream,
    })
}

/// Content identity structure of a root source: `(kind, (tag schema, packet schema), source_id)`.
pub fn source_identity(
    kind: &str,
    tag: &Schema,
    packet: &Schema,
    source_id: &str,
) -> Result<Identity> {
    let hasher = DataContext::default_context().semantic_hasher();
    Ok(Identity::Tuple(vec![
        Identity::Str(kind.to_string()),
        Identity::Tuple(vec![tag.identity(hasher)?, packet.identity(hasher)?]),
        Identity::Str(source_id.to_string()),
    ]))
}

fn column_list(schema: &ArrowSchema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Validate names and types, and widen Utf8/Binary/List to their large forms (as orcapod-python
/// normalises incoming tables).
fn normalize(batch: &RecordBatch, context: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut seen = std::collections::HashSet::new();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if !seen.insert(f.name().as_str()) {
            return Err(DatagramError::DuplicateColumn {
                column: f.name().clone(),
                context: context.into(),
            });
        }
        if f.name().starts_with(constants::DATAGRAM_PREFIX) {
            let prefix = if f.name().starts_with(constants::META_PREFIX) {
                "__"
            } else {
                "_"
            };
            return Err(DatagramError::ReservedColumnName {
                column: f.name().clone(),
                prefix: prefix.into(),
                context: context.into(),
            });
        }
        Field::from_arrow(f)?;
        let target = large_type(f.data_type());
        if &target == f.data_type() {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        } else {
            columns.push(arrow_cast::cast(c, &target)?);
            fields.push(f.as_ref().clone().with_data_type(target));
        }
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

fn large_type(t: &ArrowType) -> ArrowType {
    match t {
        ArrowType::Utf8 => ArrowType::LargeUtf8,
        ArrowType::Binary => ArrowType::LargeBinary,
        ArrowType::List(f) | ArrowType::LargeList(f) => ArrowType::LargeList(Arc::new(
            f.as_ref().clone().with_data_type(large_type(f.data_type())),
        )),
        ArrowType::Struct(fields) => ArrowType::Struct(
            fields
                .iter()
                .map(|f| f.as_ref().clone().with_data_type(large_type(f.data_type())))
                .collect(),
        ),
        ArrowType::Dictionary(_, v) => large_type(v),
        other => other.clone(),
    }
}
