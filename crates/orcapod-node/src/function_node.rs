//! Function nodes: a function pod over a stream, backed by a store in two phases.
//!
//! **Phase 1** serves what is stored: rows whose pipeline record exists (this node computed
//! them before), then rows whose *input packet* was computed by any node with the same function
//! (the packet-level cache: results are keyed by function uri and input packet hash).
//! **Phase 2** computes only the rest, in chunks; each chunk's results and pipeline records are
//! committed in one atomic store transaction, so a killed run loses at most the chunks in
//! flight (the one being stored and the one computed ahead of it) and a rerun resumes without
//! recomputing finished work. Identical input packets inside one run
//! are computed once.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, LargeBinaryArray, LargeStringArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_cache::cached::{pod_entry_ids, result_id};
use orcapod_cache::{OnDuplicate, RecordSet, Store, StoreTransaction, TablePath};
use orcapod_datagram::constants::{
    self, INPUT_DATA_HASH_COL, NODE_CONTENT_HASH_COL, POD_TIMESTAMP,
};
use orcapod_datagram::{Stream, StreamIdentity};
use orcapod_executor::{PacketError, pod_stream_identity};

use crate::assemble::{Fresh, assemble};
use crate::error::{NodeError, Result};
use crate::observer::{Observer, PacketOutcome};
use crate::overlap::overlapped;
use crate::pod::PodLike;
use crate::run::{ErrorPolicy, NodeStats};

/// Hash maps keyed by ids and digests: ahash (randomly seeded, so still DoS-resistant) is
/// several times faster than SipHash on these short keys, which warm reruns hash millions of.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// Pipeline-record column linking to the result record (0.1.4 name).
pub const DATA_ID_COL: &str = "__data_id";
/// Pipeline-record column with the input packet's context key (0.1.4 name).
pub const INPUT_CONTEXT_COL: &str = "__input_data_context_key";
/// Executor type recorded next to results (never hashed).
pub const EXECUTOR_TYPE_COL: &str = "__pf_exec_executor_type";
/// Executor details (JSON) recorded next to results (never hashed).
pub const EXECUTOR_INFO_COL: &str = "__pf_exec_executor_info";

/// Everything a function node needs to run once.
pub(crate) struct FunctionRun<'a> {
    pub label: &'a str,
    pub pod: &'a Arc<dyn PodLike>,
    pub store: Option<(&'a dyn Store, TablePath, TablePath)>,
    pub identity: &'a StreamIdentity,
    pub policy: ErrorPolicy,
    pub observer: &'a dyn Observer,
    pub chunk_rows: usize,
    /// Position of `input`'s first row in the node's whole input (async mode runs a node
    /// chunk by chunk): added to the rows of packet events and errors.
    pub row_offset: usize,
    /// `input` is the node's whole input (sync mode), so completion manifests apply
    /// ([`crate::manifest`]); async chunks are parts of it and never use them.
    pub whole_input: bool,
}

/// Output of a function node run.
pub(crate) struct FunctionOutput {
    pub stream: Stream,
    pub stats: NodeStats,
    pub errors: Vec<PacketError>,
}

