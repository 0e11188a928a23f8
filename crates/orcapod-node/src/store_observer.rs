//! Observers that write status rows and captured logs into the pipeline's store.
//!
//! Tables (orcapod-python names, spec §10.3 and §15), per node:
//!
//! * `N/_status/<node>/execution_status`: one row per node start and end and per failed
//!   packet: `_status_id`, `_status_run_id`, `_status_pipeline_uri`, `_status_node`,
//!   `_status_state` (`RUNNING`, `SUCCESS`, `PARTIAL`, `FAILED`), `_status_timestamp`,
//!   `_status_error_summary`.
//! * `N/_log/<node>/execution_logs`: one row per failed packet: `_log_id`, `_log_run_id`,
//!   `_log_timestamp`, `_log_tags` (the packet's tags as JSON), `_log_stdout_log`,
//!   `_log_stderr_log`, `_log_traceback` (failure kind and message), `_log_success`.
//!
//! Both are queryable by run and node ([`StoreObserver::status_rows`], [`StoreObserver::log_rows`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow_array::{ArrayRef, BooleanArray, LargeStringArray, RecordBatch};
use arrow_schema::{Field as ArrowField, Schema as ArrowSchema};
use orcapod_cache::{OnDuplicate, RecordSet, Store, TablePath};
use orcapod_executor::PacketError;

use crate::error::Result;
use crate::observer::{NodeKind, Observer};
use crate::paths;
use crate::pipeline::Pipeline;
use crate::run::NodeStats;

/// Writes status and log tables into a store while a pipeline runs.
pub struct StoreObserver {
    store: Arc<dyn Store>,
    pipeline: Vec<String>,
    pipeline_uri: String,
    run_id: Mutex<String>,
    errors: Mutex<Vec<String>>,
}

