//! `orcapod-bench`: the release-mode scenario runner driven by `cargo xtask bench`.
//!
//! ```text
//! orcapod-bench list                                   # scenarios as JSON, one document
//! orcapod-bench run SCENARIO --size N --variant V      # one measured run, one JSON line
//! ```
//!
//! Each `run` is meant to be a fresh process: it builds its inputs, measures only the
//! operation (see [`measure`] for how), and prints one JSON line with `status` `"ok"` (the
//! measurement) or `"skipped"` (the variant cannot run here, with a `reason`). Errors go to
//! stderr with exit status 1.

mod error;
mod fixtures;
mod measure;
mod scenario;
mod scenarios;

use std::process::ExitCode;

use serde_json::json;

use error::BenchError;

const HELP: &str = "\
usage: orcapod-bench list
       orcapod-bench run SCENARIO --size N --variant VARIANT

Normally driven by `cargo xtask bench`; see docs/benchmarks.md.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("orcapod-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<(), BenchError> {
    match args.first().map(String::as_str) {
        Some("list") if args.len() == 1 => {
            let listing = serde_json::to_string_pretty(scenarios::ALL).unwrap_or_default();
            println!("{listing}");
            Ok(())
        }
        Some("run") => run(&args[1..]),
        Some("--help" | "-h" | "help") => {
            println!("{HELP}");
            Ok(())
        }
        Some(other) => Err(BenchError::Usage(format!(
            "unexpected argument `{other}`\n{HELP}"
        ))),
        None => Err(BenchError::Usage(HELP.to_owned())),
    }
}

fn run(args: &[String]) -> Result<(), BenchError> {
    let mut name = None;
    let mut size = None;
    let mut variant = None;
    let mut items = args.iter();
    while let Some(item) = items.next() {
        let mut value = |option: &str| {
            items
                .next()
                .cloned()
                .ok_or_else(|| BenchError::Usage(format!("option `{option}` needs a value")))
        };
        match item.as_str() {
            "--size" => {
                let raw = value("--size")?;
                let parsed = raw.parse::<u64>().map_err(|_| {
                    BenchError::Usage(format!(
                        "invalid value `{raw}` for `--size`: expected a row count"
                    ))
                })?;
                size = Some(parsed);
            }
            "--variant" => variant = Some(value("--variant")?),
            other if other.starts_with('-') => {
                return Err(BenchError::Usage(format!("unknown option `{other}`")));
            }
            other if name.is_none() => name = Some(other.to_owned()),
            other => return Err(BenchError::Usage(format!("unexpected argument `{other}`"))),
        }
    }
    let name = name.ok_or_else(|| BenchError::Usage("`run` needs a SCENARIO".into()))?;
    let scenario = scenarios::find(&name)?;
    let size = size.ok_or_else(|| BenchError::Usage("`run` needs `--size N`".into()))?;
    let variant =
        variant.ok_or_else(|| BenchError::Usage("`run` needs `--variant VARIANT`".into()))?;
    let line = match scenario.run_variant(&variant, size) {
        Ok(m) => json!({
            "status": "ok", "scenario": scenario.name, "variant": variant, "size": size,
            "wall_s": m.wall_s, "cpu_s": m.cpu_s, "peak_rss_mb": measure::peak_rss_mib()?,
            "rows": m.rows, "bytes": m.bytes, "check": m.check, "note": m.note,
        }),
        Err(BenchError::Unavailable(reason)) => json!({
            "status": "skipped", "scenario": scenario.name, "variant": variant, "size": size,
            "reason": reason,
        }),
        Err(err) => return Err(err),
    };
    println!("{line}");
    Ok(())
}
