//! [`CachedFunctionPod`]: a function pod whose output rows are kept in a store.

use std::sync::Arc;

use arrow_array::{RecordBatch, UInt32Array};
use arrow_select::interleave::interleave_record_batch;
use orcapod_datagram::Stream;
use orcapod_executor::{
    DynExecutor, FunctionPod, KindedFunction, LocalExecutor, PacketError, pod_stream_identity,
};

use super::keys::pod_entry_ids;
use super::{CacheCounters, CacheStats};
use crate::error::{Result, StoreError};
use crate::path::TablePath;
use crate::records::{OnDuplicate, RecordSet};
use crate::store::Store;

/// A function pod whose output rows are stored and reused: the pod-level cache.
///
/// A row's key is its *entry id* ([`pod_entry_ids`]): the pod's identity, the row's tags and
/// system tags, and its input packet hash. Unlike the packet-level cache, the same packet under
/// other tags (or from another source) is a miss here: the stored row carries the tags and
/// provenance it was computed for. The table is `prefix + uri + "schema:" + <pipeline hash of
/// the output stream>`, so inputs of different structure never share a table.
///
/// [`process`](Self::process) serves stored rows, runs the pod (with its executor) on the
/// others only, stores what they produced in one atomic write, and returns every row in input
/// order. Rows the function drops or fails are not stored.
///
/// ```
/// use std::sync::Arc;
/// use orcapod_cache::{InMemoryStore, Store, cached::CachedFunctionPod};
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_executor::{FunctionBuilder, FunctionPod};
///
/// let pod = FunctionPod::new(
///     FunctionBuilder::new("inc").input::<i64>("x").output::<i64>("y").build(|x: i64| x + 1),
/// );
/// let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
/// let cached = CachedFunctionPod::new(pod, store, &["_pod"])?;
/// let source = Source::from_rows(
///     rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("s"),
/// )?;
/// let first = cached.process(source.stream())?;
/// let again = cached.process(source.stream())?;
/// assert_eq!((first.computed_rows.len(), again.cached_rows.len()), (2, 2));
/// assert_eq!(first.stream.batch(), again.stream.batch());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachedFunctionPod<F, E = LocalExecutor> {
    pod: FunctionPod<F, E>,
    store: Arc<dyn Store>,
    prefix: Vec<String>,
    counters: CacheCounters,
}

/// The result of [`CachedFunctionPod::process`].
#[derive(Debug)]
pub struct CachedPodOutput {
    /// The output rows, in input order (dropped and failed rows left out).
    pub stream: Stream,
    /// Input rows answered from the store.
    pub cached_rows: Vec<usize>,
    /// Input rows computed by this call (including those that failed or were dropped).
    pub computed_rows: Vec<usize>,
    /// One error per failed row (rows are input rows).
    pub errors: Vec<PacketError>,
}

impl<F: KindedFunction + 'static, E: DynExecutor + Clone + 'static> CachedFunctionPod<F, E> {
    /// Caches `pod` in `store`, in tables under `prefix`.
    pub fn new(pod: FunctionPod<F, E>, store: Arc<dyn Store>, prefix: &[&str]) -> Result<Self> {
        // Validate the prefix now rather than at the first run.
        TablePath::new(prefix.iter().copied().chain(["x"]))?;
        Ok(CachedFunctionPod {
            pod,
            store,
            prefix: prefix.iter().map(|c| c.to_string()).collect(),
            counters: CacheCounters::default(),
        })
    }

    /// The wrapped pod.
    pub fn pod(&self) -> &FunctionPod<F, E> {
        &self.pod
    }

