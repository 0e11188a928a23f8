//! `hash`: Arrow hashing throughput of `orcapod_hash::arrow::hash_record_batch`.
//!
//! Inputs are built before the clock starts. The `table` variant hashes the same table as the
//! Python harness's `hash_table` workload (N rows of `id: int64, x: int64, f: float64,
//! s: utf8`); `wide` hashes 64 alternating int64/float64 columns of N rows. The limit is plain
//! in-process SHA-256 (`sha2`) over one contiguous buffer as large as the `table` variant's
//! Arrow buffers: hashing cannot be cheaper than reading and digesting every byte once.
//! `openssl` reports `openssl speed sha256` on 16 KiB blocks, converted to the time it would
//! take for the same bytes (informational: the machine's best SHA-256).

use std::process::Command;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use sha2::{Digest, Sha256};

use crate::error::BenchError;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// The `hash` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "hash",
    description: "Arrow record-batch hashing (starfix-compatible) vs raw SHA-256 of the same bytes",
    limit: "sha256",
    variants: &[
        Variant {
            name: "table",
            description: "hash_record_batch, 4 columns (int64, int64, float64, utf8)",
        },
        Variant {
            name: "wide",
            description: "hash_record_batch, 64 columns (int64/float64 alternating)",
        },
        Variant {
            name: "sha256",
            description: "sha2::Sha256 over one buffer of the `table` bytes",
        },
        Variant {
            name: "openssl",
            description: "`openssl speed -bytes 16384 sha256`, scaled to the `table` bytes",
        },
    ],
    default_sizes: &[1_000, 10_000, 100_000, 1_000_000],
    quick_sizes: &[1_000, 10_000],
    python: &[PythonRef {
        workload: "hash_table",
        variant: "table",
    }],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n_rows =
        usize::try_from(size).map_err(|_| BenchError::Usage(format!("size {size} too large")))?;
    match variant {
        "table" => hash_batch(&table_batch(n_rows)?, size),
        "wide" => hash_batch(&wide_batch(n_rows)?, size),
        "sha256" => {
            let buffer = concat_buffers(&table_batch(n_rows)?);
            let (digest, wall_s, cpu_s) = timed(|| Sha256::digest(&buffer))?;
            let check = hex(&digest);
            Ok(Measurement {
                wall_s,
                cpu_s,
                rows: size,
                bytes: buffer.len() as u64,
                check,
                note: None,
            })
        }
        "openssl" => openssl(size, buffer_bytes(&table_batch(n_rows)?)),
        other => Err(BenchError::Usage(format!("hash has no variant `{other}`"))),
    }
}

fn hash_batch(batch: &RecordBatch, size: u64) -> Result<Measurement, BenchError> {
    let (digest, wall_s, cpu_s) = timed(|| orcapod_hash::arrow::hash_record_batch(batch, false))?;
    let check = hex(&digest?);
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: buffer_bytes(batch),
        check,
        note: None,
    })
}

/// The Python harness's `hash_table` table: `id`, `x = id + n`, `f = id * 0.5`, `s = "row-%08d"`,
/// nullable like every column of a `pa.table(...)`, so the digest equals the Python one.
fn table_batch(n_rows: usize) -> Result<RecordBatch, BenchError> {
    let n = n_rows as i64;
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("x", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..n)),
        Arc::new(Int64Array::from_iter_values(n..2 * n)),
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| i as f64 * 0.5),
        )),
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("row-{i:08}")),
        )),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// 64 columns `c00..c63`: even ones int64, odd ones float64, all distinct values.
fn wide_batch(n_rows: usize) -> Result<RecordBatch, BenchError> {
    let n = n_rows as i64;
    let mut fields = Vec::with_capacity(64);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(64);
    for col in 0..64i64 {
        let name = format!("c{col:02}");
        if col % 2 == 0 {
            fields.push(Field::new(name, DataType::Int64, false));
            columns.push(Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| i * 64 + col),
            )));
        } else {
            fields.push(Field::new(name, DataType::Float64, false));
            columns.push(Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| (i * 64 + col) as f64 * 0.25),
            )));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Total length of the batch's data and validity buffers (like pyarrow's `Table.nbytes`).
fn buffer_bytes(batch: &RecordBatch) -> u64 {
    let mut total = 0;
    for column in batch.columns() {
        let data = column.to_data();
        total += data.buffers().iter().map(|b| b.len() as u64).sum::<u64>();
        total += data.nulls().map_or(0, |nulls| nulls.buffer().len() as u64);
    }
    total
}

/// The batch's buffers laid end to end, so the limit reads exactly as many real bytes.
fn concat_buffers(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::with_capacity(buffer_bytes(batch) as usize);
    for column in batch.columns() {
        let data = column.to_data();
        for buffer in data.buffers() {
            out.extend_from_slice(buffer.as_slice());
        }
        if let Some(nulls) = data.nulls() {
            out.extend_from_slice(nulls.buffer().as_slice());
        }
    }
    out
}

fn openssl(size: u64, bytes: u64) -> Result<Measurement, BenchError> {
    let args = ["speed", "-seconds", "1", "-bytes", "16384", "sha256"];
    let output = match Command::new("openssl").args(args).output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            return Err(BenchError::Unavailable(format!(
                "`openssl speed` failed: {}",
                output.status
            )));
        }
        Err(err) => {
            return Err(BenchError::Unavailable(format!(
                "openssl not runnable: {err}"
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let bytes_per_s = parse_openssl_speed(&stdout).ok_or_else(|| BenchError::Parse {
        what: "`openssl speed` output".into(),
        detail: stdout.lines().last().unwrap_or("").to_owned(),
    })?;
    let wall_s = bytes as f64 / bytes_per_s;
    Ok(Measurement {
        wall_s,
        cpu_s: wall_s,
        rows: size,
        bytes,
        check: "openssl".into(),
        note: Some(format!(
            "derived: openssl speed sha256 @16 KiB = {:.1} MB/s, single thread",
            bytes_per_s / 1e6
        )),
    })
}

/// Bytes per second from the `sha256 <n>k` line of `openssl speed` (values are in 1000 B/s).
fn parse_openssl_speed(stdout: &str) -> Option<f64> {
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with("sha256"))?;
    let last = line.split_whitespace().last()?;
    last.strip_suffix('k')
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb * 1000.0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_reads_exactly_the_table_bytes() {
        let batch = table_batch(1000).unwrap();
        // 3 fixed-width columns, utf8 offsets (n + 1) * 4 and 12 value bytes per row.
        assert_eq!(buffer_bytes(&batch), 3 * 8000 + 4004 + 12_000);
        assert_eq!(concat_buffers(&batch).len() as u64, buffer_bytes(&batch));
        assert_eq!(buffer_bytes(&wide_batch(10).unwrap()), 64 * 80);
    }

    #[test]
    fn parses_openssl_speed() {
        let out = "The 'numbers' are in 1000s of bytes per second processed.\n\
                   type             16384 bytes\nsha256          412345.67k\n";
        assert_eq!(parse_openssl_speed(out), Some(412_345_670.0));
    }
}
