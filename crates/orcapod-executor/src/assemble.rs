//! Turning computed chunks into output streams: filtering, tags, source info, errors.

use std::sync::Arc;

use arrow_array::builder::BooleanBufferBuilder;
use arrow_array::{
    Array, ArrayRef, BooleanArray, LargeStringArray, RecordBatch, RecordBatchOptions,
};
use arrow_buffer::{Buffer, OffsetBuffer};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use arrow_select::filter::{FilterBuilder, FilterPredicate};
use orcapod_datagram::constants::{self, BLOCK_SEPARATOR, CONTEXT_KEY};
use orcapod_datagram::{Stream, Value};
use orcapod_hash::DataContext;

use crate::batch::{BatchOutput, RowFailure};
use crate::error::{PacketError, Result};
use crate::pod_stream::{Chunk, FunctionPodStream};

/// Bits of a UUIDv7 that are random (`rand_b`): varying them keeps version and variant.
const RAND_B_MASK: u128 = (1 << 62) - 1;

/// The record id of output row `row` of a chunk: the chunk's UUIDv7 with the row index mixed
/// into its random bits (unique within the chunk, random across chunks).
pub(crate) fn record_id(id_base: u128, row: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128(id_base ^ (row as u128 & RAND_B_MASK))
}

pub(crate) fn kept_rows(out: &BatchOutput) -> Box<dyn Iterator<Item = usize> + '_> {
    match out.kept_mask() {
        None => Box::new(0..out.num_rows()),
        Some(mask) => Box::new(mask.values().set_indices().collect::<Vec<_>>().into_iter()),
    }
}

