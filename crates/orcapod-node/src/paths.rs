//! Store table paths of every node kind (orcapod-python spec §10.3, 0.1.4 names).
//!
//! With a pipeline named `N`:
//!
//! | table | path |
//! |---|---|
//! | function pipeline records | `N + uri + ("schema:" + node pipeline hash)` |
//! | function results (shared by every pipeline) | `("_result",) + uri` |
//! | operator records (log/replay) | `N + (operator name, operator content hex, "schema:" + node pipeline hash)` |
//! | cumulative source cache | `N + ("source", "node:" + source content hash)` |
//! | status events | `N + ("_status",) + node identity path + ("execution_status",)` |
//! | captured logs | `N + ("_log",) + node identity path + ("execution_logs",)` |
//!
//! Function results are deliberately *not* scoped by the pipeline name: the packet-level cache
//! is keyed by function identity and input packet hash only, so a result computed by one
//! pipeline is reused by every other pipeline with the same function (orcapod-python scopes
//! them under `N/_result`, which limits sharing to one pipeline name).

use orcapod_cache::TablePath;
use orcapod_executor::FunctionUri;
use orcapod_hash::ContentHash;

use crate::error::Result;

fn uri_parts(uri: &FunctionUri) -> Vec<String> {
    uri.components().iter().map(|s| s.to_string()).collect()
}

/// Pipeline records of a function node.
pub fn function_records(
    pipeline: &[String],
    uri: &FunctionUri,
    node_pipeline_hash: &ContentHash,
) -> Result<TablePath> {
    let mut parts = pipeline.to_vec();
    parts.extend(uri_parts(uri));
    parts.push(format!("schema:{node_pipeline_hash}"));
    Ok(TablePath::new(parts)?)
}

/// Results of a function, shared across pipelines.
pub fn function_results(uri: &FunctionUri) -> Result<TablePath> {
    let mut parts = vec!["_result".to_string()];
    parts.extend(uri_parts(uri));
    Ok(TablePath::new(parts)?)
}

/// Logged records of an operator node.
pub fn operator_records(
    pipeline: &[String],
    operator_name: &str,
    operator_hash: &ContentHash,
    node_pipeline_hash: &ContentHash,
) -> Result<TablePath> {
    let mut parts = pipeline.to_vec();
    parts.push(operator_name.to_string());
    parts.push(operator_hash.to_hex());
    parts.push(format!("schema:{node_pipeline_hash}"));
    Ok(TablePath::new(parts)?)
}

/// Cumulative cache of a source node.
pub fn source_cache(pipeline: &[String], source_hash: &ContentHash) -> Result<TablePath> {
    let mut parts = pipeline.to_vec();
    parts.push("source".into());
    parts.push(format!("node:{source_hash}"));
    Ok(TablePath::new(parts)?)
}

/// Status events of a node.
pub fn status(pipeline: &[String], node_path: &[String]) -> Result<TablePath> {
    let mut parts = pipeline.to_vec();
    parts.push("_status".into());
    parts.extend(node_path.iter().cloned());
    parts.push("execution_status".into());
    Ok(TablePath::new(parts)?)
}

/// Captured logs of a node.
pub fn logs(pipeline: &[String], node_path: &[String]) -> Result<TablePath> {
    let mut parts = pipeline.to_vec();
    parts.push("_log".into());
    parts.extend(node_path.iter().cloned());
    parts.push("execution_logs".into());
    Ok(TablePath::new(parts)?)
}
