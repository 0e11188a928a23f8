//! Which hidden column families a view of a stream or datagram includes.

/// Selects the hidden column families that appear in keys, schemas and tables.
///
/// The default shows only user tag and packet columns.
///
/// ```
/// use orcapod_datagram::ColumnConfig;
/// let cfg = ColumnConfig::default().with_system_tags().with_source();
/// assert!(cfg.system_tags && cfg.source && !cfg.context);
/// assert!(ColumnConfig::all().context);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnConfig {
    /// Include `__` meta columns.
    pub meta: bool,
    /// Include the `_context_key` column.
    pub context: bool,
    /// Include `_source_<col>` source-info columns.
    pub source: bool,
    /// Include `_tag_*` system-tag columns.
    pub system_tags: bool,
    /// Append a per-row packet content-hash column with this name (usually `_content_hash`).
    pub content_hash: Option<String>,
    /// Sort rows ascending by tag columns.
    pub sort_by_tags: bool,
}

impl ColumnConfig {
    /// Every family, with the default content-hash column name (`all_info=True` in Python).
    pub fn all() -> Self {
        ColumnConfig {
            meta: true,
            context: true,
            source: true,
            system_tags: true,
            content_hash: Some(crate::constants::CONTENT_HASH_COLUMN.to_string()),
            sort_by_tags: false,
        }
    }

    /// Also include system tags.
    pub fn with_system_tags(mut self) -> Self {
        self.system_tags = true;
        self
    }

    /// Also include source-info columns.
    pub fn with_source(mut self) -> Self {
        self.source = true;
        self
    }

    /// Also include the context column.
    pub fn with_context(mut self) -> Self {
        self.context = true;
        self
    }

    /// Also include meta columns.
    pub fn with_meta(mut self) -> Self {
        self.meta = true;
        self
    }

    /// Append the content-hash column under the default name.
    pub fn with_content_hash(mut self) -> Self {
        self.content_hash = Some(crate::constants::CONTENT_HASH_COLUMN.to_string());
        self
    }

    /// Sort rows by tags.
    pub fn sorted(mut self) -> Self {
        self.sort_by_tags = true;
        self
    }
}
