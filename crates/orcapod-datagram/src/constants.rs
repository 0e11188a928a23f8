//! Exact names of orcapod's hidden column families and separators.
//!
//! These strings leak into stored tables and hashes, so they match orcapod-python 0.1.4 exactly
//! (see `docs/compatibility.md`). Keep every persisted name in this one table.

/// Prefix of meta columns (`__computed`, `__pod_ts`, ...).
pub const META_PREFIX: &str = "__";
/// Prefix of every datagram-level hidden column.
pub const DATAGRAM_PREFIX: &str = "_";
/// Prefix of per-packet-column source-info columns (`_source_<col>`).
pub const SOURCE_PREFIX: &str = "_source_";
/// Name of the data-context column.
pub const CONTEXT_KEY: &str = "_context_key";
/// Prefix of system-tag columns.
pub const SYSTEM_TAG_PREFIX: &str = "_tag_";
/// Prefix of the source-id system tag.
pub const SYSTEM_TAG_SOURCE_ID_PREFIX: &str = "_tag_source_id";
/// Prefix of the record-id system tag.
pub const SYSTEM_TAG_RECORD_ID_PREFIX: &str = "_tag_record_id";
/// Separates blocks in system-tag names and source-info tokens.
pub const BLOCK_SEPARATOR: &str = "::";
/// Separates a hash from a canonical position inside one block.
pub const FIELD_SEPARATOR: &str = ":";
/// Default name of the per-row packet content-hash column.
pub const CONTENT_HASH_COLUMN: &str = "_content_hash";
/// Column holding the input packet hash in result-cache tables (0.1.4 name).
pub const INPUT_DATA_HASH_COL: &str = "__input_data_hash";
/// Column holding the content hash of the node that wrote a row in shared tables.
pub const NODE_CONTENT_HASH_COL: &str = "_node_content_hash";
/// Result-record timestamp column.
pub const POD_TIMESTAMP: &str = "__pod_ts";
/// Prefix of function-variation columns in result records.
pub const PF_VARIATION_PREFIX: &str = "__pf_var_";
/// Prefix of execution-environment columns in result records.
pub const PF_EXECUTION_PREFIX: &str = "__pf_exec_";
/// Meta flag: freshly computed (true) or served from a cache (false).
pub const COMPUTED_FLAG: &str = "__computed";
/// Per-row record id column of operator and cached-source tables.
pub const RECORD_HASH_COL: &str = "_record_hash";
/// Internal record id column of every store.
pub const STORE_RECORD_ID_COL: &str = "__record_id";

/// Namespace of source record ids: `UUIDv5(NAMESPACE_URL, <orcapod source-record-id URL>)`.
///
/// A record id is `UUIDv5(SOURCE_RECORD_NAMESPACE, "{source_id}::{token}")`, stored as 16 raw bytes.
pub const SOURCE_RECORD_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x877ec89b_6645_5852_ba37_a94604043f5e);

/// Name of the source-id system-tag column for a given schema hash string.
pub fn source_id_column(schema_hash: &str) -> String {
    format!("{SYSTEM_TAG_SOURCE_ID_PREFIX}{BLOCK_SEPARATOR}{schema_hash}")
}

/// Name of the record-id system-tag column for a given schema hash string.
pub fn record_id_column(schema_hash: &str) -> String {
    format!("{SYSTEM_TAG_RECORD_ID_PREFIX}{BLOCK_SEPARATOR}{schema_hash}")
}

/// Name of the source-info column of packet column `column`.
pub fn source_info_column(column: &str) -> String {
    format!("{SOURCE_PREFIX}{column}")
}

/// Is `name` a system-tag column?
pub fn is_system_tag(name: &str) -> bool {
    name.starts_with(SYSTEM_TAG_PREFIX)
}

/// Is `name` a source-info column?
pub fn is_source_info(name: &str) -> bool {
    name.starts_with(SOURCE_PREFIX)
}

/// Is `name` a meta column?
pub fn is_meta(name: &str) -> bool {
    name.starts_with(META_PREFIX)
}
