//! [`CachedPacketFunction`]: a packet function whose results are kept in a store.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use futures::future::BoxFuture;
use orcapod_datagram::Value;
use orcapod_datagram::constants::{INPUT_DATA_HASH_COL, POD_TIMESTAMP};
use orcapod_executor::{
    AsyncPacketFunction, BatchOutput, ExecutorError, FunctionInfo, InputBatch, KindedFunction,
    PacketFunction, RowFailure,
};

use super::keys::{input_table, packet_keys};
use super::{CacheCounters, CacheStats, EXEC_HOST_COL, EXEC_PROCESS_COL, host_name};
use crate::error::{Result, StoreError};
use crate::path::TablePath;
use crate::records::{OnDuplicate, RecordSet};
use crate::store::Store;

/// A packet function whose results are stored and reused: the packet-level cache.
///
/// Each row's key is the function's identity (its uri, which names the table) plus the
/// content hash of the row's input packet (the function's input columns as a 1-row table,
/// path columns hashed by file content). A row whose key was stored before is answered from
/// the store without calling the function; the others are computed by the wrapped function
/// in one call and stored, in one atomic write per batch, with the time and the host/process
/// that computed them. Rows the function drops or fails are not stored (they are retried next
/// time). Several stored results for one key (e.g. computed concurrently) resolve to the most
/// recently written one.
///
/// The table is shared: every `CachedPacketFunction` of the same function over the same
/// store, in any pipeline or process, reads and extends it.
///
/// The cache sits around the function's *in-process* call, so it works with executors that
/// call [`PacketFunction::call_batch`] (local, thread pool, async). Executors that ship the
/// function to another process by its uri or portable spec (Slurm, Ray) run the wrapped
/// function there directly: cache those with a function node or
/// [`CachedFunctionPod`](super::CachedFunctionPod), which cache around the executor.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use orcapod_cache::{InMemoryStore, Store, cached::CachedPacketFunction};
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_executor::{FunctionBuilder, FunctionPod};
///
/// static CALLS: AtomicUsize = AtomicUsize::new(0);
/// let double = FunctionBuilder::new("double")
///     .input::<i64>("x")
///     .output::<i64>("y")
///     .build(|x: i64| { CALLS.fetch_add(1, Ordering::SeqCst); 2 * x });
/// let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
/// let cached = CachedPacketFunction::new(double, store.clone())?;
/// let pod = FunctionPod::new(cached);
/// let source = Source::from_rows(
///     rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("s"),
/// )?;
/// pod.process(&[source.stream().clone()])?.materialize_collect()?;
/// pod.process(&[source.stream().clone()])?.materialize_collect()?;
/// assert_eq!(CALLS.load(Ordering::SeqCst), 2); // the second run was all hits
/// assert_eq!(pod.function().stats().hits, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachedPacketFunction<F> {
    inner: F,
    store: Arc<dyn Store>,
    path: TablePath,
    lookup: bool,
    insert: bool,
    counters: CacheCounters,
}

impl<F: PacketFunction> CachedPacketFunction<F> {
    /// Caches `inner` in `store`, in the table named by the function's uri.
    pub fn new(inner: F, store: Arc<dyn Store>) -> Result<Self> {
        Self::with_path_prefix(inner, store, &[])
    }

    /// Caches `inner` in `store`, in the table `prefix + uri`. (Function nodes keep their own
    /// result tables, with source-info columns, under `_result`: use another prefix.)
    pub fn with_path_prefix(inner: F, store: Arc<dyn Store>, prefix: &[&str]) -> Result<Self> {
        let mut components: Vec<String> = prefix.iter().map(|c| c.to_string()).collect();
        components.extend(inner.uri().to_vec());
        let path = TablePath::new(components)?;
        store.create_index(&path, INPUT_DATA_HASH_COL)?;
        Ok(CachedPacketFunction {
            inner,
            store,
            path,
            lookup: true,
            insert: true,
            counters: CacheCounters::default(),
        })
    }

    /// `false`: never read the store (every row is computed); stored results still grow
    /// unless [`with_insert`](Self::with_insert) is off too.
    pub fn with_lookup(mut self, lookup: bool) -> Self {
        self.lookup = lookup;
        self
    }

    /// `false`: never write new results.
    pub fn with_insert(mut self, insert: bool) -> Self {
        self.insert = insert;
        self
    }

    /// The table holding the results.
    pub fn record_path(&self) -> &TablePath {
        &self.path
    }

