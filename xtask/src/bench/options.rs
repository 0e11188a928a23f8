//! Command-line options of `cargo xtask bench`.

use serde::Serialize;

use crate::args::{Arg, Args};
use crate::error::Result;

/// Help text of `cargo xtask bench`.
pub const HELP: &str = "\
cargo xtask bench [SCENARIO...] [options]

Builds the release runner (cargo build --release -p orcapod-bench) and runs every scenario
(or the named ones) at each size: each run is a fresh child process. Warm-up runs come first,
then measured rounds; each round runs every variant once (interleaved, so drift hits all
variants alike). Results: target/bench/<timestamp>.json and target/bench/latest.json.

options:
  --list                   list scenarios, variants, sizes and limits, then exit
  --quick                  quick sizes and 3 runs (CI smoke: --quick --runs 1 --warmup 0)
  --runs N                 measured runs per variant and size (default 5; 3 with --quick)
  --warmup N               warm-up runs per variant and size (default 1)
  --sizes N,N,...          override the sizes of every selected scenario
  --timeout SECS           kill a run after SECS seconds, record \"timeout\" (default 120)
  --json PATH              also write the JSON report to PATH
  --save-baseline NAME     store the summary as target/bench/baselines/NAME.json
  --baseline NAME          compare medians with a saved baseline (REGRESSION / improved / ~)
  --fail-on-regression     exit 1 if the comparison finds a regression
  --with-python            also run the Python reference harness for matching workloads
  --install-python         with --with-python: create .venv-python-ref if it is missing
  -h, --help               this help
";

/// Parsed options of `cargo xtask bench`.
#[derive(Clone, Debug, Serialize)]
pub struct BenchOptions {
    /// Scenario names given on the command line (empty: all).
    pub scenarios: Vec<String>,
    /// `--list`.
    pub list: bool,
    /// `--quick`.
    pub quick: bool,
    /// Measured runs per (variant, size).
    pub runs: u32,
    /// Warm-up runs per (variant, size).
    pub warmup: u32,
    /// `--sizes`, overriding every scenario's sizes.
    pub sizes: Option<Vec<u64>>,
    /// Per-run timeout in seconds.
    pub timeout_s: f64,
    /// `--json PATH`.
    pub json: Option<String>,
    /// `--save-baseline NAME`.
    pub save_baseline: Option<String>,
    /// `--baseline NAME`.
    pub baseline: Option<String>,
    /// `--fail-on-regression`.
    pub fail_on_regression: bool,
    /// `--with-python`.
    pub with_python: bool,
    /// `--install-python`.
    pub install_python: bool,
    /// `--help`.
    pub help: bool,
}

impl BenchOptions {
    /// Parses the arguments after `bench`.
    pub fn parse(raw: Vec<String>) -> Result<Self> {
        let mut args = Args::new("bench", raw);
        let mut opts = BenchOptions {
            scenarios: Vec::new(),
            list: false,
            quick: false,
            runs: 5,
            warmup: 1,
            sizes: None,
            timeout_s: 120.0,
            json: None,
            save_baseline: None,
            baseline: None,
            fail_on_regression: false,
            with_python: false,
            install_python: false,
            help: false,
        };
        let mut runs = None;
        while let Some(arg) = args.next_arg()? {
            let name = match arg {
                Arg::Positional(scenario) => {
                    opts.scenarios.push(scenario);
                    continue;
                }
                Arg::Long(name) => name,
            };
            match name.as_str() {
                "--help" => opts.help = true,
                "--list" => opts.list = true,
                "--quick" => opts.quick = true,
                "--runs" => runs = Some(args.parsed::<u32>("a positive integer")?),
                "--warmup" => opts.warmup = args.parsed::<u32>("a non-negative integer")?,
                "--sizes" => {
                    let raw = args.value()?;
                    let parsed: std::result::Result<Vec<u64>, _> = raw
                        .split(',')
                        .map(|part| part.trim().replace('_', "").parse::<u64>())
                        .collect();
                    match parsed {
                        Ok(sizes) if !sizes.is_empty() => opts.sizes = Some(sizes),
                        _ => {
                            return Err(args.usage(format!(
                                "invalid value `{raw}` for option `--sizes`: expected comma-separated row counts"
                            )));
                        }
                    }
                }
                "--timeout" => {
                    let secs = args.parsed::<f64>("a number of seconds")?;
                    if !(secs.is_finite() && secs > 0.0) {
                        return Err(args.usage(format!("`--timeout` must be positive, got {secs}")));
                    }
                    opts.timeout_s = secs;
                }
                "--json" => opts.json = Some(args.value()?),
                "--save-baseline" => opts.save_baseline = Some(baseline_name(&mut args)?),
                "--baseline" => opts.baseline = Some(baseline_name(&mut args)?),
                "--fail-on-regression" => opts.fail_on_regression = true,
                "--with-python" => opts.with_python = true,
                "--install-python" => opts.install_python = true,
                other => return Err(args.unknown(other)),
            }
        }
        opts.runs = runs.unwrap_or(if opts.quick { 3 } else { 5 });
        if opts.runs == 0 {
            return Err(args.usage("`--runs` must be at least 1".to_owned()));
        }
        if opts.install_python && !opts.with_python {
            return Err(
                args.usage("`--install-python` only makes sense with `--with-python`".to_owned())
            );
        }
        if opts.fail_on_regression && opts.baseline.is_none() {
            return Err(args.usage("`--fail-on-regression` needs `--baseline NAME`".to_owned()));
        }
        Ok(opts)
    }
}

fn baseline_name(args: &mut Args) -> Result<String> {
    let name = args.value()?;
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok || name.starts_with('.') {
        return Err(args.usage(format!(
            "baseline name `{name}` must be letters, digits, `-`, `_` or `.`"
        )));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(items: &[&str]) -> Result<BenchOptions> {
        BenchOptions::parse(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn defaults_and_quick() {
        let opts = parse(&[]).unwrap();
        assert_eq!((opts.runs, opts.warmup, opts.quick), (5, 1, false));
        let opts = parse(&["hash", "--quick", "--sizes", "1_000,20"]).unwrap();
        assert_eq!(
            (opts.runs, opts.scenarios.clone(), opts.sizes.clone()),
            (3, vec!["hash".into()], Some(vec![1000, 20]))
        );
        let opts = parse(&["--quick", "--runs", "1", "--warmup=0"]).unwrap();
        assert_eq!((opts.runs, opts.warmup), (1, 0));
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = |items: &[&str]| parse(items).unwrap_err().to_string();
        assert!(err(&["--runs", "x"]).contains("`--runs`"));
        assert!(err(&["--runs", "0"]).contains("at least 1"));
        assert!(err(&["--frobnicate"]).contains("unknown option `--frobnicate`"));
        assert!(err(&["--timeout", "-3"]).contains("`--timeout`"));
        assert!(err(&["--sizes", "1,a"]).contains("`--sizes`"));
        assert!(err(&["--baseline", "../x"]).contains("baseline name"));
        assert!(err(&["--fail-on-regression"]).contains("--baseline"));
        assert!(err(&["--install-python"]).contains("--with-python"));
    }
}
