//! Helpers shared by the orcapod-node integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use orcapod_datagram::{ColumnConfig, RowSet, Source, SourceOptions, Stream, Value};
use orcapod_executor::{FunctionBuilder, PacketError, RustFunction};
use orcapod_node::{NodeError, NodeStats, Pipeline, RunConfig, RunReport};

/// A stream's rows as canonical strings (every column family: system tags, content hash,
/// context, source info and meta), sorted, plus its column names and types.
///
/// With `normalize_uuids`, the per-packet UUIDv7 inside function-output source info
/// (`{uri}::{32 hex}::{column}`) is replaced by a placeholder, so that two runs that computed
/// the same packets independently compare equal; everything else (uri, column, every other
/// column) is still compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// `name: type (nullable)` of every column, in physical order.
    pub columns: Vec<String>,
    /// One string per row, sorted.
    pub rows: Vec<String>,
}

pub fn canonical(stream: &Stream, normalize_uuids: bool) -> Canonical {
    let table = stream.as_table(&ColumnConfig::all()).expect("as_table");
    let schema = table.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            format!(
                "{}: {} ({})",
                f.name(),
                f.data_type(),
                if f.is_nullable() { "null" } else { "non-null" }
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(table.num_rows());
    for r in 0..table.num_rows() {
        let mut cells = Vec::with_capacity(table.num_columns());
        for (f, c) in schema.fields().iter().zip(table.columns()) {
            let v = Value::from_array(c.as_ref(), r).expect("cell");
            cells.push(format!("{}={v:?}", f.name()));
        }
        let row = cells.join(" | ");
        rows.push(if normalize_uuids {
            strip_uuids(&row)
        } else {
            row
        });
    }
    rows.sort();
    Canonical { columns, rows }
}

/// Replace every `::{32 lowercase hex}::` block by `::<uuid>::`.
pub fn strip_uuids(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"::")
            && i + 2 + 32 + 2 <= b.len()
            && b[i + 2..i + 34]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            && &b[i + 34..i + 36] == b"::"
        {
            out.push_str("::<uuid>");
            i += 34;
            continue;
        }
        let ch = s[i..].chars().next().expect("char");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Every node output of a report, canonicalised, by label.
pub fn canonical_outputs(report: &RunReport, normalize_uuids: bool) -> BTreeMap<String, Canonical> {
    report
        .outputs
        .iter()
        .map(|(k, s)| (k.clone(), canonical(s, normalize_uuids)))
        .collect()
}

/// Node statistics without the wall time, by label.
pub fn counts(report: &RunReport) -> BTreeMap<String, (usize, usize, usize, usize, usize, usize)> {
    report
        .nodes
        .iter()
        .map(|s: &NodeStats| {
            (
                s.label.clone(),
                (
                    s.computed, s.cached, s.failed, s.skipped, s.dropped, s.rows_out,
                ),
            )
        })
        .collect()
}

/// Packet errors as sortable strings (node, tags, kind, message, and the row unless
/// `with_rows` is false: the row is the packet's position in the node's input, which depends
/// on the input's row order — not part of the contract after an async symmetric join).
pub fn error_list(report: &RunReport, with_rows: bool) -> Vec<String> {
    let mut v: Vec<String> = report
        .errors
        .iter()
        .map(|(node, e)| describe_error(node, e, with_rows))
        .collect();
    v.sort();
    v
}

pub fn describe_error(node: &str, e: &PacketError, with_row: bool) -> String {
    let row = if with_row {
        format!("row {}", e.row)
    } else {
        "row ?".to_string()
    };
    format!(
        "{node} | {} | {row} | {:?} | {} | {}",
        e.function, e.tags, e.kind, e.message
    )
}

/// A shared log of the inputs a recording function was called with.
pub type CallLog = Arc<Mutex<Vec<i64>>>;

pub fn new_log() -> CallLog {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn logged(log: &CallLog) -> Vec<i64> {
    let mut v = log.lock().expect("log").clone();
    v.sort();
    v
}

/// `double(x: int) -> y: int`, appending every `x` it is called with to `log`. Its identity
/// (uri) does not depend on the closure, so a fresh log gives the same function.
pub fn recording_double(log: &CallLog) -> RustFunction {
    let log = log.clone();
    FunctionBuilder::new("double")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(move |x: i64| {
            log.lock().expect("log").push(x);
            2 * x
        })
}

/// A source `{id: i, x: xs[i]}` with tag `id` and source id `source_id`.
pub fn id_x_source(source_id: &str, xs: &[i64]) -> Source {
    let mut set = RowSet::new();
    for (i, x) in xs.iter().enumerate() {
        set.push(vec![
            ("id".to_string(), Value::Int(i as i64)),
            ("x".to_string(), Value::Int(*x)),
        ]);
    }
    Source::from_rows(set, SourceOptions::new(["id"]).source_id(source_id)).expect("source")
}

/// `(id, y)` pairs of a stream with an int tag `id` and an int packet column `y`, sorted.
pub fn id_y_pairs(stream: &Stream) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for r in 0..stream.num_rows() {
        let (tag, packet) = stream.row(r).expect("row");
        let id = match tag.get("id").expect("id") {
            Some(Value::Int(i)) => i,
            other => panic!("id is {other:?}"),
        };
        let y = match packet.get("y").expect("y") {
            Some(Value::Int(i)) => i,
            other => panic!("y is {other:?}"),
        };
        out.push((id, y));
    }
    out.sort();
    out
}

/// Run `pipeline` on another thread and turn a hang (a deadlocked async run) into a test
/// failure instead of a stuck test binary. The limit is far above any legitimate run time: it
/// only detects runs that never finish.
pub fn run_watched(pipeline: &Pipeline, config: &RunConfig) -> Result<RunReport, NodeError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (p, c) = (pipeline.clone(), config.clone());
    std::thread::spawn(move || {
        let _ = tx.send(p.run(&c));
    });
    match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(result) => result,
        Err(_) => panic!("the run did not finish in 30 s (deadlock?): {pipeline:?}"),
    }
}