    /// The wrapped function.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// Hits, misses and stored results since construction.
    pub fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }

    /// Every stored result (with the key, provenance and timestamp columns), in write order.
    pub fn cached_outputs(&self) -> Result<Option<RecordSet>> {
        self.store.get_all(&self.path)
    }

    /// Looks every row up; returns the plan and the rows to compute (if any).
    fn plan(&self, input: &InputBatch) -> Result<Plan> {
        let keys: Vec<String> = packet_keys(&input_table(self.inner.info(), input)?)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let n = input.num_rows();
        let mut found = vec![None; n];
        let mut stored = None;
        if self.lookup && n > 0 {
            let values: Vec<Value> = keys.iter().map(|k| Value::Str(k.clone())).collect();
            let ids = self
                .store
                .latest_ids_where(&self.path, INPUT_DATA_HASH_COL, &values)?;
            let wanted: Vec<&[u8]> = ids.iter().flatten().map(Vec::as_slice).collect();
            if !wanted.is_empty()
                && let Some(set) = self.store.get_records(&self.path, &wanted)?
            {
                let position: std::collections::HashMap<&[u8], usize, ahash::RandomState> =
                    (0..set.len()).map(|i| (set.id(i), i)).collect();
                for (row, id) in ids.iter().enumerate() {
                    found[row] = id.as_deref().and_then(|id| position.get(id).copied());
                }
                stored = Some(self.stored_outputs(&set.data())?);
            }
        }
        let misses: Vec<usize> = (0..n).filter(|&r| found[r].is_none()).collect();
        Ok(Plan {
            keys,
            found,
            stored,
            misses,
        })
    }

    /// The stored output columns, checked against the function's declared outputs.
    fn stored_outputs(&self, data: &RecordBatch) -> Result<Vec<ArrayRef>> {
        let stale = |column: &str, detail: String| StoreError::StaleResult {
            path: self.path.to_string(),
            column: column.to_string(),
            detail,
        };
        self.inner
            .output_schema()
            .fields()
            .iter()
            .map(|field| {
                let want = field.to_arrow();
                let column = data.column_by_name(&field.name).ok_or_else(|| {
                    stale(&field.name, "the stored results lack this output".into())
                })?;
                if column.data_type() != want.data_type() {
                    return Err(stale(
                        &field.name,
                        format!(
                            "stored as {} but the function now declares {}",
                            column.data_type(),
                            want.data_type()
                        ),
                    ));
                }
                Ok(column.clone())
            })
            .collect()
    }

    /// Stores the newly computed rows and merges them with the hits, in row order.
    fn finish(&self, plan: Plan, computed: Option<BatchOutput>) -> Result<BatchOutput> {
        let n = plan.found.len();
        let hits = n - plan.misses.len();
        self.counters.add(hits, plan.misses.len());
        if let Some(out) = &computed {
            self.store_computed(&plan, out)?;
        }
        let outputs = self.inner.output_schema().fields();
        let mut columns = Vec::with_capacity(outputs.len());
        let mut miss_pos = vec![usize::MAX; n];
        for (k, &row) in plan.misses.iter().enumerate() {
            miss_pos[row] = k;
        }
        for (j, field) in outputs.iter().enumerate() {
            let stored = plan.stored.as_ref().map(|s| s[j].as_ref());
            let fresh = computed.as_ref().map(|c| c.columns()[j].as_ref());
            let column = match (stored, fresh) {
                (None, Some(fresh)) => fresh.slice(0, fresh.len()),
                (Some(stored), None) => {
                    let order = arrow_array::UInt32Array::from_iter_values(
                        plan.found.iter().map(|f| f.unwrap_or_default() as u32),
                    );
                    arrow_select::take::take(stored, &order, None)
                        .map_err(StoreError::arrow("taking cached outputs"))?
                }
                (Some(stored), Some(fresh)) => {
                    let indices: Vec<(usize, usize)> = (0..n)
                        .map(|r| match plan.found[r] {
                            Some(i) => (0, i),
                            None => (1, miss_pos[r]),
                        })
                        .collect();
                    arrow_select::interleave::interleave(&[stored, fresh], &indices)
                        .map_err(StoreError::arrow("merging cached and computed outputs"))?
                }
                (None, None) => arrow_array::new_empty_array(field.to_arrow().data_type()),
            };
            columns.push(column);
        }
        let mut out = BatchOutput::new(columns, n);
        if let Some(c) = &computed {
            for &local in c.dropped() {
                out.push_dropped(plan.misses[local]);
            }
            for f in c.failures() {
                out.push_failure(RowFailure {
                    row: plan.misses[f.row],
                    ..f.clone()
                });
            }
            for (local, captured) in c.logs() {
                out.push_log(plan.misses[*local], captured.clone());
            }
        }
        Ok(out)
    }

    /// One atomic write of the computed rows that produced an output.
    fn store_computed(&self, plan: &Plan, out: &BatchOutput) -> Result<()> {
        if !self.insert {
            return Ok(());
        }
        let mut failed = vec![false; plan.misses.len()];
        for &r in out.dropped() {
            failed[r] = true;
        }
        for f in out.failures() {
            failed[f.row] = true;
        }
        let keep: Vec<u32> = (0..plan.misses.len())
            .filter(|&k| !failed[k])
            .map(|k| k as u32)
            .collect();
        if keep.is_empty() {
            return Ok(());
        }
        let take = arrow_array::UInt32Array::from(keep.clone());
        let rows = keep.len();
        let mut fields = vec![ArrowField::new(
            INPUT_DATA_HASH_COL,
            ArrowType::LargeUtf8,
            false,
        )];
        let mut columns: Vec<ArrayRef> = vec![Arc::new(LargeStringArray::from_iter_values(
            keep.iter()
                .map(|&k| plan.keys[plan.misses[k as usize]].as_str()),
        ))];
        for (field, column) in self
            .inner
            .output_schema()
            .fields()
            .iter()
            .zip(out.columns())
        {
            fields.push(field.to_arrow().with_nullable(true));
            columns.push(
                arrow_select::take::take(column.as_ref(), &take, None)
                    .map_err(StoreError::arrow("selecting computed outputs"))?,
            );
        }
        let host = host_name();
        let process = std::process::id().to_string();
        let ts = crate::time::now_iso();
        for (name, value) in [
            (EXEC_HOST_COL, host.as_str()),
            (EXEC_PROCESS_COL, process.as_str()),
            (POD_TIMESTAMP, ts.as_str()),
        ] {
            fields.push(ArrowField::new(name, ArrowType::LargeUtf8, false));
            columns.push(Arc::new(LargeStringArray::from_iter_values(
                std::iter::repeat_n(value, rows),
            )));
        }
        let data = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns)
            .map_err(StoreError::arrow("building result records"))?;
        let ids = (0..rows).map(|_| uuid::Uuid::now_v7().as_bytes().to_vec());
        let written =
            self.store
                .add_records(&self.path, RecordSet::new(ids, data)?, OnDuplicate::Skip)?;
        self.counters.stored(written.written);
        Ok(())
    }

    fn sub_batch(input: &InputBatch, rows: &[usize]) -> orcapod_executor::Result<InputBatch> {
        if rows.len() == input.num_rows() {
            return Ok(input.clone());
        }
        let take = arrow_array::UInt32Array::from_iter_values(rows.iter().map(|&r| r as u32));
        let columns = input
            .columns()
            .iter()
            .map(|c| {
                c.as_ref()
                    .map(|c| arrow_select::take::take(c.as_ref(), &take, None))
                    .transpose()
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ExecutorError::Arrow(Arc::new(e)))?;
        InputBatch::new(columns, rows.len())
    }
}