impl FunctionPodStream {
    /// The per-packet error of failure `f` in chunk `c`, with the packet's tag values.
    pub(crate) fn packet_error(&self, c: &Chunk, f: &RowFailure) -> Result<PacketError> {
        let cfg = &self.inner.config;
        let row = c.start + f.row;
        let tags = cfg
            .input
            .tag_columns()
            .iter()
            .map(|t| {
                let col = cfg.input.column(t).expect("tag column exists");
                Ok((t.clone(), Value::from_array(col.as_ref(), row)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PacketError {
            function: cfg.function.canonical_name().to_string(),
            row,
            tags,
            kind: f.kind,
            message: f.message.clone(),
            captured: f.captured.clone(),
        })
    }

    /// Assemble consecutive chunks covering input rows `start..start + len` into a stream of
    /// their successful rows, and collect their errors.
    pub(crate) fn assemble_stream(
        &self,
        chunks: &[Arc<Chunk>],
        start: usize,
        len: usize,
    ) -> Result<(Stream, Vec<PacketError>)> {
        let cfg = &self.inner.config;
        let input = &cfg.input;
        let predicate = kept_predicate(chunks, len);
        let keep = |a: &ArrayRef| -> Result<ArrayRef> {
            Ok(match &predicate {
                None => a.clone(),
                Some(p) => p.filter(a.as_ref())?,
            })
        };
        let rows = predicate.as_ref().map_or(len, FilterPredicate::count);

        let mut fields: Vec<ArrowField> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        let in_batch = input.batch().slice(start, len);
        let in_schema = in_batch.schema();
        let is_input_packet = |name: &str| input.packet_columns().iter().any(|p| p == name);
        for (f, c) in in_schema.fields().iter().zip(in_batch.columns()) {
            let name = f.name().as_str();
            let passes = input.tag_columns().iter().any(|t| t == name)
                || constants::is_system_tag(name)
                || (cfg.append_inputs && is_input_packet(name));
            if !passes {
                continue;
            }
            if constants::is_system_tag(name)
                && matches!(f.data_type(), ArrowType::FixedSizeBinary(_))
            {
                // orcapod-python 0.1.4 rebuilds function outputs from datagrams, which turns
                // record ids into `large_binary`; the type feeds downstream hashes, so follow it.
                fields.push(f.as_ref().clone().with_data_type(ArrowType::LargeBinary));
                columns.push(keep(&arrow_cast::cast(c, &ArrowType::LargeBinary)?)?);
            } else {
                fields.push(f.as_ref().clone());
                columns.push(keep(c)?);
            }
        }
        let outputs = cfg.function.output_schema().fields();
        for (i, field) in outputs.iter().enumerate() {
            let parts: Vec<&dyn Array> = chunks
                .iter()
                .map(|c| c.output.columns()[i].as_ref())
                .collect();
            let all = match parts.len() {
                0 => arrow_array::new_empty_array(&field.dtype.to_arrow()),
                1 => chunks[0].output.columns()[i].clone(),
                _ => arrow_select::concat::concat(&parts)?,
            };
            fields.push(field.to_arrow());
            columns.push(keep(&all)?);
        }
        if cfg.append_inputs {
            for p in input.packet_columns() {
                let name = constants::source_info_column(p);
                if let (Some(f), Some(c)) = (input.field(&name), in_batch.column_by_name(&name)) {
                    fields.push(f.as_ref().clone());
                    columns.push(keep(c)?);
                }
            }
        }
        for (field, array) in outputs.iter().zip(self.source_info(chunks, rows)?) {
            fields.push(ArrowField::new(
                constants::source_info_column(&field.name),
                ArrowType::LargeUtf8,
                true,
            ));
            columns.push(array);
        }
        if input.context_key() != DataContext::DEFAULT_KEY {
            fields.push(ArrowField::new(CONTEXT_KEY, ArrowType::LargeUtf8, false));
            columns.push(Arc::new(LargeStringArray::from_iter_values(
                std::iter::repeat_n(input.context_key(), rows),
            )));
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        let stream = Stream::from_batch(batch, input.tag_columns(), cfg.identity.clone())?
            .with_label(cfg.label.clone());
        let mut errors = Vec::new();
        for c in chunks {
            for f in c.output.failures() {
                errors.push(self.packet_error(c, f)?);
            }
        }
        Ok((stream, errors))
    }

    /// `_source_<key>` arrays for the kept rows: `{uri}::{uuid7 hex}::{key}`.
    ///
    /// Values are written straight into one buffer (no per-value allocation or formatting);
    /// every value of a column has the same length, so the offsets are arithmetic.
    fn source_info(&self, chunks: &[Arc<Chunk>], rows: usize) -> Result<Vec<ArrayRef>> {
        let prefix = format!("{}{BLOCK_SEPARATOR}", self.inner.source_prefix);
        let fields = self.inner.config.function.output_schema().fields();
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let suffix = format!("{BLOCK_SEPARATOR}{}", f.name);
            let len = prefix.len() + 32 + suffix.len();
            let mut values: Vec<u8> = Vec::with_capacity(rows * len);
            let mut hex = [0u8; 32];
            for c in chunks {
                for r in kept_rows(&c.output) {
                    record_id(c.id_base, r).simple().encode_lower(&mut hex);
                    values.extend_from_slice(prefix.as_bytes());
                    values.extend_from_slice(&hex);
                    values.extend_from_slice(suffix.as_bytes());
                }
            }
            let offsets = OffsetBuffer::<i64>::from_lengths(std::iter::repeat_n(len, rows));
            out.push(Arc::new(LargeStringArray::try_new(
                offsets,
                Buffer::from_vec(values),
                None,
            )?) as ArrayRef);
        }
        Ok(out)
    }
}

/// The filter keeping successful rows of consecutive chunks; `None` when all rows succeeded.
fn kept_predicate(chunks: &[Arc<Chunk>], len: usize) -> Option<FilterPredicate> {
    if chunks
        .iter()
        .all(|c| c.output.dropped().is_empty() && c.output.failures().is_empty())
    {
        return None;
    }
    let mut bits = BooleanBufferBuilder::new(len);
    for c in chunks {
        match c.output.kept_mask() {
            None => bits.append_n(c.output.num_rows(), true),
            Some(mask) => bits.append_buffer(mask.values()),
        }
    }
    let mask = BooleanArray::new(bits.finish(), None);
    Some(FilterBuilder::new(&mask).optimize().build())
}
