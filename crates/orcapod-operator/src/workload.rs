//! Deterministic input streams for benchmarks and scale tests.
//!
//! The workspace benchmark harness can build its inputs with these and time the operators:
//!
//! ```
//! use orcapod_operator::{workload, Join, Operator};
//! let (left, right) = workload::join_inputs(1_000)?;
//! let out = Join::new().process(&[left, right])?;
//! assert_eq!(out.num_rows(), 1_000);
//! # Ok::<(), orcapod_operator::OperatorError>(())
//! ```

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use orcapod_datagram::{Source, SourceOptions, Stream};

use crate::error::Result;

/// A source stream with tag `id` and one int packet column `packet`, `n` rows, source id
/// `source_id`. Row `i` has `id = (i * stride) % n` (a permutation of `0..n` when `stride` and
/// `n` are coprime, e.g. a prime stride) and `packet = i`.
pub fn keyed_stream(n: usize, stride: usize, packet: &str, source_id: &str) -> Result<Stream> {
    let n64 = n as i64;
    let ids = Int64Array::from_iter_values((0..n64).map(|i| {
        if n64 == 0 {
            0
        } else {
            (i * stride as i64) % n64
        }
    }));
    let values = Int64Array::from_iter_values(0..n64);
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new(packet, DataType::Int64, false),
        ])),
        vec![Arc::new(ids), Arc::new(values)],
    )?;
    Ok(Source::from_batch(batch, SourceOptions::new(["id"]).source_id(source_id))?.into_stream())
}

/// Two `n`-row streams for Join / SemiJoin / MergeJoin benchmarks: `("id"; "x")` in order and
/// `("id"; "y")` with the ids permuted, so every row matches exactly once.
pub fn join_inputs(n: usize) -> Result<(Stream, Stream)> {
    Ok((
        keyed_stream(n, 1, "x", "left")?,
        keyed_stream(n, 7919, "y", "right")?,
    ))
}

/// An `n`-row stream for Batch benchmarks (`("id"; "x")`).
pub fn batch_input(n: usize) -> Result<Stream> {
    keyed_stream(n, 1, "x", "batch")
}
