//! The orcapod data model over Apache Arrow.
//!
//! Rows are (tag, packet) pairs. **Tags** are keys and metadata used for joins; **packets** are
//! the payload. Hidden column families carry provenance: system tags (`_tag_source_id::…`,
//! `_tag_record_id::…`), per-column source info (`_source_<col>`), meta columns (`__…`) and a
//! data-context key. [`ColumnConfig`] picks which of them a view shows.
//!
//! * [`DataType`], [`Field`], [`Schema`]: logical types, mapped both ways to Arrow.
//! * [`Value`]: a single cell.
//! * [`Datagram`], [`Tag`], [`Packet`]: single-row views.
//! * [`Stream`]: an immutable, Arrow-backed table of rows with content and pipeline identities.
//! * [`Source`]: builds streams from Arrow batches, rows, CSV/Parquet/Arrow IPC files and
//!   folders of files, adding provenance.
//!
//! ```
//! use orcapod_datagram::{rows, ColumnConfig, Source, SourceOptions};
//!
//! let subjects = Source::from_rows(
//!     rows![{"subject" => "s1", "age" => 31}, {"subject" => "s2", "age" => 27}],
//!     SourceOptions::new(["subject"]).source_id("subjects"),
//! )?;
//! let stream = subjects.stream();
//! let (tags, packets) = stream.keys(&ColumnConfig::default());
//! assert_eq!((tags, packets), (vec!["subject".to_string()], vec!["age".to_string()]));
//! // Every row carries provenance.
//! let (_, packet) = stream.row(0)?;
//! assert_eq!(packet.source_info()?[0].1.to_string(), "subjects::row_0::age");
//! # Ok::<(), orcapod_datagram::DatagramError>(())
//! ```

mod column_config;
pub mod constants;
mod datagram;
mod error;
pub mod path_hash;
pub mod sort;
mod source;
mod stream;
mod stream_schema;
mod types;
mod value;

pub use column_config::ColumnConfig;
pub use datagram::{Datagram, Packet, Tag, fields_of};
pub use error::{DatagramError, Result};
pub use source::files::{FileFormat, read_table};
pub use source::{RowSet, Source, SourceOptions, SourceOrigin, source_identity};
pub use stream::{Stream, StreamIdentity, schema_pair_hash};
pub use stream_schema::StreamSchema;
pub use types::{DataType, EXTENSION_NAME_KEY, Field, PATH_EXTENSION_NAME, Schema};
pub use value::{Value, python_float_repr, values_to_array};
