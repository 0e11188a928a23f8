//! `operators`: the structural operators of `orcapod-operator` on in-memory streams.
//!
//! Inputs are sources built before the clock starts (provenance columns included); each
//! variant times one `Operator::process` call, whose output is fully materialised. The
//! inputs follow the Python harness's workloads of the same name:
//!
//! * `join`: [`workload::join_inputs`]: `(id; x)` in order and `(id; y)` with the ids
//!   permuted (stride 7919), every row matching once (Python: `join`, both in order).
//! * `semijoin`: the `join` left side against `N/2` rows with the even ids (Python: `semijoin`).
//! * `batch`: `Batch(100)` on [`workload::batch_input`] (Python: `batch`).
//! * `map`: `MapPackets({x: z})` on the same input (Python: `map_data`).
//! * `select` / `drop`: `SelectPacketColumns([a])` / `DropPacketColumns([b])` on
//!   `(id; a, b, c)` (Python: `select_data` / `drop_data`).
//!
//! The limit `arrow_take` is the floor any join of the `join` inputs pays: a plain,
//! single-threaded Rust hash join of the two `id` columns (`std::collections::HashMap<i64, u32>`
//! with a cheap integer hash, built on the right side, probed with the left), then
//! `arrow_select::take` of every column of both inputs (system tags and source-info columns
//! included, the right `id` excepted): the same output table, without validation, identity or
//! column-role bookkeeping. orcapod's `Join` partitions and probes in parallel (rayon), so on
//! 2 cores it can come in under this limit. Every variant reports `rows = N`, so "vs limit" is
//! the ratio of wall times.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, Int64Array, RecordBatch, UInt32Array};
use arrow_schema::{Field, Schema};
use orcapod_datagram::Stream;
use orcapod_operator::{
    Batch, DropPacketColumns, Join, MapPackets, Operator, SelectPacketColumns, SemiJoin, workload,
};

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// The `operators` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "operators",
    description: "Join, SemiJoin, Batch(100), MapPackets, Select/DropPacketColumns vs a plain hash join + take",
    limit: "arrow_take",
    variants: &[
        Variant {
            name: "join",
            description: "Join of (id; x) and (id; y), N rows each, ids permuted",
        },
        Variant {
            name: "semijoin",
            description: "SemiJoin of (id; x), N rows, with N/2 rows of even ids",
        },
        Variant {
            name: "batch",
            description: "Batch::new(100, false) on (id; x)",
        },
        Variant {
            name: "map",
            description: "MapPackets x -> z on (id; x)",
        },
        Variant {
            name: "select",
            description: "SelectPacketColumns [a] on (id; a, b, c)",
        },
        Variant {
            name: "drop",
            description: "DropPacketColumns [b] on (id; a, b, c)",
        },
        Variant {
            name: "arrow_take",
            description: "HashMap<i64, u32> join of the join inputs' ids + arrow take of all columns",
        },
    ],
    default_sizes: &[100_000, 1_000_000],
    quick_sizes: &[10_000],
    python: &[
        PythonRef {
            workload: "join",
            variant: "join",
        },
        PythonRef {
            workload: "semijoin",
            variant: "semijoin",
        },
        PythonRef {
            workload: "batch",
            variant: "batch",
        },
        PythonRef {
            workload: "map_data",
            variant: "map",
        },
        PythonRef {
            workload: "select_data",
            variant: "select",
        },
        PythonRef {
            workload: "drop_data",
            variant: "drop",
        },
    ],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let (check, wall_s, cpu_s) = match variant {
        "join" => {
            let (left, right) = workload::join_inputs(n)?;
            let inputs = [left, right];
            let (out, wall_s, cpu_s) = timed(|| Join::new().process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("join", out.num_rows(), n)?;
            (summary(&out, &["x", "y"])?, wall_s, cpu_s)
        }
        "semijoin" => {
            let left = workload::keyed_stream(n, 1, "x", "left")?;
            let half = n / 2;
            let right = fixtures::source(
                fixtures::int_batch(vec![
                    (
                        "id",
                        Int64Array::from_iter_values((0..half as i64).map(|i| 2 * i)),
                    ),
                    ("y", fixtures::iota(half)),
                ])?,
                "right",
            )?
            .into_stream();
            let inputs = [left, right];
            let (out, wall_s, cpu_s) = timed(|| SemiJoin::new().process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("semijoin", out.num_rows(), half)?;
            (summary(&out, &["x"])?, wall_s, cpu_s)
        }
        "batch" => {
            let inputs = [workload::batch_input(n)?];
            let (out, wall_s, cpu_s) = timed(|| Batch::new(100, false).process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("batch", out.num_rows(), n.div_ceil(100))?;
            (
                format!(
                    "{} rows; packets {:?}",
                    out.num_rows(),
                    out.packet_columns()
                ),
                wall_s,
                cpu_s,
            )
        }
        "map" => {
            let inputs = [workload::batch_input(n)?];
            let (out, wall_s, cpu_s) = timed(|| MapPackets::new([("x", "z")]).process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("map", out.num_rows(), n)?;
            (summary(&out, &["z"])?, wall_s, cpu_s)
        }
        "select" => {
            let inputs = [abc_stream(n)?];
            let (out, wall_s, cpu_s) = timed(|| SelectPacketColumns::new(["a"]).process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("select", out.num_rows(), n)?;
            (summary(&out, &["a"])?, wall_s, cpu_s)
        }
        "drop" => {
            let inputs = [abc_stream(n)?];
            let (out, wall_s, cpu_s) = timed(|| DropPacketColumns::new(["b"]).process(&inputs))?;
            let out = out?;
            fixtures::expect_rows("drop", out.num_rows(), n)?;
            (summary(&out, &["a", "c"])?, wall_s, cpu_s)
        }
        "arrow_take" => {
            let (left, right) = workload::join_inputs(n)?;
            let (out, wall_s, cpu_s) = timed(|| hash_join_take(left.batch(), right.batch()))?;
            let out = out?;
            fixtures::expect_rows("arrow_take", out.num_rows(), n)?;
            let sum = |name: &str| {
                out.column_by_name(name)
                    .and_then(|c| c.as_primitive_opt::<Int64Type>())
                    .map_or(0, fixtures::int_sum)
            };
            (
                format!("{} rows; x {} y {}", out.num_rows(), sum("x"), sum("y")),
                wall_s,
                cpu_s,
            )
        }
        other => {
            return Err(BenchError::Usage(format!(
                "operators has no variant `{other}`"
            )));
        }
    };
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: 0,
        check,
        note: None,
    })
}

/// `(id; a, b, c)` with `a = b = c = id = 0..n` (the Python harness's `_abc_source`).
fn abc_stream(n: usize) -> Result<Stream, BenchError> {
    let batch = fixtures::int_batch(vec![
        ("id", fixtures::iota(n)),
        ("a", fixtures::iota(n)),
        ("b", fixtures::iota(n)),
        ("c", fixtures::iota(n)),
    ])?;
    Ok(fixtures::source(batch, "abc")?.into_stream())
}

/// Row count and the sums of the named int64 packet columns (order-independent).
fn summary(out: &Stream, columns: &[&str]) -> Result<String, BenchError> {
    let mut text = format!("{} rows;", out.num_rows());
    for name in columns {
        let sum = fixtures::int_sum(fixtures::int_column(out, name)?);
        text.push_str(&format!(" {name} {sum}"));
    }
    Ok(text)
}

/// The limit: an inner hash join of `left` and `right` on `id` (right side built into a
/// `HashMap`, left side probed in order), then `take` of every column of both sides.
fn hash_join_take(left: &RecordBatch, right: &RecordBatch) -> Result<RecordBatch, BenchError> {
    let ids = |batch: &RecordBatch| {
        batch
            .column_by_name("id")
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .cloned()
            .ok_or_else(|| BenchError::WrongResult("no int64 `id` column".into()))
    };
    let (left_ids, right_ids) = (ids(left)?, ids(right)?);
    let mut index: HashMap<i64, u32, BuildHasherDefault<IntHasher>> =
        HashMap::with_capacity_and_hasher(right_ids.len(), Default::default());
    for (row, id) in right_ids.values().iter().enumerate() {
        index.insert(*id, row as u32);
    }
    let mut left_rows = Vec::with_capacity(left_ids.len());
    let mut right_rows = Vec::with_capacity(left_ids.len());
    for (row, id) in left_ids.values().iter().enumerate() {
        if let Some(&other) = index.get(id) {
            left_rows.push(row as u32);
            right_rows.push(other);
        }
    }
    let (left_rows, right_rows) = (UInt32Array::from(left_rows), UInt32Array::from(right_rows));
    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (batch, rows, skip_id) in [(left, &left_rows, false), (right, &right_rows, true)] {
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if skip_id && field.name() == "id" {
                continue;
            }
            fields.push(field.as_ref().clone());
            columns.push(arrow_select::take::take(column.as_ref(), rows, None)?);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// A cheap hasher for `i64` keys (the splitmix64 finaliser), instead of SipHash: a hash join
/// needs no protection against adversarial keys.
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_i64(&mut self, value: i64) {
        self.0 = value as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_runs_and_the_limit_joins_like_join() {
        for variant in SCENARIO.variants {
            let m = run(variant.name, 1_000).unwrap();
            assert_eq!(m.rows, 1_000, "{}", variant.name);
        }
        // Join and the limit produce the same packets (sums of x and y: 0..n each).
        let join = run("join", 1_000).unwrap();
        let take = run("arrow_take", 1_000).unwrap();
        assert_eq!(join.check, "1000 rows; x 499500 y 499500");
        assert_eq!(take.check, "1000 rows; x 499500 y 499500");
    }
}
