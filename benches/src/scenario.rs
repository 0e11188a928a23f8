//! The shape every scenario file fills in.

use serde::Serialize;

use crate::error::BenchError;
use crate::measure::Measurement;

/// One benchmark scenario: a measured operation, its variants and its limit.
///
/// A scenario file `src/scenarios/<name>.rs` exposes `pub const SCENARIO: Scenario`, and the
/// registry in `src/scenarios.rs` lists it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Scenario {
    /// Name on the command line; equals the file stem.
    pub name: &'static str,
    /// One line: what is measured.
    pub description: &'static str,
    /// The variant that is this scenario's limit (the best one could hope for); ratios are
    /// reported against it.
    pub limit: &'static str,
    /// Every variant, the limit included.
    pub variants: &'static [Variant],
    /// Sizes run by `cargo xtask bench`.
    pub default_sizes: &'static [u64],
    /// Sizes run by `cargo xtask bench --quick`.
    pub quick_sizes: &'static [u64],
    /// The matching workloads of the Python reference harness (none, one, or one per variant
    /// that has a counterpart).
    pub python: &'static [PythonRef],
    /// Runs one variant at one size (build inputs, then measure only the operation).
    #[serde(skip)]
    pub run: fn(variant: &str, size: u64) -> Result<Measurement, BenchError>,
}

/// One way of performing a scenario's operation.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Variant {
    /// Name on the command line.
    pub name: &'static str,
    /// One line: what this variant does.
    pub description: &'static str,
}

/// The workload of `shared/anchors/python-orcapod/bench.py` that measures the same thing.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PythonRef {
    /// The `bench.py` workload name (e.g. `hash_table`).
    pub workload: &'static str,
    /// The variant of this scenario that does the same work.
    pub variant: &'static str,
}

impl Scenario {
    /// Checks that `variant` exists, then runs it.
    pub fn run_variant(&self, variant: &str, size: u64) -> Result<Measurement, BenchError> {
        if !self.variants.iter().any(|v| v.name == variant) {
            return Err(BenchError::UnknownVariant {
                scenario: self.name,
                variant: variant.to_owned(),
                known: self
                    .variants
                    .iter()
                    .map(|v| v.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        (self.run)(variant, size)
    }
}
