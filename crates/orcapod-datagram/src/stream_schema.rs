//! The schema of a stream, physical column roles included, without its data.

use arrow_schema::{Field as ArrowField, FieldRef};
use orcapod_hash::ContentHash;

use crate::column_config::ColumnConfig;
use crate::constants;
use crate::error::Result;
use crate::stream::Stream;
use crate::types::{Field, Schema};

/// What an operator needs to know about an input to predict its output without computing:
/// the Arrow fields of every column role and the input's pipeline hash (which system-tag names
/// derive from).
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// let s = Source::from_rows(rows![{"id" => 1, "x" => 2}], SourceOptions::new(["id"])).unwrap();
/// let schema = s.stream().schema();
/// assert_eq!(schema.tags.len(), 1);
/// assert_eq!(schema.system_tags.len(), 2);
/// assert_eq!(schema.source_info.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSchema {
    /// User tag columns, in order.
    pub tags: Vec<FieldRef>,
    /// System-tag columns, in order.
    pub system_tags: Vec<FieldRef>,
    /// Packet columns, in order.
    pub packets: Vec<FieldRef>,
    /// Source-info columns, one per packet column, same order.
    pub source_info: Vec<FieldRef>,
    /// Meta columns.
    pub meta: Vec<FieldRef>,
    /// The stream's pipeline hash.
    pub pipeline_hash: ContentHash,
}

impl StreamSchema {
    /// Names of the user tag columns.
    pub fn tag_names(&self) -> Vec<String> {
        self.tags.iter().map(|f| f.name().clone()).collect()
    }

    /// Names of the packet columns.
    pub fn packet_names(&self) -> Vec<String> {
        self.packets.iter().map(|f| f.name().clone()).collect()
    }

    /// Names of the system-tag columns.
    pub fn system_tag_names(&self) -> Vec<String> {
        self.system_tags.iter().map(|f| f.name().clone()).collect()
    }

    /// A tag field by name.
    pub fn tag(&self, name: &str) -> Option<&FieldRef> {
        self.tags.iter().find(|f| f.name() == name)
    }

    /// A packet field by name.
    pub fn packet(&self, name: &str) -> Option<&FieldRef> {
        self.packets.iter().find(|f| f.name() == name)
    }

    /// Logical (tag schema, packet schema) under a column configuration.
    pub fn output_schema(&self, cfg: &ColumnConfig) -> Result<(Schema, Schema)> {
        let mut tags: Vec<&FieldRef> = self.tags.iter().collect();
        if cfg.system_tags {
            tags.extend(self.system_tags.iter());
        }
        let mut packets: Vec<&FieldRef> = self.packets.iter().collect();
        if cfg.meta {
            packets.extend(self.meta.iter());
        }
        let to_schema = |fs: Vec<&FieldRef>| -> Result<Schema> {
            fs.into_iter().map(|f| Field::from_arrow(f)).collect()
        };
        Ok((to_schema(tags)?, to_schema(packets)?))
    }

    /// The source-info field for a packet column (large-string, nullable unless known otherwise).
    pub fn source_field_for(&self, packet: &str) -> Option<&FieldRef> {
        let name = constants::source_info_column(packet);
        self.source_info.iter().find(|f| *f.name() == name)
    }

    /// All physical fields in canonical order: tags, system tags, packets, source info, meta.
    pub fn all_fields(&self) -> Vec<ArrowField> {
        self.tags
            .iter()
            .chain(&self.system_tags)
            .chain(&self.packets)
            .chain(&self.source_info)
            .chain(&self.meta)
            .map(|f| f.as_ref().clone())
            .collect()
    }
}

impl Stream {
    /// This stream's [`StreamSchema`].
    pub fn schema(&self) -> StreamSchema {
        let schema = self.arrow_schema();
        let pick = |names: &[String]| -> Vec<FieldRef> {
            names
                .iter()
                .filter_map(|n| {
                    schema
                        .field_with_name(n)
                        .ok()
                        .map(|f| FieldRef::new(f.clone()))
                })
                .collect()
        };
        let sources: Vec<String> = self
            .packet_columns()
            .iter()
            .map(|p| constants::source_info_column(p))
            .collect();
        StreamSchema {
            tags: pick(self.tag_columns()),
            system_tags: pick(self.system_tag_columns()),
            packets: pick(self.packet_columns()),
            source_info: pick(&sources),
            meta: pick(self.meta_columns()),
            pipeline_hash: self.pipeline_hash().clone(),
        }
    }
}
