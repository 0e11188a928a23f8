//! `cargo xtask bench`: builds the release runner (`orcapod-bench`), runs every selected
//! scenario × size × variant as fresh child processes, summarizes, compares and records.
//!
//! See `docs/benchmarks.md` for the method and reference numbers.

pub mod baseline;
pub mod machine;
pub mod options;
pub mod python;
pub mod report;
pub mod runner;
pub mod stats;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::error::{Result, XtaskError};
use machine::Machine;
use options::BenchOptions;
use runner::{RawRun, ScenarioInfo};
use stats::SummaryRow;

/// The JSON document written to `target/bench/<timestamp>.json` and `target/bench/latest.json`.
#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    options: &'a BenchOptions,
    machine: &'a Machine,
    runner: String,
    scenarios: Vec<&'a ScenarioInfo>,
    summary: &'a [SummaryRow],
    baseline: Option<(&'a str, &'a [baseline::Comparison])>,
    python: Option<&'a python::PythonReport>,
    runs: &'a [RawRun],
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, raw_args: Vec<String>) -> Result<()> {
    let opts = BenchOptions::parse(raw_args)?;
    if opts.help {
        print!("{}", options::HELP);
        return Ok(());
    }
    let target = crate::target_dir(root);
    let baseline = opts
        .baseline
        .as_deref()
        .map(|name| baseline::load(&target, name))
        .transpose()?;
    let runner_path = runner::build(root)?;
    let all = runner::list(&runner_path)?;
    if opts.list {
        print!("{}", list_text(&all));
        return Ok(());
    }
    let plan = plan(&all, &opts)?;

    let now = SystemTime::now();
    let mut machine = Machine::collect(root, now);
    println!(
        "orcapod-bench {} | {} x {} | {:.1} GiB | load {:?} | runs {} warmup {} timeout {}s",
        machine.git_rev,
        machine.nproc,
        machine.cpu_model,
        machine.mem_total_gib,
        machine.loadavg_before,
        opts.runs,
        opts.warmup,
        opts.timeout_s
    );
    let mut runs = Vec::new();
    for (info, sizes) in &plan {
        run_scenario(&runner_path, info, sizes, &opts, &mut runs);
    }
    machine.loadavg_after = machine::loadavg();

    let mut summary = Vec::new();
    for (info, sizes) in &plan {
        for &size in sizes {
            for variant in &info.variants {
                let matching: Vec<&RawRun> = runs
                    .iter()
                    .filter(|r| {
                        r.scenario == info.name && r.variant == variant.name && r.size == size
                    })
                    .collect();
                summary.push(stats::summarize(info, &variant.name, size, &matching));
            }
        }
    }
    stats::fill_limit_ratios(&mut summary);
    let comparisons = baseline.as_ref().map(|b| baseline::compare(&summary, b));
    println!();
    print!(
        "{}",
        report::summary_table(&summary, comparisons.as_deref())
    );
    print!("{}", report::footnotes(&summary));
    println!("load average after: {:?}", machine.loadavg_after);

    let out_dir = target.join("bench");
    let stamp = machine::file_stamp(now);
    let python_report = if opts.with_python {
        let report = python::run(
            root,
            &out_dir,
            &stamp,
            opts.install_python,
            opts.timeout_s,
            &plan,
            &summary,
        )?;
        if let Some(report) = &report {
            println!("\nRust vs Python reference (orcapod 0.1.4):");
            print!("{}", python::table(report));
        }
        report
    } else {
        None
    };

    let report = Report {
        schema: "orcapod-bench/1",
        options: &opts,
        machine: &machine,
        runner: runner_path.display().to_string(),
        scenarios: plan.iter().map(|(info, _)| info).collect(),
        summary: &summary,
        baseline: opts.baseline.as_deref().zip(comparisons.as_deref()),
        python: python_report.as_ref(),
        runs: &runs,
    };
    let stamped = out_dir.join(format!("{stamp}.json"));
    write_json(&stamped, &report)?;
    write_json(&out_dir.join("latest.json"), &report)?;
    println!("\nwrote {} and latest.json", stamped.display());
    if let Some(path) = &opts.json {
        write_json(Path::new(path), &report)?;
        println!("wrote {path}");
    }
    if let Some(name) = &opts.save_baseline {
        let saved = baseline::Baseline {
            name: name.clone(),
            machine: machine.clone(),
            summary: summary.clone(),
        };
        println!(
            "saved baseline {}",
            baseline::save(&target, &saved)?.display()
        );
    }
    let n_regressions = comparisons
        .iter()
        .flatten()
        .filter(|c| c.verdict == "REGRESSION")
        .count();
    if let Some(name) = &opts.baseline {
        println!("baseline `{name}`: {n_regressions} regression(s)");
        if opts.fail_on_regression && n_regressions > 0 {
            return Err(XtaskError::Regressions {
                count: n_regressions,
                baseline: name.clone(),
            });
        }
    }
    Ok(())
}