impl FunctionRun<'_> {
    pub(crate) fn run(&self, input: &Stream) -> Result<FunctionOutput> {
        let expected = pod_stream_identity(
            self.pod.content_hash(),
            self.pod.pipeline_hash(),
            input.identity(),
        )?;
        if &expected != self.identity {
            return Err(NodeError::InvalidInput {
                node: self.label.into(),
                reason: "the input stream is not the one this node was built on".into(),
            });
        }
        match &self.store {
            None => self.run_without_store(input),
            Some((store, records, results)) => self.run_with_store(input, *store, records, results),
        }
    }

    fn run_without_store(&self, input: &Stream) -> Result<FunctionOutput> {
        let results = self.pod.process(input)?.materialize_collect()?;
        let mut stats = NodeStats::new(self.label, crate::NodeKind::Function);
        stats.computed = results.stream.num_rows();
        stats.failed = results.errors.len();
        stats.dropped = input.num_rows() - stats.computed - stats.failed;
        for row in &results.input_rows {
            self.observer.on_packet_end(
                self.label,
                self.row_offset + *row,
                PacketOutcome::Computed,
            );
        }
        let mut results = results;
        for e in &mut results.errors {
            e.row += self.row_offset;
            self.observer.on_packet_crash(self.label, e);
        }
        let mut ended = vec![false; input.num_rows()];
        for &row in &results.input_rows {
            ended[row] = true;
        }
        for e in &results.errors {
            ended[e.row - self.row_offset] = true;
        }
        for (row, _) in ended.iter().enumerate().filter(|(_, ended)| !**ended) {
            self.observer
                .on_packet_end(self.label, self.row_offset + row, PacketOutcome::Dropped);
        }
        if self.policy == ErrorPolicy::FailFast
            && let Some(e) = results.errors.first()
        {
            return Err(NodeError::PacketFailed {
                node: self.label.into(),
                error: Box::new(e.clone()),
            });
        }
        Ok(FunctionOutput {
            stream: results.stream.with_identity(self.identity.clone()),
            stats,
            errors: results.errors,
        })
    }

    fn run_with_store(
        &self,
        input: &Stream,
        store: &dyn Store,
        records_path: &TablePath,
        results_path: &TablePath,
    ) -> Result<FunctionOutput> {
        let n = input.num_rows();
        let mut stats = NodeStats::new(self.label, crate::NodeKind::Function);
        let node_hash = self.identity.content_hash.to_string();
        let manifest_key = match self.whole_input {
            true => Some(crate::manifest::key(&node_hash, input)?),
            false => None,
        };
        if let Some(key) = &manifest_key
            && let Some(data_ids) = crate::manifest::read(store, records_path, key, n)?
        {
            // A complete earlier run of this very identity: every row is a hit.
            stats.cached = n;
            for row in 0..n {
                self.observer.on_packet_end(
                    self.label,
                    self.row_offset + row,
                    PacketOutcome::Cached,
                );
            }
            let stream = assemble(self, input, store, results_path, &data_ids, None)?;
            return Ok(FunctionOutput {
                stream,
                stats,
                errors: Vec::new(),
            });
        }
        // Results are content-addressed (`orcapod_cache::cached::result_id`): a result's
        // record id is its input packet hash, so finding one is a key probe and storing one
        // writes no index entry. Result tables written before (store format 2 as first
        // released) keyed results by UUID and found them through an index on
        // `__input_data_hash`; such a table keeps its index, which is searched for ids the
        // probe misses.
        let legacy_index = store
            .indexes(results_path)?
            .iter()
            .any(|c| c == INPUT_DATA_HASH_COL);
        let hashes = input.packet_hashes()?;
        let packet_hashes: Vec<String> = hashes.iter().map(ToString::to_string).collect();
        let result_ids: Vec<Vec<u8>> = hashes.iter().map(result_id).collect();
        let entry_ids = pod_entry_ids(input, &packet_hashes, &node_hash)?;

        // Phase 1a: this node's own pipeline records.
        let mut data_ids: Vec<Option<Vec<u8>>> = vec![None; n];
        let id_refs: Vec<&[u8]> = entry_ids.iter().map(Vec::as_slice).collect();
        read_data_ids(store, records_path, &id_refs, self.label, &mut data_ids)?;
        // Set when a pipeline-record write skipped an entry that another writer (an identical
        // node of the same run, or another process) recorded first.
        let mut conflict = false;
        let mut outcomes: Vec<Option<PacketOutcome>> = data_ids
            .iter()
            .map(|d| d.as_ref().map(|_| PacketOutcome::Cached))
            .collect();

        // Phase 1b: results of the same function on the same input packet (any pipeline),
        // looked up for all distinct packets at once.
        let mut pending_records: Vec<usize> = Vec::new();
        let mut to_compute: Vec<usize> = Vec::new();
        let mut first_by_hash: HashMap<&str, usize> = HashMap::default();
        let mut duplicates: Vec<(usize, usize)> = Vec::new();
        let mut lookup_rows: Vec<usize> = Vec::new();
        for row in 0..n {
            if data_ids[row].is_some() {
                continue;
            }
            let hash = packet_hashes[row].as_str();
            if let Some(&first) = first_by_hash.get(hash) {
                duplicates.push((row, first));
                continue;
            }
            first_by_hash.insert(hash, row);
            lookup_rows.push(row);
        }
        if !lookup_rows.is_empty() {
            let ids: Vec<&[u8]> = lookup_rows
                .iter()
                .map(|&r| result_ids[r].as_slice())
                .collect();
            let present = store.contains_ids(results_path, &ids)?;
            let mut unresolved = Vec::new();
            for (&row, present) in lookup_rows.iter().zip(present) {
                if present {
                    data_ids[row] = Some(result_ids[row].clone());
                    outcomes[row] = Some(PacketOutcome::Cached);
                    pending_records.push(row);
                } else {
                    unresolved.push(row);
                }
            }
            if legacy_index && !unresolved.is_empty() {
                let values: Vec<orcapod_datagram::Value> = unresolved
                    .iter()
                    .map(|&r| orcapod_datagram::Value::Str(packet_hashes[r].clone()))
                    .collect();
                let found = store.latest_ids_where(results_path, INPUT_DATA_HASH_COL, &values)?;
                for (&row, id) in unresolved.iter().zip(found) {
                    match id {
                        Some(id) => {
                            data_ids[row] = Some(id);
                            outcomes[row] = Some(PacketOutcome::Cached);
                            pending_records.push(row);
                        }
                        None => to_compute.push(row),
                    }
                }
            } else {
                to_compute = unresolved;
            }
        }
        if !pending_records.is_empty() {
            let mut txn = StoreTransaction::new();
            let set = pipeline_records(
                input,
                &pending_records,
                &data_ids,
                &entry_ids,
                &node_hash,
                false,
            )?;
            txn.add_records(records_path, set, OnDuplicate::Skip);
            conflict |= store.commit(txn)?.iter().any(|w| w.skipped > 0);
        }

        // Phase 2: compute the rest, chunk by chunk, each chunk one atomic commit.
        let outputs = self.pod.output_schema();
        let mut fresh = Fresh::new(n);
        let mut errors = Vec::new();
        let mut aborted_at = None;
        compute_chunks(
            self.pod.as_ref(),
            input,
            &to_compute,
            self.chunk_rows,
            // A fail-fast stop would discard the chunk computed ahead: finished work is
            // meant to stay stored, so fail-fast runs do not compute ahead.
            self.policy != ErrorPolicy::FailFast,
            |chunk, results| {
                let mut computed_rows = Vec::with_capacity(results.input_rows.len());
                for &local in &results.input_rows {
                    let row = chunk[local];
                    data_ids[row] = Some(result_ids[row].clone());
                    outcomes[row] = Some(PacketOutcome::Computed);
                    computed_rows.push(row);
                }
                fresh.keep(outputs, &results.stream, &computed_rows);
                if !computed_rows.is_empty() {
                    let mut txn = StoreTransaction::new();
                    let result_set = result_records(&results, &packet_hashes, &result_ids, chunk)?;
                    txn.add_records(results_path, result_set, OnDuplicate::Skip);
                    let set = pipeline_records(
                        input,
                        &computed_rows,
                        &data_ids,
                        &entry_ids,
                        &node_hash,
                        true,
                    )?;
                    txn.add_records(records_path, set, OnDuplicate::Skip);
                    conflict |= store.commit(txn)?.iter().any(|w| w.skipped > 0);
                }
                for e in results.errors {
                    let mut e = e;
                    e.row = self.row_offset + chunk[e.row.min(chunk.len() - 1)];
                    self.observer.on_packet_crash(self.label, &e);
                    errors.push(e);
                }
                if self.policy == ErrorPolicy::FailFast && !errors.is_empty() {
                    aborted_at = Some(chunk[chunk.len() - 1]);
                    return Ok(false);
                }
                Ok(true)
            },
        )?;

        // Rows whose input packet equals an earlier row's reuse its result.
        // Rows whose packet equals a failed row's fail alike (with their own row and tags).
        if !duplicates.is_empty() {
            let mut rows = Vec::new();
            let failed: HashMap<usize, usize> = errors
                .iter()
                .enumerate()
                .map(|(i, e)| (e.row - self.row_offset, i))
                .collect();
            for (row, first) in duplicates {
                if let Some(id) = data_ids[first].clone() {
                    data_ids[row] = Some(id);
                    outcomes[row] = Some(PacketOutcome::Cached);
                    rows.push(row);
                } else if let Some(&i) = failed.get(&first) {
                    let mut e = errors[i].clone();
                    e.row = self.row_offset + row;
                    e.tags = input
                        .tag_columns()
                        .iter()
                        .map(|t| {
                            let col = input.column(t).ok_or_else(|| NodeError::NoOutput {
                                node: self.label.into(),
                                reason: format!("tag column '{t}' is missing"),
                            })?;
                            Ok((
                                t.clone(),
                                orcapod_datagram::Value::from_array(col.as_ref(), row)?,
                            ))
                        })
                        .collect::<Result<_>>()?;
                    self.observer.on_packet_crash(self.label, &e);
                    errors.push(e);
                }
            }
            errors.sort_by_key(|e| e.row);
            if !rows.is_empty() {
                let mut txn = StoreTransaction::new();
                txn.add_records(
                    records_path,
                    pipeline_records(input, &rows, &data_ids, &entry_ids, &node_hash, false)?,
                    OnDuplicate::Skip,
                );
                conflict |= store.commit(txn)?.iter().any(|w| w.skipped > 0);
            }
        }

        for (row, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Some(PacketOutcome::Computed) => stats.computed += 1,
                Some(PacketOutcome::Cached) => stats.cached += 1,
                _ => continue,
            }
            if let Some(o) = outcome {
                self.observer
                    .on_packet_end(self.label, self.row_offset + row, *o);
            }
        }
        stats.failed = errors.len();
        if let Some(last) = aborted_at {
            stats.skipped = to_compute.iter().filter(|&&r| r > last).count();
            return Err(NodeError::PacketFailed {
                node: self.label.into(),
                error: Box::new(errors.swap_remove(0)),
            });
        }
        stats.dropped = n - stats.computed - stats.cached - stats.failed;
        if stats.dropped > 0 {
            let failed: std::collections::HashSet<usize> =
                errors.iter().map(|e| e.row - self.row_offset).collect();
            for row in (0..n).filter(|r| outcomes[*r].is_none() && !failed.contains(r)) {
                self.observer.on_packet_end(
                    self.label,
                    self.row_offset + row,
                    PacketOutcome::Dropped,
                );
            }
        }
        if conflict {
            // The store keeps the first writer's records: serve those, as every later run will.
            read_data_ids(store, records_path, &id_refs, self.label, &mut data_ids)?;
        }
        if let Some(key) = &manifest_key
            && errors.is_empty()
            && stats.dropped == 0
        {
            crate::manifest::write(store, records_path, key, &data_ids)?;
        }
        // After a conflict the store holds another writer's records: read everything back.
        let fresh = (!conflict).then_some(&fresh);
        let stream = assemble(self, input, store, results_path, &data_ids, fresh)?;
        Ok(FunctionOutput {
            stream,
            stats,
            errors,
        })
    }
}

