//! A function node's output: the input's tags joined with each row's result, taken from the
//! chunks this run computed or read back from the store.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_cache::{Store, TablePath};
use orcapod_datagram::Stream;
use orcapod_datagram::constants;

use crate::error::{NodeError, Result};
use crate::function_node::{FunctionRun, take_rows};

/// Hash maps keyed by ids (see `function_node`).
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// The node's output stream: input tags (record ids as `large_binary`, like pod output) of
/// every row with a result, then the stored output columns and their source info.
pub(crate) fn assemble(
    run: &FunctionRun<'_>,
    input: &Stream,
    store: &dyn Store,
    results_path: &TablePath,
    data_ids: &[Option<Vec<u8>>],
    fresh: Option<&Fresh>,
) -> Result<Stream> {
    let rows: Vec<usize> = (0..data_ids.len())
        .filter(|&r| data_ids[r].is_some())
        .collect();
    let fresh_at = |row: usize| fresh.and_then(|f| f.at[row]);
    // Rows computed by this run are taken from the computed chunks; the rest is read back.
    let ids: Vec<&[u8]> = rows
        .iter()
        .filter(|&&r| fresh_at(r).is_none())
        .filter_map(|&r| data_ids[r].as_deref())
        .collect();
    // Only the output columns and their source info are read back (result rows also hold
    // the input hash, execution metadata and a timestamp).
    let outputs = run.pod.output_schema();
    let mut wanted: Vec<String> = Vec::with_capacity(2 * outputs.len());
    for field in outputs.fields() {
        wanted.push(field.name.clone());
        wanted.push(constants::source_info_column(&field.name));
    }
    let found = if ids.is_empty() {
        None
    } else {
        if let Some(schema) = store.table_schema(results_path)?
            && let Some(missing) = wanted.iter().find(|c| schema.index_of(c).is_err())
        {
            return Err(stale(run, results_path, missing));
        }
        let columns: Vec<&str> = wanted.iter().map(String::as_str).collect();
        store.get_records_columns(results_path, &ids, &columns)?
    };
    let mut position: HashMap<&[u8], usize> = HashMap::default();
    if let Some(set) = &found {
        for i in 0..set.len() {
            position.insert(set.id(i), i);
        }
    }
    // Where each output row comes from: (0, row of the stored set) or (1 + chunk, row).
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(rows.len());
    for &row in &rows {
        if let Some((chunk, r)) = fresh_at(row) {
            order.push((1 + chunk, r));
            continue;
        }
        let id = data_ids[row].as_deref().unwrap_or_default();
        let p = position.get(id).ok_or_else(|| NodeError::StaleStore {
            node: run.label.into(),
            path: results_path.to_string(),
            detail: "a pipeline record points to a result record that does not exist".into(),
        })?;
        order.push((0, *p));
    }
    let taken = take_rows(input, &rows)?;
    let tbatch = taken.batch();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in tbatch.schema().fields().iter().zip(tbatch.columns()) {
        let name = f.name().as_str();
        if input.tag_columns().iter().any(|t| t == name) || constants::is_system_tag(name) {
            if constants::is_system_tag(name)
                && matches!(f.data_type(), ArrowType::FixedSizeBinary(_))
            {
                fields.push(f.as_ref().clone().with_data_type(ArrowType::LargeBinary));
                columns.push(arrow_cast::cast(c, &ArrowType::LargeBinary)?);
            } else {
                fields.push(f.as_ref().clone());
                columns.push(c.clone());
            }
        }
    }
    let stored = found.map(|s| s.data());
    let mut source_fields = Vec::new();
    let mut source_columns = Vec::new();
    for (j, field) in outputs.fields().iter().enumerate() {
        let want = field.to_arrow();
        let (col, src) = match &stored {
            _ if ids.is_empty() && !rows.is_empty() => {
                // Every row was computed now.
                let f = fresh.map(|f| f.batches.as_slice()).unwrap_or_default();
                (
                    gather(None, f, 2 * j, want.data_type(), &order)?,
                    gather(None, f, 2 * j + 1, &ArrowType::LargeUtf8, &order)?,
                )
            }
            Some(data) => {
                let col = data
                    .column_by_name(&field.name)
                    .ok_or_else(|| stale(run, results_path, &field.name))?;
                if col.data_type() != want.data_type() {
                    return Err(NodeError::StaleStore {
                        node: run.label.into(),
                        path: results_path.to_string(),
                        detail: format!(
                            "stored column '{}' is {} but the function now declares {}",
                            field.name,
                            col.data_type(),
                            want.data_type()
                        ),
                    });
                }
                let src_name = constants::source_info_column(&field.name);
                let src = data
                    .column_by_name(&src_name)
                    .ok_or_else(|| stale(run, results_path, &src_name))?;
                let f = fresh.map(|f| f.batches.as_slice()).unwrap_or_default();
                (
                    gather(Some(col), f, 2 * j, want.data_type(), &order)?,
                    gather(Some(src), f, 2 * j + 1, &ArrowType::LargeUtf8, &order)?,
                )
            }
            None => (
                arrow_array::new_empty_array(want.data_type()),
                arrow_array::new_empty_array(&ArrowType::LargeUtf8),
            ),
        };
        fields.push(want);
        columns.push(col);
        source_fields.push(ArrowField::new(
            constants::source_info_column(&field.name),
            ArrowType::LargeUtf8,
            true,
        ));
        source_columns.push(src);
    }
    fields.extend(source_fields);
    columns.extend(source_columns);
    let batch = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )?;
    Ok(Stream::from_batch(
        batch,
        input.tag_columns(),
        run.identity.clone(),
    )?)
}

