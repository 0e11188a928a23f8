//! Plain-text tables printed by `cargo xtask bench`.

use super::baseline::Comparison;
use super::stats::SummaryRow;

/// Seconds as a short human duration (`812ns`, `35.2µs`, `4.10ms`, `1.25s`).
pub fn duration(secs: f64) -> String {
    match secs {
        s if s < 1e-6 => format!("{:.0}ns", s * 1e9),
        s if s < 1e-3 => format!("{:.1}µs", s * 1e6),
        s if s < 1.0 => format!("{:.2}ms", s * 1e3),
        s => format!("{s:.2}s"),
    }
}

/// A rate with an SI suffix (`950`, `12.3k`, `4.56M`, `1.20G`).
pub fn si(value: f64) -> String {
    match value {
        v if v >= 1e9 => format!("{:.2}G", v / 1e9),
        v if v >= 1e6 => format!("{:.2}M", v / 1e6),
        v if v >= 1e3 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// A size, compact when round (`1k`, `100k`, `1M`, `1500`).
pub fn size(n: u64) -> String {
    match n {
        0 => "0".to_owned(),
        n if n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn opt(value: Option<f64>, render: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "-".to_owned(), render)
}

/// Renders the summary table; with `comparisons`, appends baseline columns.
pub fn summary_table(rows: &[SummaryRow], comparisons: Option<&[Comparison]>) -> String {
    let mut out = format!(
        "{:<16} {:<13} {:>6} {:<7} {:>9} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "scenario",
        "variant",
        "size",
        "status",
        "wall",
        "±MAD",
        "cpu",
        "rss MB",
        "rows/s",
        "MB/s",
        "vs limit"
    );
    if comparisons.is_some() {
        out.push_str(&format!(
            " {:>9} {:>7}  {}",
            "baseline", "change", "verdict"
        ));
    }
    out.push('\n');
    for row in rows {
        let variant = if row.is_limit {
            format!("{}*", row.variant)
        } else {
            row.variant.clone()
        };
        let vs_limit = match row.vs_limit {
            Some(_) if row.is_limit => "limit".to_owned(),
            Some(ratio) => format!("{ratio:.2}x"),
            None => "-".to_owned(),
        };
        out.push_str(&format!(
            "{:<16} {:<13} {:>6} {:<7} {:>9} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}",
            row.scenario,
            variant,
            size(row.size),
            row.status,
            opt(row.median_wall_s, duration),
            opt(row.mad_rel.filter(|_| row.n_ok > 1), |m| format!(
                "{:.1}%",
                m * 100.0
            )),
            opt(row.median_cpu_s, |c| format!("{c:.2}s")),
            opt(row.peak_rss_mb, |r| format!("{r:.1}")),
            opt(row.rows_per_s, si),
            opt(row.mb_per_s, |m| format!("{m:.1}")),
            vs_limit,
        ));
        if let Some(comparisons) = comparisons {
            match comparisons.iter().find(|c| c.key == row.key()) {
                Some(c) => out.push_str(&format!(
                    " {:>9} {:>7}  {}",
                    opt(c.baseline_wall_s, duration),
                    opt(c.change, |d| format!("{:+.1}%", d * 100.0)),
                    c.verdict
                )),
                None => out.push_str(&format!(" {:>9} {:>7}  new", "-", "-")),
            }
        }
        out.push('\n');
    }
    out
}

/// Lines under the table: unstable checks, non-ok rows, notes.
pub fn footnotes(rows: &[SummaryRow]) -> String {
    let mut out = String::from(
        "* = the scenario's limit variant; vs limit = cost per byte (else per row) relative to it\n",
    );
    for row in rows {
        let label = format!("{}/{}/{}", row.scenario, row.variant, size(row.size));
        if !row.check_stable {
            out.push_str(&format!(
                "WARNING {label}: runs disagree on the result check value\n"
            ));
        }
        if let Some(note) = &row.note {
            let first_line = note.lines().next().unwrap_or("");
            let prefix = if row.status == "ok" {
                "note"
            } else {
                row.status.as_str()
            };
            out.push_str(&format!("{prefix} {label}: {first_line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(duration(0.000_000_5), "500ns");
        assert_eq!(duration(0.000_035_2), "35.2µs");
        assert_eq!(duration(0.0041), "4.10ms");
        assert_eq!(duration(1.25), "1.25s");
        assert_eq!(si(12_300.0), "12.3k");
        assert_eq!(si(4_560_000.0), "4.56M");
        assert_eq!(
            (size(1000), size(1_000_000), size(1500)),
            ("1k".into(), "1M".into(), "1500".into())
        );
    }
}