/// Computes `rows` of `input` in chunks of `chunk_rows` and hands each chunk's results to
/// `commit`, in order, on the calling thread, overlapping computing and storing if
/// `lookahead` ([`overlapped`](crate::overlap::overlapped)).
fn compute_chunks(
    pod: &dyn PodLike,
    input: &Stream,
    rows: &[usize],
    chunk_rows: usize,
    lookahead: bool,
    mut commit: impl FnMut(&[usize], orcapod_executor::PodResults) -> Result<bool>,
) -> Result<()> {
    let chunks: Vec<&[usize]> = rows.chunks(chunk_rows.max(1)).collect();
    overlapped(
        &chunks,
        lookahead,
        |chunk| {
            let sub = take_rows(input, chunk)?;
            Ok(pod.process(&sub)?.materialize_collect()?)
        },
        |chunk, results| commit(chunk, results),
    )
}

/// Fill `data_ids[row]` from the stored pipeline record of each row's entry id, if any.
fn read_data_ids(
    store: &dyn Store,
    records_path: &TablePath,
    entry_ids: &[&[u8]],
    label: &str,
    data_ids: &mut [Option<Vec<u8>>],
) -> Result<()> {
    let Some(found) = store.get_records_columns(records_path, entry_ids, &[DATA_ID_COL])? else {
        return Ok(());
    };
    let data = found.data();
    let col = binary_column(&data, DATA_ID_COL, label, records_path)?;
    // One map entry per found record (not per input row): rows sharing an entry id (identical
    // rows) look the same record up.
    let position: HashMap<&[u8], usize> = (0..found.len()).map(|r| (found.id(r), r)).collect();
    for (row, id) in entry_ids.iter().enumerate() {
        if let Some(&r) = position.get(id) {
            data_ids[row] = Some(col.value(r).to_vec());
        }
    }
    Ok(())
}