/// Lookup result of one batch.
struct Plan {
    /// Key (input packet hash) of each row.
    keys: Vec<String>,
    /// Row of `stored` answering each input row, if it was a hit.
    found: Vec<Option<usize>>,
    /// Stored output columns of the hits (rows as in the fetched record set).
    stored: Option<Vec<ArrayRef>>,
    /// Rows to compute, ascending.
    misses: Vec<usize>,
}

fn backend(error: StoreError) -> ExecutorError {
    ExecutorError::Backend {
        executor: "orcapod-cache".into(),
        source: Arc::new(error),
    }
}

impl<F: PacketFunction> PacketFunction for CachedPacketFunction<F> {
    fn info(&self) -> &FunctionInfo {
        self.inner.info()
    }

    fn call_batch(&self, input: &InputBatch) -> orcapod_executor::Result<BatchOutput> {
        let plan = self.plan(input).map_err(backend)?;
        let computed = match plan.misses.is_empty() {
            true => None,
            false => Some(
                self.inner
                    .call_batch(&Self::sub_batch(input, &plan.misses)?)?,
            ),
        };
        self.finish(plan, computed).map_err(backend)
    }

    fn as_async(&self) -> Option<&dyn AsyncPacketFunction> {
        self.inner
            .as_async()
            .map(|_| self as &dyn AsyncPacketFunction)
    }

    fn portable_spec(&self) -> Option<serde_json::Value> {
        self.inner.portable_spec()
    }
}

impl<F: PacketFunction> AsyncPacketFunction for CachedPacketFunction<F> {
    fn call_batch_async<'a>(
        &'a self,
        input: &'a InputBatch,
        max_in_flight: usize,
    ) -> BoxFuture<'a, orcapod_executor::Result<BatchOutput>> {
        Box::pin(async move {
            // Store I/O is short and synchronous; only the function's own work is awaited.
            let plan = self.plan(input).map_err(backend)?;
            let computed = if plan.misses.is_empty() {
                None
            } else {
                let sub = Self::sub_batch(input, &plan.misses)?;
                Some(match self.inner.as_async() {
                    Some(inner) => inner.call_batch_async(&sub, max_in_flight).await?,
                    None => self.inner.call_batch(&sub)?,
                })
            };
            self.finish(plan, computed).map_err(backend)
        })
    }
}

impl<F: KindedFunction> KindedFunction for CachedPacketFunction<F> {
    type Kind = F::Kind;
}

impl<F: PacketFunction> std::fmt::Debug for CachedPacketFunction<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedPacketFunction")
            .field("uri", &self.inner.uri().to_string())
            .field("path", &self.path.to_string())
            .field("lookup", &self.lookup)
            .field("insert", &self.insert)
            .finish()
    }
}