/// Output rows computed by this run, kept so that the node's output need not be read back
/// from the store (a cold run would otherwise decode every result it just wrote).
pub(crate) struct Fresh {
    /// Per computed chunk: each declared output column then its source info, in declaration
    /// order.
    batches: Vec<Vec<ArrayRef>>,
    /// Per input row: (chunk, row) of its computed output.
    at: Vec<Option<(usize, usize)>>,
}

impl Fresh {
    pub(crate) fn new(rows: usize) -> Self {
        Fresh {
            batches: Vec::new(),
            at: vec![None; rows],
        }
    }

    /// Keeps the outputs of `computed` (row `k` computed for input row `rows[k]`). A chunk
    /// whose columns are missing or not of the declared type is not kept: those rows are
    /// read back (and checked) from the store like cached ones.
    pub(crate) fn keep(
        &mut self,
        outputs: &orcapod_datagram::Schema,
        computed: &Stream,
        rows: &[usize],
    ) {
        let batch = computed.batch();
        let mut columns = Vec::with_capacity(2 * outputs.len());
        for field in outputs.fields() {
            let src_name = constants::source_info_column(&field.name);
            match (
                batch.column_by_name(&field.name),
                batch.column_by_name(&src_name),
            ) {
                (Some(col), Some(src))
                    if col.data_type() == field.to_arrow().data_type()
                        && src.data_type() == &ArrowType::LargeUtf8 =>
                {
                    columns.push(col.clone());
                    columns.push(src.clone());
                }
                _ => return,
            }
        }
        let chunk = self.batches.len();
        self.batches.push(columns);
        for (k, &row) in rows.iter().enumerate() {
            self.at[row] = Some((chunk, k));
        }
    }
}

/// Column `j` of the output rows at `order`: `(0, r)` is row `r` of `stored` (absent when
/// every row was computed now), `(1 + c, r)` row `r` of computed chunk `c`.
fn gather(
    stored: Option<&ArrayRef>,
    fresh: &[Vec<ArrayRef>],
    j: usize,
    data_type: &ArrowType,
    order: &[(usize, usize)],
) -> Result<ArrayRef> {
    if order.iter().all(|&(source, _)| source == 0)
        && let Some(stored) = stored
    {
        // A whole stored set in its own order (a warm rerun): no copy.
        if order.len() == stored.len() && order.iter().enumerate().all(|(i, &(_, r))| i == r) {
            return Ok(Arc::clone(stored));
        }
        let idx = arrow_array::UInt32Array::from_iter_values(order.iter().map(|&(_, r)| r as u32));
        return Ok(arrow_select::take::take(stored.as_ref(), &idx, None)?);
    }
    let empty = arrow_array::new_empty_array(data_type);
    let mut sources: Vec<&dyn Array> = vec![stored.map_or(empty.as_ref(), |s| s.as_ref())];
    sources.extend(fresh.iter().map(|b| b[j].as_ref()));
    Ok(arrow_select::interleave::interleave(&sources, order)?)
}

fn stale(run: &FunctionRun<'_>, path: &TablePath, column: &str) -> NodeError {
    NodeError::StaleStore {
        node: run.label.into(),
        path: path.to_string(),
        detail: format!("stored results lack column '{column}'"),
    }
}
