//! Summaries of raw runs: medians, spread, throughput and the ratio to the limit variant.

use serde::{Deserialize, Serialize};

use super::runner::{RawRun, ScenarioInfo};

/// One (scenario, variant, size) row of the summary.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Size.
    pub size: u64,
    /// Whether this variant is the scenario's limit.
    pub is_limit: bool,
    /// `ok` if every measured run was; otherwise the first other status seen.
    pub status: String,
    /// Number of `ok` measured runs the statistics use.
    pub n_ok: usize,
    /// Median wall seconds of the measured operation.
    pub median_wall_s: Option<f64>,
    /// Fastest run.
    pub min_wall_s: Option<f64>,
    /// Slowest run.
    pub max_wall_s: Option<f64>,
    /// Median absolute deviation of the wall times, relative to the median.
    pub mad_rel: Option<f64>,
    /// Median CPU seconds.
    pub median_cpu_s: Option<f64>,
    /// Largest peak RSS over the runs, MiB.
    pub peak_rss_mb: Option<f64>,
    /// Rows per run.
    pub rows: Option<u64>,
    /// Bytes per run.
    pub bytes: Option<u64>,
    /// Rows per second at the median.
    pub rows_per_s: Option<f64>,
    /// Megabytes (10^6 B) per second at the median.
    pub mb_per_s: Option<f64>,
    /// Cost relative to the limit variant at the same size (per byte if both report bytes,
    /// else per row, else wall); 1.0 for the limit itself.
    pub vs_limit: Option<f64>,
    /// False if the runs disagree on the result digest (a sign of garbage or nondeterminism).
    pub check_stable: bool,
    /// The result digest of the first run.
    pub check: Option<String>,
    /// A remark (first run's note, or why the row is not `ok`).
    pub note: Option<String>,
}

impl SummaryRow {
    /// The key rows are matched on across reports.
    pub fn key(&self) -> (String, String, u64) {
        (self.scenario.clone(), self.variant.clone(), self.size)
    }
}

/// The median of `values` (which must not be empty); sorts a copy.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Median absolute deviation of `values` relative to their median (0 for one value).
pub fn mad_rel(values: &[f64]) -> f64 {
    let center = median(values);
    if center <= 0.0 {
        return 0.0;
    }
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    median(&deviations) / center
}

/// Summarizes the measured runs of one (scenario, variant, size).
pub fn summarize(info: &ScenarioInfo, variant: &str, size: u64, runs: &[&RawRun]) -> SummaryRow {
    let measured: Vec<&RawRun> = runs.iter().copied().filter(|run| !run.warmup).collect();
    let ok: Vec<_> = measured
        .iter()
        .filter_map(|run| run.result.as_ref())
        .collect();
    let status = measured
        .iter()
        .find(|run| run.status != "ok")
        .map_or("ok", |run| run.status.as_str());
    let mut row = SummaryRow {
        scenario: info.name.clone(),
        variant: variant.to_owned(),
        size,
        is_limit: info.limit == variant,
        status: if measured.is_empty() {
            "not-run".to_owned()
        } else {
            status.to_owned()
        },
        n_ok: ok.len(),
        median_wall_s: None,
        min_wall_s: None,
        max_wall_s: None,
        mad_rel: None,
        median_cpu_s: None,
        peak_rss_mb: None,
        rows: None,
        bytes: None,
        rows_per_s: None,
        mb_per_s: None,
        vs_limit: None,
        check_stable: true,
        check: ok.first().map(|r| r.check.clone()),
        note: measured
            .iter()
            .find_map(|run| run.message.clone())
            .or_else(|| ok.first().and_then(|r| r.note.clone())),
    };
    if ok.is_empty() {
        return row;
    }
    let walls: Vec<f64> = ok.iter().map(|r| r.wall_s).collect();
    let median_wall = median(&walls);
    row.median_wall_s = Some(median_wall);
    row.min_wall_s = walls.iter().copied().reduce(f64::min);
    row.max_wall_s = walls.iter().copied().reduce(f64::max);
    row.mad_rel = Some(mad_rel(&walls));
    row.median_cpu_s = Some(median(&ok.iter().map(|r| r.cpu_s).collect::<Vec<_>>()));
    row.peak_rss_mb = ok.iter().map(|r| r.peak_rss_mb).reduce(f64::max);
    row.rows = Some(ok[0].rows);
    row.bytes = Some(ok[0].bytes);
    if median_wall > 0.0 {
        row.rows_per_s = Some(ok[0].rows as f64 / median_wall);
        row.mb_per_s = (ok[0].bytes > 0).then(|| ok[0].bytes as f64 / 1e6 / median_wall);
    }
    row.check_stable = ok.iter().all(|r| r.check == ok[0].check);
    row
}

/// Fills `vs_limit` of every row from the limit row of the same scenario and size.
pub fn fill_limit_ratios(rows: &mut [SummaryRow]) {
    let limits: Vec<SummaryRow> = rows.iter().filter(|row| row.is_limit).cloned().collect();
    for row in rows.iter_mut() {
        let Some(limit) = limits
            .iter()
            .find(|l| l.scenario == row.scenario && l.size == row.size)
        else {
            continue;
        };
        row.vs_limit = cost_ratio(row, limit);
    }
}

/// Cost of `row` relative to `limit`: per byte if both report bytes, else per row, else wall.
fn cost_ratio(row: &SummaryRow, limit: &SummaryRow) -> Option<f64> {
    let (wall, limit_wall) = (row.median_wall_s?, limit.median_wall_s?);
    if limit_wall <= 0.0 {
        return None;
    }
    let per = |units: Option<u64>, limit_units: Option<u64>| match (units, limit_units) {
        (Some(a), Some(b)) if a > 0 && b > 0 => Some((wall / a as f64) / (limit_wall / b as f64)),
        _ => None,
    };
    per(row.bytes, limit.bytes)
        .or_else(|| per(row.rows, limit.rows))
        .or(Some(wall / limit_wall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!((mad_rel(&[1.0, 1.1, 0.9, 1.0, 5.0]) - 0.1).abs() < 1e-12);
        assert_eq!(mad_rel(&[2.0]), 0.0);
    }
}
