//! Serving a function node from its store alone (pipelines loaded read-only).

use arrow_array::Array;
use orcapod_datagram::constants::{self, NODE_CONTENT_HASH_COL};
use orcapod_datagram::{Stream, Value};

use crate::assemble::assemble;
use crate::error::{NodeError, Result};
use crate::function_node::{DATA_ID_COL, FunctionRun};
use crate::observer::NodeKind;
use crate::run::NodeStats;

impl FunctionRun<'_> {
    /// Every result this node stored in earlier runs, without its input: the node's pipeline
    /// records (filtered by its content hash) joined with the shared results.
    pub(crate) fn serve_stored(&self) -> Result<(Stream, NodeStats)> {
        let Some((store, records_path, results_path)) = &self.store else {
            return Err(NodeError::NoOutput {
                node: self.label.into(),
                reason: "its input is unavailable and the pipeline has no store".into(),
            });
        };
        let node_hash = self.identity.content_hash.to_string();
        let mut stats = NodeStats::new(self.label, NodeKind::Function);
        let found = store.get_records_with_column_value(
            records_path,
            NODE_CONTENT_HASH_COL,
            Value::Str(node_hash),
        )?;
        let Some(set) = found else {
            return Err(NodeError::NoOutput {
                node: self.label.into(),
                reason: "nothing stored for this node".into(),
            });
        };
        let records = set.data();
        let ids = records
            .column_by_name(DATA_ID_COL)
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::LargeBinaryArray>())
            .ok_or_else(|| NodeError::StaleStore {
                node: self.label.into(),
                path: records_path.to_string(),
                detail: format!("column {DATA_ID_COL} is missing"),
            })?;
        let data_ids: Vec<Option<Vec<u8>>> = (0..ids.len())
            .map(|i| Some(ids.value(i).to_vec()))
            .collect();
        let tags: Vec<String> = records
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| !n.starts_with(constants::DATAGRAM_PREFIX))
            .collect();
        // The pipeline records act as the input: only their tag and system-tag columns are used.
        let input = Stream::from_batch(records, &tags, self.identity.clone())?;
        stats.cached = data_ids.len();
        let stream = assemble(self, &input, *store, results_path, &data_ids, None)?;
        Ok((stream, stats))
    }
}