impl StoreObserver {
    /// An observer writing into `store` under `pipeline`'s name.
    pub fn new(pipeline: &Pipeline, store: Arc<dyn Store>) -> Self {
        StoreObserver {
            store,
            pipeline: pipeline.name.clone(),
            pipeline_uri: pipeline.name(),
            run_id: Mutex::new(String::new()),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// Write failures seen so far (the observer never fails a run; check these instead).
    pub fn write_errors(&self) -> Vec<String> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    fn run_id(&self) -> String {
        self.run_id.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn write(&self, path: Result<TablePath>, columns: Vec<(&str, ArrayRef)>) {
        let result = (|| -> Result<()> {
            let path = path?;
            let fields: Vec<ArrowField> = columns
                .iter()
                .map(|(n, a)| ArrowField::new(*n, a.data_type().clone(), false))
                .collect();
            let batch = RecordBatch::try_new(
                Arc::new(ArrowSchema::new(fields)),
                columns.into_iter().map(|(_, a)| a).collect(),
            )?;
            let id = uuid::Uuid::now_v7();
            self.store.add_records(
                &path,
                RecordSet::new([id.as_bytes().to_vec()], batch)?,
                OnDuplicate::Skip,
            )?;
            Ok(())
        })();
        if let Err(e) = result
            && let Ok(mut errors) = self.errors.lock()
        {
            errors.push(e.to_string());
        }
    }

    fn status(&self, node: &str, state: &str, summary: &str) {
        let s = |v: &str| Arc::new(LargeStringArray::from(vec![v.to_string()])) as ArrayRef;
        self.write(
            paths::status(&self.pipeline, &[node.to_string()]),
            vec![
                ("_status_id", s(&uuid::Uuid::now_v7().to_string())),
                ("_status_run_id", s(&self.run_id())),
                ("_status_pipeline_uri", s(&self.pipeline_uri)),
                ("_status_node", s(node)),
                ("_status_state", s(state)),
                ("_status_timestamp", s(&crate::time::now_iso())),
                ("_status_error_summary", s(summary)),
            ],
        );
    }

    /// Status rows of one node (all runs, or one run), as stored.
    pub fn status_rows(
        store: &dyn Store,
        pipeline: &Pipeline,
        node: &str,
        run_id: Option<&str>,
    ) -> Result<Option<RecordBatch>> {
        query(
            store,
            paths::status(&pipeline.name, &[node.to_string()])?,
            "_status_run_id",
            run_id,
        )
    }

    /// Log rows of one node (all runs, or one run), as stored.
    pub fn log_rows(
        store: &dyn Store,
        pipeline: &Pipeline,
        node: &str,
        run_id: Option<&str>,
    ) -> Result<Option<RecordBatch>> {
        query(
            store,
            paths::logs(&pipeline.name, &[node.to_string()])?,
            "_log_run_id",
            run_id,
        )
    }
}

fn query(
    store: &dyn Store,
    path: TablePath,
    column: &str,
    run_id: Option<&str>,
) -> Result<Option<RecordBatch>> {
    let set = match run_id {
        Some(r) => store.get_records_with_column_value(
            &path,
            column,
            orcapod_datagram::Value::Str(r.into()),
        )?,
        None => store.get_all(&path)?,
    };
    Ok(set.map(|s| s.data()))
}

impl Observer for StoreObserver {
    fn on_run_start(&self, _pipeline: &str, run_id: &str) {
        if let Ok(mut r) = self.run_id.lock() {
            *r = run_id.to_string();
        }
    }
    fn on_node_start(&self, node: &str, _kind: NodeKind) {
        self.status(node, "RUNNING", "");
    }
    fn on_node_end(&self, node: &str, stats: &NodeStats) {
        let state = if stats.failed == 0 {
            "SUCCESS"
        } else if stats.computed + stats.cached > 0 {
            "PARTIAL"
        } else {
            "FAILED"
        };
        let summary = if stats.failed == 0 {
            String::new()
        } else {
            format!(
                "{} of {} packets failed",
                stats.failed,
                stats.failed + stats.computed + stats.cached
            )
        };
        self.status(node, state, &summary);
    }
    fn on_packet_crash(&self, node: &str, error: &PacketError) {
        self.status(node, "FAILED", &error.message);
        let tags: BTreeMap<&str, String> = error
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        let s = |v: &str| Arc::new(LargeStringArray::from(vec![v.to_string()])) as ArrayRef;
        let (stdout, stderr) = error
            .captured
            .as_ref()
            .map(|c| (c.stdout.clone(), c.stderr.clone()))
            .unwrap_or_default();
        self.write(
            paths::logs(&self.pipeline, &[node.to_string()]),
            vec![
                ("_log_id", s(&uuid::Uuid::now_v7().to_string())),
                ("_log_run_id", s(&self.run_id())),
                ("_log_timestamp", s(&crate::time::now_iso())),
                (
                    "_log_tags",
                    s(&serde_json::to_string(&tags).unwrap_or_default()),
                ),
                ("_log_stdout_log", s(&stdout)),
                ("_log_stderr_log", s(&stderr)),
                (
                    "_log_traceback",
                    s(&format!("{}: {}", error.kind, error.message)),
                ),
                (
                    "_log_success",
                    Arc::new(BooleanArray::from(vec![false])) as ArrayRef,
                ),
            ],
        );
    }
}

/// Emits `tracing` events for runs, nodes and failed packets (for users with their own
/// subscriber).
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingObserver;

impl Observer for TracingObserver {
    fn on_run_start(&self, pipeline: &str, run_id: &str) {
        tracing::info!(pipeline, run_id, "run started");
    }
    fn on_run_end(&self, pipeline: &str, run_id: &str, ok: bool) {
        tracing::info!(pipeline, run_id, ok, "run finished");
    }
    fn on_node_start(&self, node: &str, kind: NodeKind) {
        tracing::debug!(node, kind = %kind, "node started");
    }
    fn on_node_end(&self, node: &str, stats: &NodeStats) {
        tracing::info!(
            node,
            computed = stats.computed,
            cached = stats.cached,
            failed = stats.failed,
            rows = stats.rows_out,
            "node finished"
        );
    }
    fn on_packet_crash(&self, node: &str, error: &PacketError) {
        tracing::warn!(node, error = %error, "packet failed");
    }
}
