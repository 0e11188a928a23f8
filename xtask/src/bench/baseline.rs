//! Saved baselines (`--save-baseline`) and comparison against them (`--baseline`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::machine::Machine;
use super::stats::SummaryRow;
use crate::error::{Result, XtaskError};

/// A baseline file: the summary of one run plus where it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    /// Baseline name.
    pub name: String,
    /// The machine and revision it was measured on.
    pub machine: Machine,
    /// The summary rows.
    pub summary: Vec<SummaryRow>,
}

/// One row's comparison with the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// (scenario, variant, size).
    pub key: (String, String, u64),
    /// The baseline's median wall time.
    pub baseline_wall_s: Option<f64>,
    /// Relative change of the median (+0.25 = 25% slower).
    pub change: Option<f64>,
    /// The threshold used: max(2 × (current + baseline relative MAD), 10%).
    pub threshold: Option<f64>,
    /// `REGRESSION`, `improved`, `~`, or `n/a`.
    pub verdict: &'static str,
}

/// Smallest change ever flagged.
pub const MIN_THRESHOLD: f64 = 0.10;

/// Where baseline `name` lives.
pub fn path(target: &Path, name: &str) -> PathBuf {
    target
        .join("bench")
        .join("baselines")
        .join(format!("{name}.json"))
}

/// Saves `baseline` under its name; returns the path.
pub fn save(target: &Path, baseline: &Baseline) -> Result<PathBuf> {
    let path = path(target, &baseline.name);
    super::write_json(&path, baseline)?;
    Ok(path)
}

/// Loads baseline `name`.
pub fn load(target: &Path, name: &str) -> Result<Baseline> {
    let path = path(target, name);
    let text = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => XtaskError::Usage(format!(
            "baseline `{name}` not found at {} (create it with --save-baseline {name})",
            path.display()
        )),
        _ => XtaskError::io(&path, source),
    })?;
    serde_json::from_str(&text).map_err(|err| XtaskError::BadJson {
        path,
        detail: err.to_string(),
    })
}

/// Compares every current row with the baseline row of the same key.
pub fn compare(current: &[SummaryRow], baseline: &Baseline) -> Vec<Comparison> {
    current
        .iter()
        .filter_map(|row| {
            let base = baseline.summary.iter().find(|b| b.key() == row.key())?;
            Some(compare_row(row, base))
        })
        .collect()
}

fn compare_row(row: &SummaryRow, base: &SummaryRow) -> Comparison {
    let mut comparison = Comparison {
        key: row.key(),
        baseline_wall_s: base.median_wall_s,
        change: None,
        threshold: None,
        verdict: "n/a",
    };
    let (Some(now), Some(then)) = (row.median_wall_s, base.median_wall_s) else {
        return comparison;
    };
    if then <= 0.0 {
        return comparison;
    }
    let change = now / then - 1.0;
    let spread = row.mad_rel.unwrap_or(0.0) + base.mad_rel.unwrap_or(0.0);
    let threshold = f64::max(2.0 * spread, MIN_THRESHOLD);
    comparison.change = Some(change);
    comparison.threshold = Some(threshold);
    comparison.verdict = if change > threshold {
        "REGRESSION"
    } else if change < -threshold {
        "improved"
    } else {
        "~"
    };
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(median: f64, mad: f64) -> SummaryRow {
        let json = serde_json::json!({
            "scenario": "hash", "variant": "table", "size": 1000, "is_limit": false, "status": "ok",
            "n_ok": 5, "median_wall_s": median, "min_wall_s": median, "max_wall_s": median,
            "mad_rel": mad, "median_cpu_s": median, "peak_rss_mb": 10.0, "rows": 1000, "bytes": 8000,
            "rows_per_s": 1.0, "mb_per_s": 1.0, "vs_limit": 1.0, "check_stable": true,
            "check": "x", "note": null
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn verdicts_respect_noise() {
        let base = row(1.0, 0.01);
        assert_eq!(compare_row(&row(1.05, 0.01), &base).verdict, "~");
        assert_eq!(compare_row(&row(1.15, 0.01), &base).verdict, "REGRESSION");
        assert_eq!(compare_row(&row(0.80, 0.01), &base).verdict, "improved");
        // Noisy rows widen the threshold: 2 × (0.1 + 0.01) = 22%.
        assert_eq!(compare_row(&row(1.20, 0.10), &base).verdict, "~");
    }
}