    /// Hits, misses and stored rows since construction.
    pub fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }

    /// The table holding the rows of the pod over `input`.
    pub fn record_path(&self, input: &Stream) -> Result<TablePath> {
        let identity = pod_stream_identity(
            self.pod.content_hash(),
            self.pod.pipeline_hash(),
            input.identity(),
        )?;
        let mut components = self.prefix.clone();
        components.extend(self.pod.uri().to_vec());
        components.push(format!("schema:{}", identity.pipeline_hash));
        TablePath::new(components)
    }

    /// Applies the pod to `input`, serving stored rows and computing only the others.
    pub fn process(&self, input: &Stream) -> Result<CachedPodOutput> {
        let identity = pod_stream_identity(
            self.pod.content_hash(),
            self.pod.pipeline_hash(),
            input.identity(),
        )?;
        let path = self.record_path(input)?;
        let hashes: Vec<String> = input
            .packet_hashes()?
            .iter()
            .map(ToString::to_string)
            .collect();
        let entry_ids = pod_entry_ids(input, &hashes, &self.pod.content_hash().to_string())?;
        let n = input.num_rows();
        let refs: Vec<&[u8]> = entry_ids.iter().map(Vec::as_slice).collect();
        let stored = self.store.get_records(&path, &refs)?;
        let position: std::collections::HashMap<&[u8], usize, ahash::RandomState> = stored
            .as_ref()
            .map(|s| (0..s.len()).map(|i| (s.id(i), i)).collect())
            .unwrap_or_default();
        let found: Vec<Option<usize>> = refs.iter().map(|id| position.get(id).copied()).collect();
        let misses: Vec<usize> = (0..n).filter(|&r| found[r].is_none()).collect();
        let cached_rows: Vec<usize> = (0..n).filter(|&r| found[r].is_some()).collect();
        self.counters.add(cached_rows.len(), misses.len());

        let mut errors = Vec::new();
        let mut computed: Option<(RecordBatch, Vec<usize>)> = None;
        if !misses.is_empty() {
            let take = UInt32Array::from_iter_values(misses.iter().map(|&r| r as u32));
            let sub = input.with_batch(
                arrow_select::take::take_record_batch(input.batch(), &take)
                    .map_err(StoreError::arrow("selecting rows to compute"))?,
            )?;
            let results = self.pod.process(&[sub])?.materialize_collect()?;
            let rows: Vec<usize> = results.input_rows.iter().map(|&l| misses[l]).collect();
            for mut e in results.errors {
                e.row = misses[e.row.min(misses.len() - 1)];
                errors.push(e);
            }
            let batch = results.stream.batch().clone();
            if batch.num_rows() > 0 {
                let ids = rows.iter().map(|&r| entry_ids[r].clone());
                let written = self.store.add_records(
                    &path,
                    RecordSet::new(ids, batch.clone())?,
                    OnDuplicate::Skip,
                )?;
                self.counters.stored(written.written);
            }
            computed = Some((batch, rows));
        }

        let stored_batch = stored.map(|s| s.data());
        if let Some(batch) = &stored_batch {
            self.check_outputs(&path, batch)?;
        }
        let mut parts: Vec<&RecordBatch> = Vec::new();
        let mut order: Vec<(usize, (usize, usize))> = Vec::new();
        if let Some(batch) = &stored_batch {
            parts.push(batch);
            let part = parts.len() - 1;
            order.extend(
                cached_rows
                    .iter()
                    .map(|&r| (r, (part, found[r].unwrap_or(0)))),
            );
        }
        if let Some((batch, rows)) = &computed {
            if let Some(first) = parts.first() {
                check_same_schema(&path, first, batch)?;
            }
            parts.push(batch);
            let part = parts.len() - 1;
            order.extend(rows.iter().enumerate().map(|(k, &r)| (r, (part, k))));
        }
        order.sort_unstable_by_key(|(row, _)| *row);
        let indices: Vec<(usize, usize)> = order.into_iter().map(|(_, at)| at).collect();
        let batch = match parts.first() {
            Some(first) if indices.is_empty() => RecordBatch::new_empty(first.schema()),
            Some(_) => interleave_record_batch(&parts, &indices)
                .map_err(StoreError::arrow("merging cached and computed rows"))?,
            None => {
                // Nothing stored and nothing computed (an empty input): the pod's own empty
                // output has the right schema.
                self.pod
                    .process(std::slice::from_ref(input))?
                    .materialize_collect()?
                    .stream
                    .batch()
                    .clone()
            }
        };
        Ok(CachedPodOutput {
            stream: Stream::from_batch(batch, input.tag_columns(), identity)?,
            cached_rows,
            computed_rows: misses,
            errors,
        })
    }
}

impl<F: KindedFunction + 'static, E: DynExecutor + Clone + 'static> CachedFunctionPod<F, E> {
    /// Stored rows must hold the function's declared outputs in their declared types.
    fn check_outputs(&self, path: &TablePath, stored: &RecordBatch) -> Result<()> {
        for field in self.pod.function().output_schema().fields() {
            let want = field.to_arrow();
            match stored.column_by_name(&field.name) {
                Some(c) if c.data_type() == want.data_type() => {}
                Some(c) => {
                    return Err(StoreError::StaleResult {
                        path: path.to_string(),
                        column: field.name.clone(),
                        detail: format!(
                            "stored as {} but the function now declares {}",
                            c.data_type(),
                            want.data_type()
                        ),
                    });
                }
                None => {
                    return Err(StoreError::StaleResult {
                        path: path.to_string(),
                        column: field.name.clone(),
                        detail: "the stored rows lack this output".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Stored rows must have the columns the pod produces now.
fn check_same_schema(path: &TablePath, stored: &RecordBatch, fresh: &RecordBatch) -> Result<()> {
    let (a, b) = (stored.schema(), fresh.schema());
    for field in b.fields() {
        match a.field_with_name(field.name()) {
            Ok(f) if f.data_type() == field.data_type() => {}
            Ok(f) => {
                return Err(StoreError::StaleResult {
                    path: path.to_string(),
                    column: field.name().clone(),
                    detail: format!(
                        "stored as {} but the pod now produces {}",
                        f.data_type(),
                        field.data_type()
                    ),
                });
            }
            Err(_) => {
                return Err(StoreError::StaleResult {
                    path: path.to_string(),
                    column: field.name().clone(),
                    detail: "the stored rows lack this column".into(),
                });
            }
        }
    }
    if a.fields().len() != b.fields().len() {
        return Err(StoreError::StaleResult {
            path: path.to_string(),
            column: String::new(),
            detail: format!(
                "stored rows have {} columns, the pod now produces {}",
                a.fields().len(),
                b.fields().len()
            ),
        });
    }
    Ok(())
}

impl<F: KindedFunction, E: DynExecutor> std::fmt::Debug for CachedFunctionPod<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedFunctionPod")
            .field("pod", &self.pod)
            .field("prefix", &self.prefix)
            .finish()
    }
}
