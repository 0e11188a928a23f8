//! `source_build`: building a source from an in-memory Arrow table.
//!
//! The table is the Python harness's `source_build` table: `id: int64` (the tag) and
//! `x: int64`, both `0..N` and non-null (Python builds it with `infer_nullable=True`). No
//! source id is given, so, as in Python, the source id is the table hash. `source` measures
//! `Source::from_batch`: the table hash, one UUIDv5 record id per row and the provenance
//! columns (`_tag_source_id::…`, `_tag_record_id::…`, `_source_x`). The limit `hash_only` is
//! the data context's Arrow hash of the same table alone, the one step no source can skip
//! (its digest is the source id, so both variants report the same `check`).

use orcapod_datagram::{Source, SourceOptions};
use orcapod_hash::DataContext;

use crate::error::BenchError;
use crate::fixtures;
use crate::measure::{Measurement, timed};
use crate::scenario::{PythonRef, Scenario, Variant};

/// The `source_build` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "source_build",
    description: "Source::from_batch of an (id: int64 tag, x: int64) table vs hashing the table alone",
    limit: "hash_only",
    variants: &[
        Variant {
            name: "source",
            description: "Source::from_batch: table hash, UUIDv5 record ids, provenance columns",
        },
        Variant {
            name: "hash_only",
            description: "the data context's Arrow hash of the same table (the source id)",
        },
    ],
    default_sizes: &[1_000, 10_000, 100_000, 1_000_000],
    quick_sizes: &[10_000],
    python: &[PythonRef {
        workload: "source_build",
        variant: "source",
    }],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let n = fixtures::rows(size)?;
    let batch = fixtures::id_x_batch(n)?;
    let bytes = 16 * size;
    let (check, wall_s, cpu_s) = match variant {
        "source" => {
            let (source, wall_s, cpu_s) =
                timed(|| Source::from_batch(batch.clone(), SourceOptions::new(["id"])))?;
            let source = source?;
            fixtures::expect_rows("source", source.stream().num_rows(), n)?;
            (source.table_hash().to_hex(), wall_s, cpu_s)
        }
        "hash_only" => {
            let hasher = DataContext::default_context().arrow_hasher();
            let (hash, wall_s, cpu_s) = timed(|| hasher.hash_batch(&batch))?;
            (hash?.to_hex(), wall_s, cpu_s)
        }
        other => {
            return Err(BenchError::Usage(format!(
                "source_build has no variant `{other}`"
            )));
        }
    };
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes,
        check,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_id_is_the_limit_hash() {
        let source = run("source", 500).unwrap();
        let hash = run("hash_only", 500).unwrap();
        assert_eq!(source.check, hash.check);
        assert_eq!((source.rows, source.bytes), (500, 8000));
    }
}