fn binary_column<'b>(
    data: &'b RecordBatch,
    name: &str,
    node: &str,
    path: &TablePath,
) -> Result<&'b LargeBinaryArray> {
    data.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<LargeBinaryArray>())
        .ok_or_else(|| NodeError::StaleStore {
            node: node.into(),
            path: path.to_string(),
            detail: format!("column {name} is missing or not large_binary"),
        })
}

pub(crate) fn take_rows(input: &Stream, rows: &[usize]) -> Result<Stream> {
    let idx = arrow_array::UInt32Array::from_iter_values(rows.iter().map(|&r| r as u32));
    let batch = arrow_select::take::take_record_batch(input.batch(), &idx)?;
    Ok(input.with_batch(batch)?)
}

/// Result records of one computed chunk: the output columns and their source info, plus the
/// input packet hash, execution metadata and a timestamp.
fn result_records(
    results: &orcapod_executor::PodResults,
    packet_hashes: &[String],
    result_ids: &[Vec<u8>],
    chunk: &[usize],
) -> Result<RecordSet> {
    let out = &results.stream;
    let rows = out.num_rows();
    let mut fields = vec![ArrowField::new(
        INPUT_DATA_HASH_COL,
        ArrowType::LargeUtf8,
        false,
    )];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(LargeStringArray::from_iter_values(
        results
            .input_rows
            .iter()
            .map(|&local| packet_hashes[chunk[local]].as_str()),
    ))];
    fields.push(ArrowField::new(
        EXECUTOR_TYPE_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(results.execution.executor_type.as_str(), rows),
    )));
    let info = serde_json::to_string(&results.execution.executor_info).unwrap_or_default();
    fields.push(ArrowField::new(
        EXECUTOR_INFO_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(info.as_str(), rows),
    )));
    let batch = out.batch();
    for p in out.packet_columns() {
        for name in [p.clone(), constants::source_info_column(p)] {
            if let (Some(f), Some(c)) = (out.field(&name), batch.column_by_name(&name)) {
                fields.push(f.as_ref().clone());
                columns.push(c.clone());
            }
        }
    }
    let ts = crate::time::now_iso();
    fields.push(ArrowField::new(POD_TIMESTAMP, ArrowType::LargeUtf8, false));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(ts.as_str(), rows),
    )));
    let data = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns)?;
    Ok(RecordSet::new(
        results
            .input_rows
            .iter()
            .map(|&local| result_ids[chunk[local]].clone()),
        data,
    )?)
}