/// The selected scenarios with the sizes to run.
fn plan(all: &[ScenarioInfo], opts: &BenchOptions) -> Result<Vec<(ScenarioInfo, Vec<u64>)>> {
    let known = || {
        all.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let selected: Vec<&ScenarioInfo> = if opts.scenarios.is_empty() {
        all.iter().collect()
    } else {
        let mut selected = Vec::new();
        for name in &opts.scenarios {
            match all.iter().find(|s| &s.name == name) {
                Some(info) => selected.push(info),
                None => {
                    return Err(XtaskError::Usage(format!(
                        "cargo xtask bench: unknown scenario `{name}` (known: {})",
                        known()
                    )));
                }
            }
        }
        selected
    };
    Ok(selected
        .into_iter()
        .map(|info| {
            let sizes = match (&opts.sizes, opts.quick) {
                (Some(sizes), _) => sizes.clone(),
                (None, true) => info.quick_sizes.clone(),
                (None, false) => info.default_sizes.clone(),
            };
            (info.clone(), sizes)
        })
        .collect())
}

/// Runs one scenario: per size, warm-up rounds then measured rounds, each round running every
/// variant once. A timeout or "skipped" blocks the variant for this and larger sizes; an error
/// blocks it for the rest of this size.
fn run_scenario(
    runner_path: &Path,
    info: &ScenarioInfo,
    sizes: &[u64],
    opts: &BenchOptions,
    runs: &mut Vec<RawRun>,
) {
    let timeout = Duration::from_secs_f64(opts.timeout_s);
    let mut blocked: HashMap<String, String> = HashMap::new();
    for &size in sizes {
        let started = Instant::now();
        let mut blocked_here: HashMap<String, String> = HashMap::new();
        let mut n_runs = 0;
        for round in 0..opts.warmup + opts.runs {
            let warmup = round < opts.warmup;
            for variant in &info.variants {
                let name = &variant.name;
                if let Some(reason) = blocked.get(name).or_else(|| blocked_here.get(name)) {
                    if round == opts.warmup {
                        runs.push(RawRun {
                            scenario: info.name.clone(),
                            variant: name.clone(),
                            size,
                            warmup: false,
                            status: "skipped".to_owned(),
                            process_wall_s: 0.0,
                            result: None,
                            message: Some(reason.clone()),
                        });
                    }
                    continue;
                }
                let run = runner::run_one(runner_path, &info.name, name, size, timeout, warmup);
                n_runs += 1;
                let phase = if warmup { "warm-up" } else { "measured run" };
                let reason =
                    |what: &str| format!("{what} at size {} ({phase})", report::size(size));
                match run.status.as_str() {
                    "timeout" => drop(blocked.insert(name.clone(), reason("timed out"))),
                    "skipped" => {
                        drop(blocked.insert(name.clone(), run.message.clone().unwrap_or_default()))
                    }
                    "error" => drop(blocked_here.insert(name.clone(), reason("failed"))),
                    _ => (),
                }
                if run.status != "ok" {
                    eprintln!(
                        "  {}/{name} size {}: {} {}",
                        info.name,
                        size,
                        run.status,
                        run.message.as_deref().unwrap_or("")
                    );
                }
                runs.push(run);
            }
        }
        eprintln!(
            "  {:<12} size {:>6}: {n_runs} runs in {:.1}s",
            info.name,
            report::size(size),
            started.elapsed().as_secs_f64()
        );
    }
}

/// `--list` output.
fn list_text(all: &[ScenarioInfo]) -> String {
    let sizes = |sizes: &[u64]| {
        sizes
            .iter()
            .map(|&n| report::size(n))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    for info in all {
        out.push_str(&format!("{}: {}\n", info.name, info.description));
        out.push_str(&format!("  limit:  {}\n", info.limit));
        out.push_str(&format!(
            "  sizes:  {} (quick: {})\n",
            sizes(&info.default_sizes),
            sizes(&info.quick_sizes)
        ));
        for python in &info.python {
            out.push_str(&format!(
                "  python: bench.py {} (vs variant {})\n",
                python.workload, python.variant
            ));
        }
        for variant in &info.variants {
            let mark = if variant.name == info.limit { "*" } else { " " };
            out.push_str(&format!(
                "  {mark} {:<10} {}\n",
                variant.name, variant.description
            ));
        }
    }
    out
}

/// Writes `value` as pretty JSON to `path`, creating parent directories.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|err| XtaskError::io(parent, err))?;
    }
    let text = serde_json::to_string_pretty(value).map_err(|err| XtaskError::BadJson {
        path: path.to_path_buf(),
        detail: err.to_string(),
    })?;
    std::fs::write(path, text + "\n").map_err(|err| XtaskError::io(path, err))
}
