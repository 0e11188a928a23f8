//! Arrow IPC encoding of input chunks and of worker outputs (with per-packet status).

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Int8Builder, Int32Builder, LargeStringBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int32Type};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{ArrowError, DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use orcapod_executor::{
    BatchOutput, CapturedOutput, FailureKind, FunctionInfo, InputBatch, RowFailure,
};

use crate::error::{Result, SlurmError};
use crate::task::write_atomic;

const STATUS: &str = "_orcapod_status";
const KIND: &str = "_orcapod_failure_kind";
const MESSAGE: &str = "_orcapod_message";
const CAPTURED: &str = "_orcapod_captured";
const STDOUT: &str = "_orcapod_stdout";
const STDERR: &str = "_orcapod_stderr";
const EXIT: &str = "_orcapod_exit_status";

const ROW_OK: i8 = 0;
const ROW_DROPPED: i8 = 1;
const ROW_FAILED: i8 = 2;
/// `_orcapod_captured` bits: the row has a log entry / the failure carries captured output.
const HAS_LOG: i8 = 1;
const FAILURE_CAPTURED: i8 = 2;

/// Write an input chunk: one nullable column per present input field, named after it.
pub(crate) fn write_input(path: &Path, info: &FunctionInfo, input: &InputBatch) -> Result<()> {
    let fail = |e: ArrowError| SlurmError::arrow("cannot encode task input", path, e);
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in info.input_schema().fields().iter().zip(input.columns()) {
        if let Some(c) = column {
            fields.push(ArrowField::new(&field.name, c.data_type().clone(), true));
            columns.push(c.clone());
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(input.num_rows()));
    let batch =
        RecordBatch::try_new_with_options(Arc::new(ArrowSchema::new(fields)), columns, &options)
            .map_err(fail)?;
    write_atomic(path, &encode_ipc(&batch).map_err(fail)?)
}

/// Read an input chunk and align it with `info`'s input schema (absent columns are `None`).
pub(crate) fn read_input(path: &Path, info: &FunctionInfo, rows: usize) -> Result<InputBatch> {
    let batch =
        read_ipc(path).map_err(|e| SlurmError::arrow("cannot decode task input", path, e))?;
    if batch.num_rows() != rows {
        return Err(SlurmError::invalid_task(
            path,
            format!("input has {} rows, task.json says {rows}", batch.num_rows()),
        ));
    }
    let columns = info
        .input_schema()
        .fields()
        .iter()
        .map(|f| batch.column_by_name(&f.name).cloned())
        .collect();
    Ok(InputBatch::new(columns, rows)?)
}

/// Write a worker's output: the output columns (nullable) followed by the status columns.
pub(crate) fn write_output(path: &Path, info: &FunctionInfo, output: &BatchOutput) -> Result<()> {
    let fail = |e: ArrowError| SlurmError::arrow("cannot encode task output", path, e);
    let n = output.num_rows();
    let mut status = vec![ROW_OK; n];
    output
        .dropped()
        .iter()
        .filter(|&&r| r < n)
        .for_each(|&r| status[r] = ROW_DROPPED);
    let mut failures: Vec<Option<&RowFailure>> = vec![None; n];
    for f in output.failures().iter().filter(|f| f.row < n) {
        status[f.row] = ROW_FAILED;
        failures[f.row] = Some(f);
    }
    let mut logs: Vec<Option<CapturedOutput>> = vec![None; n];
    for (r, c) in output.logs().iter().filter(|(r, _)| *r < n) {
        logs[*r] = Some(match logs[*r].take() {
            // Several logs for one row: keep them all, in order.
            Some(prev) => CapturedOutput {
                stdout: prev.stdout + &c.stdout,
                stderr: prev.stderr + &c.stderr,
                exit_status: c.exit_status,
            },
            None => c.clone(),
        });
    }
    let (mut kind, mut message) = (StringBuilder::new(), LargeStringBuilder::new());
    let (mut flags, mut exit) = (Int8Builder::new(), Int32Builder::new());
    let (mut stdout, mut stderr) = (LargeStringBuilder::new(), LargeStringBuilder::new());
    for row in 0..n {
        let failure = failures[row];
        kind.append_option(failure.map(|f| f.kind.to_string()));
        message.append_option(failure.map(|f| f.message.as_str()));
        let failure_captured = failure.and_then(|f| f.captured.as_ref());
        // One captured output per row: the failure's if it has one (it normally equals the log).
        let captured = failure_captured.or(logs[row].as_ref());
        let bits = if logs[row].is_some() { HAS_LOG } else { 0 }
            | if failure_captured.is_some() {
                FAILURE_CAPTURED
            } else {
                0
            };
        flags.append_value(bits);
        stdout.append_option(captured.map(|c| c.stdout.as_str()));
        stderr.append_option(captured.map(|c| c.stderr.as_str()));
        exit.append_option(captured.and_then(|c| c.exit_status));
    }
    let mut fields: Vec<ArrowField> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in info.output_schema().fields().iter().zip(output.columns()) {
        fields.push(ArrowField::new(&f.name, c.data_type().clone(), true));
        columns.push(c.clone());
    }
    let status_columns: [(&str, ArrayRef); 7] = [
        (STATUS, Arc::new(arrow_array::Int8Array::from(status))),
        (KIND, Arc::new(kind.finish())),
        (MESSAGE, Arc::new(message.finish())),
        (CAPTURED, Arc::new(flags.finish())),
        (STDOUT, Arc::new(stdout.finish())),
        (STDERR, Arc::new(stderr.finish())),
        (EXIT, Arc::new(exit.finish())),
    ];
    for (name, c) in status_columns {
        fields.push(ArrowField::new(name, c.data_type().clone(), true));
        columns.push(c);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(n));
    let batch =
        RecordBatch::try_new_with_options(Arc::new(ArrowSchema::new(fields)), columns, &options)
            .map_err(fail)?;
    write_atomic(path, &encode_ipc(&batch).map_err(fail)?)
}

/// Read a worker's output back into a [`BatchOutput`] with canonical output columns.
pub(crate) fn read_output(path: &Path, info: &FunctionInfo, rows: usize) -> Result<BatchOutput> {
    let context = "cannot decode task output";
    let batch = read_ipc(path).map_err(|e| SlurmError::arrow(context, path, e))?;
    let bad = |reason: String| SlurmError::invalid_task(path, reason);
    if batch.num_rows() != rows {
        return Err(bad(format!(
            "output has {} rows, expected {rows}",
            batch.num_rows()
        )));
    }
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| bad(format!("output lacks column '{name}'")))
    };
    let mut outputs = Vec::new();
    for f in info.output_schema().fields() {
        let c = column(&f.name)?;
        let target = f.dtype.to_arrow();
        outputs.push(if *c.data_type() == target {
            c.clone()
        } else {
            arrow_cast::cast(c, &target).map_err(|e| SlurmError::arrow(context, path, e))?
        });
    }
    let typed = |name: &str, t: ArrowType| {
        let c = column(name)?;
        if *c.data_type() == t {
            Ok(c)
        } else {
            Err(bad(format!(
                "column '{name}' has type {}, expected {t}",
                c.data_type()
            )))
        }
    };
    let status = typed(STATUS, ArrowType::Int8)?.as_primitive::<Int8Type>();
    let kind = typed(KIND, ArrowType::Utf8)?.as_string::<i32>();
    let message = typed(MESSAGE, ArrowType::LargeUtf8)?.as_string::<i64>();
    let flags = typed(CAPTURED, ArrowType::Int8)?.as_primitive::<Int8Type>();
    let stdout = typed(STDOUT, ArrowType::LargeUtf8)?.as_string::<i64>();
    let stderr = typed(STDERR, ArrowType::LargeUtf8)?.as_string::<i64>();
    let exit = typed(EXIT, ArrowType::Int32)?.as_primitive::<Int32Type>();
    let mut out = BatchOutput::new(outputs, rows);
    for row in 0..rows {
        let bits = if flags.is_null(row) {
            0
        } else {
            flags.value(row)
        };
        let captured = (!stdout.is_null(row)).then(|| CapturedOutput {
            stdout: stdout.value(row).to_string(),
            stderr: if stderr.is_null(row) {
                String::new()
            } else {
                stderr.value(row).to_string()
            },
            exit_status: (!exit.is_null(row)).then(|| exit.value(row)),
        });
        if bits & HAS_LOG != 0
            && let Some(c) = &captured
        {
            out.push_log(row, c.clone());
        }
        match status.value(row) {
            ROW_OK => {}
            ROW_DROPPED => out.push_dropped(row),
            ROW_FAILED => out.push_failure(RowFailure {
                row,
                kind: parse_kind(if kind.is_null(row) {
                    ""
                } else {
                    kind.value(row)
                }),
                message: if message.is_null(row) {
                    String::new()
                } else {
                    message.value(row).to_string()
                },
                captured: if bits & FAILURE_CAPTURED != 0 {
                    captured
                } else {
                    None
                },
            }),
            other => return Err(bad(format!("row {row} has unknown status {other}"))),
        }
    }
    Ok(out)
}

fn parse_kind(s: &str) -> FailureKind {
    match s {
        "panic" => FailureKind::Panic,
        "input" => FailureKind::Input,
        "command" => FailureKind::Command,
        "executor" => FailureKind::Executor,
        _ => FailureKind::Error,
    }
}

fn encode_ipc(batch: &RecordBatch) -> std::result::Result<Vec<u8>, ArrowError> {
    let mut bytes = Vec::new();
    let mut writer = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(bytes)
}

fn read_ipc(path: &Path) -> std::result::Result<RecordBatch, ArrowError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ArrowError::IoError(format!("cannot open: {e}"), e))?;
    let reader = arrow_ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)?;
    let schema = reader.schema();
    let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
    match batches.len() {
        1 => Ok(batches.into_iter().next().expect("one batch")),
        0 => Ok(RecordBatch::new_empty(schema)),
        _ => arrow_select::concat::concat_batches(&schema, &batches),
    }
}