/// Pipeline records for `rows`: tags and system tags, the input's source info, the link to the
/// result record, the node's content hash, the input context and whether it was computed now.
fn pipeline_records(
    input: &Stream,
    rows: &[usize],
    data_ids: &[Option<Vec<u8>>],
    entry_ids: &[Vec<u8>],
    node_hash: &str,
    computed: bool,
) -> Result<RecordSet> {
    let taken = take_rows(input, rows)?;
    let batch = taken.batch();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    let sources: Vec<String> = input
        .packet_columns()
        .iter()
        .map(|p| constants::source_info_column(p))
        .collect();
    for name in input
        .tag_columns()
        .iter()
        .chain(input.system_tag_columns())
        .chain(&sources)
    {
        if let (Some(f), Some(c)) = (input.field(name), batch.column_by_name(name)) {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    fields.push(ArrowField::new(DATA_ID_COL, ArrowType::LargeBinary, false));
    columns.push(Arc::new(LargeBinaryArray::from_iter_values(
        rows.iter()
            .map(|&r| data_ids[r].clone().unwrap_or_default()),
    )));
    fields.push(ArrowField::new(
        NODE_CONTENT_HASH_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(node_hash, rows.len()),
    )));
    fields.push(ArrowField::new(
        INPUT_CONTEXT_COL,
        ArrowType::LargeUtf8,
        false,
    ));
    columns.push(Arc::new(LargeStringArray::from_iter_values(
        std::iter::repeat_n(input.context_key(), rows.len()),
    )));
    fields.push(ArrowField::new(
        constants::COMPUTED_FLAG,
        ArrowType::Boolean,
        false,
    ));
    columns.push(Arc::new(BooleanArray::from(vec![computed; rows.len()])));
    let data = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns)?;
    Ok(RecordSet::new(
        rows.iter().map(|&r| entry_ids[r].clone()),
        data,
    )?)
}

/// The content hash a function node would have over `input`.
pub(crate) fn node_identity(pod: &dyn PodLike, input: &StreamIdentity) -> Result<StreamIdentity> {
    Ok(pod_stream_identity(
        pod.content_hash(),
        pod.pipeline_hash(),
        input,
    )?)
}
